"""Where llmcost keeps things: the project's own data folders and the user's data home."""

from __future__ import annotations

import os
import secrets
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

    def key_salt(self) -> str:
        """The salt of every stored API-key hash: LLMCOST_KEY_SALT, or a random one kept in the
        data home (created on first use, readable by its owner only). Keep it: a new salt gives
        the same keys new hashes."""
        configured = os.environ.get("LLMCOST_KEY_SALT")
        if configured:
            return configured
        path = self.root / ".llmcost_key_salt"
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        return path.read_text().strip()

    def ensure(self) -> Home:
        for folder in (self.landing, self.lake, self.pricing):
            folder.mkdir(parents=True, exist_ok=True)
        return self
