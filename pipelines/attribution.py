"""Attribution rules: map api keys, projects, workspaces, users, models and tags to team,
feature and environment, for requests and usage buckets alike.

Provider exports know only keys, projects and workspaces, and many logs carry partial tags; a
rules file fills the gaps. It is a reviewed CSV kept with your configuration
(``$LLMCOST_HOME/attribution_rules.csv``, or the file named by ``LLMCOST_ATTRIBUTION_RULES``):

    priority,match_field,pattern,team,feature,environment,note
    10,project_id,proj_search*,search,,prod,search team's production project
    20,api_key_id,key_abc123,support,ticket-triage,,
    30,tag:app,billing-*,finance,invoices,,

``match_field`` is one of MATCH_FIELDS or ``tag:<key>``; ``pattern`` matches the whole value,
``*`` any run of characters, case-sensitive. For each of team / feature / environment the
lowest-priority matching rule that sets it wins. Values the log itself carries win over rules;
what no log value and no rule covers is reported as ``unattributed``.
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pipelines.paths import Home

MATCH_FIELDS = ("api_key_id", "api_key_hash", "project_id", "workspace_id", "user_id",
                "model", "provider", "source", "service_name")
COLUMNS = ["priority", "match_field", "pattern", "team", "feature", "environment", "note"]
RULE_SCHEMA = pa.schema([
    ("priority", pa.int64()), ("match_field", pa.string()), ("tag_key", pa.string()),
    ("pattern", pa.string()), ("like_pattern", pa.string()), ("team", pa.string()),
    ("feature", pa.string()), ("environment", pa.string()), ("rule_file", pa.string()),
    ("rule_line", pa.int64()),
])


class RulesFileError(ValueError):
    pass


@dataclass
class Rules:
    table: pa.Table
    fingerprint: str
    path: Path | None


def rules_path(home: Home) -> Path:
    override = os.environ.get("LLMCOST_ATTRIBUTION_RULES")
    return Path(override) if override else home.root / "attribution_rules.csv"


def _like(pattern: str) -> str:
    """Glob with * -> SQL LIKE with an escape character for literal % and _."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def load(home: Home) -> Rules:
    path = rules_path(home)
    if not path.exists():
        return Rules(RULE_SCHEMA.empty_table(), "no-rules", None)
    rows = []
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS[:6] if c not in (reader.fieldnames or [])]
        if missing:
            raise RulesFileError(f"{path}: missing columns {', '.join(missing)}")
        for line, raw in enumerate(reader, start=2):
            where = f"{path}:{line}"
            field = (raw["match_field"] or "").strip()
            tag_key = None
            if field.startswith("tag:") and len(field) > 4:
                tag_key, field = field[4:], "tag"
            elif field not in MATCH_FIELDS:
                raise RulesFileError(
                    f"{where}: match_field {field!r} is not one of {', '.join(MATCH_FIELDS)} "
                    "or tag:<key>")
            pattern = (raw["pattern"] or "").strip()
            if not pattern:
                raise RulesFileError(f"{where}: empty pattern")
            try:
                priority = int(raw["priority"])
            except (TypeError, ValueError):
                raise RulesFileError(
                    f"{where}: priority {raw['priority']!r} is not a number") from None
            targets = {k: (raw.get(k) or "").strip() or None
                       for k in ("team", "feature", "environment")}
            if not any(targets.values()):
                raise RulesFileError(f"{where}: the rule sets no team, feature or environment")
            rows.append({"priority": priority, "match_field": field, "tag_key": tag_key,
                         "pattern": pattern, "like_pattern": _like(pattern), **targets,
                         "rule_file": str(path), "rule_line": line})
    return Rules(pa.Table.from_pylist(rows, schema=RULE_SCHEMA),
                 hashlib.sha256(path.read_bytes()).hexdigest(), path)
