"""Console summary with rich: verdict first, then the findings that need attention."""

from __future__ import annotations

from io import StringIO

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
    shown = [f for f in report.findings if show_passed or f.status not in (Status.PASS, Status.SKIP)]
    if not shown:
        return
    table = Table(show_lines=False, expand=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Check", no_wrap=True)
    table.add_column("Target", overflow="fold", max_width=28)
    table.add_column("Finding", overflow="fold", ratio=1)
    table.add_column("Owner", no_wrap=True)
    for f in shown:
        table.add_row(Text(f.status.value, style=STYLE[f.status]), Text(f.check_id), Text(f.target),
                      Text(f.message), Text(f.owner.value))
    console.print(table)
    console.print(Text(f"Snapshot {report.digest} · linkready {report.tool_version}", style="dim"), highlight=False)


def render(report: Report) -> str:
    buffer = StringIO()
    print_report(report, Console(file=buffer, width=120, color_system=None, force_terminal=False, markup=False))
    return buffer.getvalue()
