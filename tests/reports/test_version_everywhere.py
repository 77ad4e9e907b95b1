"""Every report names the linkready version that wrote it (issue 17): console, JUnit, JSON, Markdown, HTML, SARIF."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from io import StringIO

from linkready.reports import Format, render
from linkready.reports.console import print_report
from rich.console import Console

from tests.builders.reports import rich_report


def test_every_text_format_names_the_version() -> None:
    report = rich_report()
    out = StringIO()
    print_report(report, Console(file=out, width=140, no_color=True))
    assert f"linkready {report.tool_version}" in out.getvalue()
    suites = ET.fromstring(render(Format.JUNIT, report)).findall("testsuite")
    assert suites and all(
        s.find("properties/property[@name='linkready.version']").get("value") == report.tool_version  # type: ignore[union-attr]
        for s in suites)
    assert json.loads(render(Format.JSON, report))["tool_version"] == report.tool_version
    for fmt in (Format.MARKDOWN, Format.HTML, Format.SARIF):
        assert report.tool_version in render(fmt, report), fmt
