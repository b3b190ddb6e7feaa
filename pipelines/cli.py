"""``llmcost``: the same pipeline Dagster runs, from a terminal.

    llmcost ingest PATH... [--source NAME]   landing files -> lake (counts per file)
    llmcost build [--full] [--date D ...]    lake + prices -> warehouse.duckdb marts
    llmcost run                              ingest everything new in landing/, build, simulate
    llmcost savings [--report-only]          cache / prompt-waste simulations over history
    llmcost routing eval FILE --weak C --strong C   RouteLLM router metrics on labelled prompts
    llmcost sql "QUERY" [--format F]         read-only query of the warehouse
    llmcost report                           where the money went
    llmcost reconcile [--month YYYY-MM]      logs vs the provider's bill, day by day
    llmcost export focus --out FILE          FinOps FOCUS 1.2 cost and usage (.parquet/.csv)
    llmcost sources                          supported input formats
    llmcost prices import-litellm FILE       add a dated price version from LiteLLM's map
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


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


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
    return status


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
    con = open_read_only(home)
    try:
        print(report.summary(con))
    finally:
        con.close()
    return EXIT_OK


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
        target, count = pricing.import_litellm(Path(args.file), out_dir,
                                               effective_from=effective_from)
        print(f"wrote {count} price rows effective from {effective_from} to {target}")
        print("Curated rows (pricing/prices.csv) and overrides still win where both exist. "
              "The next `llmcost build` re-prices history with it.")
        return EXIT_OK
    book = pricing.load(home)
    print(f"{book.rows.num_rows} price rows from {len(book.files)} files:")
    for path in book.files:
        print(f"  {path}")
    return EXIT_OK


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
    return EXIT_OK


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
        "run", help="ingest everything new in landing/, build, then simulate savings")
    run.add_argument("--full", action="store_true")
    run.add_argument("--no-savings", action="store_true",
                     help="skip the savings simulations (cache, prompt waste)")
    run.set_defaults(func=cmd_run)

    savings = commands.add_parser(
        "savings", help="simulate caching and prompt-waste fixes over history; print the "
        "headline (settings: $LLMCOST_HOME/savings.toml)")
    savings.add_argument("--report-only", action="store_true",
                         help="print the last simulation without running it again")
    savings.set_defaults(func=cmd_savings)

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

    commands.add_parser("report", help="where the money went").set_defaults(func=cmd_report)
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
