"""Calibration of semantic-cache hit precision on labelled question pairs (QQP).

Real-world quirks these tests protect against:

* Logs carry no correctness labels, so the replay's precision is an estimate read from a shipped
  table; an embedder without one must say "unknown", never borrow another embedder's numbers
  (thresholds are not portable across embedders).
* QQP duplicates are transitive only through union-find: a~b and b~c make a hit of c on a
  correct although no pair says so; QQP also labels some pairs 0 that other pairs join.
* QQP repeats questions across pairs, and some queries are byte-identical to indexed questions:
  those are exact-cache hits, not semantic ones, and must not inflate the semantic numbers.
* The shipped table must be reproducible from the data set, bit for bit.
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import pytest

from pipelines.savings import calibration
from pipelines.savings import embedder as embedder_module
from pipelines.savings.calibration import (
    DEFAULT_THRESHOLDS,
    Calibration,
    CalibrationMissing,
    Pair,
    calibrate,
    duplicate_clusters,
    estimated_precision,
    load_calibration,
    load_pairs,
    roc_auc,
    write_calibration,
)
from pipelines.savings.embedder import (
    DEFAULT_EMBEDDER,
    Embedder,
    get_embedder,
    registered_embedders,
)

FIXTURE = Path(__file__).parent / "fixtures" / "qqp_sample" / "qqp_pairs_sample.jsonl"
QQP_DEV = Path(__file__).resolve().parents[2] / "shared/datasets/qqp/qqp_pairs_dev.jsonl.gz"
QQP_DEV_SHA256 = "41d941ef2ac96980e238d706d58e1e9bbf9e901796736d3a3c682616afba88f0"


@pytest.fixture(autouse=True, scope="module")
def private_home(tmp_path_factory):
    """wordllama's tokenizer copy goes to a temporary data home, not the user's cache."""
    with pytest.MonkeyPatch.context() as patch:
        home = tmp_path_factory.mktemp("home")
        patch.setenv("LLMCOST_HOME", str(home))
        yield home


class AngleEmbedder(Embedder):
    """Each text is a 2-d direction at a given angle, so every cosine is cos(angle difference)
    and the expected numbers can be worked out by hand."""

    name = "angles-2d"
    dim = 2

    def __init__(self, degrees: dict[str, float]):
        self.degrees = degrees

    def _embed_prepared(self, texts: list[str]) -> np.ndarray:
        radians = np.radians([self.degrees[text] for text in texts])
        return np.column_stack([np.cos(radians), np.sin(radians)])


# Indexed (text_a): A 0, B 40, C 90, E 250, D 150 degrees. Queries (text_b, once each):
#   A2 at 10  -> top-1 A, cos 10 = 0.9848, same cluster: correct
#   B2 at 58  -> top-1 B, cos 18 = 0.9511, correct
#   X  at 75  -> top-1 C, cos 15 = 0.9659, X has no duplicate: wrong (asked twice, counted once)
#   Y  at 310 -> top-1 A, cos 50 = 0.6428, below every threshold: miss
#   Z  at 144 -> top-1 D, cos 6  = 0.9945, correct only through Z~E, E~D (union-find)
#   A and E are byte-identical to indexed texts: exact queries, left out.
DEGREES = {"A": 0, "B": 40, "C": 90, "D": 150, "E": 250,
           "A2": 10, "B2": 58, "X": 75, "Y": 310, "Z": 144}
TINY = [
    Pair("A", "A2", 1),  # cos 0.9848
    Pair("B", "B2", 1),  # cos 0.9511
    Pair("C", "X", 0),   # cos 0.9659
    Pair("A", "Y", 0),   # cos 0.6428
    Pair("B", "A", 0),   # cos 0.7660
    Pair("E", "Z", 1),   # cos -0.2756
    Pair("D", "E", 1),   # cos -0.1736
    Pair("A", "X", 0),   # cos 0.2588
    Pair("D", "Z", 0),   # cos 0.9945, labelled 0 but D~E~Z joins them
]


def _row(result: Calibration, threshold: float) -> dict:
    return next(row for row in result.rows if row["threshold"] == threshold)


def test_union_find_joins_duplicates_transitively():
    pairs = [Pair("a", "b", 1), Pair("b", "c", 1), Pair("d", "e", 0), Pair("c", "f", 0)]
    assert duplicate_clusters(pairs) == {"a": 0, "b": 0, "c": 0, "d": 1, "e": 2, "f": 3}


def test_union_find_survives_a_long_chain():
    chain = [Pair(f"q{i}", f"q{i + 1}", 1) for i in range(20_000)]
    clusters = duplicate_clusters(chain)
    assert set(clusters.values()) == {0}
    assert len(clusters) == 20_001


def test_replay_on_hand_built_pairs():
    result = calibrate(AngleEmbedder(DEGREES), TINY)

    assert result.summary["indexed_texts"] == 5
    assert result.summary["distinct_queries"] == 7
    assert result.summary["exact_queries"] == 2
    assert result.summary["queries"] == 5
    assert result.summary["duplicate_clusters"] == 6
    assert result.summary["label0_pairs_in_one_cluster"] == 1
    assert [row["threshold"] for row in result.rows] == list(DEFAULT_THRESHOLDS)
    for threshold in (0.75, 0.80, 0.85, 0.88, 0.90, 0.92, 0.95):
        row = _row(result, threshold)
        assert (row["queries"], row["hits"], row["correct_hits"]) == (5, 4, 3), threshold
        assert (row["hit_rate"], row["hit_precision"], row["false_hit_rate"]) == (0.8, 0.75, 0.2)
        assert (row["answerable_queries"], row["answerable_hits"]) == (3, 3)
    assert (_row(result, 0.97)["hits"], _row(result, 0.97)["correct_hits"]) == (2, 2)
    assert (_row(result, 0.97)["hit_rate"], _row(result, 0.97)["hit_precision"]) == (0.4, 1.0)
    assert _row(result, 0.97)["false_hit_rate"] == 0.0
    assert (_row(result, 0.99)["hits"], _row(result, 0.99)["hit_rate"]) == (1, 0.2)


def test_pairwise_view_on_hand_built_pairs():
    result = calibrate(AngleEmbedder(DEGREES), TINY)

    # 4 positives, 5 negatives; positives above negatives: 0.9848 beats 4, 0.9511 beats 3.
    assert result.summary["roc_auc"] == 0.35
    assert (_row(result, 0.75)["pair_precision"], _row(result, 0.75)["pair_recall"]) == (0.4, 0.5)
    assert (_row(result, 0.90)["pair_precision"], _row(result, 0.90)["pair_recall"]) == (0.5, 0.5)
    assert (_row(result, 0.97)["pair_precision"], _row(result, 0.97)["pair_recall"]) == (0.5, 0.25)
    assert (_row(result, 0.99)["pair_precision"], _row(result, 0.99)["pair_recall"]) == (0.0, 0.0)


def test_threshold_grid_is_a_parameter():
    result = calibrate(AngleEmbedder(DEGREES), TINY, thresholds=[0.9, 0.5])

    assert [row["threshold"] for row in result.rows] == [0.5, 0.9]
    low = result.rows[0]
    assert (low["hits"], low["correct_hits"], low["hit_precision"]) == (5, 3, 0.6)
    assert low["false_hit_rate"] == 0.4
    with pytest.raises(ValueError):
        calibrate(AngleEmbedder(DEGREES), TINY, thresholds=[1.5])


def test_roc_auc_counts_ties_as_half():
    assert roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])) == 0.75
    assert roc_auc(np.array([0.5, 0.5]), np.array([0, 1])) == 0.5
    assert roc_auc(np.array([0.2, 0.5, 0.5, 0.9]), np.array([0, 0, 1, 1])) == 0.875
    with pytest.raises(ValueError):
        roc_auc(np.array([0.1, 0.2]), np.array([1, 1]))


def test_load_pairs_reads_gzip_and_plain_and_rejects_bad_labels(tmp_path):
    lines = [{"text_a": "a?", "text_b": "b?", "label": 1}, {"text_a": "c", "text_b": "d",
                                                            "label": 0}]
    body = "\n".join(json.dumps(line) for line in lines) + "\n\n"
    (tmp_path / "pairs.jsonl").write_text(body)
    with gzip.open(tmp_path / "pairs.jsonl.gz", "wt") as handle:
        handle.write(body)
    (tmp_path / "bad.jsonl").write_text(body + json.dumps({**lines[0], "label": 2}) + "\n")

    expected = [Pair("a?", "b?", 1), Pair("c", "d", 0)]
    assert load_pairs(tmp_path / "pairs.jsonl") == expected
    assert load_pairs(tmp_path / "pairs.jsonl.gz") == expected
    with pytest.raises(ValueError, match="bad.jsonl:4"):
        load_pairs(tmp_path / "bad.jsonl")


def test_written_calibration_reads_back_equal(tmp_path):
    result = calibrate(AngleEmbedder(DEGREES), TINY, dataset="tiny")
    write_calibration(result, tmp_path / "angles-2d.csv", {"source_sha256": "abc"})

    loaded = load_calibration("angles-2d", directory=tmp_path)

    assert loaded.rows == result.rows
    assert (loaded.embedder, loaded.dataset) == ("angles-2d", "tiny")
    assert loaded.summary["roc_auc"] == 0.35
    assert loaded.summary["provenance"] == {"source_sha256": "abc"}
    assert loaded.summary["created_at"].endswith("Z")


def test_missing_calibration_is_an_error_not_a_guess(tmp_path):
    with pytest.raises(CalibrationMissing, match="unknown") as error:
        load_calibration("text-embedding-3-small")
    assert "text-embedding-3-small" in str(error.value)
    assert isinstance(error.value, FileNotFoundError)


def _grid(*points: tuple[float, float | None]) -> Calibration:
    return Calibration("e", "d", tuple({"threshold": t, "hit_precision": p} for t, p in points), {})


def test_estimated_precision_interpolates_inside_the_grid_only():
    grid = _grid((0.80, 0.6), (0.90, 0.8), (0.95, None))

    assert estimated_precision(grid, 0.85) == pytest.approx(0.7)
    assert estimated_precision(grid, 0.875) == pytest.approx(0.75)
    assert estimated_precision(grid, 0.80) == 0.6
    assert estimated_precision(grid, 0.90) == 0.8
    assert estimated_precision(grid, 0.79) is None  # below the grid: not extrapolated
    assert estimated_precision(grid, 0.96) is None  # above the grid
    assert estimated_precision(grid, 0.92) is None  # 0.95 had no hits


@pytest.mark.parametrize("name", registered_embedders())
def test_every_registered_embedder_ships_a_calibration(name):
    shipped = load_calibration(name)

    assert shipped.dataset == "qqp_pairs_dev"
    assert [row["threshold"] for row in shipped.rows] == list(DEFAULT_THRESHOLDS)
    assert shipped.summary["provenance"]["source_sha256"] == QQP_DEV_SHA256
    assert shipped.summary["queries"] == 35_490
    assert shipped.summary["exact_queries"] == 2_146
    hits = [row["hits"] for row in shipped.rows]
    assert hits == sorted(hits, reverse=True)  # a stricter threshold never adds hits
    for row in shipped.rows:
        assert row["hit_rate"] == round(row["hits"] / row["queries"], 6)
        if row["hits"]:
            assert row["hit_precision"] == round(row["correct_hits"] / row["hits"], 6)
        assert row["correct_hits"] <= row["answerable_hits"] <= row["hits"]


def test_fixture_calibration_is_reproducible():
    pairs = load_pairs(FIXTURE)
    embedder = get_embedder(DEFAULT_EMBEDDER)

    first = calibrate(embedder, pairs, dataset="qqp_sample")
    embedder_module._load_wordllama.cache_clear()  # the second run loads the model afresh
    second = calibrate(get_embedder(DEFAULT_EMBEDDER), list(pairs), dataset="qqp_sample")

    assert (len(pairs), sum(pair.label for pair in pairs)) == (300, 115)
    assert first.rows == second.rows
    assert first.summary == second.summary
    assert first.summary["pairs_sha256"] == calibration.pairs_sha256(load_pairs(FIXTURE))
    assert 0.5 < first.summary["roc_auc"] < 1.0
    assert not math.isnan(first.rows[0]["hit_rate"])


@pytest.mark.slow
@pytest.mark.skipif(not QQP_DEV.exists(), reason=f"QQP dev pairs not present at {QQP_DEV}")
def test_full_calibration_reproduces_the_shipped_table():
    pairs = load_pairs(QQP_DEV)
    recomputed = calibrate(get_embedder(DEFAULT_EMBEDDER), pairs, dataset="qqp_pairs_dev")
    shipped = load_calibration(DEFAULT_EMBEDDER)

    assert recomputed.rows == shipped.rows
    for key, value in recomputed.summary.items():
        assert shipped.summary[key] == value, key
