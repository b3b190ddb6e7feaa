"""Query rewriting before retrieval."""

from __future__ import annotations

import json

from libs.cache import ttl_cache
from libs.llm import complete
from libs.log import get_logger

log = get_logger(__name__)
PROMPT_VERSION = "qr-2026-10"


@ttl_cache(seconds=3600, maxsize=50_000)
def rewrite(query: str, locale: str = "en") -> list[str]:
    query = " ".join(query.split())[:500]
    if not query:
        return []
    response = complete(
        feature="query-rewrite",
        prompt_version=PROMPT_VERSION,
        messages=[{"role": "user", "content": query}],
        temperature=0,
        max_tokens=120,
        response_format={"type": "json_object"},
    )
    try:
        queries = json.loads(response.text)["queries"]
    except (KeyError, ValueError):
        log.warning("rewrite.bad_json", prompt_version=PROMPT_VERSION)
        return [query.lower()]
    return [q for q in queries if isinstance(q, str) and q][:3]
