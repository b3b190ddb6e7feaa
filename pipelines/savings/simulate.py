"""Replay the warehouse's request history through simulated caches and write the savings marts.

Reads the ``requests`` and ``prices`` marts and the lake's ``prompt_embeddings``; writes, in one
transaction, ``cache_opportunities``, ``semantic_cache_sweep``, ``prompt_cache_opportunities``,
``prompt_waste``, ``routing_opportunities``, ``routing_curve`` and ``savings_runs`` (grain,
columns and assumptions in README "Savings").

Only requests that logged their prompt (a fingerprint at ingest), succeeded, were priced and
were not already answered by a gateway cache take part; ``savings_runs`` says how much of the
spend that covers. A simulated saving is at most the real cost of the requests it avoids, so
the savings never exceed the spend.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

from pipelines import db, lakehouse, warehouse
from pipelines.lake import PROMPT_EMBEDDINGS, Lake
from pipelines.paths import SQL_DIR, Home
from pipelines.progress import advance
from pipelines.routing import simulate as routing
from pipelines.savings import config as savings_config
from pipelines.savings import rules as cache_rules
from pipelines.savings.calibration import CalibrationMissing, estimated_precision, load_calibration
from pipelines.savings.replay import concat_ranges
from pipelines.savings.replay_exact import exact_replay
from pipelines.savings.replay_prefix import prefix_replay
from pipelines.savings.replay_semantic import semantic_candidates, semantic_replay

Progress = Callable[[str], None]
# The counted steps of a simulation, for progress bars (pipelines/progress.py).
SAVINGS_STAGES = ("load", "exact cache", "semantic cache", "prompt caching", "routing",
                  "write marts")
SAVINGS_TABLES = ("cache_opportunities", "semantic_cache_sweep", "prompt_cache_opportunities",
                  "prompt_waste", *routing.ROUTING_TABLES, "savings_runs")
_SCOPE_COLUMNS = {"global": "''", "team": "team", "feature": "team || '/' || feature"}


@dataclass
class SavingsResult:
    requests: int = 0
    simulated_requests: int = 0
    embedded_requests: int = 0
    default_threshold: float | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)


def _candidates_frame(con, cfg: savings_config.SavingsConfig) -> pa.Table:
    """Requests that can take part, in replay order, with their response-cache eligibility and
    scope keys."""
    cache = cfg.cache
    excluded = list(cache.exclude_features)
    return con.sql(f"""
        SELECT
            request_id, source, usage_date,
            coalesce(team, 'unattributed') AS team,
            coalesce(feature, 'unattributed') AS feature,
            model,
            epoch(occurred_at) AS t,
            CAST(cost_usd AS DOUBLE) AS cost_usd,
            coalesce(latency_ms, 0) AS latency_ms,
            prompt_hash, prefix_hash,
            -- 0 = none: numpy would turn a nullable uint64 into float64 and lose bits.
            coalesce(last_user_hash, 0) AS last_user_hash,
            coalesce(response_hash, 0) AS response_hash,
            coalesce(parameters_hash, 0) AS parameters_hash,
            coalesce(last_user_tokens, 0) AS last_user_tokens,
            coalesce(prompt_segments[-1].kind = 'user', false) AS ends_with_user,
            NOT (? AND coalesce(is_streaming, false))
                AND NOT (? AND coalesce(has_tool_calls, false))
                AND coalesce(temperature, 0) <= ?
                AND NOT list_contains(?::VARCHAR[], coalesce(team, 'unattributed') || '/'
                                      || coalesce(feature, 'unattributed'))
                AS is_cacheable,
            {', '.join(f"dense_rank() OVER (ORDER BY {expr}) AS scope_{name}"
                       for name, expr in _SCOPE_COLUMNS.items())}
        FROM (SELECT * REPLACE (coalesce(team, 'unattributed') AS team,
                                coalesce(feature, 'unattributed') AS feature) FROM requests)
        WHERE prompt_hash IS NOT NULL AND is_priced AND status = 'success'
            AND NOT is_gateway_cache_hit
        ORDER BY occurred_at, source, request_id
    """, params=[cache.exclude_streaming, cache.exclude_tool_calls, cache.max_temperature,
                 excluded]).to_arrow_table()


def _embeddings(con, home: Home, frame: pa.Table) -> tuple[np.ndarray, str | None]:
    """One row per request: the embedding of its last user turn (zeros when none)."""
    n = frame.num_rows
    if n == 0 or not _bind_prompt_embeddings(con, home):
        return np.zeros((n, 1), np.float32), None
    con.register("savings_hashes", pa.table({
        "row_number": pa.array(np.arange(n, dtype=np.int64)),
        "text_hash": frame.column("last_user_hash")}))
    embedders = con.execute(
        "SELECT embedder, count(*) FROM prompt_embedding_rows GROUP BY embedder "
        "ORDER BY 2 DESC").fetchall()
    if not embedders:
        con.unregister("savings_hashes")
        return np.zeros((n, 1), np.float32), None
    embedder = embedders[0][0]
    rows = con.sql("""
        WITH vectors AS (
            SELECT text_hash, any_value(embedding) AS embedding
            FROM prompt_embedding_rows WHERE embedder = ? GROUP BY text_hash
        )
        SELECT savings_hashes.row_number, vectors.embedding
        FROM savings_hashes JOIN vectors ON vectors.text_hash = savings_hashes.text_hash
        ORDER BY savings_hashes.row_number
    """, params=[embedder]).to_arrow_table()
    con.unregister("savings_hashes")
    if rows.num_rows == 0:
        return np.zeros((n, 1), np.float32), None
    vectors = rows.column("embedding").combine_chunks()
    dim = len(vectors[0])
    emb = np.zeros((n, dim), np.float32)
    emb[rows.column("row_number").to_numpy()] = (
        vectors.flatten().to_numpy(zero_copy_only=False).reshape(-1, dim))
    return emb, embedder


def _default_threshold(cfg, calibration) -> float:
    semantic = cfg.semantic
    if semantic.default_threshold is not None:
        return float(semantic.default_threshold)
    if calibration is not None:
        for threshold in sorted(semantic.thresholds):
            precision = estimated_precision(calibration, threshold)
            if precision is not None and precision >= semantic.min_precision:
                return float(threshold)
    return float(max(semantic.thresholds))


def _semantic(frame: pa.Table, emb: np.ndarray, cfg, calibration, embedder, exact: dict,
              progress, timings) -> tuple[list[dict], dict[str, np.ndarray], float]:
    """The threshold sweep for every scope, and per-request hits at the default threshold for
    the configured scope. A semantic cache looks for the exact prompt first (`exact`: the
    exact replay per scope), then for a similar question: its hits are the union."""
    cache = cfg.cache
    thresholds = sorted(set(cfg.semantic.thresholds))
    default = _default_threshold(cfg, calibration)
    if default not in thresholds:
        thresholds = sorted({*thresholds, default})
    t = frame.column("t").to_numpy()
    cost = frame.column("cost_usd").to_numpy(zero_copy_only=False)
    latency = frame.column("latency_ms").to_numpy(zero_copy_only=False)
    responses = frame.column("response_hash").to_numpy(zero_copy_only=False)
    last_user = frame.column("last_user_hash").to_numpy(zero_copy_only=False)
    has_text = np.abs(emb).sum(axis=1) > 0
    # A long last turn is a pasted document (retrieved context, a diff), not a question: its
    # mean-pooled embedding matches other long texts whatever they ask. Exact matching only.
    short = frame.column("last_user_tokens").to_numpy() <= cfg.semantic.max_query_tokens
    # Only a prompt that ends with the user's turn is a question: an agent step ending with a
    # tool result has its answer in that result, not in the (repeated) user question.
    asks = frame.column("ends_with_user").to_numpy(zero_copy_only=False)
    cacheable = frame.column("is_cacheable").to_numpy(zero_copy_only=False)
    eligible = cacheable & has_text & short & asks
    ttl = cache.ttl_seconds
    capacity = cache.capacity or None
    sweep: list[dict] = []
    default_hits = {}
    for scope in savings_config.SCOPES:
        started = time.perf_counter()
        # A semantic cache never serves another model's or another app's answer, nor one given
        # in another conversation: partition by model and by the prompt before the last turn
        # (system prompt, tools, few-shot examples and, in a conversation, its history), so
        # "that didn't work, what next?" only matches within the same conversation state; and by
        # the sampling parameters (a JSON-mode answer never serves a prose request).
        partition = _dense(frame, [f"scope_{scope}", "model", "prefix_hash",
                                   "parameters_hash"])
        if progress:
            progress(f"semantic cache, scope {scope}: searching neighbours of "
                     f"{int(eligible.sum()):,} questions")
        candidates = semantic_candidates(t, partition, emb, eligible, ttl=ttl,
                                         k=cfg.semantic.neighbours)
        results = semantic_replay(t, partition, emb, eligible, candidates, thresholds,
                                  ttl=ttl, capacity=capacity)
        timings[f"semantic_{scope}"] = time.perf_counter() - started
        exact_hit, exact_source = exact[scope].hit, exact[scope].source
        for threshold, result in results.items():
            hit = exact_hit | result.hit
            source = np.where(exact_hit, exact_source, result.source)
            served = source[hit]
            known = (responses[hit] != 0) & (responses[served] != 0)
            matches = int((responses[hit][known] == responses[served][known]).sum())
            precision = (estimated_precision(calibration, threshold)
                         if calibration is not None else None)
            hits = int(hit.sum())
            eligible_n = int(cacheable.sum())
            # An exact hit, or one on the same normalised question, is right whatever the
            # embedder; only the others (paraphrases) carry the calibrated risk of being wrong.
            identical = int((exact_hit[hit] | (last_user[hit] == last_user[served])).sum())
            similar = hits - identical
            wrong = None if precision is None else similar * (1 - precision)
            sweep.append({
                "scope": scope, "threshold": threshold, "is_default": threshold == default,
                "embedder": embedder, "requests": len(t), "eligible_requests": eligible_n,
                "hits": hits, "hit_rate": hits / eligible_n if eligible_n else None,
                "cost_usd": float(cost.sum()), "saved_usd": float(cost[hit].sum()),
                "latency_saved_s": float(latency[hit].sum()) / 1000.0,
                "identical_question_hits": identical,
                "paraphrase_hits": similar,
                "calibrated_precision": precision,
                "est_hit_precision": (None if precision is None or not hits
                                      else (hits - wrong) / hits),
                "est_correct_hits": None if wrong is None else hits - wrong,
                "est_wrong_hits": wrong,
                "est_false_hit_rate": (None if wrong is None or not eligible_n
                                       else wrong / eligible_n),
                "responses_compared": int(known.sum()), "responses_matching": matches,
                "response_match_rate": matches / int(known.sum()) if known.any() else None,
                "ttl_seconds": cache.ttl_seconds, "capacity": cache.capacity,
                "fallback_searches": result.fallbacks,
            })
            if scope == cache.scope and threshold == default:
                default_hits = {"hit": hit, "source": source}
    return sweep, default_hits, default


def _dense(frame: pa.Table, columns: list[str]) -> np.ndarray:
    """Dense integer ids of the distinct combinations of `columns` (nulls are a value)."""
    keys = pa.table({c: frame.column(c) for c in columns})  # noqa: F841 (read by name below)
    ids = duckdb.sql(
        f"SELECT dense_rank() OVER (ORDER BY {', '.join(columns)}) - 1 AS id "
        f"FROM (SELECT *, row_number() OVER () AS row_number FROM keys) ORDER BY row_number"
    ).fetchnumpy()["id"]
    return np.asarray(ids, dtype=np.int64)


def _prefix_frame(con) -> pa.Table:
    """Requests that can take part in the prompt-cache replay, with their rule, their prices
    per token and their prompt blocks."""
    return con.sql("""
        WITH candidates AS (
            SELECT
                requests.request_id, requests.source, requests.usage_date,
                coalesce(requests.team, 'unattributed') AS team,
                coalesce(requests.feature, 'unattributed') AS feature,
                requests.provider, requests.model,
                epoch(requests.occurred_at) AS t,
                coalesce(requests.project, requests.api_key_hash, '') AS account,
                requests.input_tokens, requests.cache_read_input_tokens,
                requests.cache_creation_input_tokens,
                requests.prompt_tokens_counted, requests.prompt_segments,
                CAST(coalesce(requests.input_cost_usd, 0)
                     + coalesce(requests.cache_read_cost_usd, 0)
                     + coalesce(requests.cache_write_cost_usd, 0) AS DOUBLE)
                    AS actual_input_cost_usd,
                prices.input_usd_per_mtok / 1e6 AS input_usd_per_token,
                prices.cache_read_usd_per_mtok / 1e6 AS cache_read_usd_per_token,
                prices.cache_write_5m_usd_per_mtok / 1e6 AS cache_write_usd_per_token,
                prices.cache_write_1h_usd_per_mtok / 1e6 AS cache_write_1h_usd_per_token
            FROM requests
            JOIN prices ON prices.price_id = requests.price_id
            WHERE requests.prompt_segments IS NOT NULL AND requests.prompt_tokens_counted > 0
                AND requests.is_priced AND requests.status = 'success'
                AND NOT requests.is_gateway_cache_hit AND prices.input_usd_per_mtok IS NOT NULL
        ),
        ruled AS (
            SELECT candidates.*, rules.* EXCLUDE (source, request_id)
            FROM candidates
            JOIN request_cache_rules AS rules
                ON rules.source = candidates.source
                AND rules.request_id = candidates.request_id
        )
        SELECT * FROM ruled
        ORDER BY t, source, request_id
    """).to_arrow_table()


def _prefix(frame: pa.Table, timings) -> pa.Table:
    """Per request: simulated cache reads and writes (provider tokens) and input cost."""
    started = time.perf_counter()
    n = frame.num_rows
    segments = frame.column("prompt_segments").combine_chunks()
    indptr = segments.offsets.to_numpy().astype(np.int64)
    flat = segments.flatten()
    kinds = flat.field("kind").to_numpy(zero_copy_only=False)
    hashes = flat.field("chain_hash").to_numpy().astype(np.uint64)
    counted = flat.field("tokens").to_numpy().astype(np.float64)
    input_tokens = frame.column("input_tokens").to_numpy().astype(np.float64)
    scale = input_tokens / frame.column("prompt_tokens_counted").to_numpy().astype(np.float64)
    lengths = np.diff(indptr)
    request_of_level = np.repeat(np.arange(n), lengths)
    # Cumulative tokens per request, rescaled so a prompt's blocks add up to the provider's
    # own input_tokens (the tokenizer is an estimate; the provider's count is billed).
    cumulative = np.cumsum(counted)
    starts = np.concatenate([[0.0], cumulative])[indptr[:-1]]
    level_tokens = np.floor((cumulative - starts[request_of_level])
                            * scale[request_of_level]).astype(np.int64)
    static = np.isin(kinds, ["tools", "system"])
    # Static prefix = the leading tools/system blocks; its last level is a breakpoint, and so
    # is the prompt's last block (automatic caching, or a cache_control on the last message).
    dynamic_so_far = np.cumsum(~static)
    before_request = np.concatenate([[0], dynamic_so_far])[indptr[:-1]]
    leading = (dynamic_so_far - before_request[request_of_level]) == 0
    last = np.zeros(len(kinds), dtype=bool)
    last[indptr[1:][lengths > 0] - 1] = True
    static_end = leading & ~np.r_[leading[1:], False] | (leading & last)
    caching = frame.column("caching").to_numpy(zero_copy_only=False)
    explicit = caching[request_of_level] == "explicit"
    breakpoint_ = np.where(explicit, static_end | last, True)
    scope = _dense(frame, ["provider", "model", "account"])
    ttl = frame.column("ttl_seconds").to_numpy()
    minimum = frame.column("min_cacheable_tokens").to_numpy()
    inc_min = frame.column("increment_min_tokens").to_numpy(zero_copy_only=False)
    inc_step = frame.column("increment_step_tokens").to_numpy(zero_copy_only=False)
    refresh = frame.column("refresh_on_hit").to_numpy(zero_copy_only=False)
    t = frame.column("t").to_numpy()
    # Rules differ in increments and refresh; replay each combination with its own requests.
    combos, combo_of = np.unique(np.stack([
        np.nan_to_num(np.asarray(inc_min, dtype=np.float64), nan=-1.0),
        np.nan_to_num(np.asarray(inc_step, dtype=np.float64), nan=-1.0),
        np.asarray(refresh, dtype=np.float64)], axis=1), axis=0, return_inverse=True)
    # Anthropic and Bedrock also offer a 1-hour TTL (writes 2x instead of 1.25x), and their
    # breakpoints are explicit: replay a breakpoint at the end of the static prefix only, and
    # at both the static prefix and the last message; each prefix takes the best of the four.
    one_hour = ~np.isnan(np.asarray(frame.column("write_1h_multiplier").to_numpy(
        zero_copy_only=False), dtype=np.float64))
    static_only = np.where(explicit, static_end, True)
    ttl_1h = np.where(one_hour, 3600.0, ttl)
    replays = {}
    for variant, ttls, breakpoints in (
            ("5m_last", ttl, breakpoint_), ("1h_last", ttl_1h, breakpoint_),
            ("5m_static", ttl, static_only), ("1h_static", ttl_1h, static_only)):
        read = np.zeros(n, np.int64)
        write = np.zeros(n, np.int64)
        for combo, (step_min, step, refresh_hit) in enumerate(combos.tolist()):
            rows = np.flatnonzero(combo_of.reshape(-1) == combo)
            sub_lengths = lengths[rows]
            sub_indptr = np.concatenate([[0], np.cumsum(sub_lengths)])
            take = concat_ranges(indptr[rows], sub_lengths)
            result = prefix_replay(
                t[rows], scope[rows], sub_indptr, hashes[take], level_tokens[take],
                breakpoints[take], ttl=ttls[rows], min_tokens=minimum[rows],
                increment=(int(step_min), int(step)) if step_min >= 0 else None,
                refresh_on_hit=bool(refresh_hit))
            read[rows] = result.read_tokens
            write[rows] = result.write_tokens
        replays[variant] = (read, write)
    static_level = np.where(leading, np.arange(len(kinds)), -1)
    static_last = np.full(n, -1)
    np.maximum.at(static_last, request_of_level, static_level)
    first_level = indptr[:-1]
    prefix_level = np.where(static_last >= 0, static_last, first_level)
    prefix_hash = np.where(lengths > 0, hashes[np.minimum(prefix_level, len(hashes) - 1)], 0)
    prefix_tokens = np.where(lengths > 0,
                             level_tokens[np.minimum(prefix_level, len(hashes) - 1)], 0)
    timings["prompt_cache"] = time.perf_counter() - started
    return pa.table({
        "row_number": pa.array(np.arange(n, dtype=np.int64)),
        **{f"{kind}_tokens_{variant}": pa.array(tokens)
           for variant, pair in replays.items()
           for kind, tokens in zip(("read", "write"), pair, strict=True)},
        "prefix_hash": pa.array(prefix_hash.astype(np.uint64)),
        "prefix_tokens": pa.array(prefix_tokens.astype(np.int64)),
    })


def _bind_prompt_embeddings(con, home: Home) -> bool:
    """The view prompt_embedding_rows over the lake's prompt embeddings (the embedded lake's
    files, or the shared lake's table); False when there are none."""
    if lakehouse.configured() is not None:
        con.execute("CREATE OR REPLACE TEMP VIEW prompt_embedding_rows AS SELECT * FROM "
                    f"{lakehouse.CATALOG}.{lakehouse.LAKE_SCHEMA}."
                    f"{PROMPT_EMBEDDINGS}")
        return True
    files = [str(f.path) for f in Lake(home.lake).files(PROMPT_EMBEDDINGS)]
    if not files:
        return False
    con.execute("CREATE OR REPLACE TEMP VIEW prompt_embedding_rows AS SELECT * FROM "
                f"read_parquet({db.sql_list(files)})")
    return True


