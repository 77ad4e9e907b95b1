"""End to end per scenario: engine → Azure probe → real SDK → ARM stand-in → facts → checks.

Each scenario file names the checks it must move (``expect``); the SQL Server side is fixed data
(tests/builders/azure_facts.py) adjusted by the scenario's ``sql`` hints, the plan by its ``plan`` hints.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from linkready.checks import get

from linkready.config import parse_config
from linkready.engine import collect, run_check
from linkready.facts import Facts
from linkready.facts.sql import DatabaseFile, SqlDatabase, SqlFacts
from linkready.model import Settings, Status
from linkready.probes import ProbeSpec, Secrets
from tests.builders.azure_facts import sql
from tests.standins.arm import ArmStandIn
from tests.standins.arm.server import SCENARIOS, scenario_names

MY_CHECKS = ("NSG-001", "NSG-002", "NSG-003", "NSG-004", "NSG-005", "MI-001", "MI-002", "MI-003", "MI-004", "MI-005",
             "MI-006", "MI-007", "MI-008", "MI-009", "CERT-003", "CERT-004", "CERT-005", "DB-011", "DB-012", "DB-013",
             "SVC-005", "SVC-006", "SVC-008")
#: Checks the healthy scenario (SQL Server → instance, no failback) does not apply to.
NOT_APPLICABLE_WHEN_HEALTHY = ("SVC-008",)
SEVERITY = [Status.FAIL, Status.ERROR, Status.WARN, Status.PASS, Status.SKIP]
SHIM = ProbeSpec("azure", "azure", "tests.standins.arm.probe_shim:probe")


def scenario(name: str) -> dict[str, Any]:
    if name == "healthy":
        return {"expect": {c: "SKIP" if c in NOT_APPLICABLE_WHEN_HEALTHY else "PASS" for c in MY_CHECKS}}
    data: dict[str, Any] = json.loads((SCENARIOS / f"{name}.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def server() -> Iterator[ArmStandIn]:
    with ArmStandIn() as srv:
        yield srv


def sql_side(hints: dict[str, Any]) -> SqlFacts:
    base = sql(hints.get("product_version", "16.0.4125.3"))
    certs = list(base.certificates or ())
    if "mi_cert_name" in hints:
        certs = [replace(c, name=hints["mi_cert_name"]) if c.certificate_id == 257 else c for c in certs]
    if hints.get("drop_root_ca"):
        certs = [c for c in certs if c.certificate_id != 258]
    dbs = tuple(replace(d, inmemory_filegroups=1, inmemory_files=1) if d.name == hints.get("inmemory_database") else d
                for d in base.databases or ())
    dbs = tuple(_with_files(d, hints) for d in dbs)
    return replace(base, certificates=tuple(certs), databases=dbs)


def _with_files(db: SqlDatabase, hints: dict[str, Any]) -> SqlDatabase:
    """``small_data_files``: that many extra 1 GB data files; ``data_file_gb``: the primary data file's size."""
    files = list(db.files or ())
    if "data_file_gb" in hints.get(db.name, {}):
        files[0] = replace(files[0], size_mb=hints[db.name]["data_file_gb"] * 1024.0)
    for i in range(hints.get(db.name, {}).get("small_data_files", 0)):
        files.append(DatabaseFile(3 + i, f"{db.name}_{i}", "ROWS", "ONLINE", 1024.0))
    return replace(db, files=tuple(files))


def collect_scenario(server: ArmStandIn, name: str) -> Facts:
    data = scenario(name)
    server.load(name)
    v = server.variables
    config = parse_config({
        "source": {"server": "10.10.2.4", "address": "10.10.2.4", "network_prefixes": ["10.10.2.0/24"]},
        "managed_instance": {"resource_id": v["MI_ID"]},
        "azure": {"arm_endpoint": server.url, "verify_tls": server.ca_bundle, "retries": 0, "timeout": 5,
                  **data.get("client", {})},
        "link": [{"name": "link-sales", "databases": ["Sales"], "instance_ag_name": "mi-ag-sales",
                  "partner_ag_name": "ag-sales", "partner_endpoint": "TCP://10.10.2.4:5022"},
                 {"name": "link-orders", "databases": ["Orders"], "instance_ag_name": "mi-ag-orders",
                  "partner_ag_name": "ag-orders", "partner_endpoint": "TCP://10.10.2.4:5022"}],
        "options": {"failback": bool(data.get("plan", {}).get("failback", False)), "probe_timeout": 60,
                    "initial_primary": data.get("plan", {}).get("initial_primary", "SQLServer")},
    })
    snapshot = collect(config, Secrets(), probes=[SHIM])
    assert server.methods() == {"GET"}, "the probe may only read"
    return replace(snapshot.facts, sql=sql_side(data.get("sql", {})))


def worst(facts: Facts, check_id: str) -> tuple[Status, list[str]]:
    spec = get(check_id)
    assert spec is not None
    findings = run_check(spec, facts, Settings())
    status = min((f.status for f in findings), key=SEVERITY.index)
    return status, [f"{f.status.value} {f.target}: {f.message}" for f in findings]


EXPECTING = [n for n in scenario_names() if scenario(n).get("expect")]


@pytest.mark.parametrize("name", EXPECTING)
def test_scenario_moves_the_expected_checks(server: ArmStandIn, name: str) -> None:
    facts = collect_scenario(server, name)
    for check_id, expected in scenario(name)["expect"].items():
        status, lines = worst(facts, check_id)
        assert status.value == expected, f"{name}: {check_id} is {status.value}, expected {expected}: {lines}"


def test_every_azure_check_has_a_scenario_proving_its_fail_path() -> None:
    failing = {c for n in EXPECTING for c, s in scenario(n)["expect"].items() if s == "FAIL"}
    assert failing == set(MY_CHECKS)


def test_forbidden_nsg_leaves_the_rest_evaluated(server: ArmStandIn) -> None:
    facts = collect_scenario(server, "nsg-read-forbidden")
    statuses = {c: worst(facts, c)[0] for c in MY_CHECKS}
    assert {c for c, s in statuses.items() if s is Status.ERROR} == {"NSG-001", "NSG-002", "NSG-003"}
    _, lines = worst(facts, "NSG-001")
    assert any("Microsoft.Network/networkSecurityGroups/read" in line for line in lines)


def test_leftover_server_trust_certificate_through_the_stand_in(server: ArmStandIn) -> None:
    assert worst(collect_scenario(server, "healthy"), "SVC-023")[0] is Status.PASS  # the link names its certificate
    facts = collect_scenario(server, "stale-partner-cert")
    spec = get("SVC-023")
    assert spec is not None
    [finding] = run_check(spec, facts, Settings())
    assert finding.status is Status.WARN and finding.target == "Cert_SQLSRV01_old"
    assert finding.fix[0].code == (f"az sql mi partner-cert delete --resource-group {server.variables['RG']} "
                                   f"--instance-name {server.variables['MI']} --name Cert_SQLSRV01_old --yes")
