"""SARIF 2.1.0: one rule per check (from the catalogue metadata), one result per finding that needs attention.

Made for GitHub code scanning and Azure DevOps: ``tool.driver.name``, rules with ``id``,
``shortDescription``, ``help`` and ``helpUri``, results with ``ruleId``, ``level``, ``message.text``
and a location. Every result becomes an alert, so PASS and SKIP are not results (the run's
``properties.counts`` still tell them); WAIVED findings are results only when asked for
(``include_waived``), as accepted suppressions.

A readiness finding has no line of code: each result points at the target file the run used
(relative to the repository root, ``%SRCROOT%``) on the line of the key that drives it
(``server =`` under ``[source]`` for SQL Server findings, ``databases =`` for a database, …) when
the file's text is known, else line 1; what was checked is the logical location.

Statuses map onto SARIF's ``kind``/``level`` as the spec defines them (a ``kind`` other than
``fail`` requires level ``none``):

====== ============== =====================================================
status kind           level
====== ============== =====================================================
FAIL   fail           error (critical/high/medium), warning (low/info)
WARN   fail           warning (critical/high/medium), note (low/info)
WAIVED fail           warning, with an accepted external suppression (the waiver)
ERROR  open           none: could not be determined, which is not a pass
SKIP   notApplicable  none
PASS   pass           none
====== ============== =====================================================
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from linkready.model import Area, CheckSpec, Finding, Severity, Status
from linkready.report import Report

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
VERSION = "2.1.0"
DEFAULT_ARTIFACT = "linkready.toml"
FINGERPRINT = "linkreadyFindingKey/v1"
SRCROOT = "%SRCROOT%"

#: Statuses that are results: each one is something to act on (an alert in code scanning).
ATTENTION = (Status.FAIL, Status.WARN, Status.ERROR)

_SERIOUS = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM)
_KIND = {
    Status.FAIL: "fail", Status.WARN: "fail", Status.WAIVED: "fail",
    Status.ERROR: "open", Status.SKIP: "notApplicable", Status.PASS: "pass",
}


def level(finding: Finding) -> str:
    """The SARIF level of a finding (see the module's table)."""
    if finding.status is Status.FAIL:
        return "error" if finding.severity in _SERIOUS else "warning"
    if finding.status is Status.WARN:
        return "warning" if finding.severity in _SERIOUS else "note"
    if finding.status is Status.WAIVED:
        return "warning"
    return "none"


def _default_level(severity: Severity) -> str:
    return "error" if severity in _SERIOUS else "warning"


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def _spec(check_id: str) -> CheckSpec | None:
    # The registry holds the catalogue; a finding whose check is not registered (e.g. the
    # engine's WAIVER-001) carries the same metadata itself.
    from linkready.checks import get

    try:
        spec: CheckSpec | None = get(check_id)  # typed here: mypy cannot follow the mapped checks/ package
        return spec
    except Exception:  # a broken catalogue must not stop the report from being written
        return None


def rule(finding: Finding) -> dict[str, Any]:
    """A reportingDescriptor for the finding's check."""
    spec = _spec(finding.check_id)
    title = spec.title if spec else finding.title
    rationale = spec.rationale if spec else finding.rationale
    remediation = spec.remediation if spec else finding.remediation
    docs = spec.docs if spec else finding.docs
    severity = spec.severity if spec else finding.severity
    owner = spec.owner if spec else finding.owner
    prevents = spec.prevents if spec else finding.prevents
    codes = spec.service_errors if spec else finding.service_errors
    tags = ["linkready", finding.area.value, owner.value, *(spec.tags if spec else ())]
    help_text = f"{rationale}\n\nHow to fix: {remediation}\n\nDocumentation: {docs}"
    help_md = f"{rationale}\n\n**How to fix:** {remediation}\n\n[Documentation]({docs})"
    if prevents:
        errors = ", ".join(str(n) for n in prevents)
        help_text += f"\n\nPrevents error {errors}."
        help_md += f"\n\nPrevents error {errors}."
    if codes:
        help_text += f"\n\nPrevents service error {', '.join(codes)}."
        help_md += f"\n\nPrevents service error {', '.join(f'`{c}`' for c in codes)}."
    return {
        "id": finding.check_id,
        "name": _camel(spec.name) if spec and spec.function else finding.check_id.replace("-", ""),
        "shortDescription": {"text": title},
        "fullDescription": {"text": rationale},
        "help": {"text": help_text, "markdown": help_md},
        "helpUri": docs,
        "defaultConfiguration": {"level": _default_level(severity)},
        "properties": {
            "tags": list(dict.fromkeys(tags))[:20],
            "precision": "very-high",
            "problem.severity": "error" if severity in _SERIOUS else "warning",
            "severity": severity.value,
            "owner": owner.value,
            "area": finding.area.value,
            "prevents": list(prevents),
            "serviceErrors": list(codes),
        },
    }



@dataclass(frozen=True)
class SarifOptions:
    """Where the results point and which are included."""

    #: The target file, relative to the repository root (POSIX separators), or an absolute file URI.
    artifact: str = DEFAULT_ARTIFACT
    #: The target file's text, to find the line of the key behind each finding ("" → line 1).
    text: str = ""
    #: Waived findings as suppressed results (off: a waiver is a decision, not an alert).
    include_waived: bool = False


#: The keys of the target file that drive each area's findings, in order of preference.
_KEYS: dict[Area, tuple[tuple[str, str], ...]] = {
    Area.SQL: (("source", "server"),),
    Area.ENDPOINT: (("link", "partner_endpoint"), ("source", "server")),
    Area.CERTIFICATES: (("source", "server"),),
    Area.DATABASES: (("link", "databases"),),
    Area.DNS: (("link", "partner_endpoint"), ("network", "dns_servers"), ("managed_instance", "resource_id")),
    Area.NETWORK: (("link", "partner_endpoint"), ("source", "address"), ("network", "")),
    Area.NSG: (("managed_instance", "resource_id"),),
    Area.MANAGED_INSTANCE: (("managed_instance", "resource_id"),),
    Area.TARGET: (("managed_instance", "resource_id"),),
    Area.LINK: (("link", "name"),),
    Area.PLAN: (("link", "name"),),
}
_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.-]+)\s*\]\]?")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=(.*)$")


