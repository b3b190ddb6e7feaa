"""Anthropic Console tokens export (claude_api_tokens_<period>.csv): token counts per day or
hour, model id, API key and workspace. Read by header name; a column an older file lacks (cache
writes, context_window, inference_geo, speed) counts as absent, not as an error."""

from pipelines.sources.anthropic_console_cost import MARKER, tokens_lacking
from pipelines.sources.base import Source


def signature(record: dict) -> float:
    return 1.0 if MARKER in record and not tokens_lacking(record) else 0.0


SOURCE = Source(
    name="anthropic_console_tokens",
    description="Anthropic Console tokens export (claude_api_tokens_<period>.csv): tokens per "
    "day or hour, model, API key and workspace",
    formats="CSV with a header (daily or hourly usage_date_utc; older files lack columns)",
    signature=signature,
    table="usage_buckets",
)
