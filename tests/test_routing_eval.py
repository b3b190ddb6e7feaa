"""RouteLLM's router metrics, reimplemented: exact answers on hand-built curves and a
10-prompt fixture, and RouteLLM's own MMLU numbers when the dataset is next to the repository.

What the upstream code does and the reimplementation must match: the threshold sweep takes the
score's deciles (pd.qcut edges, duplicates included), ``>=`` goes strong except at the last
edge (strictly ``>``, so the sweep reaches 0 % strong); APGR is trapezoid area over strong
share normalised by the weak and strong areas; CPT is np.interp of the target accuracy over the
curve; the oracle may exceed the strong model (PGR > 1) because it only calls the strong model
where the weak one is wrong; MMLU drops RouteLLM's contaminated prompts (14,042 -> 14,037).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipelines import cli
from pipelines.routing import evaluate, metrics

FIXTURES = Path(__file__).parent / "fixtures" / "routing"
TEN = str(FIXTURES / "ten_prompts.csv")
ROOT = Path(__file__).resolve().parent.parent
MMLU = next((p for p in (ROOT.parent / "shared" / "datasets" / "routellm_mmlu",
                         Path("/work/shared/datasets/routellm_mmlu")) if p.exists()), None)


def test_three_point_curve_apgr_and_cpt():
    result = metrics.summarise([(0.0, 0.60), (0.5, 0.75), (1.0, 0.80)], 0.60, 0.80)
    assert result.apgr == pytest.approx(0.625)
    assert result.cpt50 == pytest.approx(1 / 3)
    assert result.cpt80 == pytest.approx(0.60)


def test_linear_curve_is_apgr_one_half():
    assert metrics.summarise([(0.0, 0.6), (1.0, 0.8)], 0.6, 0.8).apgr == pytest.approx(0.5)


def test_oracle_recovers_more_than_the_gap():
    # Weak right on 6 of 10, strong on 8, only the strong one on 3.
    weak = np.array([1, 1, 1, 1, 1, 1, 0, 0, 0, 0], bool)
    strong = np.array([1, 1, 1, 1, 1, 0, 1, 1, 1, 0], bool)
    points = dict(metrics.oracle_points(weak, strong))
    assert points[0.1] == pytest.approx(0.7)
    assert metrics.pgr(points[0.1], 0.6, 0.8) == pytest.approx(0.5)
    assert points[0.3] == points[1.0] == pytest.approx(0.9)
    assert metrics.pgr(points[0.3], 0.6, 0.8) == pytest.approx(1.5)


def test_sweep_edges_last_is_strict_and_ties_do_not_fail():
    weak = np.array([1, 1, 1, 1, 1, 1, 0, 0, 0, 0], bool)
    strong = np.array([1, 1, 1, 1, 1, 0, 1, 1, 1, 0], bool)
    points = metrics.sweep(np.arange(10.0), weak, strong)
    assert [round(s, 1) for s, _ in points] == [round(i / 10, 1) for i in range(11)]
    # Scores rise with the prompt's position: the top k go strong.
    assert points[0] == (0.0, 0.6) and points[-1] == (1.0, 0.8)
    assert points[4][1] == pytest.approx(0.9)  # top 4 (6..9) strong: +3 right, -0
    # A discrete score (all equal) gives equal edges: qcut would raise, the sweep does not.
    flat = metrics.sweep(np.zeros(10), weak, strong)
    assert flat[0] == (0.0, 0.6) and flat[-1] == (1.0, 0.8)


def test_eval_cli_json_on_the_fixture(capsys):
    assert cli.main(["routing", "eval", TEN, "--weak", "weak", "--strong", "strong",
                     "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"n", "weak_accuracy", "strong_accuracy", "default_scorer", "routers"}
    assert (out["n"], out["weak_accuracy"], out["strong_accuracy"]) == (10, 0.6, 0.8)
    assert out["default_scorer"] == "heuristic_v1"
    assert set(out["routers"]) == {"random", "oracle", "heuristic_v1"}
    oracle = out["routers"]["oracle"]
    assert oracle["apgr"] == pytest.approx(1.275)
    assert oracle["points"][1] == pytest.approx([0.1, 0.7])
    assert set(oracle) == {"apgr", "cpt50", "cpt80", "points"}


def test_exclude_file_drops_prompts_and_bad_input_is_named(tmp_path, capsys):
    data = evaluate.read_labelled(TEN, "weak", "strong", str(FIXTURES / "exclude.jsonl"))
    assert (len(data.prompts), data.excluded) == (9, 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("prompt,weak,strong\nq,maybe,True\n")
    assert cli.main(["routing", "eval", str(bad), "--weak", "weak", "--strong", "strong"]) == 1
    assert "'maybe' is not a boolean" in capsys.readouterr().err
    assert cli.main(["routing", "eval", TEN, "--weak", "nope", "--strong", "strong"]) == 1
    assert "no column 'nope'" in capsys.readouterr().err


@pytest.mark.skipif(MMLU is None, reason="RouteLLM MMLU labels not next to the repository")
def test_reproduces_routellm_mmlu(capsys):
    assert cli.main(["routing", "eval", str(MMLU / "responses"),
                     "--weak", "mistralai/Mixtral-8x7B-Instruct-v0.1",
                     "--strong", "gpt-4-1106-preview",
                     "--exclude", str(MMLU / "contaminated_prompts.jsonl"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n"] == 14037
    assert round(out["weak_accuracy"] * 100, 2) == 68.09
    assert round(out["strong_accuracy"] * 100, 2) == 80.59
    routers = out["routers"]
    assert routers["oracle"]["apgr"] == pytest.approx(1.29, abs=0.005)
    assert routers["oracle"]["cpt50"] == pytest.approx(0.0625, abs=1e-4)
    assert routers["random"]["apgr"] == pytest.approx(0.50, abs=0.02)
    # The shipped scorer was not fitted to MMLU: it must still beat random routing.
    assert routers["heuristic_v1"]["apgr"] == pytest.approx(0.5751, abs=1e-3)
    assert routers["heuristic_v1"]["apgr"] > routers["random"]["apgr"] + 0.05
