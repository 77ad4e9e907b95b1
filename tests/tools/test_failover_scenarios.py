"""Planned-failover preflight end to end: both stand-ins → `linkready collect` → `evaluate --profile failover`.

Each case puts an existing link in a known state on both sides and runs the real CLI in a
subprocess:

* the managed instance's side is an ARM stand-in scenario (tests/standins/arm/scenarios/planned-failover-*.json),
  read by the real azure-identity ManagedIdentityCredential (through a local token endpoint,
  tests/standins/token_endpoint.py) and the real azure-mgmt-sql client over HTTPS;
* SQL Server's side is the TDS stand-in (real pyodbc + FreeTDS), scripted as a SQL Server 2022 that
  hosts the link's availability group and distributed availability group, with
  sys.dm_hadr_availability_replica_states showing the managed instance's replica as this case
  needs (FO-006 judges SQL Server's own view).

Every FO-* check's FAIL path is proven here (FO-002 never fails: it warns); the healthy case proves
they all pass together. FO-007 and FO-008 judge the roles: ARM's instanceLinkRole/partnerLinkRole and SQL Server's
role_desc of its own AG in the distributed AG.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.standins.arm import ArmStandIn
from tests.standins.arm.server import SCENARIOS
from tests.standins.tds.conftest import LOGIN, PASSWORD, require_freetds
from tests.standins.tds.protocol import Column, Responder, ResultSet, SqlError, TdsServer
from tests.standins.tds.scenarios import (
    HEALTHY,
    NOW,
    AvailabilityGroup,
    Certificate,
    Database,
    Endpoint,
    Server,
    responder,
    result_for,
)
from tests.standins.token_endpoint import TokenEndpoint

LINK, LOCAL_AG, MI_AG = "link-inventory", "ag-inventory", "mi-ag-inventory"
AG_ID, DAG_ID = "2B3C4D5E-6F70-4182-93A4-B5C6D7E8F901", "8E0F6C1A-3B2D-4E5F-A6B7-C8D9E0F1A2B3"
CERT = "Cert_SQLSRV01_endpoint"  # the name the ARM stand-in's link reports as the partner certificate
FO = ("FO-001", "FO-002", "FO-003", "FO-004", "FO-005", "FO-006", "FO-007", "FO-008")

#: SQL Server 2022 CU15 hosting the link: its AG for Inventory and the distributed AG with the managed instance.
SQL2022 = replace(
    HEALTHY, version="16.0.4145.4", update_level="CU15", update_reference="KB5041321", server_name="SQLSRV01",
    certificates=(Certificate(name=CERT),), endpoints=(Endpoint(certificate=CERT),),
    databases=(Database("Inventory", 5),),
    availability_groups=(AvailabilityGroup(LOCAL_AG, ("Inventory",), group_id=AG_ID),
                         AvailabilityGroup(LINK, ("Inventory",), group_id=DAG_ID, distributed=True)),
)


@dataclass(frozen=True)
class SqlSide:
    """What SQL Server shows of the link: the managed instance replica's state, and its own certificate."""

    mi_connected: str = "CONNECTED"
    mi_health: str = "HEALTHY"
    mode: str = "SYNCHRONOUS_COMMIT"
    certificate_days: int = 365
    #: role_desc of SQL Server's own AG in the distributed AG (RESOLVING while a role change runs).
    local_role: str = "PRIMARY"
    #: role_desc SQL Server shows for the managed instance's AG (NULL where SQL Server is secondary: the LEFT JOIN
    #: finds no replica state for the remote member).
    mi_role: str | None = "SECONDARY"


@dataclass(frozen=True)
class Case:
    name: str
    arm: str  # ARM stand-in scenario
    expected: dict[str, str]
    sql: SqlSide = field(default_factory=SqlSide)


