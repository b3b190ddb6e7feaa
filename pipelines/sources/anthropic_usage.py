"""Anthropic Admin usage report pages (/v1/organizations/usage_report/messages)."""

from pipelines.sources.base import Source


def _results(record: dict) -> list[dict]:
    data = record.get("data")
    if not isinstance(data, list):
        return []
    return [
        result
        for bucket in data
        if isinstance(bucket, dict)
        for result in (bucket.get("results") or [])
        if isinstance(result, dict)
    ]


def signature(record: dict) -> float:
    results = _results(record)
    if results and all("uncached_input_tokens" in result for result in results):
        return 1.0
    if "uncached_input_tokens" in record:
        # A result cut out of its page: recognised, then quarantined for its missing times.
        return 0.75
    return 0.0


SOURCE = Source(
    name="anthropic_usage",
    description="Anthropic Admin usage report pages (/v1/organizations/usage_report/messages): "
    "token aggregates per bucket",
    formats="One page per file (pretty-printed JSON) or one page per line (JSONL of paginated "
    "downloads)",
    signature=signature,
    table="usage_buckets",
)
