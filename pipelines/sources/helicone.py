"""Helicone request exports: raw HeliconeRequest records (JSONL/JSON) or the export CLI's CSV."""

from pipelines.sources.base import Source

# Columns of HeliconeRequest (llm-mapper types) that other formats do not use.
HELICONE_KEYS = {
    "request_properties", "prompt_cache_read_tokens", "prompt_cache_write_tokens", "delay_ms",
    "helicone_user", "response_model", "model_override", "signed_body_url",
}


def signature(record: dict) -> float:
    if "response_id" in record and "request_created_at" in record:
        if "costUSD" in record or "cost" in record:
            return 1.0
        return 0.75
    return min(0.25 * len(HELICONE_KEYS & record.keys()), 0.75)


SOURCE = Source(
    name="helicone",
    description="Helicone request exports: HeliconeRequest records or `@helicone/export` CSV",
    formats="JSONL or JSON array of HeliconeRequest records; CSV with the export CLI's header "
            "(response_id,response_created_at,...,latency,cost)",
    signature=signature,
    one_row_per_record=True,
)