CASES = [
    Case("healthy synchronized link", "planned-failover-healthy-sync",
         {"FO-001": "PASS", "FO-002": "PASS", "FO-003": "PASS", "FO-004": "PASS", "FO-005": "PASS", "FO-006": "PASS",
          "FO-007": "PASS", "FO-008": "PASS"}),
    Case("both sides primary after a forced failover", "planned-failover-split-brain",
         {"FO-001": "PASS", "FO-007": "FAIL", "FO-008": "PASS"}),
    Case("managed instance primary on both sides", "planned-failover-mi-primary",
         {"FO-001": "PASS", "FO-007": "PASS", "FO-008": "PASS"}, SqlSide(local_role="SECONDARY", mi_role=None)),
    Case("role change finished on the instance only", "planned-failover-mi-primary",
         {"FO-007": "PASS", "FO-008": "FAIL"}),
    Case("role change still running on SQL Server", "planned-failover-healthy-sync",
         {"FO-001": "PASS", "FO-007": "PASS", "FO-008": "FAIL"}, SqlSide(local_role="RESOLVING")),
    Case("lagging link", "planned-failover-lagging",
         {"FO-001": "PASS", "FO-002": "WARN", "FO-003": "FAIL", "FO-004": "PASS", "FO-006": "PASS"},
         SqlSide(mode="ASYNCHRONOUS_COMMIT")),
    Case("disconnected replica", "planned-failover-disconnected",
         {"FO-001": "FAIL", "FO-002": "WARN", "FO-003": "ERROR", "FO-004": "PASS", "FO-006": "FAIL"},
         SqlSide(mi_connected="DISCONNECTED", mi_health="NOT_HEALTHY", mode="ASYNCHRONOUS_COMMIT")),
    Case("failback impossible due to update policy", "planned-failover-no-failback",
         {"FO-001": "PASS", "FO-002": "PASS", "FO-003": "PASS", "FO-004": "FAIL", "FO-006": "PASS"}),
    Case("endpoint certificate expires within the failback window", "planned-failover-healthy-sync",
         {"FO-001": "PASS", "FO-005": "FAIL", "FO-006": "PASS"}, SqlSide(certificate_days=10)),
]


def sql_server(side: SqlSide) -> tuple[Server, Responder]:
    """The TDS stand-in's scripted answers, with SQL Server's view of the distributed AG's replicas."""
    cert = Certificate(name=CERT, not_after=NOW + timedelta(days=side.certificate_days))
    server = replace(SQL2022, certificates=(cert,))
    inner = responder(server)
    replicas = (
        (AG_ID, server.server_name, "TCP://sqlsrv01.contoso.local:5022", "SYNCHRONOUS_COMMIT", "PRIMARY", "HEALTHY",
         "CONNECTED"),
        (DAG_ID, LOCAL_AG, "TCP://10.10.2.4:5022", side.mode, side.local_role, "HEALTHY", "CONNECTED"),
        (DAG_ID, MI_AG, "tcp://sqlmi-contoso-weu.3f6c9a1d2b4e.database.windows.net:5022", side.mode, side.mi_role,
         side.mi_health, side.mi_connected),
    )
    nv = "nvarchar(128)"
    columns = (Column("group_id", "uniqueidentifier"), Column("replica_server_name", "nvarchar(256)"),
               Column("endpoint_url", nv), Column("availability_mode_desc", "nvarchar(60)"),
               Column("role_desc", "nvarchar(60)"), Column("synchronization_health_desc", "nvarchar(60)"),
               Column("connected_state_desc", "nvarchar(60)"))

    def answer(sql: str) -> ResultSet | SqlError:
        if "/* linkready:ag_replicas */" in sql:
            return ResultSet(columns, replicas)
        return inner(sql)

    assert isinstance(result_for(server, "ag_replicas", ""), ResultSet)  # the tag this overrides exists
    return server, answer


def target_file(path: Path, port: int, arm: ArmStandIn, failback: bool) -> Path:
    path.write_text(f'''
[source]
server = "127.0.0.1,{port}"
username = "{LOGIN}"
driver = "FreeTDS"
encrypt = false
query_timeout = 5

[managed_instance]
resource_id = "{arm.variables["MI_ID"]}"
fqdn = "localhost"        # the network probe resolves it from /etc/hosts: nothing leaves loopback

[azure]
credential = "managed-identity"
arm_endpoint = "{arm.url}"
verify_tls = "{arm.ca_bundle}"
retries = 0
timeout = 10

[[link]]
name = "{LINK}"
databases = ["Inventory"]
instance_ag_name = "{MI_AG}"
partner_ag_name = "{LOCAL_AG}"
partner_endpoint = "TCP://127.0.0.1:{port}"

[network]
connect_timeout = 0.5
port_sample = 1

[options]
failback = {str(failback).lower()}
''', encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def arm() -> Iterator[ArmStandIn]:
    with ArmStandIn() as server:
        yield server


@pytest.fixture(scope="module")
def token() -> Iterator[TokenEndpoint]:
    with TokenEndpoint() as endpoint:
        yield endpoint


def scenario_hints(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SCENARIOS / f"{name}.json").read_text(encoding="utf-8"))
    return data