@dataclass(frozen=True)
class _Line:
    table: str
    key: str  # "" for the table's header line
    number: int
    value: str


def _lines(text: str) -> list[_Line]:
    """Table headers and top-level keys of a TOML text with their 1-based line numbers."""
    table, found = "", []
    for number, line in enumerate(text.splitlines(), start=1):
        if header := _HEADER.match(line):
            table = header.group(1)
            found.append(_Line(table, "", number, ""))
        elif key := _KEY.match(line):
            found.append(_Line(table, key.group(1), number, key.group(2)))
    return found


def _quoted(name: str) -> re.Pattern[str]:
    return re.compile(r"[\"']" + re.escape(name) + r"[\"']")


def line_of(finding: Finding, lines: Sequence[_Line]) -> int:
    """The line of the key that drives the finding; a key naming the finding's target wins; else 1."""
    for table, key in _KEYS.get(finding.area, ()):
        matches = [line for line in lines if line.table == table and line.key == key]
        if finding.target:
            named = _quoted(finding.target)
            for line in matches:
                if named.search(line.value):
                    return line.number
        if matches:
            return matches[0].number
    return 1


def _message(finding: Finding) -> str:
    parts = [finding.message]
    if finding.observed:
        parts.append(f"Observed: {finding.observed}.")
    if finding.expected:
        parts.append(f"Expected: {finding.expected}.")
    if finding.status is Status.ERROR:
        parts.append("Not verified: unknown, not passed.")
    return " ".join(parts)


def fingerprint(finding: Finding, server: str) -> str:
    """Stable across runs of the same target: the check, what it judged, and the SQL Server."""
    return hashlib.sha256(f"{server}|{finding.key}".encode()).hexdigest()[:32]


def _artifact(uri: str) -> dict[str, str]:
    return {"uri": uri} if uri.startswith("file:") else {"uri": uri, "uriBaseId": SRCROOT}


def result(finding: Finding, rule_index: int, options: SarifOptions, server: str,
           lines: Sequence[_Line] = ()) -> dict[str, Any]:
    where = finding.target or finding.area.label
    qualified = "/".join(part for part in (server, finding.area.value, finding.target) if part)
    out: dict[str, Any] = {
        "ruleId": finding.check_id,
        "ruleIndex": rule_index,
        "kind": _KIND[finding.status],
        "level": level(finding),
        "message": {"text": _message(finding)},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": _artifact(options.artifact),
                "region": {"startLine": line_of(finding, lines), "startColumn": 1},
            },
            "logicalLocations": [{"name": where, "fullyQualifiedName": qualified, "kind": "resource"}],
        }],
        "partialFingerprints": {FINGERPRINT: fingerprint(finding, server)},
        "properties": {
            "status": finding.status.value,
            "severity": finding.severity.value,
            "owner": finding.owner.value,
            "target": finding.target,
            "observed": finding.observed,
            "expected": finding.expected,
            "evidence": list(finding.evidence),
            "fix": [{"language": b.language, "title": b.title, "code": b.code} for b in finding.fix],
        },
    }
    if finding.waiver is not None:
        waiver = finding.waiver
        out["suppressions"] = [{
            "kind": "external",
            "status": "accepted",
            "justification": f"{waiver.reason} (owner {waiver.owner}, until {waiver.expires.isoformat()})",
        }]
    return out


def included(finding: Finding, options: SarifOptions) -> bool:
    """A result for what needs attention; a waived finding only when asked for."""
    return finding.status in ATTENTION or (options.include_waived and finding.status is Status.WAIVED)


def _run(report: Report, rules: list[dict[str, Any]], results: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "tool": {"driver": {
            "name": "linkready",
            "version": report.tool_version,
            "semanticVersion": report.tool_version,
            "rules": rules,
        }},
        "automationDetails": {"id": f"linkready/{report.profile}/"},
        "invocations": [{
            "executionSuccessful": True,
            "endTimeUtc": report.generated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }],
        "originalUriBaseIds": {SRCROOT: {"description": {"text": "The repository root (--sarif-root)."}}},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "verdict": report.verdict.value,
            "exitCode": report.verdict.exit_code,
            "snapshotDigest": report.digest,
            "profile": report.profile,
            "counts": {status.value: n for status, n in report.counts.items()},
        },
    }


def sarif_log(report: Report, *, options: SarifOptions | None = None) -> dict[str, Any]:
    """The SARIF log as data (``render`` serialises it)."""
    options = options or SarifOptions()
    lines = _lines(options.text)
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results = []
    server = report.snapshot.facts.plan.source_server
    for finding in report.findings:
        if not included(finding, options):
            continue
        if finding.check_id not in index:
            index[finding.check_id] = len(rules)
            rules.append(rule(finding))
        results.append(result(finding, index[finding.check_id], options, server, lines))
    return {"$schema": SCHEMA_URI, "version": VERSION, "runs": [_run(report, rules, results)]}


def render(report: Report, *, options: SarifOptions | None = None) -> str:
    return json.dumps(sarif_log(report, options=options), indent=2, ensure_ascii=False) + "\n"
