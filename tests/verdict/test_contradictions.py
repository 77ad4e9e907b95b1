"""Issue 13: no report of a test scenario contradicts itself. The scenarios are the demo and every
fact-removal variant of it (tests/verdict/removal.py); the pairs are the ones the issue names."""

from __future__ import annotations

import json
import re

from linkready.engine import evaluate
from linkready.model import Finding, Status
from linkready.snapshot import SnapshotError, loads
from tests.verdict.removal import ALL, changed, demo_data, fact_paths

#: Placeholders that mean a fact was missing but printed as if known ("instance FQDN []", "?/?").
_EMPTY_VALUE = re.compile(r"\[\]|\?/\?")


def contradictions(findings: list[Finding]) -> list[str]:
    found = []
    by_id: dict[str, list[Finding]] = {}
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
    return found


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
