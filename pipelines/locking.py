"""One writer at a time: DuckDB allows a single read-write process per database file, and the
lake's commit protocol assumes no two ingests interleave. Every writing command holds this lock."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

WAIT_SECONDS_ENV = "LLMCOST_LOCK_WAIT_SECONDS"
DEFAULT_WAIT_SECONDS = 30.0


class WarehouseBusy(RuntimeError):
    pass


def default_wait_seconds() -> float:
    """How long a writer waits for the lock: ``$LLMCOST_LOCK_WAIT_SECONDS`` or 30 s."""
    raw = os.environ.get(WAIT_SECONDS_ENV, "").strip()
    if not raw:
        return DEFAULT_WAIT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{WAIT_SECONDS_ENV}={raw!r} is not a number of seconds") from None
    if value < 0:
        raise ValueError(f"{WAIT_SECONDS_ENV}={raw!r} must not be negative")
    return value


@contextmanager
def writer_lock(lock_file: Path, *, wait_seconds: float | None = None) -> Iterator[None]:
    """Hold the data home's writer lock (fcntl, released by the kernel when the process dies,
    even on SIGKILL); wait up to ``wait_seconds`` for it, then raise WarehouseBusy."""
    if wait_seconds is None:
        wait_seconds = default_wait_seconds()
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_file, "a+")
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise WarehouseBusy(
                        f"another llmcost run holds {lock_file} ({holder}); waited "
                        f"{wait_seconds:.0f}s. Try again when it finishes (or set "
                        f"{WAIT_SECONDS_ENV} to wait longer)."
                    ) from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        handle.close()
