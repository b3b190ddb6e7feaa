"""AWS Bedrock: model invocation log records, and Converse / InvokeModel responses."""

import json

from pipelines.sources.base import Source, body_of

BEDROCK_PROVIDERS = {"aws_bedrock", "bedrock", "bedrock_converse", "aws.bedrock"}


def _is_invocation_log(record: dict) -> bool:
    if record.get("schemaType") == "ModelInvocationLog":
        return True
    entry = record.get("input")
    return "modelId" in record and isinstance(entry, dict) and "inputTokenCount" in entry


def _cloudwatch_events(record: dict) -> list:
    """The events of a CloudWatch Logs dump (filter-log-events / subscription payload)."""
    events = record.get("logEvents", record.get("events"))
    return events if isinstance(events, list) else []


def signature(record: dict) -> float:
    if _is_invocation_log(record):
        return 1.0
    events = _cloudwatch_events(record)
    if events and isinstance(events[0], dict) and isinstance(events[0].get("message"), str):
        try:
            message = json.loads(events[0]["message"])
        except ValueError:
            return 0.0
        return 1.0 if isinstance(message, dict) and _is_invocation_log(message) else 0.0
    body = body_of(record)
    usage = body.get("usage")
    output = body.get("output")
    if isinstance(usage, dict) and "inputTokens" in usage and (
        "stopReason" in body or (isinstance(output, dict) and "message" in output)
    ):
        return 0.9
    if str(record.get("provider", "")).lower() in BEDROCK_PROVIDERS:
        return 0.9
    return 0.0


SOURCE = Source(
    name="bedrock",
    description="AWS Bedrock model invocation logs (S3 .json.gz or CloudWatch), and Converse / "
    "InvokeModel responses in the capture envelope",
    formats="JSONL (one invocation-log record or capture envelope per line, .gz ok), a "
    "CloudWatch Logs dump ({events: [{message}]}), JSON array, or one JSON document",
    signature=signature,
)
