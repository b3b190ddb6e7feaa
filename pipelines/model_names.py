"""Display names -> model ids (``pricing/model_display_names.csv``).

The Anthropic Console's cost export names models as people read them ("Claude Haiku 4.5"),
not by API id, and older models put the version first in the id ("Claude Haiku 3.5" is
``claude-3-5-haiku``), so no rule can derive one from the other: the mapping is reviewed data.
Its rows join the model aliases, so a display name resolves exactly like any other raw id.
"""

from __future__ import annotations

import csv
from pathlib import Path

COLUMNS = ("display_name", "provider", "model")


class DisplayNameError(ValueError):
    pass


def read_display_names(path: Path) -> list[dict]:
    """Alias rows (alias = the display name, lowercased) from the display-name file; a row
    without a name or a model stops the load, naming the line."""
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DisplayNameError(f"{path}: missing column(s) {', '.join(missing)}")
        for line, row in enumerate(reader, start=2):
            values = {c: (row[c] or "").strip() for c in COLUMNS}
            empty = [c for c in COLUMNS if not values[c]]
            if empty:
                raise DisplayNameError(f"{path}:{line}: {', '.join(empty)} is empty")
            rows.append({"alias": values["display_name"].lower(),
                         "provider": values["provider"], "model": values["model"].lower()})
    return rows