def _sql(name: str) -> str:
    return (SQL_DIR / "savings" / f"{name}.sql").read_text()


def run(home: Home, *, progress: Progress | None = None) -> SavingsResult:
    """Run every simulation over the warehouse and replace the savings marts."""
    cfg = savings_config.load(home.root)
    with warehouse.open_for_write(home) as con:
        return _run(con, home, cfg, progress)


def _run(con, home: Home, cfg, progress) -> SavingsResult:
    for needed in ("requests", "prices"):
        if not warehouse.has_mart(con, needed):
            raise FileNotFoundError(
                f"no {needed} mart in the warehouse: run `llmcost build` first")
    result = SavingsResult()
    timings = result.seconds
    advance(progress, "savings", 0, len(SAVINGS_STAGES), unit="stages", status="loading")
    con.register("prompt_cache_rules", cache_rules.load(home))
    con.execute(f"CREATE OR REPLACE TEMP TABLE request_cache_rules AS "
                f"{_sql('request_cache_rules')}")

    started = time.perf_counter()
    frame = _candidates_frame(con, cfg)
    timings["load"] = time.perf_counter() - started
    result.simulated_requests = frame.num_rows
    if progress:
        progress(f"savings: {frame.num_rows:,} requests with a logged prompt")
    stages = len(SAVINGS_STAGES)
    advance(progress, "savings", 1, stages, unit="stages", records=frame.num_rows,
            status="loaded requests")

    # Exact response cache, every scope (the configured one feeds cache_opportunities).
    started = time.perf_counter()
    t = frame.column("t").to_numpy()
    keys = frame.column("prompt_hash").to_numpy().astype(np.uint64)
    cacheable = frame.column("is_cacheable").to_numpy(zero_copy_only=False)
    exact_by_scope = {
        scope: exact_replay(t, frame.column(f"scope_{scope}").to_numpy(), keys, cacheable,
                            ttl=cfg.cache.ttl_seconds, capacity=cfg.cache.capacity or None)
        for scope in savings_config.SCOPES}
    exact = exact_by_scope[cfg.cache.scope]
    timings["exact"] = (time.perf_counter() - started) / len(exact_by_scope)
    advance(progress, "savings", 2, stages, unit="stages", records=frame.num_rows,
            status="exact cache replayed")

    # Semantic cache: sweep every scope, default threshold for cache_opportunities.
    emb, embedder = _embeddings(con, home, frame)
    result.embedded_requests = int((np.abs(emb).sum(axis=1) > 0).sum())
    calibration = None
    if embedder:
        try:
            calibration = load_calibration(embedder)
        except CalibrationMissing:
            calibration = None
    sweep, default_hits, default = _semantic(frame, emb, cfg, calibration, embedder,
                                             exact_by_scope, progress, timings)
    result.default_threshold = default
    n = frame.num_rows
    semantic_hit = default_hits.get("hit", np.zeros(n, bool))
    advance(progress, "savings", 3, stages, unit="stages", records=frame.num_rows,
            status="semantic cache swept")

    # Provider prompt caching.
    prefix_frame = _prefix_frame(con)
    prefix = _prefix(prefix_frame, timings) if prefix_frame.num_rows else pa.table({
        "row_number": pa.array([], pa.int64()),
        **{f"{kind}_tokens_{variant}": pa.array([], pa.int64())
           for variant in ("5m_last", "1h_last", "5m_static", "1h_static")
           for kind in ("read", "write")},
        "prefix_hash": pa.array([], pa.uint64()),
        "prefix_tokens": pa.array([], pa.int64()),
    })

    advance(progress, "savings", 4, stages, unit="stages", records=frame.num_rows,
            status="prompt caching replayed")
    # Routing: every request (not only those with a logged prompt) can be re-priced.
    started = time.perf_counter()
    routing.prepare(con, home, cfg.routing)
    timings["routing"] = time.perf_counter() - started
    advance(progress, "savings", 5, stages, unit="stages", records=frame.num_rows,
            status="routing policies priced")

    started = time.perf_counter()
    con.register("savings_frame", frame.select(
        ["request_id", "source", "usage_date", "team", "feature", "model", "cost_usd",
         "latency_ms"]).append_column("exact_hit", pa.array(exact.hit))
        .append_column("semantic_hit", pa.array(semantic_hit)))
    con.register("semantic_sweep_rows", pa.Table.from_pylist(sweep) if sweep else
                 pa.table({"scope": pa.array([], pa.string())}))
    prefix_rows = prefix_frame.drop_columns(["prompt_segments"])
    for name in prefix.column_names:
        prefix_rows = prefix_rows.append_column(name, prefix.column(name))
    con.register("prefix_rows", prefix_rows)
    waste = cfg.waste
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE prefix_costed AS {_sql('prefix_costed')}")
        con.execute(f"CREATE OR REPLACE TABLE prompt_cache_opportunities AS "
                    f"{_sql('prompt_cache_opportunities')}")
        con.execute(f"CREATE OR REPLACE TABLE cache_opportunities AS "
                    f"{_sql('cache_opportunities')}", {"threshold": default})
        con.execute("CREATE OR REPLACE TABLE semantic_cache_sweep AS "
                    "SELECT * FROM semantic_sweep_rows ORDER BY scope, threshold")
        con.execute(f"CREATE OR REPLACE TABLE prompt_waste AS {_sql('prompt_waste')}", {
            "keep_turns": waste.history_keep_turns, "summary_tokens": waste.summary_tokens,
            "context_budget": waste.context_budget_tokens})
        routing.write_marts(con)
        result.requests = con.execute("SELECT count(*) FROM requests").fetchall()[0][0]
        con.execute("""
            CREATE OR REPLACE TABLE savings_runs AS SELECT
                now() AS simulated_at, ? AS config_source, ? AS scope, ? AS ttl_seconds,
                ? AS capacity, ? AS default_threshold, ? AS embedder, ? AS tokenizer,
                ? AS requests, ? AS simulated_requests, ? AS embedded_requests,
                (SELECT sum(cost_usd) FROM requests) AS cost_usd,
                (SELECT sum(cost_usd) FROM savings_frame) AS simulated_cost_usd,
                ? AS routing_policies, ? AS routing_cold_cache,
                ? AS routing_output_length_ratio, ? AS routing_fee_usd_per_mtok
        """, [cfg.source, cfg.cache.scope, cfg.cache.ttl_seconds, cfg.cache.capacity, default,
              embedder, "cl100k_base", result.requests, result.simulated_requests,
              result.embedded_requests, len(cfg.routing.policies), cfg.routing.cold_cache,
              list(cfg.routing.output_length_ratio), cfg.routing.router_fee_usd_per_mtok])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    timings["marts"] = time.perf_counter() - started
    advance(progress, "savings", 6, stages, unit="stages", records=frame.num_rows,
            status="marts written")
    for table in SAVINGS_TABLES:
        result.row_counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    return result
