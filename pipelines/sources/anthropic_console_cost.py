"""Anthropic Console cost export (claude_api_cost_<from>_to_<to>.csv), downloaded by anyone in
the organisation from the Console's cost page (no Admin key). Read by header name: the column
order changed over time (list_price_usd, api_key_id and api_key_status were added in 2026)."""

from pipelines.sources.base import Source

# A Console export always has this column; the rest of its header says which export it is.
MARKER = "usage_date_utc"
COST_REQUIRED = ("usage_date_utc", "model", "workspace", "api_key", "token_type", "cost_usd",
                 "cost_type")
TOKENS_REQUIRED = ("usage_date_utc", "usage_input_tokens_no_cache", "usage_output_tokens")
TOKENS_MODEL = ("model_version", "model")


def lacking(record: dict, required: tuple[str, ...]) -> list[str]:
    return [column for column in required if column not in record]


def tokens_lacking(record: dict) -> list[str]:
    missing = lacking(record, TOKENS_REQUIRED)
    if not any(column in record for column in TOKENS_MODEL):
        missing.append("model_version")
    return missing


def refusal(record: dict) -> str | None:
    """Why a file that looks like a Console export (it has usage_date_utc) is neither of the
    two known ones: the columns the closer of the two lacks."""
    if MARKER not in record:
        return None
    cost, tokens = lacking(record, COST_REQUIRED), tokens_lacking(record)
    if not cost or not tokens:
        return None
    name, missing = (("cost", cost) if len(cost) <= len(tokens) else ("tokens", tokens))
    return (f"looks like an Anthropic Console {name} export (it has {MARKER}) but its header "
            f"lacks: {', '.join(missing)}")


def signature(record: dict) -> float:
    return 1.0 if MARKER in record and not lacking(record, COST_REQUIRED) else 0.0


SOURCE = Source(
    name="anthropic_console_cost",
    description="Anthropic Console cost export (claude_api_cost_<from>_to_<to>.csv): billed "
    "USD per day, model (display name), workspace, API key and token type",
    formats="CSV with a header (older and newer column orders; '--' placeholders)",
    signature=signature,
    table="usage_buckets",
    refusal=refusal,
)
