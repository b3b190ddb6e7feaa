"""OpenAI SDK captures: Chat Completions and Responses bodies, bare or in the envelope."""

from pipelines.sources.base import Source, body_of

OBJECTS = {"chat.completion", "response", "chat.completion.chunk", "text_completion"}


def signature(record: dict) -> float:
    body = body_of(record)
    # OpenRouter answers in the OpenAI shape but names its upstream and uses gen- ids.
    if isinstance(body.get("provider"), str) and str(body.get("id") or "").startswith("gen-"):
        return 0.25
    if body.get("object") in OBJECTS and isinstance(body.get("usage"), dict):
        return 1.0
    if body.get("object") in OBJECTS:
        return 0.75
    usage = body.get("usage")
    if isinstance(usage, dict) and "prompt_tokens" in usage and "choices" in body:
        return 0.5
    return 0.0


SOURCE = Source(
    name="openai",
    description="OpenAI SDK captures: Chat Completions or Responses bodies, bare or in an envelope",
    formats="JSONL (one body or capture envelope per line), JSON array, or one JSON document",
    signature=signature,
    one_row_per_record=True,
)
