"""LiteLLM's side of bench_pricing.py. Runs in bench/.venv-litellm, never in the project venv.

    LITELLM_LOCAL_MODEL_COST_MAP=True bench/.venv-litellm/bin/python bench/litellm_loop.py \
        loop --requests R.parquet --out costs.parquet --summary summary.json
    LITELLM_LOCAL_MODEL_COST_MAP=True bench/.venv-litellm/bin/python bench/litellm_loop.py \
        prices gpt-4o claude-sonnet-4-5 ...

``loop`` reads the requests (Parquet), calls ``litellm.cost_per_token`` once per request and
times only that loop; it writes each request's cost (for a per-request cross-check) and a
summary (seconds, total, per-model totals). ``prices`` prints LiteLLM's bundled per-token
prices for the named models as JSON.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from importlib.metadata import version

if os.environ.get("LITELLM_LOCAL_MODEL_COST_MAP", "").lower() != "true":
    sys.exit("set LITELLM_LOCAL_MODEL_COST_MAP=True so LiteLLM uses its bundled price map")

import litellm  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

PRICE_KEYS = ("litellm_provider", "input_cost_per_token", "cache_read_input_token_cost",
              "cache_creation_input_token_cost", "cache_creation_input_token_cost_above_1hr",
              "output_cost_per_token")


def prices(models: list[str]) -> None:
    out = {}
    for model in models:
        spec = litellm.model_cost.get(model)
        if spec is None:
            out[model] = None
            continue
        out[model] = {key: spec.get(key) for key in PRICE_KEYS}
        out[model]["tiered"] = sorted(k for k in spec if "_above_" in k and "1hr" not in k)
    print(json.dumps({"litellm_version": version("litellm"), "prices": out}))


def loop(requests_path: str, costs_path: str, summary_path: str) -> None:
    table = pq.read_table(requests_path)
    request_ids = table.column("request_id").to_pylist()
    models = table.column("model").to_pylist()
    prompt = table.column("prompt_tokens").to_pylist()
    completion = table.column("completion_tokens").to_pylist()
    cache_read = table.column("cache_read_input_tokens").to_pylist()
    cache_write = table.column("cache_creation_input_tokens").to_pylist()
    rows = list(zip(models, prompt, completion, cache_read, cache_write, strict=True))

    cost_per_token = litellm.cost_per_token
    cost_per_token(model=models[0], prompt_tokens=1, completion_tokens=1)  # warm-up

    costs = [0.0] * len(rows)
    start = time.perf_counter()
    for i, (model, p, c, cr, cw) in enumerate(rows):
        prompt_cost, completion_cost = cost_per_token(
            model=model, prompt_tokens=p, completion_tokens=c,
            cache_read_input_tokens=cr, cache_creation_input_tokens=cw,
        )
        costs[i] = prompt_cost + completion_cost
    seconds = time.perf_counter() - start

    per_model: dict[str, list[float]] = {}
    for model, cost in zip(models, costs, strict=True):
        per_model.setdefault(model, []).append(cost)
    pq.write_table(pa.table({"request_id": request_ids, "litellm_cost": costs}), costs_path)
    summary = {
        "litellm_version": version("litellm"),
        "requests": len(rows),
        "seconds": seconds,
        "per_request_us": seconds / max(len(rows), 1) * 1e6,
        "total_usd": math.fsum(costs),
        "per_model": {m: {"requests": len(v), "total_usd": math.fsum(v)}
                      for m, v in sorted(per_model.items())},
    }
    with open(summary_path, "w") as handle:
        json.dump(summary, handle, indent=2)
    print(json.dumps({"seconds": seconds, "total_usd": summary["total_usd"]}))


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in ("loop", "prices"):
        sys.exit(__doc__)
    if sys.argv[1] == "prices":
        prices(sys.argv[2:])
        return
    args = dict(zip(sys.argv[2::2], sys.argv[3::2], strict=False))
    loop(args["--requests"], args["--out"], args["--summary"])


if __name__ == "__main__":
    main()
