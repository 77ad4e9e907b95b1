"""The whole preflight in one `linkready check`: SQL Server, Entra ID, ARM, DNS and the network.

One subprocess, every probe real: pyodbc + FreeTDS against the TDS stand-in, azure-identity and
azure-mgmt against the Entra and ARM stand-ins, dnspython against the DNS test server (also the
system resolver, in the CLI's private mount namespace) and TCP connects to loopback listeners at
the MI's and the SQL Server's addresses. It writes HTML, JSON, JUnit and SARIF.
"""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from linkready.checks import get

from tests.e2e.estate import Estate, read_report, worst_by_check

FORMATS = ("json", "html", "junit", "sarif")
FILES = {"json": "linkready-report.json", "html": "linkready-report.html", "junit": "linkready-junit.xml",
         "sarif": "linkready.sarif"}
EVERY_AREA = {"sql", "endpoint", "certificates", "databases", "dns", "network", "nsg", "managed_instance", "plan"}
#: The healthy estate's findings that are not PASS; every other check PASSes.
HEALTHY_NOT_PASS = {
    # (SEED-002 passes: the stand-in's measured log backups run every 30 minutes, Sales seeds in about 17.)
    # The MI VNet uses Azure-provided DNS: the partner host name can only be checked from here.
    "DNS-003": "WARN",
    # No seeding throughput given in the target file.
    "SEED-001": "SKIP",
    # No link is planned in multiple-database mode.
    "SVC-020": "SKIP",
    "SVC-024": "SKIP",
    "SVC-025": "SKIP",
    # SQL Server -> instance without failback: TDE from the instance to SQL Server does not apply.
    "SVC-008": "SKIP",
}
SQL_SIDE_AREAS = {"sql", "endpoint", "certificates", "databases", "target"}


def check_run(estate: Estate, name: str, **config: Any) -> tuple[int, str, dict[str, Any], Path]:
    out = estate.tmp / name
    target = estate.config(f"{name}.toml", output=name, formats=FORMATS, **config)
    run = estate.run("check", "-c", str(target))
    assert run.returncode in (0, 1, 3), run.stderr
    written = {p.name for p in out.iterdir()}
    assert written == set(FILES.values()), f"{name}: the report files were not all written: {written}"
    return run.returncode, run.stderr, read_report(out / FILES["json"]), out


def test_whole_preflight_reports_every_area_in_every_format(fresh: Estate) -> None:
    code, stderr, report, out = check_run(fresh, "whole")
    worst = worst_by_check(report)
    assert {c: s for c, s in worst.items() if s != "PASS"} == HEALTHY_NOT_PASS
    assert {f["area"] for f in report["findings"]} >= EVERY_AREA
    assert code == 0 and report["exit_code"] == 0 and report["verdict"] == "Ready"
    for probe in ("sql", "azure", "network"):
        assert f"probe {probe}: done" in stderr, stderr

    # Every probe met its real counterpart.
    received = fresh.tds.received
    assert sum(r.accepted for r in received) >= 15
    # The only statements refused are the driver's own catalog calls after connect, not the probe's.
    assert {r.sql.split()[0] for r in received if not r.accepted} <= {"sp_datatype_info_100"}
    assert fresh.arm.methods() == {"GET"} and all(r.authorized for r in fresh.arm.requests)
    assert len(fresh.entra.token_requests()) == 2  # the azure and the target probe
    assert ("sqlmi-contoso-weu.3f6c9a1d2b4e.database.windows.net", "A") in fresh.dns.queries
    assert ("sqlsrv01.corp.example", "A") in fresh.dns.queries

    # The same findings, the same facts digest, in every format.
    findings, digest = report["findings"], report["snapshot"]["digest"]
    junit = ET.parse(out / FILES["junit"]).getroot()
    assert int(junit.get("tests", -1)) == len(findings)
    assert int(junit.get("failures", -1)) == sum(f["status"] == "FAIL" for f in findings) == 0
    assert int(junit.get("errors", -1)) == 0
    warned = sorted(f["check_id"] for f in findings if f["status"] == "WARN")
    assert warned == ["DNS-003"]
    sarif = json.loads((out / FILES["sarif"]).read_text(encoding="utf-8"))
    results = sarif["runs"][0]["results"]
    # Results are what needs attention (each becomes a code-scanning alert); PASS/SKIP are not.
    assert len(results) == sum(f["status"] in ("FAIL", "WARN", "ERROR") for f in findings)
    assert sorted(r["ruleId"] for r in results if r["properties"]["status"] == "WARN") == warned
    assert not [r for r in results if r["properties"]["status"] == "FAIL"]
    assert sarif["runs"][0]["properties"]["snapshotDigest"] == digest
    html = (out / FILES["html"]).read_text(encoding="utf-8")
    assert digest in html and "Ready" in html and "Not ready" not in html and "SEED-002" in html


def needs_sql(check_id: str) -> bool:
    spec = get(check_id)
    return spec is not None and any(path.split(".")[0] == "sql" for path in spec.requires)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("failure", ["arm-403-on-the-nsg", "sql-server-unreachable"])
def test_a_failing_probe_leaves_the_others_intact_and_the_report_written(fresh: Estate, failure: str) -> None:
    if failure == "arm-403-on-the-nsg":
        fresh.serve("nsg-read-forbidden")
        code, _, report, _ = check_run(fresh, failure)
        affected = {"NSG-001", "NSG-002", "NSG-003"}
        degraded = {}
        expected_code = 3  # nothing FAILs: the NSG checks could not be evaluated
    else:
        code, _, report, _ = check_run(fresh, failure, sql_port=_closed_port())
        # Exactly the checks that need a SQL Server fact (DB-011, a name clash on the MI, does not).
        affected = {f["check_id"] for f in report["findings"] if needs_sql(f["check_id"])}
        expected_code = 3  # nothing FAILs: the SQL side could not be evaluated
        # These judge the MI and use SQL facts when known: without them they WARN ("version unknown").
        degraded = {"MI-003": "WARN", "MI-004": "WARN"}
    worst = worst_by_check(report)
    assert {c for c, s in worst.items() if s == "ERROR"} == affected, worst
    messages = [f["message"] for f in report["findings"] if f["check_id"] in affected and f["status"] == "ERROR"]
    if failure == "arm-403-on-the-nsg":
        assert all("Microsoft.Network/networkSecurityGroups/read" in m for m in messages), messages
    else:
        assert all("127.0.0.1" in m for m in messages), messages
    # Every check the failure does not touch reports exactly as on the healthy estate.
    untouched = {c: s for c, s in worst.items() if c not in affected}
    assert len(untouched) > 20
    assert untouched == {c: degraded.get(c) or HEALTHY_NOT_PASS.get(c, "PASS") for c in untouched}
    assert {f["area"] for f in report["findings"] if f["check_id"] in untouched} >= EVERY_AREA - SQL_SIDE_AREAS
    assert code == expected_code == report["exit_code"]
