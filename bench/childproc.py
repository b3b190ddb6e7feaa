"""Run one benchmark step in a fresh interpreter and measure it from outside (and the
small helpers the benchmark scripts share).

Each measured step runs as ``python <script> --child <step> <args...>`` and prints one JSON
object as its last stdout line (its own wall time, taken inside the child around the measured
call only). The parent adds the child's peak RSS and CPU seconds from ``os.wait4``.

Linux carries the parent's RSS high-water mark over fork+exec into the child's ru_maxrss, so
the parent must stay small: it only orchestrates, every heavy step (generation included) is a
child.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_child(script: Path, step: str, *args: str) -> dict:
    cmd = [sys.executable, str(script), "--child", step, *args]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, cwd=ROOT)
    stdout = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    outer = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"child {step} failed with exit code {proc.returncode}")
    result = json.loads(stdout.decode().strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # Linux: KiB
    result["outer_wall_seconds"] = outer
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime  # whole child, imports included
    result["loadavg_1m_after"] = os.getloadavg()[0]
    return result


def sql_path(path: Path) -> str:
    """A path as the body of a SQL string literal (COPY ... TO and table functions take no
    bound parameter for it)."""
    return str(path).replace("'", "''")


def warm(path: Path) -> None:
    """Read a file once so no measured step pays for the first read from disk."""
    with open(path, "rb") as handle:
        while handle.read(8 * 1024 * 1024):
            pass
