"""Great Expectations suites as asset checks: one check per checked asset, each running the
suites of ``pipelines.quality`` over the run's usage dates and updating the data docs under
``$LLMCOST_HOME/quality``. Failures report every failed expectation with its offending count.
Source freshness is a separate check with severity WARN on the ingest ledger
(``lake_ingest_runs``), evaluated by every ingest run including the nightly schedule: a silent
source is a question to ask, not wrong numbers; and on the marts it would fail every backfill of
old days.
"""

from dataclasses import dataclass

import dagster as dg

from pipelines.quality import QualityReport, run_suites

from .checks import _checked_dates, _window
from .resources import LlmcostResource


@dataclass(frozen=True)
class QualityCheck:
    name: str
    asset: str
    suites: tuple[str, ...]
    description: str
    windowed: bool = True
    blocking: bool = False
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR


QUALITY_CHECKS = (
    QualityCheck(
        "lake_requests_expectations", "lake_requests", ("lake_requests",),
        "Great Expectations on the lake's request rows: token counts >= 0, cache and reasoning "
        "counts within their totals, occurred_at inside its usage_date, a known provider.",
        windowed=False,
    ),
    QualityCheck(
        "requests_expectations", "requests", ("requests", "unpriced_share"),
        "Great Expectations on the requests mart: the lake's row rules, cost_usd = its "
        "components for list-priced rows, and each day's unpriced share within "
        "max_unpriced_share.",
        blocking=True,
    ),
    QualityCheck(
        "daily_costs_expectations", "daily_costs", ("daily_costs",),
        "Great Expectations: per day and provider, daily_costs' logs rows carry the requests "
        "mart's request count, input and output tokens and cost_usd.",
    ),
    QualityCheck(
        "ingest_runs_expectations", "ingest_runs", ("ingest_runs",),
        "Great Expectations on ingest_runs: counts >= 0 and records_read = records_loaded + "
        "records_duplicate + records_quarantined for every file.",
        windowed=False,
    ),
    QualityCheck(
        "source_freshness", "lake_ingest_runs", ("freshness",),
        "Warns when the newest record a source sent (ingest ledger) is older than its freshness "
        "limit (default 48 hours): a gateway or exporter may have stopped sending.",
        windowed=False, severity=dg.AssetCheckSeverity.WARN,
    ),
)


def _metadata(report: QualityReport, dates: str) -> dict:
    failed = [
        {"suite": suite.name, "rule": outcome.rule, "offending": outcome.offending,
         "sample": outcome.sample}
        for suite in report.suites for outcome in suite.failed()
    ]
    metadata = {
        "usage_dates": dates,
        "expectations": report.expectations,
        "failed_expectations": len(failed),
        "offending": sum(item["offending"] for item in failed),
        "failures": dg.MetadataValue.json(failed),
        "rows_checked": dg.MetadataValue.json(
            {suite.name: suite.checked for suite in report.suites}),
        "seconds": round(report.seconds, 2),
        "data_docs": dg.MetadataValue.path(str(report.docs_index)),
    }
    for suite in report.suites:
        if suite.details:
            metadata[f"{suite.name}_rows"] = dg.MetadataValue.json(suite.details)
    return metadata


def _build(spec: QualityCheck) -> dg.AssetChecksDefinition:
    @dg.asset_check(name=spec.name, asset=spec.asset, blocking=spec.blocking,
                    description=spec.description)
    def _check(context: dg.AssetCheckExecutionContext,
               llmcost: LlmcostResource) -> dg.AssetCheckResult:
        window = _window(context) if spec.windowed else {}
        report = run_suites(llmcost.data_home(), suites=spec.suites,
                            max_unpriced_share=llmcost.max_unpriced_share,
                            freshness_hours=llmcost.freshness_hours, **window)
        return dg.AssetCheckResult(
            passed=report.success, severity=spec.severity,
            metadata=_metadata(report, _checked_dates(window) if window else "all"),
        )

    return _check


quality_checks = [_build(spec) for spec in QUALITY_CHECKS]
