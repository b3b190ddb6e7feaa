"""LiteLLM proxy spend logs (SpendLogs rows and StandardLoggingPayload callbacks)."""

from pipelines.sources.base import Source


def signature(record: dict) -> float:
    if ("spend" in record or "response_cost" in record) and "startTime" in record:
        return 1.0
    keys = {"call_type", "litellm_call_id", "model_group", "custom_llm_provider", "api_base"}
    return 0.25 * len(keys & record.keys())


SOURCE = Source(
    name="litellm",
    description="LiteLLM proxy spend logs: SpendLogs rows or StandardLoggingPayload callbacks",
    formats="JSONL or JSON array; metadata/request_tags as JSON strings or objects",
    signature=signature,
    one_row_per_record=True,
)
