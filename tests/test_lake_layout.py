"""The lake writes one Parquet file per ingest run and table, with usage_date as a column, and
the run's marker lists its days (``ingest_runs.usage_dates``). Lakes written before kept one
file per day under ``usage_date=<day>/`` folders, with markers that list no days: such a lake
must keep working when new runs land beside it - dedupe against its rows, day-limited
builds, and the same marts as a lake written wholly in the new layout.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from conftest import ingest, query, write_jsonl
from test_adapters_litellm import spend_log_row

from pipelines import warehouse
from pipelines.lake import INGEST_RUNS, REQUESTS, Lake
from pipelines.paths import Home

USAGE = {"prompt_tokens": 1000, "completion_tokens": 30, "total_tokens": 1030}
DAYS = ["2026-03-01", "2026-03-02", "2026-03-03"]


def _rows(prefix: str, days: list[str], per_day: int) -> list[dict]:
    return [spend_log_row(f"{prefix}-{day}-{n}", usage_object=USAGE,
                          startTime=f"{day} 10:{n:02d}:00.000000",
                          endTime=f"{day} 10:{n:02d}:01.000000")
            for day in days for n in range(per_day)]


def _to_day_folders(home: Home) -> None:
    """Rewrite the lake as the older layout: a requests file per day, markers without days."""
    lake = Lake(home.lake)
    for f in lake.files(REQUESTS):
        table = pq.read_table(f.path)
        source_dir = f.path.parent
        for day in sorted({d for d in table.column("usage_date").to_pylist()}):
            rows = table.filter(pc.equal(table["usage_date"], pa.scalar(day, pa.date32())))
            folder = source_dir / f"usage_date={day.isoformat()}"
            folder.mkdir()
            pq.write_table(rows.drop_columns(["usage_date"]), folder / f.path.name)
        f.path.unlink()
    for f in lake.files(INGEST_RUNS):
        pq.write_table(pq.read_table(f.path).drop_columns(["usage_dates"]), f.path)


def test_run_file_and_marker_days(home, tmp_path):
    [result] = ingest(home, write_jsonl(tmp_path / "a.jsonl", _rows("a", DAYS, 2)), "litellm")
    assert result.records_loaded == 6
    (run_file,) = Lake(home.lake).files(REQUESTS)
    assert run_file.path == home.lake / "requests" / "source=litellm" / f"{result.run_id}.parquet"
    assert run_file.usage_dates == {date.fromisoformat(d) for d in DAYS}
    assert not run_file.day_folder
    # Rows stay in the order of the file read.
    lines = pq.read_table(run_file.path).column("source_line").to_pylist()
    assert lines == [1, 2, 3, 4, 5, 6]
    marker = pq.read_table(home.lake / "ingest_runs" / f"{result.run_id}.parquet")
    assert marker.column("usage_dates").to_pylist() == [[date.fromisoformat(d) for d in DAYS]]


def test_a_day_folder_lake_keeps_working_beside_run_files(tmp_path):
    first = _rows("a", DAYS[:2], 3)
    # The second file repeats one request of the first (a duplicate across runs and layouts)
    # and adds a third day.
    second = [first[4]] + _rows("b", DAYS[1:], 2)
    files = (write_jsonl(tmp_path / "first.jsonl", first),
             write_jsonl(tmp_path / "second.jsonl", second))

    old = Home(tmp_path / "old")
    ingest(old, files[0], "litellm")
    _to_day_folders(old)
    legacy = Lake(old.lake).files(REQUESTS)
    assert [(f.day_folder, sorted(f.usage_dates)) for f in legacy] == [
        (True, [date(2026, 3, 1)]), (True, [date(2026, 3, 2)])]
    warehouse.build(old)
    [result] = ingest(old, files[1], "litellm")
    assert (result.records_loaded, result.records_duplicate) == (4, 1)
    assert warehouse.build(old).dates == [date(2026, 3, 2), date(2026, 3, 3)]

    new = Home(tmp_path / "new")
    ingest(new, list(files), "litellm")
    warehouse.build(new)

    marts = "SELECT usage_date, count(*) AS n, sum(cost_usd) AS cost FROM requests GROUP BY 1 " \
            "ORDER BY 1"
    assert query(old, marts) == query(new, marts)
    assert [row["n"] for row in query(old, marts)] == [3, 5, 2]
    daily = "SELECT usage_date, requests, cost_usd FROM daily_costs ORDER BY ALL"
    assert query(old, daily) == query(new, daily)

    # Rebuilding one day takes that day's rows from both layouts, and nothing else changes.
    assert warehouse.build(old, dates=[date(2026, 3, 2)]).dates == [date(2026, 3, 2)]
    assert query(old, marts) == query(new, marts)
