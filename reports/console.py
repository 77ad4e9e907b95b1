"""Console summary with rich: verdict first, root causes, then the findings that need attention."""

from __future__ import annotations

from io import StringIO

from linkready.reports.causes import Row, folded_rows, root_causes
from rich.console import Console
from rich.table import Table
from rich.text import Text

from linkready.model import Status, Verdict
from linkready.report import Report

STYLE = {
    Status.PASS: "green", Status.WARN: "yellow", Status.FAIL: "bold red",
    Status.SKIP: "dim", Status.ERROR: "magenta", Status.WAIVED: "cyan",
}
VERDICT_STYLE = {Verdict.READY: "bold green", Verdict.NOT_READY: "bold red", Verdict.UNKNOWN: "bold magenta"}
#: Below this many columns for the Finding text, the Target column goes (its value joins the text).
MIN_FINDING = 30
#: Borders and padding of a five-column table (6 rules + 2 spaces per column).
_CHROME = 6 + 2 * 5


def _finding_width(rows: list[Row], width: int, with_target: bool) -> int:
    status = max(len("Status"), *(len(r.status.value) for r in rows))
    check = max(len("Check"), *(min(len(r.check), 18) for r in rows))
    owner = max(len("Owner"), *(len(r.owner) for r in rows))
    target = max(len("Target"), *(min(len(r.target), 28) for r in rows)) if with_target else 0
    chrome = _CHROME if with_target else _CHROME - 3
    return width - chrome - status - check - owner - target


def _table(rows: list[Row], width: int) -> Table:
    # Words wrap (rich's default); the Target column is dropped before the Finding text would be
    # squeezed under MIN_FINDING characters, which at 80 columns would read one word per line.
    with_target = any(r.target for r in rows) and _finding_width(rows, width, True) >= MIN_FINDING
    table = Table(show_lines=False, expand=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Check", overflow="fold", max_width=18)
    if with_target:
        table.add_column("Target", overflow="fold", max_width=28)
    table.add_column("Finding", ratio=1, overflow="fold", min_width=min(MIN_FINDING, max(10, width // 3)))
    table.add_column("Owner", no_wrap=True)
    for r in rows:
        text = r.text if with_target or not r.target else f"{r.target}: {r.text}"
        cells = [Text(r.status.value, style=STYLE[r.status]), Text(r.check)]
        if with_target:
            cells.append(Text(r.target))
        table.add_row(*cells, Text(text), Text(r.owner))
    return table


def print_report(report: Report, console: Console, *, show_passed: bool = False) -> None:
    console.print(Text(f"linkready: {report.verdict.value}", style=VERDICT_STYLE[report.verdict]))
    console.print(
        "  ".join(f"{status.value} {count}" for status, count in report.counts.items()),
        highlight=False,
    )
    console.print(Text(report.selection_line), highlight=False)
    # Every value is printed as Text, never as markup: "[dbo].[t]" must show, "[/]" must not raise.
    for key, value in report.target_summary.items():
        console.print(Text(f"{key}: {value}"), highlight=False)
    causes = root_causes(report)
    if causes:
        console.print(Text("Could not reach or read:", style="bold magenta"))
        # A grid, so a long line wraps under its own text, not under the bullet.
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1, overflow="fold")
        for cause in causes:
            grid.add_row(Text("  •"), Text(cause.line))
        console.print(grid)
    shown = [f for f in report.findings if show_passed or f.status not in (Status.PASS, Status.SKIP)]
    if not shown:
        return
    console.print(_table(folded_rows(shown, causes), console.width))
    console.print(Text(f"Snapshot {report.digest} · linkready {report.tool_version}", style="dim"), highlight=False)


def render(report: Report) -> str:
    buffer = StringIO()
    print_report(report, Console(file=buffer, width=120, color_system=None, force_terminal=False, markup=False))
    return buffer.getvalue()
