"""Fast generator of LiteLLM SpendLogs-shape JSONL for the benchmarks.

Rows look like ``LiteLLM_SpendLogs`` as the proxy writes them (see
/work/shared/samples/litellm/spend_logs_payload.json): ``metadata`` and ``request_tags`` are
JSON-encoded *strings*, ``startTime``/``endTime`` are naive UTC text, ``spend`` is LiteLLM's
float cost, and ``metadata.usage_object`` carries prompt_tokens_details.cached_tokens (and, for
Anthropic, cache_creation_input_tokens). Lines are ~1.9-2.0 KB, like real rows.

Everything is vectorised: numpy draws the numbers, polars ``concat_str`` glues them into a
template, and the Arrow string buffer (one line + newline per row) is written to disk as is.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

# (model, custom_llm_provider, weight, $/token input, cache read, cache write 5m, output).
# Only models whose LiteLLM bundled price equals pricing/prices.csv (standard tier, on the
# generated dates, inputs < 200K tokens); bench_pricing.py re-checks this at run time.
MODELS = [
    ("gpt-4o", "openai", 0.18, 2.5e-6, 1.25e-6, 0.0, 1e-5),
    ("gpt-4o-mini", "openai", 0.20, 1.5e-7, 7.5e-8, 0.0, 6e-7),
    ("gpt-4.1", "openai", 0.12, 2e-6, 5e-7, 0.0, 8e-6),
    ("gpt-4.1-mini", "openai", 0.10, 4e-7, 1e-7, 0.0, 1.6e-6),
    ("gpt-5", "openai", 0.06, 1.25e-6, 1.25e-7, 0.0, 1e-5),
    ("o4-mini", "openai", 0.06, 1.1e-6, 2.75e-7, 0.0, 4.4e-6),
    ("claude-sonnet-4-5", "anthropic", 0.16, 3e-6, 3e-7, 3.75e-6, 1.5e-5),
    ("claude-haiku-4-5", "anthropic", 0.08, 1e-6, 1e-7, 1.25e-6, 5e-6),
    ("claude-opus-4-5", "anthropic", 0.04, 5e-6, 5e-7, 6.25e-6, 2.5e-5),
]
TEAMS = ["search", "support-bot", "growth", "platform", "data-science", "legal-ai",
         "mobile", "internal-tools"]
FEATURES = ["chat", "summarize", "classify", "extract", "agent", "rag-answer", "translate"]
ENVS = ["prod", "prod", "prod", "staging", "dev"]
START = np.datetime64("2026-09-01T00:00:00", "us")
DAYS = 30

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _hex(values: np.ndarray, width: int) -> pl.Series:
    """Fixed-width lowercase hex of unsigned ints, vectorised."""
    values = values.astype(np.uint64)
    shifts = np.arange(width - 1, -1, -1, dtype=np.uint64) * np.uint64(4)
    digits = (values[:, None] >> shifts) & np.uint64(0xF)
    chars = _HEX[digits.astype(np.intp)]
    return pl.Series(np.ascontiguousarray(chars).view(f"S{width}").ravel()).cast(pl.Utf8)


def requests_frame(n: int, seed: int = 7, models: list[str] | None = None) -> pl.DataFrame:
    """The numbers behind n requests: ids, model, tokens, times, attribution.

    ``models`` restricts the mix to those names (weights renormalised)."""
    rng = np.random.default_rng(seed)
    weights = np.array([m[2] if models is None or m[0] in models else 0.0 for m in MODELS])
    model_idx = rng.choice(len(MODELS), size=n, p=weights / weights.sum())
    is_anthropic = np.array([m[1] == "anthropic" for m in MODELS])[model_idx]

    prompt = np.minimum(rng.lognormal(np.log(1800), 1.1, n), 150_000).astype(np.int64) + 20
    completion = np.minimum(rng.lognormal(np.log(280), 0.9, n), 16_000).astype(np.int64) + 1
    cached = np.where(rng.random(n) < 0.45,
                      (prompt * rng.uniform(0.2, 0.9, n)).astype(np.int64), 0)
    # OpenAI caches in 128-token steps above 1024 prompt tokens.
    cached = np.where(is_anthropic, cached, np.where(prompt > 1024, cached // 128 * 128, 0))
    writes = np.where(is_anthropic & (rng.random(n) < 0.12),
                      ((prompt - cached) * rng.uniform(0.3, 0.9, n)).astype(np.int64), 0)
    reasoning = np.where(np.array([m[0] in ("gpt-5", "o4-mini") for m in MODELS])[model_idx],
                         (completion * rng.uniform(0.2, 0.8, n)).astype(np.int64), 0)

    price = np.array([m[3:] for m in MODELS])[model_idx]
    spend = ((prompt - cached - writes) * price[:, 0] + cached * price[:, 1]
             + writes * price[:, 2] + completion * price[:, 3])

    start = START + (rng.random(n) * DAYS * 86_400e6).astype("timedelta64[us]")
    latency_us = (rng.lognormal(np.log(2.5e6), 0.7, n)).astype("timedelta64[us]")
    ids = rng.integers(0, 2**63, size=(n, 2), dtype=np.uint64)
    team = rng.integers(0, len(TEAMS), n)
    frame = pl.DataFrame({
        "id_a": _hex(ids[:, 0] >> np.uint64(31), 8),
        "id_b": _hex(ids[:, 0] >> np.uint64(15), 4),
        "id_c": _hex(ids[:, 0], 3),
        "id_d": _hex(ids[:, 1] >> np.uint64(48), 4),
        "id_e": _hex(ids[:, 1], 12),
        "model": pl.Series([m[0] for m in MODELS])[model_idx],
        "provider": pl.Series([m[1] for m in MODELS])[model_idx],
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "cache_read_input_tokens": cached,
        "cache_creation_input_tokens": writes,
        "reasoning_tokens": reasoning,
        "spend": spend,
        "start": start,
        "end": start + latency_us,
        "team": pl.Series(TEAMS)[team],
        "team_id": pl.Series([f"team-{i:04d}-{t}" for i, t in enumerate(TEAMS)])[team],
        "feature": pl.Series(FEATURES)[rng.integers(0, len(FEATURES), n)],
        "env": pl.Series(ENVS)[rng.integers(0, len(ENVS), n)],
        "user_no": rng.integers(0, 5000, n),
        "key_no": rng.integers(0, 64, n, dtype=np.uint64),
    })
    # 64 virtual keys, each a sha256-looking hex digest like SpendLogs.api_key.
    keys = np.arange(1, 65, dtype=np.uint64)
    key_hex = pl.DataFrame({f"k{i}": _hex(keys * np.uint64(mult), 16) for i, mult in enumerate(
        (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5))})
    key_hash = key_hex.select(pl.concat_str(pl.all()))[:, 0]
    frame = frame.with_columns(key_hash=key_hash[frame["key_no"].to_numpy().astype(np.intp)])
    return frame.select(
        pl.concat_str([pl.lit("chatcmpl-"), "id_a", pl.lit("-"), "id_b", pl.lit("-4"), "id_c",
                       pl.lit("-"), "id_d", pl.lit("-"), "id_e"]).alias("request_id"),
        pl.exclude("id_a", "id_b", "id_c", "id_d", "id_e", "user_no", "key_no"),
        pl.concat_str([pl.lit("user-"), pl.col("user_no").cast(pl.Utf8)]).alias("user"),
    )


# -- the line template ------------------------------------------------------------------------
# "@@x@@" marks where column x goes. String columns keep the quotes json.dumps put around the
# marker (escaped once more inside the metadata string); number columns lose them. No value
# needs JSON escaping (ids, names, digits), so the same text works at both nesting levels.
NUMBER_COLUMNS = {"spend", "total_tokens", "prompt_tokens", "completion_tokens",
                  "reasoning_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"}


def _m(name: str) -> str:
    return f"@@{name}@@"


def _template(lean: bool = False) -> list[str | tuple[str]]:
    """The line with @@x@@ markers. ``lean``: ~0.85 KB lines (issue 16 measured its 6.4x on 1M
    rows of 848 MB): the same requests with only the fields llmcost reads for cost, tokens and
    attribution; no session, cache key, status or proxy extras."""
    return _split_line(_lean_row() if lean else _full_row())


def _full_row() -> dict:
    usage = {
        "completion_tokens": _m("completion_tokens"),
        "prompt_tokens": _m("prompt_tokens"),
        "total_tokens": _m("total_tokens"),
        "completion_tokens_details": {
            "accepted_prediction_tokens": None, "audio_tokens": None,
            "reasoning_tokens": _m("reasoning_tokens"), "rejected_prediction_tokens": None,
        },
        "prompt_tokens_details": {
            "audio_tokens": None, "cached_tokens": _m("cache_read_input_tokens"),
        },
        "cache_creation_input_tokens": _m("cache_creation_input_tokens"),
        "cache_read_input_tokens": _m("cache_read_input_tokens"),
    }
    metadata = {
        "applied_guardrails": [], "attempted_fallbacks": None, "original_model_group": None,
        "mcp_tool_call_metadata": None, "routing_decision": None, "usage_object": usage,
        "user_api_key": _m("key_hash"), "user_api_key_alias": None,
        "user_api_key_team_id": _m("team_id"), "user_api_key_project_id": None,
        "user_api_key_org_id": None, "user_api_key_user_id": _m("user"),
        "user_api_key_team_alias": _m("team"),
        "spend_logs_metadata": {"feature": _m("feature")},
        "user_agent": "OpenAI/Python 1.99.1", "attempted_retries": 0,
    }
    tags = [f"team:{_m('team')}", f"feature:{_m('feature')}", f"env:{_m('env')}"]
    return {
        "request_id": _m("request_id"), "session_id": _m("session"),
        "call_type": "acompletion", "api_key": _m("key_hash"), "cache_hit": "None",
        "startTime": _m("start"), "endTime": _m("end"), "completionStartTime": _m("end"),
        "model": _m("model"), "user": _m("user"), "team_id": _m("team_id"),
        "organization_id": "", "metadata": json.dumps(metadata),
        "cache_key": "Cache OFF", "spend": _m("spend"),
        "total_tokens": _m("total_tokens"), "prompt_tokens": _m("prompt_tokens"),
        "completion_tokens": _m("completion_tokens"), "request_tags": json.dumps(tags),
        "end_user": "", "api_base": "https://api.openai.com/v1",
        "model_group": _m("model"), "model_id": "", "requester_ip_address": None,
        "custom_llm_provider": _m("provider"), "messages": "{}", "response": "{}",
        "proxy_server_request": "{}", "status": "success", "mcp_namespaced_tool_name": None,
        "agent_id": None,
    }


def _lean_row() -> dict:
    usage = {
        "completion_tokens": _m("completion_tokens"), "prompt_tokens": _m("prompt_tokens"),
        "total_tokens": _m("total_tokens"),
        "completion_tokens_details": {"reasoning_tokens": _m("reasoning_tokens")},
        "prompt_tokens_details": {"cached_tokens": _m("cache_read_input_tokens")},
        "cache_creation_input_tokens": _m("cache_creation_input_tokens"),
    }
    metadata = {"usage_object": usage, "spend_logs_metadata": {"feature": _m("feature")}}
    tags = [f"team:{_m('team')}", f"feature:{_m('feature')}", f"env:{_m('env')}"]
    return {
        "request_id": _m("request_id"), "call_type": "acompletion", "api_key": _m("key_hash"),
        "startTime": _m("start"), "endTime": _m("end"), "model": _m("model"),
        "user": _m("user"), "team_id": _m("team_id"), "metadata": json.dumps(metadata),
        "spend": _m("spend"), "total_tokens": _m("total_tokens"),
        "prompt_tokens": _m("prompt_tokens"), "completion_tokens": _m("completion_tokens"),
        "request_tags": json.dumps(tags), "custom_llm_provider": _m("provider"),
    }


def _split_line(row: dict) -> list[str | tuple[str]]:
    line = json.dumps(row)
    for name in NUMBER_COLUMNS:
        line = line.replace(f'\\"{_m(name)}\\"', _m(name)).replace(f'"{_m(name)}"', _m(name))
    return [piece if i % 2 == 0 else (piece,) for i, piece in enumerate(line.split("@@"))]


def lines_frame(req: pl.DataFrame, lean: bool = False) -> pl.Series:
    """One JSON line (with trailing newline) per request."""
    fmt = "%Y-%m-%d %H:%M:%S%.6f"
    cols = {
        "request_id": pl.col("request_id"),
        "session": pl.col("request_id").str.slice(9, 13),
        "key_hash": pl.col("key_hash"),
        "start": pl.col("start").dt.strftime(fmt),
        "end": pl.col("end").dt.strftime(fmt),
        "model": pl.col("model"),
        "provider": pl.col("provider"),
        "user": pl.col("user"),
        "team_id": pl.col("team_id"),
        "team": pl.col("team"),
        "feature": pl.col("feature"),
        "env": pl.col("env"),
        "spend": pl.col("spend").cast(pl.Utf8),
        "total_tokens": (pl.col("prompt_tokens") + pl.col("completion_tokens")).cast(pl.Utf8),
        "prompt_tokens": pl.col("prompt_tokens").cast(pl.Utf8),
        "completion_tokens": pl.col("completion_tokens").cast(pl.Utf8),
        "reasoning_tokens": pl.col("reasoning_tokens").cast(pl.Utf8),
        "cache_read_input_tokens": pl.col("cache_read_input_tokens").cast(pl.Utf8),
        "cache_creation_input_tokens": pl.col("cache_creation_input_tokens").cast(pl.Utf8),
    }
    exprs = []
    for part in _template(lean):
        exprs.append(cols[part[0]] if isinstance(part, tuple) else pl.lit(part))
    exprs.append(pl.lit("\n"))
    return req.select(pl.concat_str(exprs).alias("line"))["line"]


def write_jsonl(path: Path, n: int, seed: int = 7, batch: int = 250_000,
                models: list[str] | None = None, lean: bool = False) -> pl.DataFrame:
    """Write n SpendLogs lines to path; returns the request numbers (for cross-checks)."""
    req = requests_frame(n, seed, models)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        for offset in range(0, n, batch):
            arr = lines_frame(req.slice(offset, batch), lean).to_arrow()
            for chunk in getattr(arr, "chunks", [arr]):
                chunk = chunk.cast("large_string") if str(chunk.type) == "string" else chunk
                offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)
                start, stop = offsets[chunk.offset], offsets[chunk.offset + len(chunk)]
                out.write(memoryview(chunk.buffers()[2])[start:stop])
    return req


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("bench/out/sample.jsonl")
    write_jsonl(target, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
    print(target.read_text()[:4000])
