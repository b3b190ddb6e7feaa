"""A small real warehouse for the HTML report tests, and the marts other parts of llmcost build
(budgets, anomalies, routing, reconciliation, unpriced models) as hand-made tables with the
columns their issues specify (routing_curve as the routing code builds it), so the page is
tested with and without them. The demo here has no routing policy: its routing marts exist but
are empty."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb

from pipelines.demo.generate import generate_demo
from pipelines.ingest import ingest_paths
from pipelines.paths import Home
from pipelines.savings import simulate
from pipelines.warehouse import build

END_DATE = date(2026, 11, 20)  # 35 days: October 17 .. November 20 (MTD and the month before)


def demo_home(root: Path) -> Home:
    """The demo workload, small: each source's daily files joined into one file (a few files
    ingest in seconds), then build and the savings simulation, as `llmcost run` does."""
    home = Home(root)
    home.ensure()
    generated = root / "generated"
    generate_demo(generated, requests=700, days=35, end_date=END_DATE, seed=11)
    for source_dir in sorted(p for p in generated.iterdir() if p.is_dir()):
        groups: dict[str, list[Path]] = {}
        for path in sorted(source_dir.glob("*.jsonl")):
            groups.setdefault(path.name.rsplit("_", 1)[0], []).append(path)
        target_dir = home.landing / source_dir.name
        target_dir.mkdir(parents=True, exist_ok=True)
        for stem, paths in groups.items():
            with (target_dir / f"{stem}.jsonl").open("wb") as out:
                for path in paths:
                    out.write(path.read_bytes())
    shutil.rmtree(generated)
    ingest_paths([home.landing], home)
    build(home, full=True)
    simulate.run(home)
    return home


OTHER_MARTS = {
    "unpriced_models": """
        create or replace table unpriced_models as select * from (values
            ('openai', 'gpt-9-preview', 'gpt-9-preview', 'no price row', 42, 1200, 0, 800,
             timestamptz '2026-11-01 00:00:00+00', timestamptz '2026-11-19 10:00:00+00',
             ['gpt-5', 'gpt-4o'])
        ) as t(provider, model_raw, resolved_model, unpriced_reason, requests, input_tokens,
               cache_read_input_tokens, output_tokens, first_seen_at, last_seen_at,
               closest_known_ids)
    """,
    "routing_opportunities": """
        create or replace table routing_opportunities as select * from (values
            (date '2026-11-19', 'search', 'summarizer', 'summaries-to-haiku',
             'anthropic/claude-sonnet-4-5', 'anthropic/claude-haiku-4-5', 100, 80, 80.0,
             20.00::decimal(38,12), 7.50::decimal(38,12), 12.50::decimal(38,12),
             8.00::decimal(38,12), 15.00::decimal(38,12), 0.62, 0.40, 0.85, 'calibrated: MMLU'),
            (date '2026-11-20', 'search', 'summarizer', 'summaries-to-haiku',
             'anthropic/claude-sonnet-4-5', 'anthropic/claude-haiku-4-5', 10, 8, 8.0,
             2.00::decimal(38,12), 0.75::decimal(38,12), 1.25::decimal(38,12),
             0.80::decimal(38,12), 1.50::decimal(38,12), 0.62, 0.40, 0.85, 'calibrated: MMLU')
        ) as t(usage_date, team, feature, policy, from_model, to_model, requests,
               eligible_requests, routed_requests, cost_usd, routed_cost_usd, saved_usd,
               saved_usd_low, saved_usd_high, est_pgr, est_pgr_low, est_pgr_high,
               quality_basis)
    """,
    "routing_curve": """
        create or replace table routing_curve as
        select 'summaries-to-haiku' as policy, 'heuristic_v1' as scorer,
               share / 10.0 as strong_share, (10 - share) * 1.0 as saved_usd_random,
               (10 - share) * 1.2 as saved_usd_calibrated,
               (10 - share) * 1.5 as saved_usd_oracle, share / 10.0 as pgr_random,
               least(1.0, share / 8.0) as pgr_calibrated, least(1.0, share / 5.0) as pgr_oracle,
               'routellm_mmlu' as calibration_dataset
        from range(0, 11) as s(share)
    """,
    "budget_status": """
        create or replace table budget_status as select * from (values
            ('org-monthly', '*', 'month', timestamptz '2026-11-01 00:00:00+00',
             timestamptz '2026-12-01 00:00:00+00', 100.00::decimal(18,6), 80.00::decimal(18,6),
             0.8, 130.00::decimal(18,6), 'run_rate', 1.3, 'forecast_over', 'alert',
             timestamptz '2026-11-20 23:00:00+00')
        ) as t(budget_id, scope_value, period, period_start, period_end, amount_usd, spend_usd,
               pct_used, forecast_usd, forecast_method, forecast_pct, status, action, as_of)
    """,
    "budget_alerts": """
        create or replace table budget_alerts as select * from (values
            ('a1', 'org-monthly', '*', timestamptz '2026-11-01 00:00:00+00', 0.5, 'actual',
             timestamptz '2026-11-11 11:00:00+00', 'req-50', 50.00::decimal(18,6))
        ) as t(alert_id, budget_id, scope_value, period_start, threshold, basis, crossed_at,
               request_id, spend_at_crossing_usd)
    """,
    "enforcement_replay": """
        create or replace table enforcement_replay as select * from (values
            ('req-99', 'litellm', 'blocked', 'key-daily', 5.00::decimal(38,12),
             0.00::decimal(38,12), 5.00::decimal(38,12))
        ) as t(request_id, source, decision, budget_id, original_cost_usd, replay_cost_usd,
               saved_usd)
    """,
    "spend_anomalies": """
        create or replace table spend_anomalies as select * from (values
            ('an1', 'retry_loop', 'session', 's-847', timestamptz '2026-11-18 01:00:00+00',
             timestamptz '2026-11-18 09:00:00+00', 63.0168::decimal(18,6),
             0.50::decimal(18,6), 62.5168::decimal(18,6), 9.1, '[]', 'req-1',
             timestamptz '2026-11-19 02:00:00+00'),
            ('an2', 'new_model', 'model', 'gpt-9-preview', timestamptz '2026-11-19 00:00:00+00',
             timestamptz '2026-11-20 00:00:00+00', 4.00::decimal(18,6), 0.00::decimal(18,6),
             4.00::decimal(18,6), 3.0, '[]', 'req-2', timestamptz '2026-11-20 02:00:00+00')
        ) as t(anomaly_id, kind, dimension, dimension_value, window_start, window_end,
               actual_usd, expected_usd, impact_usd, score, root_causes, first_request_id,
               detected_at)
    """,
    "reconciliation": """
        create or replace table reconciliation as select * from (values
            (date '2026-11-19', 'anthropic', 'claude-haiku-4-5', 'wrkspc_1',
             90.00::decimal(38,12), 100.00::decimal(38,12), 10.00::decimal(38,12), 0.1, 0.9,
             4.00::decimal(38,12), 'unexplained'),
            (date '2026-11-20', 'anthropic', 'claude-haiku-4-5', 'wrkspc_1',
             50.00::decimal(38,12), 50.00::decimal(38,12), 0.00::decimal(38,12), 0.0, 1.0,
             0.00::decimal(38,12), 'ok')
        ) as t(usage_date, provider, model, account, logs_cost_usd, billed_usd, difference_usd,
               difference_pct, capture_rate, residual_usd, status)
    """,
}


def add_other_marts(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        for sql in OTHER_MARTS.values():
            con.execute(sql)
    finally:
        con.close()
