"""``--format xlsx``: the CSV's rows as an Excel workbook, ready to filter (needs ``linkready[xlsx]``).

One sheet, ``Findings``: a header row, then one row per finding with the same columns as
``--format csv`` (:data:`linkready.reports.csv_export.COLUMNS`), the header frozen, an autofilter over
the table and widths fitted to the content. Cells are text, never formulas: a value starting with
``=`` is written as a string (openpyxl would otherwise store it as a formula), so no cell runs.
openpyxl is an optional dependency; without it, :class:`XlsxError` names the extra to install.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from linkready.reports.csv_export import COLUMNS, row_values

from linkready.report import FormatUnavailable, Report

if TYPE_CHECKING:
    from linkready.tools.estate.outcomes import TargetOutcome

INSTALL = "pip install 'linkready[xlsx]'"
SHEET = "Findings"
#: Column widths (in characters) stay between these: a 2,000-character message must not make a column
#: a screen wide, and an ID column is never narrower than its header.
MIN_WIDTH, MAX_WIDTH = 8, 60


class XlsxError(FormatUnavailable):
    """openpyxl is not installed: one line naming the extra."""


def require_openpyxl() -> Any:
    """The openpyxl module, or XlsxError naming the extra to install."""
    try:
        import openpyxl
    except ImportError:
        raise XlsxError(f"--format xlsx needs openpyxl: {INSTALL} (or use --format csv)") from None
    return openpyxl


def _width(values: Iterable[str]) -> int:
    return max(MIN_WIDTH, min(MAX_WIDTH, max((len(v) for v in values), default=0) + 2))


def workbook(header: Sequence[str], rows: Sequence[Sequence[str]], *, sheet: str = SHEET) -> bytes:
    """An .xlsx of ``rows`` under ``header``: frozen header, autofilter, fitted widths, text cells."""
    openpyxl = require_openpyxl()
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, TYPE_STRING
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        # Control characters other than tab and newline cannot be stored in a workbook at all; an
        # empty value is an empty cell.
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", str(value)) or None for value in row])
        for cell in ws[ws.max_row]:
            if cell.value is not None:
                # openpyxl turns a string starting with "=" into a formula: keep every value text.
                cell.data_type = TYPE_STRING
    ws.freeze_panes = "A2"
    last = get_column_letter(len(header))
    ws.auto_filter.ref = f"A1:{last}{max(1, len(rows) + 1)}"
    for index, name in enumerate(header, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = _width([name, *(str(r[index - 1]) for r in rows)])
    wrap = Alignment(wrap_text=True, vertical="top")
    for row_cells in ws.iter_rows(min_row=2):
        for cell in row_cells:
            cell.alignment = wrap
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(report: Report) -> bytes:
    """The report's findings as an .xlsx workbook (bytes)."""
    return workbook(COLUMNS, [row_values(f, formula_guard=False) for f in report.findings])


#: The estate workbook's first column: which target (estate file entry) a row belongs to.
ESTATE_COLUMN = "estate target"


def render_estate(outcomes: Iterable[TargetOutcome]) -> bytes:
    """An estate's findings that need attention (what its outcomes carry: FAIL, ERROR, WARN, WAIVED),
    one row each, the target's name first; then the CSV's columns."""
    rows = [[o.name, *row_values(f, formula_guard=False)] for o in outcomes for f in o.findings]
    return workbook((ESTATE_COLUMN, *COLUMNS), rows)
