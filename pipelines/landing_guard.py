"""What ingest agrees to read from a landing folder.

Landing folders are written by other systems (log shippers, export jobs, colleagues), so what
they hold is not trusted:

- **Links out of the folder.** A symlink under the folder being ingested that resolves outside
  it (``landing/x.jsonl -> ~/.aws/credentials``), or a name whose resolved path escapes it
  (``..`` components), is refused with a reason: reading it would copy a file the operator
  never put there into the lake (quarantine keeps excerpts). Links that stay inside the folder
  are read as usual; directory links are not followed (their targets, when inside, are walked
  anyway). A file named directly on the command line is the operator's choice and is read.
- **Gzip bombs.** A ``.gz`` file may decompress to at most
  ``max(LLMCOST_MAX_DECOMPRESSED_BYTES (default 1 GiB), 100 x its compressed size)`` bytes;
  past that, reading raises ``OSError``, which ingest reports as a failed file while the rest
  of the batch loads.
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MAX_DECOMPRESSED_ENV = "LLMCOST_MAX_DECOMPRESSED_BYTES"
DEFAULT_MAX_DECOMPRESSED_BYTES = 1 << 30
MAX_DECOMPRESSION_RATIO = 100


class RefusedFile(ValueError):
    """A landing entry ingest will not read (ingest reports it as 'rejected')."""


@dataclass(frozen=True)
class Refused:
    """A landing entry found while walking a folder, refused with a reason."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return str(self.path)


def check(entry: Path | Refused) -> Path:
    """The path to read, or RefusedFile (a ValueError) for an entry expand_paths refused."""
    if isinstance(entry, Refused):
        raise RefusedFile(entry.reason)
    return entry


def _is_hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def walk(folder: Path) -> list[Path | Refused]:
    """Every non-hidden file under ``folder``, sorted, without following directory links;
    entries that resolve outside ``folder`` come back as Refused."""
    folder = Path(folder)
    root = folder.resolve()
    found: list[Path | Refused] = []
    for current, dirs, files in os.walk(folder, followlinks=False):
        here = Path(current)
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        names = list(files)
        # os.walk lists a symlink to a directory under dirs and does not descend into it.
        for name in list(dirs):
            if (here / name).is_symlink():
                dirs.remove(name)
                names.append(name)
        for name in names:
            path = here / name
            if _is_hidden(path.relative_to(folder)):
                continue
            refusal = outside(path, root)
            if refusal:
                found.append(Refused(path, refusal))
            elif path.is_file():
                found.append(path)
            # Links to directories inside the folder, sockets, fifos: nothing to read here.
    return sorted(found, key=lambda e: e.path if isinstance(e, Refused) else e)


def outside(path: Path, root: Path) -> str | None:
    """Why ``path`` may not be read as part of ``root`` (already resolved), or None."""
    try:
        target = path.resolve(strict=False)
    except (OSError, RuntimeError) as exc:  # a symlink loop
        return f"refused: cannot resolve {path}: {exc}"
    if target == root or root in target.parents:
        return None
    if path.is_symlink():
        return (f"refused: {path} is a symlink to {target}, outside {root}; ingest the "
                "target itself if it is meant to be read")
    return f"refused: {path} resolves to {target}, outside {root} (path traversal)"


def expand(paths: Iterable[Path]) -> list[Path | Refused]:
    """Files named directly (read as named), and the files under named folders (walked)."""
    found: list[Path | Refused] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found += walk(path)
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"no such file or directory: {path}")
    return found


# -- gzip ------------------------------------------------------------------------------------

def max_decompressed_bytes(compressed_bytes: int) -> int:
    """How far a .gz of this size may decompress. The floor comes from
    LLMCOST_MAX_DECOMPRESSED_BYTES (read here and nowhere else), default 1 GiB."""
    raw = os.environ.get(MAX_DECOMPRESSED_ENV, "").strip()
    floor = DEFAULT_MAX_DECOMPRESSED_BYTES
    if raw:
        try:
            floor = int(raw)
        except ValueError:
            raise ValueError(f"{MAX_DECOMPRESSED_ENV}={raw!r} is not a number of bytes") from None
    return max(floor, MAX_DECOMPRESSION_RATIO * compressed_bytes)


class _LimitedGzip(io.RawIOBase):
    def __init__(self, path: Path):
        self._path = path
        self._limit = max_decompressed_bytes(os.path.getsize(path))
        self._inner = gzip.open(path, "rb")
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self._inner.readinto(buffer)
        self._read += count
        if self._read > self._limit:
            raise OSError(
                f"{self._path} decompresses past {self._limit:,} bytes (a gzip bomb?): "
                f"refused; the limit is max({MAX_DECOMPRESSED_ENV}, "
                f"{MAX_DECOMPRESSION_RATIO} x the compressed size)")
        return count

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def open_gzip(path: Path) -> io.BufferedReader:
    """gzip.open(path, 'rb') that raises OSError once the output passes the limit."""
    return io.BufferedReader(_LimitedGzip(Path(path)), buffer_size=1 << 20)
