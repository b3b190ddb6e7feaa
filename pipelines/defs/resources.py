"""The data home and quality thresholds as a Dagster resource; the only module of the Dagster
layer that reads environment variables."""

import os
from typing import Any

import dagster as dg
from pydantic import Field

from pipelines.paths import Home
from pipelines.warehouse import open_read_only


class LlmcostResource(dg.ConfigurableResource):
    """The llmcost data home (landing/, lake/, warehouse.duckdb) and how strict the checks are."""

    home: str = Field(
        default="data",
        description="Data home folder; relative paths resolve against the run's working directory.",
    )
    max_unpriced_share: float = Field(
        default=0.01,
        description="Largest share of a day's requests allowed to have no price.",
    )
    freshness_hours: dict[str, float] = Field(
        default_factory=dict,
        description="Per source: hours without new records before the freshness check warns "
        "(default 48).",
    )
    alert_webhook: str = Field(
        default="",
        description="URL that budget alerts and spend anomalies are POSTed to (Slack-compatible "
        "JSON); empty = the JSONL outbox only.",
    )

    def data_home(self) -> Home:
        return Home.from_env(self.home)

    def query(
        self, sql: str, params: dict[str, Any] | None = None
    ) -> tuple[list[str], list[tuple]]:
        """Run one read-only query on the warehouse; the writer lock is only for writers."""
        con = open_read_only(self.data_home())
        try:
            cursor = con.execute(sql, params or {})
            columns = [column[0] for column in cursor.description]
            return columns, cursor.fetchall()
        finally:
            con.close()


def _freshness_hours(text: str) -> dict[str, float]:
    """LLMCOST_FRESHNESS_HOURS="litellm=24,openai_costs=72" -> {source: hours}."""
    pairs = (item.split("=", 1) for item in text.split(",") if "=" in item)
    return {source.strip(): float(hours) for source, hours in pairs}


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "llmcost": LlmcostResource(
                home=os.environ.get("LLMCOST_HOME", "data"),
                max_unpriced_share=float(os.environ.get("LLMCOST_MAX_UNPRICED_SHARE", "0.01")),
                freshness_hours=_freshness_hours(os.environ.get("LLMCOST_FRESHNESS_HOURS", "")),
                alert_webhook=os.environ.get("LLMCOST_ALERT_WEBHOOK", ""),
            )
        },
        # DuckDB allows one writer per file and every build takes the llmcost writer lock, so
        # the steps of a run execute one after another in one process: parallel steps would only
        # queue on the lock (and give up after its 30 s wait).
        executor=dg.in_process_executor,
    )
