"""Issue 13, direction, through the real stand-ins: TDS (pyodbc + FreeTDS), Entra ID and ARM (HTTPS), DNS and
the network (the e2e estate, tests/e2e/estate.py) → `linkready collect` → snapshot → `linkready evaluate`.

Each scenario is one SQL Server (the TDS stand-in's answers), one managed instance (the ARM stand-in's
resources) and one planned direction: SQL Server as initial primary, the managed instance as initial
primary, or SQL Server first with failback. Every direction-sensitive check of the catalogue (its
``directions=`` metadata) has an expected status in a scenario of each direction; MI-003 and FO-004 have a
PASS and a FAIL per direction (a WARN where SQL Server first plans no failback: one-way is accepted there).
Every report the scenarios write is also scanned for self-contradictions (test_contradictions.py's scan).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from linkready.checks import all_checks

from linkready.cli import cli
from linkready.commands._guard import run as guarded
from tests.conftest import require_component
from tests.e2e.estate import (
    DNS_ADDRESS,
    SQL_HOST,
    SQL_LOGIN,
    Estate,
    paired_responder,
    paired_sql_server,
    read_report,
    sealing_available,
    worst_by_check,
)
from tests.standins.arm.server import merge_patch
from tests.standins.tds.conftest import require_freetds
from tests.standins.tds.scenarios import Database, Server
from tests.verdict.test_contradictions import report_contradictions

#: SQL Server 2022 CU15: past CU10, the minimum for a link with the instance as initial primary.
SQL2022 = {"version": "16.0.4145.4", "update_level": "CU15", "update_reference": "KB5041321"}
SQL2025 = {"version": "17.0.1000.7", "level": "RTM", "update_level": None, "update_reference": None}
NO_SALES = (Database("Other", 7),)
AKV_KEY = {"kind": "azurekeyvault", "properties": {
    "serverKeyName": "kv-sqlmi_tde-key_0123456789abcdef0123456789abcdef", "serverKeyType": "AzureKeyVault",
    "uri": "https://kv-sqlmi.vault.azure.net/keys/tde-key/0123456789abcdef0123456789abcdef",
    "thumbprint": "0A1B2C3D4E5F60718293A4B5C6D7E8F901234567"}}


@dataclass(frozen=True)
class Scenario:
    name: str
    #: "sql_first", "mi_first" or "failback".
    direction: str
    #: Changes to the paired SQL Server 2019 (tests/e2e/estate.py) the TDS stand-in answers as.
    sql: dict[str, Any] = field(default_factory=dict)
    #: The ARM stand-in's instance: update policy, Sales on it, TDE protector, hybrid secondary usage.
    policy: str = "SQLServer2022"
    sales_on_instance: bool = False
    tde: str = "ServiceManaged"
    usage: str = "Active"
    #: Worst status per check the scenario must produce.
    expect: dict[str, str] = field(default_factory=dict)


#: SQL Server first, everything in place: what each direction-sensitive check judges on SQL Server's side.
SQL_FIRST_READY = {
    "SQL-002": "PASS", "SQL-006": "PASS", "DB-001": "PASS", "DB-002": "PASS", "DB-003": "PASS", "DB-004": "PASS",
    "DB-005": "PASS", "DB-006": "PASS", "DB-007": "PASS", "DB-008": "PASS", "DB-009": "PASS", "DB-010": "PASS",
    "SEED-001": "PASS", "SEED-002": "PASS", "SVC-003": "PASS", "SVC-004": "PASS", "SVC-005": "PASS",
    "SVC-006": "PASS", "SVC-007": "PASS", "MI-002": "PASS", "MI-003": "PASS", "MI-004": "PASS", "SVC-008": "SKIP",
    "DB-011": "PASS", "DB-012": "PASS", "TGT-011": "PASS", "TGT-013": "PASS", "FO-004": "PASS",
}
#: The instance first, the databases on it and absent on SQL Server: the SQL-side database checks skip.
SEEDED_FROM_SQL_SERVER = ("DB-002", "DB-003", "DB-004", "DB-005", "DB-006", "DB-007", "DB-008", "DB-009", "DB-010",
                          "SEED-001", "SEED-002", "SVC-003", "SVC-004", "SVC-005", "SVC-006", "SVC-007")
MI_FIRST_READY = {
    **{c: "SKIP" for c in SEEDED_FROM_SQL_SERVER},
    "SQL-002": "PASS", "SQL-006": "PASS", "DB-001": "PASS", "MI-002": "PASS", "MI-003": "PASS", "MI-004": "SKIP",
    # A customer-managed key: SQL Server must open it through EKM, which linkready cannot see from here.
    "SVC-008": "WARN",
    "DB-011": "SKIP", "DB-012": "SKIP", "TGT-011": "SKIP", "TGT-013": "PASS", "FO-004": "PASS",
}
FAILBACK_READY = {**SQL_FIRST_READY, "SVC-008": "WARN", "TGT-013": "WARN"}

SCENARIOS = [
    Scenario("sql-first-ready", "sql_first", SQL2022, expect=SQL_FIRST_READY),
    # 2022 → Always-up-to-date is a supported one-way link; no failback planned, so FO-004 only warns.
    Scenario("sql-first-always-up-to-date", "sql_first", SQL2022, policy="AlwaysUpToDate",
             expect={"MI-003": "PASS", "FO-004": "WARN"}),
    Scenario("sql-first-2025-on-the-2022-policy", "sql_first", SQL2025, expect={"MI-003": "FAIL", "FO-004": "WARN"}),
    # The facts of mi-first-ready with SQL Server as initial primary: Sales is on the wrong side.
    Scenario("sql-first-database-on-the-instance-only", "sql_first", {**SQL2022, "databases": NO_SALES},
             sales_on_instance=True, expect={"DB-001": "FAIL", "DB-011": "FAIL", "DB-003": "ERROR"}),
    Scenario("mi-first-ready", "mi_first", {**SQL2022, "databases": NO_SALES}, sales_on_instance=True, tde="AKV",
             expect=MI_FIRST_READY),
    Scenario("mi-first-always-up-to-date", "mi_first", {**SQL2022, "databases": NO_SALES}, policy="AlwaysUpToDate",
             sales_on_instance=True, usage="Passive",
             expect={"MI-003": "FAIL", "FO-004": "FAIL", "SVC-008": "FAIL", "TGT-013": "WARN", "DB-001": "PASS"}),
    # Sales on SQL Server, not on the instance: the wrong side for the instance first.
    Scenario("mi-first-database-on-sql-server", "mi_first", SQL2022,
             expect={"DB-001": "FAIL", "DB-011": "SKIP", "DB-003": "SKIP", "MI-004": "SKIP", "SEED-002": "SKIP",
                     "SQL-006": "PASS"}),
    # SQL Server 2019 cannot be the secondary of a link from the instance, and Sales is on neither side.
    Scenario("mi-first-sql-2019-database-nowhere", "mi_first", {"databases": NO_SALES},
             expect={"SQL-002": "FAIL", "MI-003": "FAIL", "FO-004": "FAIL", "DB-001": "FAIL", "DB-003": "SKIP"}),
    Scenario("failback-ready", "failback", SQL2022, tde="AKV", expect={**FAILBACK_READY}),
    Scenario("failback-always-up-to-date", "failback", SQL2022, policy="AlwaysUpToDate",
             expect={"MI-003": "FAIL", "FO-004": "FAIL", "SVC-008": "WARN", "DB-003": "PASS"}),
    # SQL Server 2019 cannot take the databases back; its SIMPLE recovery is still judged on SQL Server.
    Scenario("failback-sql-2019-simple-recovery", "failback", {"recovery": "SIMPLE"},
             expect={"MI-003": "FAIL", "FO-004": "FAIL", "SQL-002": "PASS", "DB-001": "PASS", "DB-003": "FAIL"}),
]
DIRECTION_OPTIONS = {"sql_first": 'initial_primary = "SQLServer"\nfailback = false',
                     "mi_first": 'initial_primary = "ManagedInstance"\nfailback = false',
                     "failback": 'initial_primary = "SQLServer"\nfailback = true'}


@pytest.fixture(scope="module")
def estate() -> Iterator[Estate]:
    require_freetds()
    available, why = sealing_available()
    require_component("a private mount namespace for the CLI (unshare --mount, root)", available, why)
    with Estate() as running:
        yield running


def sql_server(estate: Estate, changes: dict[str, Any]) -> Server:
    server = paired_sql_server(estate.mi_fqdn)
    db_changes = {k: changes[k] for k in ("recovery",) if k in changes}
    changes = {k: v for k, v in changes.items() if k not in db_changes}
    server = replace(server, **changes)
    if db_changes:
        server = replace(server, databases=tuple(replace(d, **db_changes) for d in server.databases))
    return server


def serve_instance(estate: Estate, scenario: Scenario) -> None:
    estate.serve("healthy")
    st, mi_id = estate.arm.state, estate.mi_id
    resources = st.resources
    resources[mi_id.lower()] = merge_patch(resources[mi_id.lower()], {"properties": {
        "databaseFormat": scenario.policy, "hybridSecondaryUsage": scenario.usage}})
    if scenario.tde == "AKV":
        key = f"{mi_id}/encryptionProtector/current".lower()
        resources[key] = merge_patch(resources[key], AKV_KEY)
    if scenario.sales_on_instance:
        sales = copy.deepcopy(resources[f"{mi_id}/databases/HR".lower()])
        sales.update(id=f"{mi_id}/databases/Sales", name="Sales")
        resources[f"{mi_id}/databases/Sales".lower()] = sales
        # ARM gives every managed database its TDE child (encrypted unless turned off), as it has HR's.
        tde_id = f"{mi_id}/databases/Sales/transparentDataEncryption/current"
        tde = copy.deepcopy(resources[f"{mi_id}/databases/HR/transparentDataEncryption/current".lower()])
        tde.update(id=tde_id)
        resources[tde_id.lower()] = tde


def config(estate: Estate, scenario: Scenario) -> Path:
    path = estate.tmp / f"{scenario.name}.toml"
    path.write_text(f'''
[source]
server = "127.0.0.1,{estate.tds.port}"
username = "{SQL_LOGIN}"
driver = "FreeTDS"
encrypt = false
login_timeout = 5
query_timeout = 10
address = "127.10.2.4"
network_prefixes = ["127.10.2.0/24"]

[managed_instance]
resource_id = "{estate.mi_id}"
fqdn = "{estate.mi_fqdn}"

[azure]
credential = "environment"
authority = "{estate.entra.url}"
arm_endpoint = "{estate.arm.url}"
verify_tls = "{estate.arm.ca_bundle}"
timeout = 10
retries = 1

[[link]]
name = "link-sales"
databases = ["Sales"]
instance_ag_name = "mi-ag-sales"
partner_ag_name = "ag-sales"
partner_endpoint = "TCP://{SQL_HOST}:5022"

[network]
dns_servers = ["{DNS_ADDRESS}"]
dns_timeout = 2
connect_timeout = 1
runs_on_sql_host = true
seeding_throughput_gb_per_hour = 200

[options]
probe_timeout = 60
{DIRECTION_OPTIONS[scenario.direction]}
''', encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def profile(estate: Estate) -> Path:
    """Every check of every profile: preflight, audit (TGT-*) and failover (FO-*) at once."""
    path = estate.tmp / "every-check.toml"
    path.write_text('name = "every-check"\ndescription = "every check"\ninclude = ["*"]\n', encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reports(estate: Estate, profile: Path) -> dict[str, dict[str, Any]]:
    """Each scenario collected then evaluated once; the JSON reports by scenario name."""
    out: dict[str, dict[str, Any]] = {}
    state = estate.tds.state
    with state.lock:
        healthy = state.responder
    try:
        for scenario in SCENARIOS:
            with state.lock:
                state.responder = paired_responder(sql_server(estate, scenario.sql), estate.mi_fqdn)
            serve_instance(estate, scenario)
            snapshot, folder = estate.tmp / f"{scenario.name}.json", estate.tmp / f"{scenario.name}-report"
            collected = estate.run("collect", "-c", str(config(estate, scenario)), "-o", str(snapshot), "-q")
            assert collected.returncode == 0, f"{scenario.name}: {collected.stderr}"
            code, stderr = evaluate(str(snapshot), "--profile", str(profile), "--format", "json", "-o", str(folder),
                                    "-q")
            assert code in (0, 1, 3), f"{scenario.name}: {stderr}"
            out[scenario.name] = read_report(next(folder.glob("*.json")))
    finally:
        with state.lock:
            state.responder = healthy
        estate.serve("healthy")
    return out


def evaluate(*args: str) -> tuple[int, str]:
    """`linkready evaluate` in-process (it needs no network and no credentials): exit code and stderr.

    collect runs as a subprocess in the estate's sealed namespace; evaluate reads only the snapshot, so the
    interpreter start it would cost each scenario is saved."""
    code: Any = 0
    with CliRunner().isolation() as streams:
        try:
            guarded(cli, args=["evaluate", *args], prog_name="linkready")
        except SystemExit as exc:
            code = exc.code
    return int(code or 0), streams[1].getvalue().decode(errors="replace")


def _lines(report: dict[str, Any], check_id: str) -> list[str]:
    return [f"{f['status']} {f['target']}: {f['message']}" for f in report["findings"] if f["check_id"] == check_id]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_each_direction_judges_the_right_side(reports: dict[str, dict[str, Any]], scenario: Scenario) -> None:
    report = reports[scenario.name]
    plan = f"{scenario.direction}"
    worst = worst_by_check(report)
    wrong = {c: (worst.get(c), want, _lines(report, c)) for c, want in scenario.expect.items() if worst.get(c) != want}
    assert not wrong, f"{scenario.name} ({plan}): {wrong}"


def test_every_sensitive_check_is_run_in_every_direction() -> None:
    # A new direction-sensitive check fails here until a scenario of each direction expects a status of it.
    sensitive = {c.id for c in all_checks() if c.directions is not None and c.directions.is_sensitive}
    for direction in DIRECTION_OPTIONS:
        covered = {c for s in SCENARIOS if s.direction == direction for c in s.expect}
        assert sensitive <= covered, f"{direction}: no scenario expects {sorted(sensitive - covered)}"


def test_mi_003_and_fo_004_pass_and_fail_in_each_direction() -> None:
    for check_id in ("MI-003", "FO-004"):
        for direction in DIRECTION_OPTIONS:
            seen = {s.expect[check_id] for s in SCENARIOS if s.direction == direction and check_id in s.expect}
            # SQL Server first without failback accepts a one-way failover: FO-004 warns there, never fails.
            bad = "WARN" if (check_id, direction) == ("FO-004", "sql_first") else "FAIL"
            assert {"PASS", bad} <= seen, (check_id, direction, seen)


def test_the_instance_first_skips_what_only_sql_server_first_seeds(reports: dict[str, dict[str, Any]]) -> None:
    # The reasons name the direction, not a missing fact.
    report = reports["mi-first-ready"]
    for check_id in (*SEEDED_FROM_SQL_SERVER, "DB-011", "DB-012", "MI-004", "TGT-011"):
        lines = _lines(report, check_id)
        assert lines and all("initial_primary is ManagedInstance" in line for line in lines), (check_id, lines)


def test_fo_004_names_the_direction(reports: dict[str, dict[str, Any]]) -> None:
    [sql_first] = _lines(reports["sql-first-always-up-to-date"], "FO-004")
    assert "accepted as one-way" in sql_first
    [mi_first] = _lines(reports["mi-first-always-up-to-date"], "FO-004")
    assert "accepted as one-way" not in mi_first and "cannot replicate its databases" in mi_first
    [failback] = _lines(reports["failback-always-up-to-date"], "FO-004")
    assert "cannot fail back" in failback and "accepted" not in failback


def test_no_scenario_report_contradicts_itself(reports: dict[str, dict[str, Any]]) -> None:
    problems = [f"{name}: {p}" for name, report in reports.items() for p in report_contradictions(report)]
    assert not problems, problems
