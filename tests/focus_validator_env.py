"""The FinOps Foundation's focus-validator, in its own venv (it needs Python >= 3.12; the project
runs on 3.11), created on first use under the gitignored ``.venv-focus/`` and kept.

Known quirks handled here: focus-validator 2.2.1 pins ``numpy<2`` but not pyarrow, whose newer
wheels need NumPy 2 (so ``pyarrow<21`` is pinned beside it); it opens its currency table by a
path relative to the working directory (so it runs from its package directory); it exits 0 even
when checks fail (so the JUnit XML it writes is read); and its rules file lists both halves of
an either-or rule as separate checks (InvoiceId-C-003-C: null when no invoice, C-004, OR not
null when one, C-005), so a check whose OR parent passed is not a failure.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv-focus"
REQUIREMENTS = ["focus-validator==2.2.1", "pyarrow<21"]
CRITERIA = ("USAGE_MEASUREMENT_SUPPORTED,UNIT_PRICING_SUPPORTED,PUBLIC_PRICE_LIST_SUPPORTED,"
            "SUB_ACCOUNT_SUPPORTED,TAGGING_SUPPORTED")


class ValidatorUnavailable(RuntimeError):
    pass


def _python312() -> str | None:
    """A working Python >= 3.12: the pyenv installs, then PATH (pyenv shims of a version that
    is not selected fail to run, so each candidate is tried)."""
    pyenv = Path.home() / ".pyenv" / "versions"
    candidates = [str(version / "bin" / "python3")
                  for version in sorted(pyenv.glob("3.1[2-9]*"), reverse=True)]
    candidates += [found for name in ("python3.13", "python3.12") if (found := shutil.which(name))]
    for candidate in candidates:
        probe = subprocess.run([candidate, "-c", "import sys; assert sys.version_info >= (3, 12)"],
                               capture_output=True)
        if probe.returncode == 0:
            return candidate
    return None


def _validator_ok() -> bool:
    python = VENV / "bin" / "python"
    return python.exists() and subprocess.run(
        [str(python), "-c", "import focus_validator"], capture_output=True).returncode == 0


def ensure_venv() -> Path:
    """The venv's directory; created (python3.12 -m venv, pip install) unless it works."""
    if _validator_ok():
        return VENV
    python = _python312()
    if python is None:
        raise ValidatorUnavailable("no Python >= 3.12 found (PATH or ~/.pyenv/versions): "
                                   "focus-validator 2.2 needs it")
    shutil.rmtree(VENV, ignore_errors=True)
    steps = [[python, "-m", "venv", str(VENV)],
             [str(VENV / "bin" / "pip"), "install", "--quiet", *REQUIREMENTS]]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            shutil.rmtree(VENV, ignore_errors=True)
            raise ValidatorUnavailable(f"could not create {VENV} ({' '.join(step[:3])}...): "
                                       + (done.stderr.strip().splitlines() or ["?"])[-1])
    return VENV


@dataclass(frozen=True)
class Validation:
    checks: int
    skipped: int
    failed: list[str]          # failed rules (an OR alternative whose parent passed excluded)
    raw_failed: list[str]      # every <failure>/<error> in the JUnit XML


def validate(data_file: Path, workdir: Path) -> Validation:
    venv = ensure_venv()
    package_dir = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import focus_validator, os; print(os.path.dirname(os.path.dirname("
         "focus_validator.__file__)))"], capture_output=True, text=True, check=True).stdout.strip()
    xml_path = workdir / "focus-validator.xml"
    subprocess.run(
        [str(venv / "bin" / "focus-validator"), "--data-file", str(data_file.resolve()),
         "--validate-version", "1.2", "--block-download", "--applicability-criteria", CRITERIA,
         "--output-type", "unittest", "--output-destination", str(xml_path)],
        cwd=package_dir, capture_output=True, text=True, check=True, timeout=300)
    root = ET.parse(xml_path).getroot()
    raw_failed = [case.get("name", "").split(" ")[0] for case in root.iter("testcase")
                  if case.find("failure") is not None or case.find("error") is not None]
    alternatives = _or_alternatives(Path(package_dir))
    failed = [rule for rule in raw_failed
              if not (rule in alternatives and alternatives[rule] not in raw_failed)]
    return Validation(int(root.get("tests", 0)), int(root.get("skipped", 0)), failed, raw_failed)


def _or_alternatives(package_dir: Path) -> dict[str, str]:
    """Rule id -> the OR rule it is one alternative of (from the validator's own model)."""
    model = json.loads(next((package_dir / "focus_validator" / "rules").glob(
        "model-1.2*.json")).read_text())
    found: dict[str, str] = {}

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, dict) and "ValidationCriteria" in value:
                    requirement = value["ValidationCriteria"].get("Requirement") or {}
                    if requirement.get("CheckFunction") == "OR":
                        for item in requirement.get("Items", []):
                            if item.get("CheckFunction") == "CheckModelRule":
                                found[item["ModelRuleId"]] = key
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(model)
    return found
