"""Anthropic SDK captures: Messages bodies in the capture envelope."""

from pipelines.sources.base import Source, body_of

BEDROCK_PROVIDERS = {"aws_bedrock", "bedrock", "aws.bedrock", "aws"}


def signature(record: dict) -> float:
    body = body_of(record)
    if str(record.get("provider", "")).lower() in BEDROCK_PROVIDERS:
        return 0.5  # Claude on Bedrock: the bedrock adapter reads the same body
    usage = body.get("usage")
    if body.get("type") == "message" and isinstance(usage, dict):
        # Claude on Bedrock InvokeModel has the same body; an aws_bedrock envelope says so.
        return 1.0
    if isinstance(usage, dict) and "input_tokens" in usage and "stop_reason" in body:
        return 0.75
    return 0.0


SOURCE = Source(
    name="anthropic",
    description="Anthropic SDK captures: Messages bodies in the capture envelope",
    formats="JSONL (one capture envelope per line), JSON array, or one JSON document",
    signature=signature,
    one_row_per_record=True,
)
