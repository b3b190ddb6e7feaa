"""Portkey log exports: one gateway log per JSONL line (cost in cents)."""

from pipelines.sources.base import Source

PORTKEY_KEYS = {"ai_org", "ai_org_model", "total_units", "cost_currency", "cache_status",
                "virtual_key", "request.body", "response.body"}


def signature(record: dict) -> float:
    if "ai_model" in record or "req_units" in record or "res_units" in record:
        return 1.0
    return min(0.25 * len(PORTKEY_KEYS & record.keys()), 0.75)


SOURCE = Source(
    name="portkey",
    description="Portkey log exports: ai_org/ai_model, req_units/res_units, cost in cents",
    formats="JSONL (one log per line) or JSON array; request.body/response.body nested or "
            "flattened with a dot in the key",
    signature=signature,
    one_row_per_record=True,
)
