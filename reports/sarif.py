"""SARIF 2.1.0: one rule per check (from the catalogue metadata), one result per finding.

Made for GitHub code scanning and Azure DevOps: ``tool.driver.name``, rules with ``id``,
``shortDescription`` and ``helpUri``, results with ``ruleId``, ``level``, ``message.text`` and a
location. A readiness finding has no line of code, so each result points at the target file
(``linkready.toml`` by default, line 1) and names what was checked as a logical location.

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
from datetime import UTC
from typing import Any

from linkready.model import CheckSpec, Finding, Severity, Status
from linkready.report import Report

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
VERSION = "2.1.0"
DEFAULT_ARTIFACT = "linkready.toml"
FINGERPRINT = "linkreadyFindingKey/v1"

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
    tags = ["linkready", finding.area.value, owner.value, *(spec.tags if spec else ())]
    help_text = f"{rationale}\n\nHow to fix: {remediation}\n\nDocumentation: {docs}"
    help_md = f"{rationale}\n\n**How to fix:** {remediation}\n\n[Documentation]({docs})"
    if prevents:
        errors = ", ".join(str(n) for n in prevents)
        help_text += f"\n\nPrevents error {errors}."
        help_md += f"\n\nPrevents error {errors}."
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
        },
    }


def _message(finding: Finding) -> str:
    parts = [finding.message]
    if finding.observed:
        parts.append(f"Observed: {finding.observed}.")
    if finding.expected:
        parts.append(f"Expected: {finding.expected}.")
    if finding.status is Status.ERROR:
        parts.append("Not verified: unknown, not passed.")
    return " ".join(parts)


def result(finding: Finding, rule_index: int, artifact: str, server: str) -> dict[str, Any]:
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
                "artifactLocation": {"uri": artifact},
                "region": {"startLine": 1, "startColumn": 1},
            },
            "logicalLocations": [{"name": where, "fullyQualifiedName": qualified, "kind": "resource"}],
        }],
        "partialFingerprints": {FINGERPRINT: hashlib.sha256(finding.key.encode()).hexdigest()[:32]},
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


def sarif_log(report: Report, *, artifact: str = DEFAULT_ARTIFACT) -> dict[str, Any]:
    """The SARIF log as data (``render`` serialises it)."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results = []
    server = report.snapshot.facts.plan.source_server
    for finding in report.findings:
        if finding.check_id not in index:
            index[finding.check_id] = len(rules)
            rules.append(rule(finding))
        results.append(result(finding, index[finding.check_id], artifact, server))
    return {
        "$schema": SCHEMA_URI,
        "version": VERSION,
        "runs": [{
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
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {
                "verdict": report.verdict.value,
                "exitCode": report.verdict.exit_code,
                "snapshotDigest": report.digest,
                "profile": report.profile,
                "counts": {status.value: n for status, n in report.counts.items()},
            },
        }],
    }


def render(report: Report, *, artifact: str = DEFAULT_ARTIFACT) -> str:
    return json.dumps(sarif_log(report, artifact=artifact), indent=2, ensure_ascii=False) + "\n"
