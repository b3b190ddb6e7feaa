"""Where llmcost keeps things: the project's own data folders and the user's data home."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SCHEMAS_DIR = PROJECT_ROOT / "schemas"
PRICING_DIR = PROJECT_ROOT / "pricing"
SQL_DIR = PROJECT_ROOT / "sql"
SOURCES_SQL_DIR = Path(__file__).resolve().parent / "sources"


@dataclass(frozen=True)
class Home:
    """The data home: ``$LLMCOST_HOME`` (default ``./data``).

    landing/ holds raw files, lake/ the canonical Parquet, warehouse.duckdb the marts,
    pricing/ the user's own price rows and imported price versions.
    """

    root: Path

    @classmethod
    def from_env(cls, override: str | os.PathLike | None = None) -> Home:
        raw = override if override is not None else os.environ.get("LLMCOST_HOME", "data")
        return cls(Path(raw).expanduser().resolve())

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def pricing(self) -> Path:
        return self.root / "pricing"

    @property
    def lock_file(self) -> Path:
        return self.root / ".llmcost.lock"

    def ensure(self) -> Home:
        for folder in (self.landing, self.lake, self.pricing):
            folder.mkdir(parents=True, exist_ok=True)
        return self
