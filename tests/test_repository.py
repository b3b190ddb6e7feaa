"""The repository holds source, small fixtures and data the project needs, never an environment or
a build output: once a whole virtual environment (8,763 files) was committed although
``.gitignore`` listed it. These checks make that fail loudly instead of coming back silently."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_TRACKED_BYTES = 5 * 1024 * 1024

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(),
    reason="not a git checkout (an sdist or a copied tree): nothing is tracked to check")


def _git(*args: str) -> list[str]:
    out = subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True,
                         text=True).stdout
    return [line for line in out.split("\0" if "-z" in args else "\n") if line]


def test_no_tracked_file_is_ignored():
    ignored = _git("ls-files", "-z", "--cached", "--ignored", "--exclude-standard")
    assert ignored == [], (
        f"{len(ignored)} tracked file(s) match .gitignore (e.g. {ignored[:5]}): "
        "`git rm -r --cached` them")


def test_no_tracked_file_is_larger_than_5_mb():
    too_big = []
    for name in _git("ls-files", "-z"):
        path = ROOT / name
        if path.is_file() and path.stat().st_size > MAX_TRACKED_BYTES:
            too_big.append(f"{name} ({path.stat().st_size / 1e6:.1f} MB)")
    assert too_big == [], (
        f"tracked files over 5 MB: {too_big}; generated data belongs in bench/out/ or data/, "
        "not in git")
