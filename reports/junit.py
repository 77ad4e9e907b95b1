"""JUnit XML: one testcase per finding, so any CI shows blockers as failed tests.

FAIL → <failure>, ERROR → <error>, SKIP and WAIVED → <skipped>; PASS and WARN pass (a WARN
carries its message in <system-out>; the pipeline profile turns WARN into a failed run instead).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from linkready.model import Finding, Status
from linkready.report import Report


def _case(suite: ET.Element, finding: Finding) -> None:
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
    if finding.status is Status.FAIL:
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
    for area, findings in report.by_area():
        counts = {
            "tests": len(findings),
            "failures": sum(f.status is Status.FAIL for f in findings),
            "errors": sum(f.status is Status.ERROR for f in findings),
            "skipped": sum(f.status in (Status.SKIP, Status.WAIVED) for f in findings),
        }
        attributes = {"name": f"linkready.{area.value}", "timestamp": report.generated_at.isoformat(), "time": "0"}
        attributes.update({k: str(v) for k, v in counts.items()})
        suite = ET.SubElement(root, "testsuite", attributes)
        for finding in findings:
            _case(suite, finding)
        for key, value in counts.items():
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
