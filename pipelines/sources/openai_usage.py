"""OpenAI Organization Usage API pages (completions, embeddings, images, audio, ...)."""

from pipelines.sources.base import Source

PREFIX = "organization.usage."


def _result_objects(record: dict) -> list:
    data = record.get("data")
    if not isinstance(data, list):
        return []
    return [
        result.get("object")
        for bucket in data
        if isinstance(bucket, dict)
        for result in (bucket.get("results") or [])
        if isinstance(result, dict)
    ]


def signature(record: dict) -> float:
    if record.get("object") == "page":
        objects = _result_objects(record)
        if objects and all(isinstance(o, str) and o.startswith(PREFIX) for o in objects):
            return 1.0
        return 0.0
    obj = record.get("object")
    if isinstance(obj, str) and obj.startswith(PREFIX) and obj.endswith(".result"):
        # A result cut out of its page: recognised, then quarantined for its missing times.
        return 0.75
    return 0.0


SOURCE = Source(
    name="openai_usage",
    description="OpenAI Organization Usage API pages (/v1/organization/usage/*): token and "
    "request aggregates per bucket",
    formats="One page per file (pretty-printed JSON) or one page per line (JSONL of paginated "
    "downloads)",
    signature=signature,
    table="usage_buckets",
)
