"""Issue 13 §3 through the real stand-ins: TDS stand-in (pyodbc + FreeTDS) → `linkready collect` → snapshot →
`linkready evaluate --format json`, one scenario per defect and per direction of the direction-sensitive checks.

No [managed_instance] here: the Azure facts are *not asked for*, so the managed-instance side of an MI-first
plan is unknown (ERROR naming why), never "present". The scenarios with the instance's side too (TDS + ARM, each
direction of every direction-sensitive check) are in test_direction_standins.py.
"""

from __future__ import annotations

import json
import socket
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.standins.tds.conftest import PASSWORD, require_freetds, serve, source_config
from tests.standins.tds.scenarios import HEALTHY, Database, Server
from tests.verdict.test_contradictions import report_contradictions


def _free_port() -> int:
    with socket.socket() as s:  # bound then closed: nothing listens there during the run
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(tmp_path: Path, server: Server, *, options: str = "", endpoint: str = "TCP://127.0.0.1:5022",
        databases: tuple[str, ...] = ("Sales",)) -> dict[str, Any]:
    """collect then evaluate; the JSON report."""
    config, snapshot, out = tmp_path / "target.toml", tmp_path / "snapshot.json", tmp_path / "report"
    with serve(server) as tds:
        # A roomier query timeout than the probe tests': these judge verdicts, not the timeout path.
        config.write_text(source_config(tds.port, query_timeout=10) + f'''
[[link]]
name = "link-sales"
databases = {json.dumps(list(databases))}
instance_ag_name = "AG_Sales_MI"
partner_ag_name = "AG_Sales"
partner_endpoint = "{endpoint}"

[network]
connect_timeout = 0.5
port_sample = 1

[options]
{options}
''', encoding="utf-8")
        collected = run_cli("collect", "-c", str(config), "-o", str(snapshot), "-q",
                            env={"LINKREADY_SQL_PASSWORD": PASSWORD})
    assert collected.returncode == 0, collected.stderr
    evaluated = run_cli("evaluate", str(snapshot), "--format", "json", "-o", str(out), "-q")
    assert evaluated.returncode in (1, 3), evaluated.stderr  # none of these scenarios may be "Ready"
    report: dict[str, Any] = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))
    assert not report_contradictions(report), report_contradictions(report)  # every scenario's report, scanned
    return report


def statuses(report: dict[str, Any], check_id: str) -> list[tuple[str, str, str]]:
    return [(f["status"], f["target"], f["message"]) for f in report["findings"] if f["check_id"] == check_id]


@pytest.fixture(autouse=True)
def _freetds() -> None:
    require_freetds()


def test_planned_database_on_a_server_with_no_user_databases_fails_db_001(tmp_path: Path) -> None:
    report = run(tmp_path, replace(HEALTHY, databases=()))
    [(status, target, message)] = statuses(report, "DB-001")
    assert (status, target) == ("FAIL", "Sales") and "does not exist" in message
    assert report["verdict"] != "Ready"


def test_mi_first_plan_fails_db_001_for_a_database_already_on_sql_server(tmp_path: Path) -> None:
    report = run(tmp_path, HEALTHY, options='initial_primary = "ManagedInstance"')
    [(status, _, message)] = statuses(report, "DB-001")
    assert status == "FAIL" and "must be absent" in message
    for check_id in ("DB-002", "DB-003", "DB-004"):
        assert {s for s, _, m in statuses(report, check_id)} == {"SKIP"}, check_id
        assert all("plan.initial_primary is ManagedInstance" in m for _, _, m in statuses(report, check_id))


def test_mi_first_plan_with_the_database_absent_on_sql_server_is_unknown_without_the_instance(tmp_path: Path) -> None:
    # Absent on SQL Server is what MI-first needs; whether it exists on the instance was not asked: ERROR.
    report = run(tmp_path, replace(HEALTHY, databases=(Database("Other", 7),)),
                 options='initial_primary = "ManagedInstance"')
    [(status, _, message)] = statuses(report, "DB-001")
    assert status == "ERROR" and "managed instance" in message
    assert report["verdict"] != "Ready"


def test_failback_plan_judges_the_sql_server_databases(tmp_path: Path) -> None:
    report = run(tmp_path, replace(HEALTHY, databases=(replace(HEALTHY.databases[0], recovery="SIMPLE"),)),
                 options="failback = true")
    assert [s for s, _, _ in statuses(report, "DB-001")] == ["PASS"]
    assert [s for s, _, _ in statuses(report, "DB-003")] == ["FAIL"]  # judged on SQL Server, not skipped


def test_partner_endpoint_scheme_is_case_insensitive_and_its_port_is_the_one_tested(tmp_path: Path) -> None:
    port = _free_port()
    report = run(tmp_path, HEALTHY, endpoint=f"tcp://127.0.0.1:{port}")
    [(_, _, plan_message)] = statuses(report, "PLAN-002")
    assert "not of the form" not in plan_message and "loopback" in plan_message  # parsed; only the test host is odd
    [(status, target, _)] = statuses(report, "NET-003")
    assert target == f"127.0.0.1:{port}" and status == "FAIL"  # the planned port, refused: nothing listens
