"""Issue 13: no report of a test scenario contradicts itself. The scenarios are the demo and every
fact-removal variant of it (tests/verdict/removal.py); the pairs are the ones the issue names."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from linkready.engine import evaluate
from linkready.model import Status
from linkready.snapshot import SnapshotError, loads
from tests.verdict.removal import ALL, changed, demo_data, fact_paths

#: Placeholders that mean a fact was missing but printed as if known ("instance FQDN []", "?/?").
_EMPTY_VALUE = re.compile(r"\[\]|\?/\?")
#: DB-001's PASS for a plan with the instance as initial primary (checks/databases.py).
_MI_FIRST_PASS = "absent on SQL Server, as the MI-first plan needs"
#: Checks that judge SQL Server's copy of a planned database (checks/_directions.py SEEDED_FROM_SQL_SERVER).
_SQL_COPY_CHECKS = ("DB-002", "DB-003", "DB-004", "DB-005", "DB-006", "DB-007", "DB-008", "DB-009", "DB-010")


class Seen(Protocol):
    """What the scan reads of a finding: a Finding, or a JSON report's finding (:class:`Reported`)."""

    @property
    def check_id(self) -> str: ...
    @property
    def status(self) -> Status: ...
    @property
    def message(self) -> str: ...
    @property
    def observed(self) -> str: ...
    @property
    def expected(self) -> str: ...
    @property
    def target(self) -> str: ...


@dataclass(frozen=True)
class Reported:
    check_id: str
    status: Status
    message: str
    observed: str
    expected: str
    target: str


def report_contradictions(report: dict[str, Any]) -> list[str]:
    """The scan over a JSON report (`linkready evaluate --format json`), as the stand-in scenarios write it."""
    return contradictions([Reported(f["check_id"], Status(f["status"]), f["message"], f.get("observed", ""),
                                    f.get("expected", ""), f.get("target", "")) for f in report["findings"]])


def _direction_contradictions(by_id: dict[str, list[Seen]]) -> list[str]:
    """Pairs that judge two different directions in one report (issue 13, direction)."""
    found = []
    mi_first = [f for f in by_id.get("DB-001", []) if f.status is Status.PASS and _MI_FIRST_PASS in f.message]
    for db in mi_first:
        for check_id in _SQL_COPY_CHECKS:
            for f in by_id.get(check_id, []):
                if f.target.lower() == db.target.lower() and f.status in (Status.PASS, Status.WARN, Status.FAIL):
                    found.append(f"DB-001 finds {db.target} absent on SQL Server, yet {check_id} {f.status} judges "
                                 "its copy there")
        for f in by_id.get("DB-011", []):
            if f.target.lower() == db.target.lower() and f.status is Status.FAIL:
                found.append(f"DB-001 expects {db.target} on the instance (MI first), yet DB-011 FAILs the clash")
    if mi_first and any(f.status is Status.SKIP and "SQL Server to the managed instance only" in f.message
                        for f in by_id.get("SVC-008", [])):
        found.append("DB-001 judges an MI-first plan while SVC-008 skips it as SQL Server -> instance only")
    policy = {s for f in by_id.get("MI-003", []) for s in (f.status,)}
    failback = {f.status for f in by_id.get("FO-004", [])}
    if Status.PASS in policy and Status.FAIL in failback:
        found.append("MI-003 PASSes the update policy for the planned direction while FO-004 FAILs it")
    if Status.FAIL in policy and failback == {Status.PASS}:
        found.append("MI-003 FAILs the update policy while FO-004 PASSes failing back with it")
    return found


def contradictions(findings: Sequence[Seen]) -> list[str]:
    found = []
    by_id: dict[str, list[Seen]] = {}
    for f in findings:
        by_id.setdefault(f.check_id, []).append(f)
        if f.status in (Status.PASS, Status.WARN, Status.FAIL) and _EMPTY_VALUE.search(
                " ".join((f.message, f.observed, f.expected))):
            found.append(f"{f.check_id} {f.status}: prints an unknown as a value: {f.message!r}")
    version_fails = any(f.status is Status.FAIL for f in by_id.get("SQL-001", []))
    for f in by_id.get("SQL-003", []):
        if version_fails and f.status is Status.PASS and "linux" in f.observed.lower():
            found.append("SQL-001 FAILs the version while SQL-003 PASSes the Linux host")
    for f in by_id.get("NSG-001", []) + by_id.get("NSG-002", []) + by_id.get("NSG-003", []):
        if f.status is Status.PASS and "has no NSG" in f.message:
            found.append(f"{f.check_id} PASSes 'no NSG' (checked against the subnet in the facts below)")
    return found + _direction_contradictions(by_id)


def test_no_scenario_report_contradicts_itself() -> None:
    data = demo_data()
    scenarios = [("demo", data)]
    for how in ("remove", "empty"):
        for path in fact_paths(data["facts"]):
            variant = changed(data, path, how)
            if variant is not None:
                scenarios.append((f"{how} {path}", variant))
    problems = []
    for name, variant in scenarios:
        try:
            snapshot = loads(json.dumps(variant))
        except SnapshotError:
            continue
        findings = evaluate(snapshot.facts, ALL, today=snapshot.collected_at.date())
        subnet = snapshot.facts.azure.subnet if snapshot.facts.azure else None
        for problem in contradictions(findings):
            if "no NSG" in problem and not (subnet and subnet.nsg_id):
                continue  # no NSG named by the subnet: "no NSG" is then the truth
            problems.append(f"{name}: {problem}")
    assert not problems, problems[:20]


def test_the_scan_finds_the_pairs_it_looks_for() -> None:
    # The scan itself must be able to fail: feed it the two shapes the issue reported.
    from tests.builders.reports import finding

    bad = [finding("CERT-004", Status.FAIL, "The key is not imported under the instance FQDN []"),
           finding("SQL-001", Status.FAIL, "version"),
           finding("SQL-003", Status.PASS, "host OS supported", observed="Enterprise on Linux Ubuntu")]
    assert len(contradictions(bad)) == 2


def test_the_scan_finds_the_direction_pairs() -> None:
    # One report judging the instance first (DB-001) and SQL Server first (DB-003 on the same database, DB-011's
    # clash, SVC-008's skip, MI-003 against FO-004): each pair is found.
    from tests.builders.reports import finding

    mixed = [finding("DB-001", Status.PASS, f"Sales is on the managed instance and {_MI_FIRST_PASS}", target="Sales"),
             finding("DB-003", Status.PASS, "Sales uses the FULL recovery model", target="Sales"),
             finding("DB-011", Status.FAIL, "Database Sales already exists on the instance", target="Sales"),
             finding("SVC-008", Status.SKIP, "Not applicable: data replicates from SQL Server to the managed "
                                             "instance only (DB-009 covers TDE in that direction)"),
             finding("MI-003", Status.PASS, "The SQL Server 2022 update policy supports SQL Server 16.x"),
             finding("FO-004", Status.FAIL, "With the AlwaysUpToDate update policy the databases cannot fail back")]
    assert len(contradictions(mixed)) == 4
    report = {"findings": [{"check_id": f.check_id, "status": f.status.value, "message": f.message,
                            "observed": f.observed, "expected": f.expected, "target": f.target} for f in mixed]}
    assert len(report_contradictions(report)) == 4
    mi_first_alone = [mixed[0], finding("DB-003", Status.SKIP, "Not applicable: plan.initial_primary is "
                                                              "ManagedInstance", target="Sales")]
    assert contradictions(mi_first_alone) == []
