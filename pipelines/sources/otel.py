"""OpenTelemetry GenAI spans in OTLP/JSON (the collector's file exporter)."""

from pipelines.sources.base import Source

GENAI_PREFIXES = ("gen_ai.", "llm.")


def _spans(record: dict):
    for resource_spans in record["resourceSpans"]:
        for scope_spans in resource_spans.get("scopeSpans") or []:
            yield from scope_spans.get("spans") or []


def signature(record: dict) -> float:
    """1.0 for an OTLP traces document whose spans carry GenAI (gen_ai.*) or OpenInference
    (llm.*) attributes; 0.6 for any other OTLP traces document (HTTP/DB spans only, which
    this source reads as no requests)."""
    if not isinstance(record.get("resourceSpans"), list):
        return 0.0
    for span in _spans(record):
        for attribute in span.get("attributes") or []:
            if str(attribute.get("key", "")).startswith(GENAI_PREFIXES):
                return 1.0
    return 0.6


SOURCE = Source(
    name="otel",
    description="OpenTelemetry GenAI / OpenInference LLM spans, OTLP/JSON traces",
    formats="JSONL (one resourceSpans document per line, collector file exporter) "
            "or one JSON document",
    signature=signature,
    spans=True,
)
