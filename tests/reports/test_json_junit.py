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
