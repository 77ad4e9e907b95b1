"""Self-contained HTML report (jinja2, autoescape on): inline CSS, no external requests."""

from __future__ import annotations

import re
from typing import Any

import jinja2

from linkready.model import Finding, Status
from linkready.report import Report


def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("linkready.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def anchor(finding: Finding) -> str:
    """A stable fragment ID for a finding, e.g. ``DB-003-Sales``."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", finding.target)
    return f"{finding.check_id}-{slug}" if slug else finding.check_id


def view(report: Report) -> dict[str, Any]:
    return {
        "report": report,
        "verdict_class": {0: "ready", 1: "not-ready", 3: "unknown"}[report.verdict.exit_code],
        "areas": report.by_area(),
        "blockers": report.blockers()[:8],
        "Status": Status,
        "anchor": anchor,
    }


def render(report: Report) -> str:
    return environment().get_template("report.html").render(**view(report))
