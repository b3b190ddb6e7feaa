"""OpenAI Costs API pages (/v1/organization/costs) and the dashboard's cost CSV export."""

from pipelines.sources.base import Source

RESULT = "organization.costs.result"


def signature(record: dict) -> float:
    data = record.get("data")
    if record.get("object") == "page" and isinstance(data, list):
        objects = [
            result.get("object")
            for bucket in data
            if isinstance(bucket, dict)
            for result in (bucket.get("results") or [])
            if isinstance(result, dict)
        ]
        return 1.0 if objects and all(o == RESULT for o in objects) else 0.0
    if record.get("object") == RESULT:
        # A result cut out of its page: recognised, then quarantined for its missing times.
        return 0.75
    if "amount_value" in record and "line_item" in record:
        return 1.0  # a row of the dashboard's cost CSV export
    return 0.0


SOURCE = Source(
    name="openai_costs",
    description="OpenAI Costs API pages (/v1/organization/costs) or the dashboard cost CSV "
    "export: billed USD per day, project and line item",
    formats="One page per file (pretty-printed JSON), one page per line (JSONL), or the CSV "
    "export (start_time, end_time, amount_value, amount_currency, line_item, ...)",
    signature=signature,
    table="usage_buckets",
)
