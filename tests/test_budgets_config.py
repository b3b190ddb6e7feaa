"""budgets.toml is validated as a whole: a typo in a key, a period or a zone stops the build
with the key and the reason, instead of a budget silently never firing (the gateway bug class
where a budget "does not reset" because its duration string was not understood)."""

from __future__ import annotations

import pytest

from pipelines.budgets import config as budgets_config
from pipelines.budgets.config import BudgetsConfigError

GOOD = """
timezone = "Europe/Paris"
week_start = "sunday"
[[budget]]
id = "org-monthly"
period = "month"
amount_usd = 20000
[[budget]]
id = "team-search"
scope = { team = "search" }
period = "quarter"
amount_usd = 3000
action = { production = "failover", default = "block" }
failover_model = "openai/gpt-4o-mini"
thresholds = [0.9, 0.5]
[anomalies]
min_impact_usd = 10
retry_min_calls = 20
"""


def test_a_good_file_loads(tmp_path):
    (tmp_path / "budgets.toml").write_text(GOOD)
    cfg = budgets_config.load(tmp_path)
    assert cfg.timezone == "Europe/Paris" and cfg.week_start == "sunday"
    assert [b.id for b in cfg.budgets] == ["org-monthly", "team-search"]
    search = cfg.budgets[1]
    assert search.scope == (("team", "search"),)
    assert search.actions == (("default", "block"), ("production", "failover"))
    assert search.thresholds == (0.5, 0.9)
    assert cfg.budgets[0].thresholds == (0.5, 0.8, 0.95, 1.0)
    assert cfg.anomalies.min_impact_usd == 10.0 and cfg.anomalies.retry_min_calls == 20
    assert budgets_config.load(tmp_path / "absent").budgets == ()


@pytest.mark.parametrize(("old", "new", "message"), [
    ('id = "org-monthly"\n', 'id = "org-monthly"\ncolour = "red"\n', "unknown key(s) colour"),
    ('period = "month"', 'period = "fortnight"', "period must be one of"),
    ('scope = { team = "search" }', 'scope = { squad = "search" }', "scope key 'squad'"),
    ("amount_usd = 20000", "amount_usd = -5", "amount_usd must be > 0"),
    ("thresholds = [0.9, 0.5]", "thresholds = [0.9, 80]", "thresholds are fractions"),
    ('timezone = "Europe/Paris"', 'timezone = "Mars/Olympus"', "not an IANA time zone"),
    ('week_start = "sunday"', 'week_start = "sun"', "week_start must be one of"),
    ('default = "block"', 'default = "deny"', "action must be one of"),
    ('failover_model = "openai/gpt-4o-mini"\n', "", "action failover needs failover_model"),
    ("retry_min_calls = 20", "retry_min_calls = 2.5", "retry_min_calls must be a whole"),
    ("[anomalies]", "[anomaly]", "unknown key(s) anomaly"),
    ('id = "team-search"', 'id = "org-monthly"', "used twice"),
])
def test_bad_files_name_the_key(tmp_path, old, new, message):
    assert old in GOOD
    (tmp_path / "budgets.toml").write_text(GOOD.replace(old, new, 1))
    with pytest.raises(BudgetsConfigError) as err:
        budgets_config.load(tmp_path)
    assert message in str(err.value) and str(tmp_path / "budgets.toml") in str(err.value)
