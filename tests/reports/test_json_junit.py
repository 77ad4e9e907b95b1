"""JSON report checked structurally against its published schema; JUnit XML as a golden file."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from linkready.reports import Format, json_report, junit, render
from syrupy.assertion import SnapshotAssertion

from linkready.model import Status
from tests.builders.reports import estate_report, make_report, rich_report
from tests.reports.minischema import problems

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "reports" / "report.schema.json").read_text("utf-8"))


def test_minischema_reports_what_is_wrong() -> None:
    schema = {"type": "object", "required": ["a"], "additionalProperties": False,
              "properties": {"a": {"enum": [1, 2]}}}
    assert problems({"a": 1}, schema) == []
    assert problems({"b": 3}, schema) == ["$: missing required 'a'", "$: unexpected property 'b'"]
    assert problems({"a": 3}, schema) == ["$.a: 3 not in [1, 2]"]


@pytest.mark.parametrize("build", [rich_report, lambda: estate_report(200), lambda: make_report([])],
                         ids=["rich", "estate", "empty"])
def test_json_report_matches_its_schema(build: object) -> None:
    report = build()  # type: ignore[operator]
    data = json.loads(render(Format.JSON, report))
    assert problems(data, SCHEMA) == []
    assert len(data["findings"]) == len(report.findings)
    assert data["snapshot"]["digest"] == report.digest
    assert data["counts"] == {s.value: n for s, n in report.counts.items()}


def test_json_keeps_waivers_and_fix_blocks() -> None:
    data = json_report.report_data(rich_report())
    waived = next(f for f in data["findings"] if f["status"] == "WAIVED")
    assert waived["waiver"] == {"check": "CERT-003", "reason": "Imported during the change window on 2026-11-24",
                                "owner": "Dana Whitfield (DBA lead)", "expires": "2026-12-15", "target": ""}
    fixes = [b for f in data["findings"] for b in f["fix"]]
    assert {"language", "code", "title"} <= set(fixes[0])


def test_junit_golden(xml_snapshot: SnapshotAssertion) -> None:
    report = rich_report()
    assert junit.render(report) == xml_snapshot


def test_junit_counts_match_findings() -> None:
    report = rich_report()
    root = ET.fromstring(junit.render(report))
    cases = root.findall(".//testcase")
    assert len(cases) == len(report.findings)
    assert root.get("failures") == str(report.counts[Status.FAIL])
    assert root.get("errors") == str(report.counts[Status.ERROR])
    assert root.get("skipped") == str(report.counts[Status.SKIP] + report.counts[Status.WAIVED])


def test_findings_carry_the_service_codes_their_check_prevents(tmp_path: Path) -> None:
    """The engine's finding, not a builder's: `linkready demo`'s SVC-007 names the code users search for, in JSON,
    SARIF and CSV, and a check that prevents no service code carries none."""
    from tests.conftest import run_cli

    done = run_cli("demo", "--format", "json,sarif,csv", "-o", str(tmp_path), "-q")
    assert done.returncode in (0, 1), done.stderr
    data = json.loads(next(tmp_path.glob("*.json")).read_text("utf-8"))
    assert problems(data, SCHEMA) == []
    by_check = {f["check_id"]: f for f in data["findings"]}
    assert by_check["SVC-007"]["service_errors"] == ["ManagedInstanceLinkSourceDbHasDefunctFiles"]
    assert "CloudLifterChimeraMIAgNameIsAlreadyUsed" in by_check["MI-007"]["service_errors"]
    assert by_check["SQL-001"]["service_errors"] == []
    rules = {r["id"]: r for r in json.loads(next(tmp_path.glob("*.sarif")).read_text("utf-8"))
             ["runs"][0]["tool"]["driver"]["rules"]}
    coded = [i for i, r in rules.items() if by_check[i]["service_errors"]]
    assert coded, "the demo's findings that need attention include checks that prevent a service code"
    for check_id in coded:
        assert rules[check_id]["properties"]["serviceErrors"] == by_check[check_id]["service_errors"]
        assert by_check[check_id]["service_errors"][0] in rules[check_id]["help"]["text"]
    assert "ManagedInstanceLinkSourceDbHasDefunctFiles" in next(tmp_path.glob("*.csv")).read_text("utf-8")
