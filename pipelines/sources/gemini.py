"""Gemini API / Vertex AI generateContent responses, bare or in the capture envelope."""

from pipelines.sources.base import Source, body_of


def signature(record: dict) -> float:
    body = body_of(record)
    if isinstance(body.get("usageMetadata"), dict) and (
        "candidates" in body or "modelVersion" in body
    ):
        return 1.0
    if isinstance(body.get("usageMetadata"), dict):
        return 0.75
    return 0.0


SOURCE = Source(
    name="gemini",
    description="Gemini API / Vertex AI generateContent responses (usageMetadata), bare or in "
    "the capture envelope",
    formats="JSONL (one body or capture envelope per line), JSON array, or one JSON document",
    signature=signature,
    one_row_per_record=True,
)
