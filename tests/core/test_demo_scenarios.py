"""`linkready demo --scenario`: the bundled scenarios judge what the museum's plan cannot show.

The museum plans two single-database links from SQL Server 2019 with no failback, so the
multiple-database checks and SVC-008's judgement of the instance's TDE for data flowing back to
SQL Server have nothing to judge there; the multidb scenario is made for them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, run_cli

#: What the multidb scenario must show: each check judged (not skipped), with the verdict its facts call for.
MULTIDB = {
    "SVC-020": {"PASS"},   # the plan lists every database of the availability group
    "SVC-024": {"PASS"},   # AG_Collections is not a contained availability group
    "SVC-025": {"FAIL"},   # the partner endpoint names the primary replica, not the listener
    "SVC-008": {"WARN"},   # service-managed TDE on the instance, failback planned
    "SQL-008": {"FAIL"},   # sys.sp_multidb_milink does not exist before CU27
    "SQL-002": {"FAIL"},   # CU26 is below the mode's CU27 minimum
}


def statuses(tmp_path: Path, *args: str) -> dict[str, set[str]]:
    done = run_cli("demo", *args, "--format", "json", "-o", str(tmp_path), "-q")
    assert done.returncode == 1, done.stderr
    report: dict[str, Any] = json.loads(next(tmp_path.glob("*.json")).read_text("utf-8"))
    got: dict[str, set[str]] = {}
    for f in report["findings"]:
        got.setdefault(f["check_id"], set()).add(f["status"])
    return got


def test_multidb_scenario_judges_the_multiple_database_checks(tmp_path: Path) -> None:
    got = statuses(tmp_path / "multidb", "--scenario", "multidb")
    assert {c: got.get(c) for c in MULTIDB} == MULTIDB
    museum = statuses(tmp_path / "museum")
    # The default demo cannot judge them: the scenario is what exercises these checks.
    assert all(museum.get(c) == {"SKIP"} for c in ("SVC-020", "SVC-024", "SVC-025", "SVC-008")), museum


def test_save_snapshot_writes_the_chosen_scenario(tmp_path: Path) -> None:
    saved = tmp_path / "multidb.json"
    done = run_cli("demo", "--scenario", "multidb", "--save-snapshot", str(saved), "--format", "json",
                   "-o", str(tmp_path / "out"), "-q")
    assert done.returncode == 1, done.stderr
    links = json.loads(saved.read_text("utf-8"))["facts"]["plan"]["links"]
    assert [link["link_mode"] for link in links] == ["MultiDatabase"]


def test_unknown_scenario_is_a_usage_error(tmp_path: Path) -> None:
    done = run_cli("demo", "--scenario", "nope", "-o", str(tmp_path), "-q")
    assert done.returncode == 2 and "nope" in done.stderr and "Traceback" not in done.stderr


def test_committed_scenarios_are_what_the_script_makes_of_the_demo() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_demo_variants.py"), "--check"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
