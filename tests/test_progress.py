"""Progress of long work: bars on a terminal, plain lines in logs and CI, through the same
`progress(message)` callable the pipeline has always taken.

Quirks protected: a log or CI capture must get plain lines on stderr (no cursor control codes,
nothing on stdout where the command's result goes); counts must be exact (files, records, marts,
stages) and time left computed from the rate so far; Dagster's `context.log.info` and a list's
`append` keep working as progress callbacks (no `update` method: nothing extra is called).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from conftest import envelope, recorded_bodies

from pipelines.ingest import ingest_paths
from pipelines.paths import Home
from pipelines.progress import LineProgress, TerminalProgress, advance
from pipelines.warehouse import MARTS, build

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class Recorder:
    def __init__(self):
        self.messages: list[str] = []
        self.steps: list[tuple] = []

    def __call__(self, message: str) -> None:
        self.messages.append(message)

    def update(self, task, completed, total, *, unit, records=None, status=""):
        self.steps.append((task, completed, total, unit, records))


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def landing(root: Path) -> Path:
    """Three real Anthropic responses in three files, and a file no source recognises."""
    folder = root / "in"
    folder.mkdir()
    bodies = recorded_bodies("anthropic/messages_cache_write_read_real_api.responses.json")
    for day in (1, 2, 3):
        records = [envelope(bodies[0], request_id=f"r{day}-{n}",
                            started_at=f"2026-11-0{day}T10:00:0{n}Z") for n in range(day)]
        (folder / f"capture_{day}.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in records))
    (folder / "notes.jsonl").write_text('{"hello": "world"}\n')
    return folder


def test_plain_lines_with_counts_rate_and_time_left():
    stream, clock = io.StringIO(), Clock(100.0)
    lines = LineProgress(stream, interval_s=5.0, clock=clock)
    lines("building requests")
    for now, done, records in ((100, 0, 0), (103, 1, 100), (106, 2, 200), (107, 3, 300),
                               (108, 4, 400)):
        clock.now = now
        lines.update("ingest", done, 4, unit="files", records=records)
    for now, done in ((110, 0), (112, 1), (130, 5)):
        clock.now = now
        lines.update("savings", done, 5, unit="stages")
    assert stream.getvalue().splitlines() == [
        "  building requests",
        "  progress: ingest: 2/4 files, 200 records (33/s), ~6s left, 6s elapsed",
        "  progress: ingest: 4/4 files, 400 records (50/s), 8s elapsed",
        "  progress: savings: 5/5 stages, 0.25 stages/s, 20s elapsed",
    ]


def test_a_plain_callable_still_works_and_gets_only_messages(tmp_path):
    messages: list[str] = []
    advance(messages.append, "ingest", 1, 2, unit="files")
    assert messages == []
    home = Home(tmp_path / "home")
    results = ingest_paths([landing(tmp_path)], home, progress=messages.append)
    assert [r.status for r in results] == ["loaded", "loaded", "loaded", "rejected"]
    assert messages[0] == f"[1/4] anthropic: {tmp_path / 'in' / 'capture_1.jsonl'}"


def test_ingest_and_build_count_files_records_and_marts(tmp_path):
    home = Home(tmp_path / "home")
    recorder = Recorder()
    ingest_paths([landing(tmp_path)], home, progress=recorder)
    assert recorder.steps == [
        ("ingest", 0, 4, "files", 0), ("ingest", 1, 4, "files", 1),
        ("ingest", 2, 4, "files", 3), ("ingest", 3, 4, "files", 6),
        ("ingest", 4, 4, "files", 6),  # the rejected file reads no record
    ]
    recorder.steps.clear()
    build(home, full=True, progress=recorder)
    assert recorder.steps == [("build", n, len(MARTS), "marts", None)
                              for n in range(1, len(MARTS) + 1)]


def test_terminal_bars_render_and_stop(tmp_path):
    stream = io.StringIO()
    bars = TerminalProgress(stream, force_terminal=True)
    bars("before any bar")
    for done in range(4):
        bars.update("ingest", done, 3, unit="files", records=10 * done)
    assert bars.bars is None  # stopped when the last task finished
    text = stream.getvalue()
    assert "before any bar" in text and "ingest" in text and "3/3" in text
    assert "30 rec" in text


def test_cli_in_a_pipe_prints_plain_lines_on_stderr_only(tmp_path):
    folder = landing(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "--home", str(tmp_path / "home"), "ingest",
         str(folder)], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 4  # the unrecognised file
    assert "  progress: ingest: 4/4 files, 6 records" in done.stderr
    assert "\x1b" not in done.stderr and "progress" not in done.stdout
