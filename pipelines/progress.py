"""Progress of long work (`ingest` of many files, `build` of many days, `savings` stages).

The pipeline reports through one interface, a `progress(message)` callable (Dagster passes
`context.log.info`, tests a list's `append`). A reporter may also have an
`update(task, completed, total, ...)` method: `advance()` calls it when present, so the same
call sites feed both a plain log and a live bar.

- On a terminal (stderr is a TTY): rich progress bars per task (files, marts, stages) with
  records, rate, elapsed and time left; free-text messages show as the bar's status.
- Anywhere else (logs, CI, cron mail, pipes): plain lines on stderr, never stdout (stdout is
  the command's result), and never control characters. A task's counts come as a line at most
  every `interval_s` seconds and once when it completes.
"""

from __future__ import annotations

import atexit
import sys
import time
from collections.abc import Callable
from typing import TextIO

Progress = Callable[[str], None]


def advance(progress: Progress | None, task: str, completed: int, total: int, *, unit: str,
            records: int | None = None, status: str = "") -> None:
    """A counted step of `task` (e.g. 12 of 160 files, 48,000 records so far)."""
    update = getattr(progress, "update", None)
    if callable(update):
        update(task, completed, total, unit=unit, records=records, status=status)


def _duration(seconds: float) -> str:
    seconds = max(int(round(seconds)), 0)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class _Counter:
    def __init__(self, now: float):
        self.started = now
        self.completed = 0
        self.total = 0
        self.records: int | None = None
        self.printed_at = now

    def line(self, task: str, unit: str, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        parts = [f"{self.completed:,}/{self.total:,} {unit}"]
        measured = elapsed >= 0.5  # a rate over less than half a second says nothing
        if self.records is not None:
            parts.append(f"{self.records:,} records"
                         + (f" ({self.records / elapsed:,.0f}/s)" if measured else ""))
        elif measured:
            parts.append(f"{self.completed / elapsed:,.2f} {unit}/s")
        if 0 < self.completed < self.total:
            parts.append(f"~{_duration(elapsed * (self.total - self.completed) / self.completed)}"
                         " left")
        parts.append(f"{_duration(elapsed)} elapsed")
        return f"  progress: {task}: " + ", ".join(parts)


class LineProgress:
    """Plain lines for logs and CI."""

    def __init__(self, stream: TextIO | None = None, interval_s: float = 5.0,
                 clock: Callable[[], float] = time.monotonic):
        self.stream = stream
        self.interval_s = interval_s
        self.clock = clock
        self.counters: dict[str, _Counter] = {}

    def _write(self, text: str) -> None:
        print(text, file=self.stream or sys.stderr, flush=True)

    def __call__(self, message: str) -> None:
        self._write(f"  {message}")

    def update(self, task: str, completed: int, total: int, *, unit: str,
               records: int | None = None, status: str = "") -> None:
        if total <= 0:
            return
        now = self.clock()
        counter = self.counters.get(task)
        if counter is None or completed < counter.completed:
            counter = self.counters[task] = _Counter(now)
        counter.completed, counter.total, counter.records = completed, total, records
        done = completed >= total
        if done or now - counter.printed_at >= self.interval_s:
            counter.printed_at = now
            self._write(counter.line(task, unit, now))
        if done:
            del self.counters[task]


class TerminalProgress:
    """rich bars on stderr; started on the first counted step, stopped when no task is left
    running so the command's own output (stdout, same terminal) never interleaves with them."""

    def __init__(self, stream: TextIO | None = None, force_terminal: bool | None = None):
        from rich.console import Console

        self.console = Console(file=stream or sys.stderr, stderr=stream is None,
                               force_terminal=force_terminal)
        self.bars = None
        self.tasks: dict[str, int] = {}
        self.started: dict[str, float] = {}
        self.last_task: str | None = None
        atexit.register(self.stop)

    def _bars(self):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        if self.bars is None:
            self.bars = Progress(
                TextColumn("[bold]{task.description:<9}"), BarColumn(bar_width=20),
                MofNCompleteColumn(), TextColumn("{task.fields[unit]}"),
                TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                TextColumn("left"), TimeRemainingColumn(),
                TextColumn("[dim]{task.fields[status]}"),
                console=self.console, redirect_stdout=False, redirect_stderr=False)
            self.bars.start()
        return self.bars

    def __call__(self, message: str) -> None:
        if self.bars is not None and self.last_task in self.tasks:
            self.bars.update(self.tasks[self.last_task], status=message[-40:])
        else:
            self.console.print(f"  {message}", style="dim", highlight=False)

    def update(self, task: str, completed: int, total: int, *, unit: str,
               records: int | None = None, status: str = "") -> None:
        if total <= 0:
            return
        bars = self._bars()
        now = time.monotonic()
        if task not in self.tasks:
            self.tasks[task] = bars.add_task(task, total=total, unit=unit, rate="", status="")
            self.started[task] = now
        elapsed = max(now - self.started[task], 1e-9)
        rate = (f"{records:,} rec ({records / elapsed:,.0f}/s)" if records is not None
                else f"{completed / elapsed:,.1f}/s")
        bars.update(self.tasks[task], completed=completed, total=total, rate=rate,
                    status=status[-40:])
        self.last_task = task
        if completed >= total:
            bars.stop_task(self.tasks[task])
            if all(bars.tasks[i].finished for i in self.tasks.values()):
                self.stop()

    def stop(self) -> None:
        if self.bars is not None:
            self.bars.stop()
            self.bars = None
            self.tasks.clear()


def for_stderr() -> LineProgress | TerminalProgress:
    """Bars when a person watches (stderr is a terminal and TERM is not dumb), lines otherwise."""
    import os

    interactive = sys.stderr.isatty() and os.environ.get("TERM", "") != "dumb"
    return TerminalProgress() if interactive else LineProgress()
