"""Provider usage and cost exports -> the usage_buckets lake table (aggregates, not requests).

Sources: ``openai_usage`` (Organization Usage API pages), ``openai_costs`` (Costs API pages and
the dashboard cost CSV), ``anthropic_usage`` (Admin usage report) and ``anthropic_costs``
(Admin cost report). One page record holds ``data[].results[]``; each result is one row, with
``source_item`` = its position in the page's results flattened across buckets.

Traps protected here:
- OpenAI usage ``input_tokens`` already INCLUDES cached and cache-write tokens (the OTel
  meaning): ``input_cached_tokens`` / ``input_cache_write_tokens`` are subsets, never added;
- the OpenAI breakdown fields drifted across spec versions: a missing one is NULL, not 0, and
  no sum is assumed;
- Anthropic ``uncached_input_tokens`` EXCLUDES the cache: canonical input = uncached + cache
  reads + 5m writes + 1h writes;
- Anthropic cost ``amount`` is a decimal STRING IN CENTS ("123.45" = $1.2345); OpenAI
  ``amount.value`` is a number in dollars with a lowercase currency ("usd");
- OpenAI times are unix seconds, Anthropic times RFC 3339 text;
- dimension fields are null unless the export grouped by them (grouped vs ungrouped examples);
- a file holds one pretty-printed page or one page per line (paginated downloads);
- the same page exported twice is a duplicate (same bucket_version_id); the same bucket
  re-exported with new numbers is a revision (same bucket_id, new bucket_version_id);
- the OpenAI cost ``line_item`` is free text ("priority | <model>, cached input, long
  context"); model, token class and tier are read out of it, the text is kept whole.

The OpenAI examples are the official spec examples (tests/fixtures/openai/org_*.json); the
Anthropic usage example is the documented one (FORMATS.md §2.2). Multi-page files are built in
``tmp_path``.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from conftest import assert_balanced, fixture_json, fixture_path, ingest, write_jsonl

from pipelines.detect import detect, sample_records, score_sources
from pipelines.paths import Home

USAGE_EXAMPLE = "openai/org_usage_completions.spec_example.json"
USAGE_GROUPED = "openai/org_usage_completions_result_grouped.spec_example.json"
COSTS_EXAMPLE = "openai/org_costs.spec_example.json"
COSTS_GROUPED = "openai/org_costs_result_grouped.spec_example.json"
ANTHROPIC_USAGE_EXAMPLE = "anthropic/usage_report_messages.docs_example.json"

EXPORT_SOURCES = {"openai_usage", "openai_costs", "anthropic_usage", "anthropic_costs"}
DAY = 86_400
# 2026-11-01T00:00:00Z
NOV_1 = 1_793_491_200


# -- helpers ------------------------------------------------------------------------------


def lake_rows(
    home: Home,
    where: str = "true",
    params: list | None = None,
    order: str = "source_file, source_line, source_item",
) -> list[dict]:
    con = duckdb.connect()
    try:
        cursor = con.execute(
            f"SELECT * FROM read_parquet(?, hive_partitioning = true) WHERE {where} "
            f"ORDER BY {order}",
            [str(home.lake / "usage_buckets" / "**" / "*.parquet"), *(params or [])],
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def lake_query(home: Home, sql: str) -> list[tuple]:
    """``sql`` reads the view ``buckets`` (the lake's usage_buckets)."""
    con = duckdb.connect()
    try:
        return con.execute(
            "WITH buckets AS (SELECT * FROM read_parquet(?, hive_partitioning = true)) " + sql,
            [str(home.lake / "usage_buckets" / "**" / "*.parquet")],
        ).fetchall()
    finally:
        con.close()


def quarantine(home: Home, source_file: Path) -> list[dict]:
    con = duckdb.connect()
    try:
        cursor = con.execute(
            "SELECT * FROM read_parquet(?) WHERE source_file = ? ORDER BY source_line, source_item",
            [str(home.lake / "quarantine" / "**" / "*.parquet"), str(source_file)],
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def write_page(path: Path, page: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(page, indent=2))
    return path


def openai_page(buckets: list[tuple[int, int, list[dict]]], *, has_more: bool = False) -> dict:
    return {
        "object": "page",
        "data": [
            {"object": "bucket", "start_time": start, "end_time": end, "results": results}
            for start, end, results in buckets
        ],
        "has_more": has_more,
        "next_page": "page_next" if has_more else None,
    }


def anthropic_page(buckets: list[tuple[str, str, list[dict]]], *, has_more: bool = False) -> dict:
    return {
        "data": [
            {"starting_at": start, "ending_at": end, "results": results}
            for start, end, results in buckets
        ],
        "has_more": has_more,
        "next_page": "page_next" if has_more else None,
    }


def completions(
    model: str, inp: int, cached: int | None, write: int | None, out: int, requests: int, **group
) -> dict:
    result = {
        "object": "organization.usage.completions.result",
        "input_tokens": inp,
        "output_tokens": out,
        "num_model_requests": requests,
        "project_id": None,
        "user_id": None,
        "api_key_id": None,
        "model": model,
        "batch": None,
        "service_tier": None,
    }
    if cached is not None:
        result["input_cached_tokens"] = cached
    if write is not None:
        result["input_cache_write_tokens"] = write
    result.update(group)
    return result


def cost(
    value,
    line_item: str | None,
    project_id: str | None = "proj_web",
    currency: str = "usd",
    **extra,
) -> dict:
    return {
        "object": "organization.costs.result",
        "amount": {"value": value, "currency": currency},
        "line_item": line_item,
        "project_id": project_id,
        "api_key_id": None,
        "quantity": None,
        "quantity_unit": None,
        **extra,
    }


def claude_usage(
    model: str,
    uncached: int,
    read: int,
    write_5m: int,
    write_1h: int,
    out: int,
    web_search: int = 0,
    **group,
) -> dict:
    return {
        "uncached_input_tokens": uncached,
        "cache_creation": {
            "ephemeral_1h_input_tokens": write_1h,
            "ephemeral_5m_input_tokens": write_5m,
        },
        "cache_read_input_tokens": read,
        "output_tokens": out,
        "server_tool_use": {"web_search_requests": web_search},
        "api_key_id": None,
        "workspace_id": None,
        "model": model,
        "service_tier": None,
        "context_window": None,
        **group,
    }


def claude_cost(
    amount: str, token_type: str | None, description: str | None, currency: str = "USD", **extra
) -> dict:
    return {
        "currency": currency,
        "amount": amount,
        "workspace_id": None,
        "description": description,
        "cost_type": "tokens" if token_type else None,
        "context_window": None,
        "model": None,
        "service_tier": None,
        "token_type": token_type,
        **extra,
    }


def day_iso(offset: int) -> str:
    return at(NOV_1 + offset * DAY).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- OpenAI usage: the spec examples ------------------------------------------------------


def test_openai_usage_ungrouped_spec_example(home):
    path = fixture_path(USAGE_EXAMPLE)
    assert detect(path).source == "openai_usage"
    (result,) = ingest(home, path, "openai_usage")
    assert (result.records_read, result.records_loaded) == (1, 1)
    (row,) = lake_rows(home)
    assert row["bucket_start"] == at(1730419200)
    assert row["bucket_end"] == at(1730505600)
    assert row["bucket_width"] == "1d"
    assert (row["source"], row["kind"], row["provider"]) == ("openai_usage", "usage", "openai")
    assert str(row["usage_date"])[:10] == "2024-11-01"
    # input_tokens already includes the 400 cached and 100 cache-write tokens: kept as is
    assert row["input_tokens"] == 1000
    assert row["cache_read_input_tokens"] == 400
    assert row["cache_creation_input_tokens"] == 100
    assert row["cache_creation_1h_input_tokens"] is None
    assert row["output_tokens"] == 500
    assert row["requests"] == 5
    # ungrouped: every dimension is null in the export, and stays null
    for column in (
        "project_id",
        "user_id",
        "api_key_id",
        "model_raw",
        "service_tier",
        "organization_id",
        "workspace_id",
        "token_type",
        "cost_type",
    ):
        assert row[column] is None, column
    assert row["line_item"] == "completions"
    assert row["billed_cost_usd"] is None
    assert (row["source_line"], row["source_item"]) == (1, 0)
    raw = json.loads(row["usage_raw"])
    assert raw["input_audio_tokens"] == 50 and raw["input_uncached_tokens"] == 500


def test_openai_usage_grouped_result_example(home, tmp_path):
    """The grouped example is a result without its page: recognised, then quarantined for the
    missing bucket window; in a page (window chosen by the test) every group key is read."""
    bare = fixture_path(USAGE_GROUPED)
    assert detect(bare).source == "openai_usage"
    (result,) = ingest(home, bare, "openai_usage")
    assert (result.records_loaded, result.records_quarantined) == (0, 1)
    (rejected,) = quarantine(home, bare)
    assert rejected["reason_code"] == "missing_field"
    assert "no bucket start time" in rejected["reason"]
    assert (rejected["source_line"], rejected["source_item"]) == (1, 0)

    grouped = fixture_json(USAGE_GROUPED)
    path = write_page(
        tmp_path / "grouped_page.json", openai_page([(NOV_1, NOV_1 + 3600, [grouped])])
    )
    assert detect(path).source == "openai_usage"
    (result,) = ingest(home, path, "openai_usage")
    assert result.records_loaded == 1
    (row,) = lake_rows(home, "source_file = ?", [str(path)])
    assert row["bucket_width"] == "1h"
    assert row["project_id"] == "proj_abc"
    assert row["user_id"] == "user-abc"
    assert row["api_key_id"] == "key_abc"
    assert row["model_raw"] == "gpt-4o-mini-2024-07-18"
    assert row["service_tier"] == "standard"  # "default", batch false
    assert (
        row["input_tokens"],
        row["cache_read_input_tokens"],
        row["cache_creation_input_tokens"],
        row["output_tokens"],
        row["requests"],
    ) == (5000, 1800, 200, 1000, 5)


def test_openai_usage_batch_and_non_token_endpoints(home, tmp_path):
    results = [
        completions("gpt-4o-2024-08-06", 900, 300, None, 90, 3, batch=True, service_tier="default"),
        completions("gpt-4o-2024-08-06", 800, 0, 0, 80, 2, batch=False, service_tier="flex"),
        {
            "object": "organization.usage.embeddings.result",
            "input_tokens": 16000,
            "num_model_requests": 4,
            "project_id": None,
            "user_id": None,
            "api_key_id": None,
            "model": "text-embedding-3-small",
        },
        {
            "object": "organization.usage.images.result",
            "images": 3,
            "num_model_requests": 3,
            "size": "1024x1024",
            "source": "image.generation",
            "project_id": None,
            "user_id": None,
            "api_key_id": None,
            "model": "dall-e-3",
        },
        {
            "object": "organization.usage.images.result",
            "images": 2,
            "num_model_requests": 2,
            "size": "512x512",
            "source": "image.generation",
            "project_id": None,
            "user_id": None,
            "api_key_id": None,
            "model": "dall-e-3",
        },
        {
            "object": "organization.usage.audio_speeches.result",
            "characters": 4200,
            "num_model_requests": 7,
            "project_id": None,
            "user_id": None,
            "api_key_id": None,
            "model": "tts-1",
        },
        {
            "object": "organization.usage.audio_transcriptions.result",
            "seconds": 95,
            "num_model_requests": 2,
            "project_id": None,
            "user_id": None,
            "api_key_id": None,
            "model": "whisper-1",
        },
    ]
    path = write_page(tmp_path / "mixed.json", openai_page([(NOV_1, NOV_1 + DAY, results)]))
    (result,) = ingest(home, path, "openai_usage")
    assert result.records_loaded == 7
    rows = lake_rows(home)
    assert [r["source_item"] for r in rows] == list(range(7))
    assert [r["service_tier"] for r in rows[:2]] == ["batch", "flex"]
    assert (
        rows[2]["line_item"],
        rows[2]["input_tokens"],
        rows[2]["output_tokens"],
        rows[2]["requests"],
    ) == ("embeddings", 16000, None, 4)
    assert [
        (r["line_item"], r["quantity"], r["quantity_unit"], r["requests"]) for r in rows[3:]
    ] == [
        ("images, size=1024x1024, source=image.generation", 3.0, "images", 3),
        ("images, size=512x512, source=image.generation", 2.0, "images", 2),
        ("audio_speeches", 4200.0, "characters", 7),
        ("audio_transcriptions", 95.0, "seconds", 2),
    ]
    # two image sizes in one bucket are two buckets, not a revision of one
    assert len({r["bucket_id"] for r in rows}) == 7


def test_openai_usage_paginated_days_one_page_per_line(home, tmp_path):
    """Two pages, one per line, over four days; an empty bucket (no usage that day) and an
    older-spec result without the cache breakdown fields."""
    page_1 = openai_page(
        [
            (
                NOV_1,
                NOV_1 + DAY,
                [
                    completions(
                        "gpt-4o-2024-08-06", 12_000, 4_000, 1_000, 900, 10, project_id="proj_web"
                    ),
                    completions(
                        "gpt-4o-mini-2024-07-18", 3_000, 0, 0, 250, 4, project_id="proj_web"
                    ),
                ],
            ),
            (
                NOV_1 + DAY,
                NOV_1 + 2 * DAY,
                [
                    completions(
                        "gpt-4o-2024-08-06", 7_000, 2_000, 0, 600, 6, project_id="proj_web"
                    ),
                    completions(
                        "gpt-4o-2024-08-06", 5_000, None, None, 400, 5, project_id="proj_batch"
                    ),
                    completions(
                        "gpt-4o-mini-2024-07-18", 1_000, 100, 0, 50, 1, project_id="proj_web"
                    ),
                ],
            ),
        ],
        has_more=True,
    )
    page_2 = openai_page(
        [
            (NOV_1 + 2 * DAY, NOV_1 + 3 * DAY, []),
            (
                NOV_1 + 3 * DAY,
                NOV_1 + 4 * DAY,
                [
                    completions(
                        "gpt-4o-2024-08-06", 20_000, 15_000, 2_500, 1_200, 12, project_id="proj_web"
                    ),
                ],
            ),
        ]
    )
    path = write_jsonl(tmp_path / "usage_pages.jsonl", [page_1, page_2])
    assert detect(path).source == "openai_usage"
    (result,) = ingest(home, path, "openai_usage")
    assert_balanced(result)
    assert (result.records_loaded, result.records_quarantined) == (6, 0)
    assert result.usage_dates == ["2026-11-01", "2026-11-02", "2026-11-04"]

    per_day = lake_query(
        home,
        """
        SELECT CAST(bucket_start AS DATE)::VARCHAR, sum(input_tokens),
               sum(cache_read_input_tokens), sum(cache_creation_input_tokens),
               sum(output_tokens), sum(requests), count(*)
        FROM buckets GROUP BY 1 ORDER BY 1""",
    )
    assert per_day == [
        ("2026-11-01", 15_000, 4_000, 1_000, 1_150, 14, 2),
        ("2026-11-02", 13_000, 2_100, 0, 1_050, 12, 3),
        ("2026-11-04", 20_000, 15_000, 2_500, 1_200, 12, 1),
    ]
    positions = [(r["source_line"], r["source_item"], r["project_id"]) for r in lake_rows(home)]
    assert positions == [
        (1, 0, "proj_web"),
        (1, 1, "proj_web"),
        (1, 2, "proj_web"),
        (1, 3, "proj_batch"),
        (1, 4, "proj_web"),
        (2, 0, "proj_web"),
    ]
    # the older-spec result has no breakdown: NULL, not 0, and input is not re-derived
    (old,) = lake_rows(home, "project_id = 'proj_batch'")
    assert old["cache_read_input_tokens"] is None
    assert old["cache_creation_input_tokens"] is None
    assert old["input_tokens"] == 5_000


# -- OpenAI costs -------------------------------------------------------------------------


def test_openai_costs_spec_examples(home, tmp_path):
    path = fixture_path(COSTS_EXAMPLE)
    assert detect(path).source == "openai_costs"
    (result,) = ingest(home, path, "openai_costs")
    assert result.records_loaded == 1
    (row,) = lake_rows(home)
    assert (row["kind"], row["provider"], row["billed_cost_usd"]) == ("cost", "openai", 0.06)
    assert (row["bucket_start"], row["bucket_end"], row["bucket_width"]) == (
        at(1730419200),
        at(1730505600),
        "1d",
    )
    for column in (
        "line_item",
        "project_id",
        "api_key_id",
        "model_raw",
        "token_type",
        "quantity",
        "quantity_unit",
        "input_tokens",
        "requests",
    ):
        assert row[column] is None, column

    bare = fixture_path(COSTS_GROUPED)
    assert detect(bare).source == "openai_costs"
    (result,) = ingest(home, bare, "openai_costs")
    assert (result.records_loaded, result.records_quarantined) == (0, 1)
    assert quarantine(home, bare)[0]["reason_code"] == "missing_field"

    wrapped = write_page(
        tmp_path / "grouped_costs.json",
        openai_page([(NOV_1, NOV_1 + DAY, [fixture_json(COSTS_GROUPED)])]),
    )
    (result,) = ingest(home, wrapped, "openai_costs")
    assert result.records_loaded == 1
    (row,) = lake_rows(home, "source_file = ?", [str(wrapped)])
    assert (row["line_item"], row["token_type"], row["model_raw"]) == (
        "input_tokens",
        "input",
        None,
    )
    assert (row["project_id"], row["quantity"], row["quantity_unit"]) == (
        "proj_abc",
        10000.0,
        "tokens",
    )
    assert row["billed_cost_usd"] == 0.06


def test_openai_costs_paginated_days_and_line_items(home, tmp_path):
    page_1 = openai_page(
        [
            (
                NOV_1,
                NOV_1 + DAY,
                [
                    cost(
                        1.25, "gpt-4o-2024-08-06, input", quantity=500_000, quantity_unit="tokens"
                    ),
                    cost(0.5, "gpt-4o-2024-08-06, output"),
                    cost(0.0625, "gpt-4o-2024-08-06, cached input"),
                ],
            ),
            (
                NOV_1 + DAY,
                NOV_1 + 2 * DAY,
                [
                    cost(2.5, "priority | gpt-5.4-2026-03-05, output, long context"),
                    cost(0.75, "gpt-audio-mini-2025-12-15 audio, input"),
                    cost(0.3, "web search tool calls"),
                ],
            ),
        ],
        has_more=True,
    )
    page_2 = openai_page(
        [
            (
                NOV_1 + 2 * DAY,
                NOV_1 + 3 * DAY,
                [
                    cost(4, "gpt-5-2025-08-07, cache writes"),
                    cost(1.1, "Vector storage", project_id=None),
                ],
            ),
        ]
    )
    path = write_jsonl(tmp_path / "cost_pages.jsonl", [page_1, page_2])
    assert detect(path).source == "openai_costs"
    (result,) = ingest(home, path, "openai_costs")
    assert_balanced(result)
    assert result.records_loaded == 8
    per_day = lake_query(
        home,
        """
        SELECT CAST(bucket_start AS DATE)::VARCHAR, round(sum(billed_cost_usd), 6), count(*)
        FROM buckets GROUP BY 1 ORDER BY 1""",
    )
    assert per_day == [("2026-11-01", 1.8125, 3), ("2026-11-02", 3.55, 3), ("2026-11-03", 5.1, 2)]
    parsed = [
        (r["model_raw"], r["token_type"], r["service_tier"], r["line_item"])
        for r in lake_rows(home)
    ]
    assert parsed == [
        ("gpt-4o-2024-08-06", "input", None, "gpt-4o-2024-08-06, input"),
        ("gpt-4o-2024-08-06", "output", None, "gpt-4o-2024-08-06, output"),
        ("gpt-4o-2024-08-06", "cache_read", None, "gpt-4o-2024-08-06, cached input"),
        (
            "gpt-5.4-2026-03-05",
            "output",
            "priority",
            "priority | gpt-5.4-2026-03-05, output, long context",
        ),
        ("gpt-audio-mini-2025-12-15", "input", None, "gpt-audio-mini-2025-12-15 audio, input"),
        (None, None, None, "web search tool calls"),
        ("gpt-5-2025-08-07", None, None, "gpt-5-2025-08-07, cache writes"),
        (None, None, None, "Vector storage"),
    ]
    (first,) = lake_rows(home, "source_item = 0 AND source_line = 1")
    assert (first["quantity"], first["quantity_unit"]) == (500_000.0, "tokens")


def test_openai_costs_dashboard_csv_export(home, tmp_path):
    path = tmp_path / "cost_export.csv"
    header = (
        "start_time,end_time,amount_value,amount_currency,line_item,project_id,"
        "organization_id,project_name,organization_name"
    )
    path.write_text(
        "\n".join(
            [
                header,
                f'{NOV_1},{NOV_1 + DAY},0.123456,usd,"gpt-4o-2024-08-06, input",proj_web,org_1,'
                "Web app,Acme",
                f'{NOV_1},{NOV_1 + DAY},1.5,usd,"gpt-4o-2024-08-06, output",proj_web,org_1,'
                "Web app,Acme",
                f"{NOV_1 + DAY},{NOV_1 + 2 * DAY},2,usd,web search tool calls,,org_1,,Acme",
            ]
        )
        + "\n"
    )
    assert detect(path).source == "openai_costs"
    (result,) = ingest(home, path, None)
    assert result.source == "openai_costs"
    assert result.records_loaded == 3
    rows = lake_rows(home)
    assert [(r["source_line"], r["source_item"]) for r in rows] == [(2, 0), (3, 0), (4, 0)]
    assert [r["billed_cost_usd"] for r in rows] == [0.123456, 1.5, 2.0]
    assert [(r["organization_id"], r["project_id"], r["project_name"]) for r in rows] == [
        ("org_1", "proj_web", "Web app"),
        ("org_1", "proj_web", "Web app"),
        ("org_1", None, None),
    ]
    assert [(r["model_raw"], r["token_type"]) for r in rows] == [
        ("gpt-4o-2024-08-06", "input"),
        ("gpt-4o-2024-08-06", "output"),
        (None, None),
    ]
    assert rows[0]["bucket_start"] == at(NOV_1) and rows[0]["bucket_width"] == "1d"


# -- Anthropic ----------------------------------------------------------------------------


def test_anthropic_uncached_input_excludes_cache_trap(home):
    """Documented example: uncached 1500 + cache reads 200 + 5m writes 500 + 1h writes 1000."""
    path = fixture_path(ANTHROPIC_USAGE_EXAMPLE)
    assert detect(path).source == "anthropic_usage"
    (result,) = ingest(home, path, "anthropic_usage")
    assert result.records_loaded == 1
    (row,) = lake_rows(home)
    assert row["input_tokens"] == 3200
    assert row["cache_read_input_tokens"] == 200
    assert row["cache_creation_input_tokens"] == 1500
    assert row["cache_creation_1h_input_tokens"] == 1000
    assert row["output_tokens"] == 500
    assert row["web_search_calls"] == 10
    assert row["requests"] is None  # the usage report has no request count
    assert (row["kind"], row["provider"], row["source"]) == (
        "usage",
        "anthropic",
        "anthropic_usage",
    )
    assert (row["bucket_start"], row["bucket_end"], row["bucket_width"]) == (
        datetime(2025, 8, 1, tzinfo=UTC),
        datetime(2025, 8, 2, tzinfo=UTC),
        "1d",
    )
    assert row["api_key_id"] == "apikey_01Rj2N8SVvo6BePZj99NhmiT"
    assert row["workspace_id"] == "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ"
    assert row["model_raw"] == "claude-sonnet-4-20250514"
    assert (row["service_tier"], row["context_window"]) == ("standard", "0-200k")
    assert row["line_item"] == "messages"


def test_anthropic_usage_paginated_days(home, tmp_path):
    page_1 = anthropic_page(
        [
            (
                day_iso(0),
                day_iso(1),
                [
                    claude_usage(
                        "claude-sonnet-4-20250514",
                        1_000,
                        5_000,
                        800,
                        0,
                        300,
                        2,
                        workspace_id="wrkspc_a",
                    ),
                    claude_usage(
                        "claude-haiku-4-5-20251001", 200, 0, 0, 400, 50, workspace_id="wrkspc_a"
                    ),
                ],
            ),
            (
                day_iso(1),
                day_iso(2),
                [
                    claude_usage(
                        "claude-sonnet-4-20250514", 3_000, 0, 0, 0, 700, 0, workspace_id=None
                    ),
                ],
            ),
        ],
        has_more=True,
    )
    page_2 = anthropic_page(
        [
            (day_iso(2), day_iso(3), []),
            (
                day_iso(3),
                day_iso(4),
                [
                    claude_usage(
                        "claude-opus-4-1-20250805",
                        10,
                        90_000,
                        1_000,
                        2_000,
                        1_500,
                        service_tier="batch",
                        context_window="200k-1M",
                    ),
                ],
            ),
        ]
    )
    path = write_jsonl(tmp_path / "claude_usage.jsonl", [page_1, page_2])
    assert detect(path).source == "anthropic_usage"
    (result,) = ingest(home, path, "anthropic_usage")
    assert_balanced(result)
    assert result.records_loaded == 4
    per_day = lake_query(
        home,
        """
        SELECT CAST(bucket_start AS DATE)::VARCHAR, sum(input_tokens),
               sum(cache_read_input_tokens), sum(cache_creation_input_tokens),
               sum(cache_creation_1h_input_tokens), sum(output_tokens), sum(web_search_calls)
        FROM buckets GROUP BY 1 ORDER BY 1""",
    )
    assert per_day == [
        ("2026-11-01", 6_800 + 600, 5_000, 1_200, 400, 350, 2),
        ("2026-11-02", 3_000, 0, 0, 0, 700, 0),
        ("2026-11-04", 93_010, 90_000, 3_000, 2_000, 1_500, 0),
    ]
    (opus,) = lake_rows(home, "model_raw = 'claude-opus-4-1-20250805'")
    assert (opus["service_tier"], opus["context_window"]) == ("batch", "200k-1M")
    assert (opus["source_line"], opus["source_item"]) == (2, 0)


def test_anthropic_cost_amount_is_cents_string_trap(home, tmp_path):
    """ "123.45" in the cost report is 123.45 CENTS = $1.2345, not $123.45."""
    page_1 = anthropic_page(
        [
            (
                day_iso(0),
                day_iso(1),
                [
                    claude_cost(
                        "123.45",
                        "uncached_input_tokens",
                        "Claude Sonnet 4 Usage - Input Tokens",
                        model="claude-sonnet-4-20250514",
                        service_tier="standard",
                        context_window="0-200k",
                        workspace_id="wrkspc_a",
                    ),
                    claude_cost(
                        "1000",
                        "output_tokens",
                        "Claude Sonnet 4 Usage - Output Tokens",
                        model="claude-sonnet-4-20250514",
                    ),
                    claude_cost("0.5", "cache_read_input_tokens", "Claude Sonnet 4 - Cache Read"),
                ],
            ),
            (
                day_iso(1),
                day_iso(2),
                [
                    claude_cost(
                        "250",
                        "cache_creation.ephemeral_5m_input_tokens",
                        "Claude Sonnet 4 - 5m Cache Write",
                    ),
                    claude_cost(
                        "400",
                        "cache_creation.ephemeral_1h_input_tokens",
                        "Claude Sonnet 4 - 1h Cache Write",
                    ),
                    {**claude_cost("1000", None, "Web search"), "cost_type": "web_search"},
                ],
            ),
        ],
        has_more=True,
    )
    page_2 = anthropic_page(
        [
            (
                day_iso(2),
                day_iso(3),
                [
                    {
                        "currency": "USD",
                        "amount": "99.999",
                        "workspace_id": None,
                        "description": None,
                        "cost_type": None,
                        "context_window": None,
                        "model": None,
                        "service_tier": None,
                        "token_type": None,
                    },
                ],
            ),
        ]
    )
    path = write_jsonl(tmp_path / "claude_costs.jsonl", [page_1, page_2])
    assert detect(path).source == "anthropic_costs"
    (result,) = ingest(home, path, "anthropic_costs")
    assert_balanced(result)
    assert result.records_loaded == 7
    rows = lake_rows(home)
    assert rows[0]["billed_cost_usd"] == 1.2345
    assert [r["billed_cost_usd"] for r in rows] == [1.2345, 10.0, 0.005, 2.5, 4.0, 10.0, 0.99999]
    assert [r["token_type"] for r in rows] == [
        "input",
        "output",
        "cache_read",
        "cache_write_5m",
        "cache_write_1h",
        None,
        None,
    ]
    assert [r["cost_type"] for r in rows[4:]] == ["tokens", "web_search", None]
    assert rows[0]["line_item"] == "Claude Sonnet 4 Usage - Input Tokens"
    assert (
        rows[0]["model_raw"],
        rows[0]["service_tier"],
        rows[0]["context_window"],
        rows[0]["workspace_id"],
    ) == ("claude-sonnet-4-20250514", "standard", "0-200k", "wrkspc_a")
    assert all((r["kind"], r["provider"]) == ("cost", "anthropic") for r in rows)
    per_day = lake_query(
        home,
        """
        SELECT CAST(bucket_start AS DATE)::VARCHAR, round(sum(billed_cost_usd), 6)
        FROM buckets GROUP BY 1 ORDER BY 1""",
    )
    assert per_day == [("2026-11-01", 11.2395), ("2026-11-02", 16.5), ("2026-11-03", 0.99999)]


# -- dedupe and revisions -----------------------------------------------------------------


def _two_day_usage_pages() -> tuple[dict, dict]:
    page_1 = openai_page(
        [
            (
                NOV_1,
                NOV_1 + DAY,
                [
                    completions(
                        "gpt-4o-2024-08-06", 12_000, 4_000, 1_000, 900, 10, project_id="proj_web"
                    ),
                    completions("gpt-4o-2024-08-06", 5_000, 0, 0, 400, 5, project_id="proj_batch"),
                ],
            )
        ],
        has_more=True,
    )
    page_2 = openai_page(
        [
            (
                NOV_1 + DAY,
                NOV_1 + 2 * DAY,
                [
                    completions(
                        "gpt-4o-2024-08-06", 7_000, 2_000, 0, 600, 6, project_id="proj_web"
                    ),
                ],
            )
        ]
    )
    return page_1, page_2


def test_same_page_in_two_files_is_a_duplicate(home, tmp_path):
    page_1, page_2 = _two_day_usage_pages()
    first = write_jsonl(tmp_path / "download_1.jsonl", [page_1, page_2])
    # a later download overlapping the first: page 2 again (pretty-printed), nothing new
    second = write_page(tmp_path / "download_2.json", page_2)
    (r1,) = ingest(home, first, "openai_usage")
    (r2,) = ingest(home, second, "openai_usage")
    assert (r1.records_loaded, r1.records_duplicate) == (3, 0)
    assert (r2.records_read, r2.records_loaded, r2.records_duplicate) == (1, 0, 1)
    assert_balanced(r2)
    (dup,) = quarantine(home, second)
    assert dup["reason_code"] == "duplicate"
    assert (dup["source_line"], dup["source_item"]) == (1, 0)
    (original,) = lake_rows(home, "source_line = 2")
    assert dup["request_id"] == original["bucket_version_id"]
    assert len(lake_rows(home)) == 3


def test_reexport_with_new_numbers_is_a_revision(home, tmp_path):
    page_1, page_2 = _two_day_usage_pages()
    first = write_jsonl(tmp_path / "download_1.jsonl", [page_1, page_2])
    revised = copy.deepcopy(page_2)
    revised["data"][0]["results"][0]["output_tokens"] = 650  # late-arriving usage
    revised["data"][0]["results"][0]["num_model_requests"] = 7
    second = write_page(tmp_path / "download_2.json", revised)
    ingest(home, first, "openai_usage")
    (result,) = ingest(home, second, "openai_usage")
    assert (result.records_loaded, result.records_duplicate) == (1, 0)
    versions = lake_rows(
        home, "CAST(bucket_start AS DATE) = DATE '2026-11-02'", order="ingested_at"
    )
    assert len(versions) == 2
    assert versions[0]["bucket_id"] == versions[1]["bucket_id"]
    assert versions[0]["bucket_version_id"] != versions[1]["bucket_version_id"]
    assert [v["output_tokens"] for v in versions] == [600, 650]


def test_same_cost_page_in_two_files_is_a_duplicate(home, tmp_path):
    page = anthropic_page(
        [
            (
                day_iso(0),
                day_iso(1),
                [
                    claude_cost(
                        "123.45", "uncached_input_tokens", "Claude Sonnet 4 Usage - Input Tokens"
                    ),
                ],
            )
        ]
    )
    first = write_jsonl(tmp_path / "a.jsonl", [page])
    second = write_page(tmp_path / "b.json", page)
    (r1,) = ingest(home, first, "anthropic_costs")
    (r2,) = ingest(home, second, "anthropic_costs")
    assert (r1.records_loaded, r2.records_loaded, r2.records_duplicate) == (1, 0, 1)


# -- bad input ----------------------------------------------------------------------------


def test_bad_openai_usage_is_quarantined_with_line_and_item(home, tmp_path):
    good = completions("gpt-4o-2024-08-06", 1_000, 0, 0, 100, 1)
    page_1 = openai_page(
        [
            (
                NOV_1,
                NOV_1 + DAY,
                [
                    good,
                    {**good, "input_tokens": "lots", "project_id": "p1"},
                    {**good, "output_tokens": -5, "project_id": "p2"},
                    {**good, "input_tokens": 12.5, "project_id": "p3"},
                ],
            )
        ]
    )
    page_2 = openai_page([(NOV_1 + DAY, NOV_1 + 2 * DAY, [good])])
    del page_2["data"][0]["start_time"]
    page_3 = openai_page([("yesterday", NOV_1 + 3 * DAY, [good])])
    path = write_jsonl(
        tmp_path / "bad_usage.jsonl",
        [
            page_1,
            page_2,
            page_3,
            {"object": "list", "data": "nope"},
            '{"object": "page", "da',
            openai_page([(NOV_1 + 4 * DAY, NOV_1 + 5 * DAY, [good, "not an object"])]),
        ],
    )
    (result,) = ingest(home, path, "openai_usage")
    assert_balanced(result)
    assert result.records_loaded == 2
    rejected = {
        (q["source_line"], q["source_item"]): (q["reason_code"], q["reason"])
        for q in quarantine(home, path)
    }
    assert rejected[(1, 1)][0] == "invalid_tokens" and '"lots"' in rejected[(1, 1)][1]
    assert rejected[(1, 2)][0] == "invalid_tokens" and "negative" in rejected[(1, 2)][1]
    assert rejected[(1, 3)][0] == "invalid_tokens" and "12.5" in rejected[(1, 3)][1]
    assert rejected[(2, 0)] == ("missing_field", "no bucket start time")
    assert rejected[(3, 0)][0] == "bad_timestamp" and "yesterday" in rejected[(3, 0)][1]
    assert rejected[(4, 0)][0] == "malformed_field"
    assert rejected[(5, None)][0] == "malformed_json"
    assert rejected[(6, 1)][0] == "malformed_field" and "not an object" in rejected[(6, 1)][1]
    assert len(rejected) == 8


def test_non_usd_costs_are_quarantined(home, tmp_path):
    page = openai_page(
        [
            (
                NOV_1,
                NOV_1 + DAY,
                [
                    cost(1.0, "gpt-4o-2024-08-06, input"),
                    cost(2.0, "gpt-4o-2024-08-06, output", currency="eur"),
                    cost("n/a", "gpt-4o-2024-08-06, cached input"),
                ],
            )
        ]
    )
    path = write_jsonl(tmp_path / "costs.jsonl", [page])
    (result,) = ingest(home, path, "openai_costs")
    assert (result.records_loaded, result.records_quarantined) == (1, 2)
    rejected = quarantine(home, path)
    assert [(q["source_line"], q["source_item"], q["reason_code"]) for q in rejected] == [
        (1, 1, "unsupported_currency"),
        (1, 2, "invalid_number"),
    ]
    assert "eur" in rejected[0]["reason"]

    claude = anthropic_page(
        [
            (
                day_iso(0),
                day_iso(1),
                [
                    claude_cost("10", "output_tokens", "Output", currency="EUR"),
                    claude_cost("ten", "output_tokens", "Output 2"),
                    claude_cost("10", "output_tokens", "Output 3"),
                ],
            )
        ]
    )
    claude_path = write_jsonl(tmp_path / "claude_costs.jsonl", [claude])
    (result,) = ingest(home, claude_path, "anthropic_costs")
    assert (result.records_loaded, result.records_quarantined) == (1, 2)
    assert [
        (q["source_line"], q["source_item"], q["reason_code"])
        for q in quarantine(home, claude_path)
    ] == [(1, 0, "unsupported_currency"), (1, 1, "invalid_number")]


def test_bad_anthropic_usage_is_quarantined(home, tmp_path):
    good = claude_usage("claude-sonnet-4-20250514", 100, 0, 0, 0, 10)
    bad_tokens = copy.deepcopy(good)
    bad_tokens["cache_creation"]["ephemeral_5m_input_tokens"] = "many"
    page_1 = anthropic_page([(day_iso(0), day_iso(1), [good, bad_tokens])])
    page_2 = anthropic_page([("2026-11-02T00:00:00", day_iso(2), [good])])
    page_3 = anthropic_page([(day_iso(2), day_iso(3), [good])])
    del page_3["data"][0]["starting_at"]
    path = write_jsonl(tmp_path / "claude_bad.jsonl", [page_1, page_2, page_3])
    (result,) = ingest(home, path, "anthropic_usage")
    assert_balanced(result)
    assert result.records_loaded == 1
    rejected = [
        (q["source_line"], q["source_item"], q["reason_code"]) for q in quarantine(home, path)
    ]
    assert rejected == [
        (1, 1, "invalid_tokens"),
        (2, 0, "naive_timestamp"),
        (3, 0, "missing_field"),
    ]


# -- detection ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "relative, source",
    [
        (USAGE_EXAMPLE, "openai_usage"),
        (USAGE_GROUPED, "openai_usage"),
        (COSTS_EXAMPLE, "openai_costs"),
        (COSTS_GROUPED, "openai_costs"),
        (ANTHROPIC_USAGE_EXAMPLE, "anthropic_usage"),
    ],
)
def test_other_sources_score_exports_low(relative, source):
    scores = score_sources(sample_records(fixture_path(relative)))
    assert scores[source] >= 0.75
    assert all(score <= 0.25 for name, score in scores.items() if name != source), scores


def test_exports_score_other_fixtures_zero():
    fixtures = [
        p
        for p in fixture_path("").rglob("*.json")
        if not p.name.startswith("org_") and "usage_report" not in p.name
    ]
    assert fixtures
    for path in fixtures:
        scores = score_sources(sample_records(path))
        assert all(scores[name] == 0 for name in EXPORT_SOURCES), (path.name, scores)