def run_case(case: Case, arm: ArmStandIn, token: TokenEndpoint, tmp_path: Path) -> tuple[int, list[dict[str, Any]]]:
    """Collect through both stand-ins, evaluate with the failover profile: (evaluate's exit code, findings)."""
    require_freetds()
    arm.load(case.arm)
    failback = bool(scenario_hints(case.arm).get("plan", {}).get("failback", False))
    snapshot, out = tmp_path / "snapshot.json", tmp_path / "report"
    _, answer = sql_server(case.sql)
    with TdsServer(answer, login=LOGIN, password=PASSWORD) as tds:
        config = target_file(tmp_path / "target.toml", tds.port, arm, failback)
        collected = run_cli("collect", "-c", str(config), "-o", str(snapshot), "-q",
                            env={"LINKREADY_SQL_PASSWORD": PASSWORD, **token.env})
        received = tds.received
    assert collected.returncode == 0, collected.stderr
    # Read-only on both sides: the ARM stand-in saw only GETs, the TDS stand-in only single SELECTs.
    assert arm.methods() == {"GET"}
    probe_sent = [r for r in received if "/* linkready:" in r.sql]  # pyodbc itself sends sp_datatype_info_100
    assert probe_sent and all(r.accepted for r in probe_sent), [r.sql for r in probe_sent if not r.accepted]
    assert all(r.sql.startswith("sp_datatype_info_100") for r in received if r not in probe_sent)
    text = snapshot.read_text(encoding="utf-8")
    assert PASSWORD not in text and token.header not in text and token.token not in text
    facts = json.loads(text)["facts"]
    assert not [e for e in facts["errors"] if e["probe"] in ("sql", "azure")], facts["errors"]
    evaluated = run_cli("evaluate", str(snapshot), "--profile", "failover", "--format", "json", "-o", str(out), "-q")
    assert evaluated.returncode in (0, 1, 3), evaluated.stderr
    report = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))
    return evaluated.returncode, [f for f in report["findings"] if f["check_id"] in FO]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_failover_preflight_through_both_stand_ins(case: Case, arm: ArmStandIn, token: TokenEndpoint,
                                                   tmp_path: Path) -> None:
    code, findings = run_case(case, arm, token, tmp_path)
    got: dict[str, set[str]] = {}
    for f in findings:
        got.setdefault(f["check_id"], set()).add(f["status"])
    lines = "\n".join(f"{f['check_id']} {f['status']} {f['target']}: {f['message']}" for f in findings)
    for check_id, status in case.expected.items():
        assert got.get(check_id) == {status}, f"{case.name}: {check_id} expected {status}, got {got.get(check_id)}\n{lines}"
    if "FAIL" in case.expected.values():
        assert code == 1


def test_every_failover_check_fails_through_the_stand_ins() -> None:
    """The table covers each FO-* FAIL path (FO-002 only ever warns) and each scenario file is used."""
    failing = {c for case in CASES for c, s in case.expected.items() if s == "FAIL"}
    assert failing == set(FO) - {"FO-002"}
    assert {p.stem for p in SCENARIOS.glob("planned-failover-*.json")} == {case.arm for case in CASES}


def test_failover_findings_explain_planned_vs_forced(arm: ArmStandIn, token: TokenEndpoint, tmp_path: Path) -> None:
    """The disconnected case: the evidence names the link error, and the report says what a forced failover costs."""
    case = next(c for c in CASES if c.arm == "planned-failover-disconnected")
    _, findings = run_case(case, arm, token, tmp_path)
    fo1 = next(f for f in findings if f["check_id"] == "FO-001")
    assert fo1["target"] == f"{LINK}/Inventory" and "DISCONNECTED" in fo1["observed"]
    assert any("35250" in line for line in fo1["evidence"])
    assert "forced failover" in fo1["rationale"].lower() and "planned failover" in fo1["rationale"].lower()
    fo6 = next(f for f in findings if f["check_id"] == "FO-006")
    assert MI_AG in fo6["message"] and "NOT_HEALTHY" in fo6["observed"]
