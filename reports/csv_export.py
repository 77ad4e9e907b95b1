"""``--format csv``: one row per finding, for the consultant's own tracker (Excel, Jira import, ...).

Columns are fixed and documented (README): id, status, severity, area, owner, target, title,
message, observed, expected, prevents (SQL error numbers, then the service's error code names), docs.
Values are plain text; a value that a spreadsheet
would run as a formula (=, +, -, @ first) is prefixed with an apostrophe (OWASP CSV injection).
"""

from __future__ import annotations

import csv
import io

from linkready.model import Finding
from linkready.report import Report

COLUMNS = ("id", "status", "severity", "area", "owner", "target", "title", "message", "observed", "expected",
           "prevents", "docs")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: str, formula_guard: bool = True) -> str:
    """A value as one defused CSV cell: whitespace collapsed, a formula lead-in quoted away (``formula_guard``)."""
    text = " ".join(value.replace("\x00", "").split())
    return "'" + text if formula_guard and text.startswith(_FORMULA_START) else text


def row_values(f: Finding, *, formula_guard: bool = True) -> list[str]:
    """One finding's cells in :data:`COLUMNS` order (``formula_guard``: the apostrophe for CSV; the
    xlsx format stores text cells instead, which never run)."""
    return [cell(v, formula_guard) for v in (
        f.check_id, f.status.value, f.severity.value, f.area.label, f.owner.value, f.target, f.title, f.message,
        f.observed, f.expected, " ".join((*(str(n) for n in f.prevents), *f.service_errors)), f.docs)]


def render(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for f in report.findings:
        writer.writerow(row_values(f))
    return out.getvalue()
