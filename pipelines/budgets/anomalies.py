"""Spend anomalies: four detectors in SQL (``sql/budgets/int_anomalies__*.sql``) and the mart
that joins them with their root causes (``spend_anomalies.sql``).

Methods (README "Budgets and anomalies"): a weekly-seasonal median / MAD baseline for daily
series (robust z, an impact floor in dollars and in percent, a warm-up), each key's typical
busiest hour for key spikes, windows over (key, session, prompt) for retry loops, and first
sightings after the warm-up for new models and keys. All parameters come from
``[anomalies]`` in ``budgets.toml``.
"""

from __future__ import annotations

import re
from dataclasses import asdict

import duckdb

from pipelines.budgets.config import AnomalyConfig
from pipelines.paths import SQL_DIR

DETECTORS = ("spend_spikes", "key_spikes", "retry_loops", "new_series")


def _run(con: duckdb.DuckDBPyConnection, statement: str, text: str, settings: dict) -> None:
    """Execute with the settings the SQL names (DuckDB refuses unused named parameters)."""
    names = set(re.findall(r"\$([a-z_]+)", text))
    con.execute(statement, {name: settings[name] for name in names})


def detect_anomalies(con: duckdb.DuckDBPyConnection, cfg: AnomalyConfig) -> str:
    """Run the detectors over the ``requests`` table of `con`; returns the name of the temp
    table holding the ``spend_anomalies`` rows."""
    settings = asdict(cfg)
    for detector in DETECTORS:
        text = (SQL_DIR / "budgets" / f"int_anomalies__{detector}.sql").read_text()
        _run(con, f"CREATE OR REPLACE TEMP TABLE anomalies_{detector} AS {text}", text,
             settings)
    text = (SQL_DIR / "budgets" / "spend_anomalies.sql").read_text()
    _run(con, f"CREATE OR REPLACE TEMP TABLE spend_anomalies_rows AS {text}", text, settings)
    return "spend_anomalies_rows"
