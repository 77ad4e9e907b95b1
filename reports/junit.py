"""JUnit XML: one testcase per finding, so any CI shows blockers as failed tests.

FAIL → <failure>, ERROR → <error>, SKIP and WAIVED → <skipped>; PASS and WARN pass (a WARN
carries its message in <system-out>), except under a profile where WARN blocks (pipeline): there a
WARN is a <failure>, so the failed tests agree with the exit code.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from linkready.model import Finding, Status, Verdict
from linkready.report import Report

#: Characters XML 1.0 cannot hold at all, even escaped (a NUL made the whole file unparseable).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _clean_tree(root: ET.Element) -> None:
    for element in root.iter():
        if element.text:
            element.text = _clean(element.text)
        for key, value in element.attrib.items():
            element.set(key, _clean(value))


def warn_blocks(report: Report) -> bool:
    """Whether the run's profile makes a WARN block (pipeline): then a WARN is a <failure>, as in the gate."""
    from linkready.checks import load_profile

    from linkready.policy import PolicyError

    if report.verdict is Verdict.NOT_READY and not any(f.status is Status.FAIL for f in report.findings):
        return True
    try:
        blocks: bool = load_profile(report.profile).warn_is_failure  # typed: checks/ is mapped, mypy sees Any
        return blocks
    except (PolicyError, OSError, ValueError):
        return False


def _case(suite: ET.Element, finding: Finding, warn_fails: bool = False) -> None:
    name = f"{finding.check_id} {finding.title}"
    if finding.target:
        name += f" [{finding.target}]"
    case = ET.SubElement(suite, "testcase", name=name, classname=f"linkready.{finding.area.value}", time="0")
    detail = "\n".join(
        line
        for line in (
            f"Observed: {finding.observed}" if finding.observed else "",
            f"Expected: {finding.expected}" if finding.expected else "",
            *finding.evidence,
            f"Remediation: {finding.remediation}",
            *(block.code for block in finding.fix),
            f"Docs: {finding.docs}",
        )
        if line
    )
    if finding.status is Status.FAIL or (warn_fails and finding.status is Status.WARN):
        ET.SubElement(case, "failure", message=finding.message, type=finding.severity.value).text = detail
    elif finding.status is Status.ERROR:
        ET.SubElement(case, "error", message=finding.message, type="could-not-evaluate").text = detail
    elif finding.status is Status.SKIP:
        ET.SubElement(case, "skipped", message=finding.message)
    elif finding.status is Status.WAIVED and finding.waiver:
        waiver = finding.waiver
        ET.SubElement(
            case, "skipped",
            message=f"waived until {waiver.expires.isoformat()} by {waiver.owner}: {waiver.reason}",
        )
    else:
        ET.SubElement(case, "system-out").text = f"{finding.status.value}: {finding.message}"


def render(report: Report) -> str:
    root = ET.Element("testsuites", name="linkready")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    warn_fails = warn_blocks(report)
    failing = (Status.FAIL, Status.WARN) if warn_fails else (Status.FAIL,)
    for area, findings in report.by_area():
        counts = {
            "tests": len(findings),
            "failures": sum(f.status in failing for f in findings),
            "errors": sum(f.status is Status.ERROR for f in findings),
            "skipped": sum(f.status in (Status.SKIP, Status.WAIVED) for f in findings),
        }
        attributes = {"name": f"linkready.{area.value}", "timestamp": report.generated_at.isoformat(), "time": "0"}
        attributes.update({k: str(v) for k, v in counts.items()})
        suite = ET.SubElement(root, "testsuite", attributes)
        # Which linkready judged which facts: JUnit readers show testsuite properties with the run.
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", {"name": "linkready.version", "value": report.tool_version})
        ET.SubElement(properties, "property", {"name": "linkready.snapshot", "value": report.digest})
        for finding in findings:
            _case(suite, finding, warn_fails)
        for key, value in counts.items():
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    _clean_tree(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
