"""SARIF 2.1.0 output: the spec's required properties, GitHub code scanning's, and the status mapping.

The OASIS schema cannot be downloaded here, so SARIF_SUBSET below is written from the spec's
object definitions (required properties, enumerations) for every object linkready emits.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from linkready.checks import all_checks
from linkready.reports import Format, render, sarif

from linkready.model import Severity, Status, Waiver
from tests.builders.reports import estate_report, finding, make_report, rich_report
from tests.reports.minischema import problems

MESSAGE = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "minLength": 1}}}
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string"},
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/run"}},
    },
    "$defs": {
        "run": {
            "type": "object",
            "required": ["tool"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"],
                         "properties": {"driver": {"$ref": "#/$defs/toolComponent"}}},
                "results": {"type": "array", "items": {"$ref": "#/$defs/result"}},
                "automationDetails": {"type": "object", "properties": {"id": {"type": "string"}}},
                "invocations": {"type": "array", "items": {
                    "type": "object", "required": ["executionSuccessful"],
                    "properties": {"executionSuccessful": {"type": "boolean"}, "endTimeUtc": {
                        "type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"}}}},
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "properties": {"type": "object"},
            },
        },
        "toolComponent": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "version": {"type": "string"},
                "semanticVersion": {"type": "string"},
                "rules": {"type": "array", "items": {"$ref": "#/$defs/reportingDescriptor"}},
            },
        },
        "reportingDescriptor": {
            "type": "object",
            # id is the spec's only required property; GitHub also needs these three.
            "required": ["id", "shortDescription", "helpUri"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "name": {"type": "string"},
                "shortDescription": MESSAGE,
                "fullDescription": MESSAGE,
                "help": MESSAGE,
                "helpUri": {"type": "string", "pattern": r"^https://"},
                "defaultConfiguration": {"type": "object", "properties": {
                    "level": {"enum": ["none", "note", "warning", "error"]}}},
                "properties": {"type": "object", "properties": {
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "security-severity": {"type": "string"}}},
            },
        },
        "result": {
            "type": "object",
            "required": ["message", "ruleId", "level", "locations"],
            "properties": {
                "ruleId": {"type": "string", "minLength": 1},
                "ruleIndex": {"type": "integer", "minimum": -1},
                "kind": {"enum": ["notApplicable", "pass", "fail", "review", "open", "informational"]},
                "level": {"enum": ["none", "note", "warning", "error"]},
                "message": MESSAGE,
                "locations": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/location"}},
                "partialFingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
                "suppressions": {"type": "array", "items": {"$ref": "#/$defs/suppression"}},
                "properties": {"type": "object"},
            },
        },
        "location": {
            "type": "object",
            "required": ["physicalLocation"],
            "properties": {
                "physicalLocation": {
                    "type": "object",
                    "required": ["artifactLocation"],
                    "properties": {
                        "artifactLocation": {"type": "object", "required": ["uri"],
                                             "properties": {"uri": {"type": "string", "minLength": 1}}},
                        "region": {"type": "object", "properties": {
                            "startLine": {"type": "integer", "minimum": 1},
                            "startColumn": {"type": "integer", "minimum": 1}}},
                    },
                },
                "logicalLocations": {"type": "array", "items": {
                    "type": "object", "properties": {"name": {"type": "string"},
                                                     "fullyQualifiedName": {"type": "string"},
                                                     "kind": {"type": "string"}}}},
            },
        },
        "suppression": {
            "type": "object",
            "required": ["kind"],
            "properties": {
                "kind": {"enum": ["inSource", "external"]},
                "status": {"enum": ["accepted", "underReview", "rejected"]},
                "justification": {"type": "string"},
            },
        },
    },
}


@pytest.mark.parametrize("build", [rich_report, lambda: estate_report(500), lambda: make_report([])],
                         ids=["rich", "estate", "empty"])
def test_sarif_has_every_required_property(build: object) -> None:
    report = build()  # type: ignore[operator]
    log = json.loads(render(Format.SARIF, report))
    assert problems(log, SARIF_SUBSET) == []
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "linkready"
    assert len(run["results"]) == len(report.findings)
    assert len({r["id"] for r in rules}) == len(rules), "one rule per check"
    for res in run["results"]:
        # ruleIndex points at the rule with the same id (SARIF §3.27.6)
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        # a kind other than "fail" requires level "none" (SARIF §3.27.10)
        if res["kind"] != "fail":
            assert res["level"] == "none"


@pytest.mark.parametrize(
    ("status", "severity", "kind", "level"),
    [
        (Status.FAIL, Severity.CRITICAL, "fail", "error"),
        (Status.FAIL, Severity.MEDIUM, "fail", "error"),
        (Status.FAIL, Severity.LOW, "fail", "warning"),
        (Status.WARN, Severity.HIGH, "fail", "warning"),
        (Status.WARN, Severity.INFO, "fail", "note"),
        (Status.ERROR, Severity.HIGH, "open", "none"),
        (Status.SKIP, Severity.HIGH, "notApplicable", "none"),
        (Status.PASS, Severity.CRITICAL, "pass", "none"),
    ],
)
def test_levels_from_status_and_severity(status: Status, severity: Severity, kind: str, level: str) -> None:
    log = sarif.sarif_log(make_report([finding("ZZZ-001", status, "m", severity=severity)]))
    res = log["runs"][0]["results"][0]
    assert (res["kind"], res["level"]) == (kind, level)


def test_waived_finding_is_an_accepted_suppression() -> None:
    waiver = Waiver("ZZZ-001", "accepted for the pilot", "Dana", date(2027, 1, 31))
    log = sarif.sarif_log(make_report([finding("ZZZ-001", Status.WAIVED, "m", waiver=waiver)]))
    res = log["runs"][0]["results"][0]
    assert res["suppressions"] == [{"kind": "external", "status": "accepted",
                                    "justification": "accepted for the pilot (owner Dana, until 2027-01-31)"}]


def test_rules_come_from_the_catalogue() -> None:
    spec = all_checks()[0]
    mine = finding(spec.id, Status.FAIL, "seen", title="not the catalogue's title", area=spec.area)
    rule = sarif.sarif_log(make_report([mine]))["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["shortDescription"]["text"] == spec.title
    assert rule["fullDescription"]["text"] == spec.rationale
    assert rule["helpUri"] == spec.docs
    assert spec.remediation in rule["help"]["text"]
    assert rule["name"] == "".join(p.capitalize() for p in spec.name.split("_"))


def test_results_are_stable_across_runs_and_locate_the_target() -> None:
    first = sarif.sarif_log(rich_report())["runs"][0]["results"]
    second = sarif.sarif_log(rich_report())["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in first] == [r["partialFingerprints"] for r in second]
    assert len({json.dumps(r["partialFingerprints"]) for r in first}) == len(first)
    db = next(r for r in first if r["ruleId"] == "DB-003" and r["kind"] == "fail")
    assert db["locations"][0]["logicalLocations"][0]["name"] == "Ticketing"
    assert db["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "linkready.toml"
    assert "Observed: SIMPLE." in db["message"]["text"]
