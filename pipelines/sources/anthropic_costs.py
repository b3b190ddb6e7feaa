"""Anthropic Admin cost report pages (/v1/organizations/cost_report)."""

from pipelines.sources.anthropic_usage import _results
from pipelines.sources.base import Source


def _is_cost(result: dict) -> bool:
    return "amount" in result and ("cost_type" in result or "token_type" in result)


def signature(record: dict) -> float:
    results = _results(record)
    if results and all(_is_cost(result) for result in results):
        return 1.0
    if results and all(isinstance(result.get("amount"), str) for result in results):
        return 0.75  # amount as a string of cents, without the grouping keys
    if _is_cost(record):
        # A result cut out of its page: recognised, then quarantined for its missing times.
        return 0.75
    return 0.0


SOURCE = Source(
    name="anthropic_costs",
    description="Anthropic Admin cost report pages (/v1/organizations/cost_report): billed "
    "USD (reported in cents) per day, workspace and description",
    formats="One page per file (pretty-printed JSON) or one page per line (JSONL of paginated "
    "downloads)",
    signature=signature,
    table="usage_buckets",
)
