"""Selection can't silently shrink: unknown patterns and empty selections are usage errors, and
every report says how many checks were selected and ran (issue 13, section 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from linkready.checks import load_profile

from linkready.engine import decide, evaluate
from linkready.facts import Facts
from linkready.model import Status, Verdict
from linkready.policy import PolicyError, Profile
from tests.builders.manifest import not_asked
from tests.conftest import run_cli


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ('include = ["SQL-0O1"]', "'SQL-0O1' matches no check ID"),
        ('include = ["area:sqll"]', "'area:sqll' matches no area"),
        ('include = ["tag:no-such-tag"]', "'tag:no-such-tag' matches no tag"),
        ('exclude = ["CERT-9*"]', "exclude pattern 'CERT-9*' matches no check ID"),
        ('include = ["SQL-001"]\nexclude = ["SQL-*"]', "select no check"),
    ],
)
def test_bad_selection_is_a_one_line_usage_error(tmp_path: Path, body: str, named: str) -> None:
    profile = tmp_path / "typo.toml"
    profile.write_text(body + "\n")
    with pytest.raises(PolicyError, match=named.replace("*", r"\*")):
        load_profile(str(profile))
    result = run_cli("demo", "--profile", str(profile))
    assert result.returncode == 2, result.stderr
    assert named in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr and "Ready" not in result.stdout


def test_every_builtin_profile_selects_known_checks() -> None:
    from linkready.policy import builtin_profiles

    for name in builtin_profiles():
        load_profile(name)  # raises on a typo in a shipped profile


def test_zero_checks_run_is_never_ready() -> None:
    # Every selected check is not applicable (nothing asked for): nothing judged, nothing known.
    facts = not_asked(Facts(), "sql", "azure", "network", "target")
    profile = Profile("sql-only", include=("area:sql",))
    findings = evaluate(facts, profile)
    assert findings and {f.status for f in findings} == {Status.SKIP}
    assert decide(findings, profile) is Verdict.UNKNOWN


def test_reports_state_selected_and_ran(tmp_path: Path) -> None:
    result = run_cli("demo", "--format", "json", "-o", str(tmp_path))
    assert result.returncode in (0, 1, 3), result.stderr
    [out] = tmp_path.glob("*.json")
    data = json.loads(out.read_text())
    checks = data["checks"]
    assert checks["selected"] >= checks["ran"] > 0
    assert checks["ran"] == len({f["check_id"] for f in data["findings"] if f["status"] != "SKIP"
                                 and f["check_id"] != "WAIVER-001"})
    text = run_cli("demo").stdout
    assert f"{checks['selected']} checks selected, {checks['ran']} ran" in text
