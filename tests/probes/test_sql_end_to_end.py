"""Stand-in SQL Server → `linkready collect` → snapshot → `linkready evaluate --format json` → findings.

Each scenario in tests/standins/tds/scenarios.py names the findings it must produce; this runs the real
CLI (in a subprocess, with the real FreeTDS driver) against the stand-in for every one of them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.gate.junit import assert_junit_agrees
from tests.standins.tds.conftest import PASSWORD, require_freetds, serve, source_config
from tests.standins.tds.scenarios import SCENARIOS, Scenario

ROOMS = ("SQL-", "EP-", "CERT-001", "CERT-002", "DB-0", "SEED-", "SVC-")


def write_config(path: Path, port: int, scenario: Scenario) -> None:
    # Only loopback addresses: the network probe may try to reach what the plan names.
    path.write_text(source_config(port) + f'''
[[link]]
name = "link-sales"
databases = {json.dumps(list(scenario.databases))}
instance_ag_name = "AG_Sales_MI"
partner_ag_name = "AG_Sales"
partner_endpoint = "{scenario.partner_endpoint}"
link_mode = "{scenario.link_mode}"

[network]
connect_timeout = 0.5
port_sample = 1
''' + (f"seeding_throughput_gb_per_hour = {scenario.throughput}\n" if scenario.throughput else ""),
                    encoding="utf-8")


def findings_of(report_dir: Path) -> list[dict[str, str]]:
    reports = sorted(report_dir.glob("*.json"))
    assert reports, f"no JSON report in {report_dir}"
    data = json.loads(reports[0].read_text(encoding="utf-8"))
    return [f for f in data["findings"] if f["check_id"].startswith(ROOMS)]


def collect_and_evaluate(scenario: Scenario, tmp_path: Path) -> tuple[list[dict[str, str]], int]:
    """`linkready collect` against the scenario's stand-in, then `linkready evaluate`: (findings, exit code)."""
    config, snapshot, out = tmp_path / "target.toml", tmp_path / "snapshot.json", tmp_path / "report"
    with serve(scenario.server, scenario.hang_after) as server:
        write_config(config, server.port, scenario)
        collected = run_cli("collect", "-c", str(config), "-o", str(snapshot), "-q",
                            env={"LINKREADY_SQL_PASSWORD": PASSWORD})
    assert collected.returncode == 0, collected.stderr
    assert PASSWORD not in snapshot.read_text(encoding="utf-8")
    evaluated = run_cli("evaluate", str(snapshot), "--format", "json,junit", "-o", str(out), "-q")
    assert evaluated.returncode in (0, 1, 3), evaluated.stderr
    assert_junit_agrees(out / "linkready-junit.xml", evaluated.returncode)
    return findings_of(out), evaluated.returncode


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_findings(name: str, tmp_path: Path) -> None:
    require_freetds()
    scenario = SCENARIOS[name]
    findings, returncode = collect_and_evaluate(scenario, tmp_path)
    got: dict[str, set[str]] = {}
    for f in findings:
        got.setdefault(f["check_id"], set()).add(f["status"])
        if f["target"]:
            got.setdefault(f"{f['check_id']}:{f['target']}", set()).add(f["status"])
    for key, status in scenario.expected.items():
        assert got.get(key) == {status}, f"{name}: {key} expected {status}, got {got.get(key)}: " + "; ".join(
            f"{f['status']} {f['message']}" for f in findings if f["check_id"] == key.split(":")[0])
    if "FAIL" in scenario.expected.values():
        assert returncode == 1


def test_measured_log_cadence_reaches_the_seeding_findings(tmp_path: Path) -> None:
    require_freetds()
    findings, _ = collect_and_evaluate(SCENARIOS["log_fills_during_seeding"], tmp_path)
    by_id = {f["check_id"]: f for f in findings}
    seed1, seed2 = by_id["SEED-001"], by_id["SEED-002"]
    # 48,000 MB/day for 2.4 h = 4,800 MB on top of 512 MB in use, in a 4,096 MB log file.
    assert any("4.7 GB of log written during its 2.4 h of seeding" in e and "would reach 130%" in e
               for e in seed1["evidence"]), seed1["evidence"]
    assert "9002" in seed1["message"] and "ALTER DATABASE [Sales] MODIFY FILE" in seed1["fix"][0]["code"]
    assert "log backups every 30 min (measured)" in seed2["observed"]
    assert "336 log backups in the last 7 days" in seed2["evidence"][0]
