"""OpenRouter: generation stats (GET /api/v1/generation) and chat responses with usage cost."""

from pipelines.sources.base import Source, body_of


def _generation(record: dict) -> dict | None:
    data = record.get("data")
    if isinstance(data, dict):
        return data
    if "native_tokens_prompt" in record or "total_cost" in record:
        return record
    return None


def signature(record: dict) -> float:
    generation = _generation(record)
    if generation is not None:
        if "total_cost" in generation or "native_tokens_prompt" in generation:
            return 1.0
        return 0.5 if "provider_name" in generation and "tokens_prompt" in generation else 0.0
    body = body_of(record)
    usage = body.get("usage")
    gen_id = isinstance(body.get("id"), str) and body["id"].startswith("gen-")
    upstream = isinstance(body.get("provider"), str)
    if isinstance(usage, dict) and gen_id and upstream:
        # usage.cost / is_byok exist only with OpenRouter usage accounting.
        if "cost" in usage or "is_byok" in usage:
            return 1.0
        return 0.9
    if isinstance(usage, dict) and ("cost" in usage and "is_byok" in usage):
        return 0.75
    return 0.0


SOURCE = Source(
    name="openrouter",
    description="OpenRouter generation stats ({\"data\": ...}) and chat responses with usage "
                "accounting (usage.cost, is_byok), bare or in the capture envelope",
    formats="JSONL (one generation or body or capture envelope per line), JSON array, or one "
            "JSON document",
    signature=signature,
)
