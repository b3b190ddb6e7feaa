"""``llmcost``: the same pipeline Dagster runs, from a terminal.

    llmcost ingest PATH... [--source NAME]   landing files -> lake (counts per file)
    llmcost build [--full] [--date D ...]    lake + prices -> warehouse.duckdb marts
    llmcost run                              ingest everything new in landing/, build, simulate
    llmcost savings [--report-only]          cache / prompt-waste simulations over history
    llmcost budgets build|status|alerts|replay|deliver   budgets.toml: status, alerts, what-if
    llmcost anomalies [list|eval]            spend anomalies; measured detection on injections
    llmcost routing eval FILE --weak C --strong C   RouteLLM router metrics on labelled prompts
    llmcost sql "QUERY" [--format F]         read-only query of the warehouse
    llmcost report [--html [PATH]]           where the money went (text, or one web page)
    llmcost reconcile [--month YYYY-MM]      logs vs the provider's bill, day by day
    llmcost export focus --out FILE          FinOps FOCUS 1.2 cost and usage (.parquet/.csv)
    llmcost sources                          supported input formats
    llmcost prices import-litellm FILE       add a dated price version from LiteLLM's map
    llmcost prices import-genai-prices       a price version from the installed genai-prices
    llmcost prices audit                     curated rows vs genai-prices / LiteLLM (exit 3
                                             when a difference has no note)
    llmcost quality                          data quality suites (Great Expectations) + docs
    llmcost demo                             generate a demo workload and run everything

Exit codes (for scripts, cron and CI):
    0    everything loaded, or skipped as already ingested; the command did what it was asked
    1    the command could not run: warehouse missing or busy, a bad price or settings file,
         a failed SQL query (the message says which)
    2    usage error: unknown command or option, a bad argument
    3    a data quality suite failed (`llmcost quality`)
    4    some input files were rejected (no source recognised them) or failed to read; the
         rest of the batch loaded (`ingest`, `run`)
    130  interrupted (Ctrl-C)
    141  stdout closed early (`| head`): output stops quietly, as for any Unix tool (128+SIGPIPE)
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from pipelines import pricing, report
from pipelines import progress as progress_reporter
from pipelines.ingest import FileResult, ingest_paths
from pipelines.locking import WarehouseBusy
from pipelines.paths import Home
from pipelines.sources import SOURCES
from pipelines.warehouse import build, open_read_only

DEMO_MARKER = ".llmcost-demo"
DEMO_SAVINGS = Path(__file__).parent / "demo" / "material" / "savings_routing.toml"
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_QUALITY = 3
EXIT_PARTIAL = 4
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
SQL_ALLOW_FILES_ENV = "LLMCOST_SQL_ALLOW_FILES"


def _batch_exit(results: list[FileResult]) -> int:
    """A batch with a file no source recognised, or one that could not be read, is not a
    success for a script even though the rest loaded."""
    return EXIT_PARTIAL if any(r.status in ("rejected", "failed") for r in results) else EXIT_OK


# Progress on stderr: bars on a terminal, plain lines in logs and CI (pipelines/progress.py).
# Callable as progress(message), the interface every pipeline function takes.
_progress = progress_reporter.for_stderr()


def _print_ingest(results: list[FileResult]) -> None:
    rows = [
        (Path(r.path).name, r.source, r.status, r.records_read, r.records_loaded,
         r.records_duplicate, r.records_quarantined)
        for r in results
        if r.status != "skipped"
    ]
    loaded = [r for r in results if r.status == "loaded"]
    skipped = sum(r.status == "skipped" for r in results)
    totals = ("TOTAL", "", f"{len(loaded)} loaded / {skipped} skipped",
              sum(r.records_read for r in loaded), sum(r.records_loaded for r in loaded),
              sum(r.records_duplicate for r in loaded),
              sum(r.records_quarantined for r in loaded))
    columns = ("file", "source", "status", "read", "loaded", "duplicates", "quarantined")
    shown = rows if len(rows) <= 40 else rows[:20] + [("...",) + ("",) * 6] + rows[-10:]
    print(report.format_table(columns, [*shown, totals]))
    if skipped:
        print(f"{skipped} file(s) skipped: already ingested (same content)")
    for r in results:
        if r.status == "skipped":
            continue
        if r.records_read != r.records_loaded + r.records_duplicate + r.records_quarantined:
            raise RuntimeError(f"conservation violated for {r.path}")
    for r in results:
        if r.status in ("rejected", "failed") or (r.status == "loaded" and r.note):
            print(f"{r.status}: {r.path}: {r.note}", file=sys.stderr)
    if any(r.records_quarantined for r in loaded):
        print("Quarantined records and their reasons: llmcost sql \"select * from quarantine\" "
              "(after llmcost build)")


def cmd_ingest(args: argparse.Namespace, home: Home) -> int:
    started = time.monotonic()
    results = ingest_paths([Path(p) for p in args.paths], home, source=args.source,
                           force=args.force, progress=_progress)
    _print_ingest(results)
    print(f"ingested in {time.monotonic() - started:.1f}s")
    return _batch_exit(results)


def _print_build(result) -> None:
    days = (f"{result.dates[0]} .. {result.dates[-1]} ({len(result.dates)} days)"
            if result.dates else "no days")
    print(f"built ({result.reason}): {days}")
    print(report.format_table(("table", "rows"), sorted(result.row_counts.items())))


def cmd_build(args: argparse.Namespace, home: Home) -> int:
    dates = [date.fromisoformat(d) for d in args.date] if args.date else None
    result = build(home, dates=dates, full=args.full, progress=_progress)
    _print_build(result)
    return EXIT_OK


def cmd_run(args: argparse.Namespace, home: Home) -> int:
    home.ensure()
    status = EXIT_OK
    if any(p.is_file() for p in home.landing.rglob("*")):
        results = ingest_paths([home.landing], home, progress=_progress)
        _print_ingest(results)
        status = _batch_exit(results)
    else:
        print(f"nothing in {home.landing}")
    result = build(home, full=args.full, progress=_progress)
    _print_build(result)
    if not getattr(args, "no_savings", False):
        _simulate(home)
    if not getattr(args, "no_budgets", False):
        _build_budgets(home)
    return status


def _build_budgets(home: Home) -> None:
    from pipelines.budgets import build as budgets_build

    started = time.monotonic()
    result = budgets_build.run(home, progress=_progress)
    print(f"budgets and anomalies built in {time.monotonic() - started:.1f}s: "
          + ", ".join(f"{name} {count:,} rows" for name, count in result.row_counts.items()))


_BUDGET_QUERIES = {
    "status": """
        select budget_id, scope_value, strftime(period_start, '%Y-%m-%d %H:%M') as period_start,
               amount_usd, round(spend_usd, 2) as spend_usd, round(100 * pct_used, 1) as pct_used,
               round(forecast_usd, 2) as forecast_usd, forecast_method, status, unpriced_requests
        from budget_status
        qualify $all or row_number() over (partition by budget_id, scope_value
                                           order by period_start desc) = 1
        order by budget_id, scope_value, period_start
    """,
    "alerts": """
        select strftime(crossed_at, '%Y-%m-%d %H:%M:%S') as crossed_at, budget_id, scope_value,
               basis, threshold, round(spend_at_crossing_usd, 2) as spend_usd, request_id,
               alert_id
        from budget_alerts order by crossed_at, budget_id, scope_value, basis, threshold
    """,
    "replay": """
        select budget_id, scope_value, strftime(period_start, '%Y-%m-%d') as period_start,
               action, blocked_requests as blocked, failover_requests as failed_over,
               unpriced_failover_requests as unpriced_failovers,
               round(original_spend_usd, 2) as original_usd,
               round(replay_spend_usd, 2) as replay_usd, round(saved_usd, 2) as saved_usd,
               strftime(exhausted_at, '%Y-%m-%d %H:%M') as exhausted_at
        from enforcement_replay_summary
        where $all or blocked_requests + failover_requests > 0
        order by budget_id, scope_value, period_start
    """,
}


def cmd_budgets(args: argparse.Namespace, home: Home) -> int:
    from pipelines.budgets import alerts
    from pipelines.budgets import config as budgets_config

    cfg = budgets_config.load(home.root)  # a bad file stops here, naming the key
    if args.budgets_command == "build":
        _build_budgets(home)
        return EXIT_OK
    con = open_read_only(home)
    try:
        if args.budgets_command == "deliver":
            delivery = alerts.deliver(home, alerts.current_alerts(con), webhook_url=os.environ.get(
                "LLMCOST_ALERT_WEBHOOK") or None)
            print(f"delivered {delivery.sent} new alert(s) to {alerts.outbox_path(home)} "
                  f"({delivery.webhook_posts} webhook post(s)); {delivery.already} already "
                  "delivered")
            return EXIT_OK
        params = {"all": args.all} if "$all" in _BUDGET_QUERIES[args.budgets_command] else {}
        cursor = con.execute(_BUDGET_QUERIES[args.budgets_command], params)
        rows = cursor.fetchall()
        print(report.render([d[0] for d in cursor.description], rows, args.format)
              if rows or args.format != "table" else
              f"(none: {len(cfg.budgets)} budget(s) in {cfg.source})")
    finally:
        con.close()
    return EXIT_OK


def cmd_anomalies(args: argparse.Namespace, home: Home) -> int:
    if args.anomalies_command == "eval":
        from pipelines.budgets import evaluate

        print(evaluate.render(evaluate.evaluate(home, seed=args.seed, trials=args.trials)))
        return EXIT_OK
    con = open_read_only(home)
    try:
        cursor = con.execute("""
            select strftime(detected_at, '%Y-%m-%d %H:%M') as detected_at, kind, dimension,
                   dimension_value, strftime(window_start, '%Y-%m-%d %H:%M') as since,
                   round(actual_usd, 2) as actual_usd, round(expected_usd, 2) as expected_usd,
                   round(impact_usd, 2) as impact_usd, score,
                   array_to_string(list_transform(root_causes[1:3], lambda cause:
                       cause.dimension || '=' || cause.value || ' $'
                       || round(cause.cost_usd, 2)), ', ') as root_causes
            from spend_anomalies where kind = any($kinds) or len($kinds) = 0
            order by detected_at, kind, dimension_value
        """, {"kinds": args.kind or []})
        print(report.render([d[0] for d in cursor.description], cursor.fetchall(), args.format))
    finally:
        con.close()
    return EXIT_OK


def _simulate(home: Home) -> None:
    from pipelines.savings import simulate

    started = time.monotonic()
    result = simulate.run(home, progress=_progress)
    print(f"savings simulated over {result.simulated_requests:,} of {result.requests:,} "
          f"requests in {time.monotonic() - started:.1f}s: "
          + ", ".join(f"{name} {count:,} rows" for name, count in result.row_counts.items()))


def cmd_savings(args: argparse.Namespace, home: Home) -> int:
    from pipelines.routing import report as routing_report
    from pipelines.savings import config as savings_config
    from pipelines.savings import report as savings_report

    if not args.report_only:
        _simulate(home)
    semantic = savings_config.load(home.root).semantic
    con = open_read_only(home)
    try:
        print(savings_report.headline(
            con, 0.0 if semantic.default_threshold is not None else semantic.min_precision))
        print()
        print("\n".join(routing_report.policy_lines(con)))
    finally:
        con.close()
    return EXIT_OK


def cmd_routing(args: argparse.Namespace, home: Home) -> int:
    from pipelines.routing import evaluate
    from pipelines.routing import report as routing_report

    result = evaluate.run(args.file, args.weak, args.strong, args.exclude)
    print(routing_report.eval_json(result) if args.json else routing_report.eval_text(result))
    return EXIT_OK


class SandboxRefusal(RuntimeError):
    pass


def _sandbox_message(exc: duckdb.Error) -> str | None:
    text = str(exc)
    if isinstance(exc, duckdb.PermissionException) or "disabled by configuration" in text:
        return ("llmcost sql is sandboxed: it reads the warehouse and nothing else (no files, "
                "no other databases, no extensions). Pass --allow-files or set "
                f"{SQL_ALLOW_FILES_ENV}=1 to read or write files. DuckDB said: "
                + text.splitlines()[0])
    if "configuration has been locked" in text:
        return ("llmcost sql is sandboxed: its settings are locked and cannot be changed "
                f"(--allow-files or {SQL_ALLOW_FILES_ENV}=1 lifts the sandbox). DuckDB said: "
                + text.splitlines()[0])
    return None


def cmd_sql(args: argparse.Namespace, home: Home) -> int:
    allow_files = args.allow_files or os.environ.get(SQL_ALLOW_FILES_ENV, "") not in ("", "0")
    con = open_read_only(home, sandbox=not allow_files)
    try:
        try:
            relation = con.sql(args.query)
            if relation is None:  # a statement without a result
                return EXIT_OK
            if args.format == "json":
                # DuckDB writes the JSON: DECIMAL costs keep every digit, no float rounding.
                output = report.render_json(con, relation.to_arrow_table())
            else:
                output = report.render(relation.columns, relation.fetchall(), args.format)
        except duckdb.Error as exc:
            message = _sandbox_message(exc)
            if message:
                raise SandboxRefusal(message) from None
            raise
    finally:
        con.close()
    print(output)
    return EXIT_OK


def cmd_report(args: argparse.Namespace, home: Home) -> int:
    html_target = getattr(args, "html", None)
    if html_target is not None:
        return _write_html_report(home, Path(html_target) if html_target else None)
    con = open_read_only(home)
    try:
        print(report.summary(con))
    finally:
        con.close()
    return EXIT_OK


def _write_html_report(home: Home, target: Path | None) -> int:
    from pipelines import webreport

    path = target or webreport.default_path(home.root)
    con = open_read_only(home)
    try:
        written = webreport.write(con, path, warehouse=str(home.warehouse))
    finally:
        con.close()
    for error in written.errors:
        print(f"llmcost: report section failed: {error}", file=sys.stderr)
    absent = (f"; not built yet: {', '.join(written.missing_marts)}"
              if written.missing_marts else "")
    print(f"wrote {written.path} ({written.bytes / 1e6:.1f} MB, {written.charts} charts, "
          f"{written.sections} sections{absent})")
    return EXIT_ERROR if written.errors else EXIT_OK


def cmd_reconcile(args: argparse.Namespace, home: Home) -> int:
    from pipelines import reconcile

    con = open_read_only(home)
    try:
        print(reconcile.month_report(con, args.month))
    finally:
        con.close()
    return EXIT_OK


def cmd_export(args: argparse.Namespace, home: Home) -> int:
    from pipelines import focus

    first = date.fromisoformat(args.date_from) if args.date_from else None
    last = date.fromisoformat(args.date_to) if args.date_to else None
    result = focus.export(home, Path(args.out), first=first, last=last)
    print(f"wrote {result.rows:,} FOCUS 1.2 rows ({result.first} .. {result.last}, "
          f"BilledCost {result.billed_cost:,.2f} USD) to {result.path}")
    return EXIT_OK


def cmd_sources(args: argparse.Namespace, home: Home) -> int:
    rows = [(s.name, s.description, s.formats) for s in SOURCES.values()]
    print(report.format_table(("source", "what", "file formats"), rows))
    print("\nFiles under landing/<source>/ are ingested by `llmcost run` as that source; "
          "`llmcost ingest PATH --source NAME` ingests from anywhere.")
    return EXIT_OK


def cmd_prices(args: argparse.Namespace, home: Home) -> int:
    if args.prices_command == "import-litellm":
        effective_from = (date.fromisoformat(args.effective_from) if args.effective_from
                          else datetime.now(UTC).date())
        out_dir = Path(args.out) if args.out else home.pricing / "imported"
        from pipelines import pricing_litellm

        target, count = pricing_litellm.import_litellm(Path(args.file), out_dir,
                                                       effective_from=effective_from)
        print(f"wrote {count} price rows effective from {effective_from} to {target}")
        print("Curated rows (pricing/prices.csv) and overrides still win where both exist. "
              "The next `llmcost build` re-prices history with it.")
        return EXIT_OK
    if args.prices_command == "import-genai-prices":
        return cmd_prices_import_genai(args, home)
    if args.prices_command == "audit":
        return cmd_prices_audit(args, home)
    book = pricing.load(home)
    print(f"{book.rows.num_rows} price rows from {len(book.files)} files:")
    for path in book.files:
        print(f"  {path}")
    return EXIT_OK


def cmd_prices_import_genai(args: argparse.Namespace, home: Home) -> int:
    from pipelines import pricing_genai

    effective_from = (date.fromisoformat(args.effective_from) if args.effective_from
                      else pricing_genai.DEFAULT_EFFECTIVE_FROM)
    out_dir = Path(args.out) if args.out else home.pricing / "imported"
    target, count, skipped = pricing_genai.import_genai_prices(out_dir,
                                                               effective_from=effective_from)
    print(f"wrote {count} price rows to {target} (a price with no start date in genai-prices "
          f"applies from {effective_from})")
    print(f"skipped {len(skipped)} prices the row format cannot express "
          f"(also in {target.with_suffix('.skipped.txt').name}):")
    for item in skipped:
        print(f"  {item.provider}\t{item.model}\t{item.what}\t{item.reason}")
    print("Curated rows (pricing/prices.csv) and overrides still win: an imported row prices "
          "only a provider/model/tier they do not list. The next `llmcost build` re-prices "
          "history with it.")
    return EXIT_OK


def cmd_prices_audit(args: argparse.Namespace, home: Home) -> int:
    from pipelines import pricing_audit

    rows = pricing_audit.audit(litellm_file=Path(args.litellm) if args.litellm else None)
    unexplained = [row for row in rows if not row.note]
    print(report.format_table(
        ("price_id", "component", "curated", "other", "source", "diff %", "note"),
        [(row.price_id, row.component, row.curated, row.other, row.source,
          f"{row.relative_diff * 100:.2f}", row.note or "UNEXPLAINED") for row in rows]))
    print(f"{len(rows)} differences above {pricing_audit.TOLERANCE * 100}% "
          f"({len(unexplained)} without a note in {pricing_audit.NOTES_FILE.name})")
    return EXIT_OK if not unexplained else EXIT_QUALITY


def cmd_quality(args: argparse.Namespace, home: Home) -> int:
    from pipelines import quality

    freshness = dict(item.split("=", 1) for item in args.freshness_hours or [])
    report = quality.run_suites(
        home, suites=args.suite or quality.SUITES, max_unpriced_share=args.max_unpriced_share,
        freshness_hours={source: float(hours) for source, hours in freshness.items()})
    print(quality.summary(report))
    return EXIT_OK if report.success else EXIT_QUALITY


def cmd_demo(args: argparse.Namespace, home: Home) -> int:
    from pipelines.demo.generate import generate_demo

    if home.root.exists() and any(home.root.iterdir()) and not (home.root / DEMO_MARKER).exists():
        print(f"{home.root} holds data that is not a demo; set LLMCOST_HOME to an empty folder "
              "for the demo", file=sys.stderr)
        return EXIT_USAGE
    for name in ("landing", "lake", "warehouse.duckdb", "warehouse.duckdb.wal"):
        target = home.root / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    home.ensure()
    (home.root / DEMO_MARKER).write_text("created by llmcost demo\n")
    # The demo's budgets (a data file), so `llmcost budgets` and the anomalies have something
    # to show; a budgets.toml the user put there is kept.
    if not (home.root / "budgets.toml").exists():
        shutil.copyfile(Path(__file__).parent / "demo" / "material" / "budgets.toml",
                        home.root / "budgets.toml")
    settings = home.root / "savings.toml"
    if not settings.exists():  # the demo's routing policies; a user's own file is kept
        shutil.copyfile(DEMO_SAVINGS, settings)
    started = time.monotonic()
    summary = generate_demo(home.landing, requests=args.requests, days=args.days, seed=args.seed)
    print(f"generated the demo workload in {time.monotonic() - started:.1f}s into {home.landing}: "
          + ", ".join(f"{k}={v}" for k, v in summary.get("records_per_source", {}).items()))
    cmd_run(argparse.Namespace(full=True), home)
    print()
    cmd_report(args, home)
    print()
    cmd_savings(argparse.Namespace(report_only=True), home)
    print(f"Warehouse: {home.warehouse}  (try: llmcost sql \"select * from daily_costs limit 5\")")
    _write_html_report(home, None)
    print(f"Report: {webreport_path(home)}  (open it in a browser; works offline)")
    return EXIT_OK


def webreport_path(home: Home) -> Path:
    from pipelines import webreport

    return webreport.default_path(home.root)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="llmcost", description=__doc__.split("\n")[0],
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    main.add_argument("--home", help="data home (default $LLMCOST_HOME or ./data)")
    commands = main.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="ingest files or folders into the lake")
    ingest.add_argument("paths", nargs="+")
    ingest.add_argument("--source", choices=sorted(SOURCES))
    ingest.add_argument("--force", action="store_true",
                        help="re-read files already ingested (their records count as duplicates)")
    ingest.set_defaults(func=cmd_ingest)

    build_cmd = commands.add_parser("build", help="build the warehouse marts")
    build_cmd.add_argument("--full", action="store_true", help="rebuild every day")
    build_cmd.add_argument("--date", action="append", help="rebuild this day (repeatable)")
    build_cmd.set_defaults(func=cmd_build)

    run = commands.add_parser(
        "run", help="ingest everything new in landing/, build, then simulate savings and build "
        "the budget and anomaly marts")
    run.add_argument("--full", action="store_true")
    run.add_argument("--no-savings", action="store_true",
                     help="skip the savings simulations (cache, prompt waste)")
    run.add_argument("--no-budgets", action="store_true",
                     help="skip the budget and anomaly marts")
    run.set_defaults(func=cmd_run)

    savings = commands.add_parser(
        "savings", help="simulate caching and prompt-waste fixes over history; print the "
        "headline (settings: $LLMCOST_HOME/savings.toml)")
    savings.add_argument("--report-only", action="store_true",
                         help="print the last simulation without running it again")
    savings.set_defaults(func=cmd_savings)

    budgets = commands.add_parser(
        "budgets", help="budgets from $LLMCOST_HOME/budgets.toml: status, threshold alerts, "
        "what-if enforcement replay")
    budgets.add_argument("budgets_command", nargs="?", default="status",
                         choices=("status", "alerts", "replay", "build", "deliver"),
                         help="status (default) | alerts | replay: print the marts; build: "
                         "rebuild them; deliver: send new alerts to the outbox / webhook")
    budgets.add_argument("--all", action="store_true",
                         help="every period (status) or budget instance (replay)")
    budgets.add_argument("--format", choices=("table", "csv", "json"), default="table")
    budgets.set_defaults(func=cmd_budgets)

    anomalies = commands.add_parser(
        "anomalies", help="spend anomalies (spikes, leaked keys, retry loops, new models/keys)")
    anomalies.add_argument("anomalies_command", nargs="?", default="list",
                           choices=("list", "eval"),
                           help="list (default); eval: inject seeded incidents into this "
                           "history and measure detection")
    anomalies.add_argument("--kind", action="append",
                           choices=("spend_spike", "key_spike", "retry_loop", "new_model",
                                    "new_key"))
    anomalies.add_argument("--format", choices=("table", "csv", "json"), default="table")
    anomalies.add_argument("--seed", type=int, default=42)
    anomalies.add_argument("--trials", type=int, default=4,
                           help="eval: incidents injected per kind")
    anomalies.set_defaults(func=cmd_anomalies)

    routing = commands.add_parser("routing", help="routing quality: RouteLLM metrics")
    routing_commands = routing.add_subparsers(dest="routing_command", required=True)
    routing_eval = routing_commands.add_parser(
        "eval", help="APGR, CPT(50%%), CPT(80%%) of the random router, the oracle and every "
        "shipped scorer on a RouteLLM per-prompt CSV (a file, a folder or a glob)")
    routing_eval.add_argument("file")
    routing_eval.add_argument("--weak", required=True, help="the weak model's correctness column")
    routing_eval.add_argument("--strong", required=True,
                              help="the strong model's correctness column")
    routing_eval.add_argument("--exclude", help="JSONL of prompts to drop ({\"eval_prompt\": ...})")
    routing_eval.add_argument("--json", action="store_true", help="machine-readable output")
    routing_eval.set_defaults(func=cmd_routing)

    sql = commands.add_parser(
        "sql", help="run a read-only SQL query on the warehouse (sandboxed: no file access)")
    sql.add_argument("query")
    sql.add_argument("--format", choices=("table", "csv", "json"), default="table",
                     help="table: rounded for people; csv / json: exact values for machines")
    sql.add_argument("--allow-files", action="store_true",
                     help=f"lift the sandbox (read and write files, COPY ... TO); also "
                          f"{SQL_ALLOW_FILES_ENV}=1")
    sql.set_defaults(func=cmd_sql)

    report_cmd = commands.add_parser("report", help="where the money went (text, or --html)")
    report_cmd.add_argument(
        "--html", nargs="?", const="", metavar="PATH",
        help="write the report as one self-contained web page (default "
             "$LLMCOST_HOME/report/index.html)")
    report_cmd.set_defaults(func=cmd_report)
    commands.add_parser("sources", help="list input formats").set_defaults(func=cmd_sources)

    reconcile_cmd = commands.add_parser(
        "reconcile", help="the logs against the provider's bill: a month day by day and the "
        "worst cells (settings: $LLMCOST_HOME/reconcile.toml)")
    reconcile_cmd.add_argument("--month", help="YYYY-MM (default: the latest month reconciled)")
    reconcile_cmd.set_defaults(func=cmd_reconcile)

    export = commands.add_parser("export", help="export the costs in a standard format")
    export_formats = export.add_subparsers(dest="export_format", required=True)
    focus_cmd = export_formats.add_parser(
        "focus", help="FinOps FOCUS 1.2: one row per day x provider x model x sub-account x "
        "token type")
    focus_cmd.add_argument("--out", required=True, help="FILE.parquet or FILE.csv")
    focus_cmd.add_argument("--from", dest="date_from", help="first usage day (YYYY-MM-DD)")
    focus_cmd.add_argument("--to", dest="date_to", help="last usage day, included (YYYY-MM-DD)")
    focus_cmd.set_defaults(func=cmd_export)

    prices = commands.add_parser("prices", help="price tables")
    prices_commands = prices.add_subparsers(dest="prices_command", required=True)
    imp = prices_commands.add_parser("import-litellm",
                                     help="add a dated version from LiteLLM's price map")
    imp.add_argument("file")
    imp.add_argument("--effective-from", help="first day the version applies (default today)")
    imp.add_argument("--out",
                     help="folder for the version file (default $LLMCOST_HOME/pricing/imported)")
    genai = prices_commands.add_parser(
        "import-genai-prices", help="write pricing/imported/genai-prices-<version>.csv from the "
                                    "installed genai-prices package")
    genai.add_argument("--effective-from",
                       help="first day of a price genai-prices gives no start date (default "
                            "2020-01-01)")
    genai.add_argument("--out",
                       help="folder for the version file (default $LLMCOST_HOME/pricing/imported)")
    audit = prices_commands.add_parser(
        "audit", help="compare curated rows with genai-prices (and LiteLLM's map)")
    audit.add_argument("--litellm", help="LiteLLM's model_prices_and_context_window.json")
    prices_commands.add_parser("list", help="show the price files in use")
    prices.set_defaults(func=cmd_prices)

    quality_cmd = commands.add_parser(
        "quality", help="run the data quality suites and write data docs under "
        "$LLMCOST_HOME/quality/")
    quality_cmd.add_argument("--suite", action="append",
                             choices=("lake_requests", "requests", "ingest_runs",
                                      "unpriced_share", "daily_costs", "freshness"))
    quality_cmd.add_argument("--max-unpriced-share", type=float, default=0.01)
    quality_cmd.add_argument("--freshness-hours", action="append", metavar="SOURCE=HOURS")
    quality_cmd.set_defaults(func=cmd_quality)

    demo = commands.add_parser("demo", help="generate a demo workload and run the pipeline")
    demo.add_argument("--requests", type=int, default=120_000)
    demo.add_argument("--days", type=int, default=21)
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(func=cmd_demo)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)  # a usage error exits 2 here
    home = Home.from_env(args.home)
    try:
        return args.func(args, home)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly. Point stdout at /dev/null so the
        # interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("llmcost: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SandboxRefusal as exc:
        print(f"llmcost: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (WarehouseBusy, OSError, ValueError, duckdb.Error) as exc:
        print(f"llmcost: error: {exc}" + ("\nllmcost: the warehouse is being written by another "
              "llmcost run (a build); try again when it finishes" if "Could not set lock" in
              str(exc) else ""), file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
