"""Markdown for pull-request comments: verdict, counts, then what to fix."""

from __future__ import annotations

import html
import re

from linkready.reports.causes import folded_rows, root_causes

from linkready.model import Status
from linkready.report import Report

_ICON = {
    Status.PASS: "✅ PASS", Status.WARN: "⚠️ WARN", Status.FAIL: "❌ FAIL",
    Status.SKIP: "⏭️ SKIP", Status.ERROR: "❓ ERROR", Status.WAIVED: "📝 WAIVED",
}
_FENCE = {"tsql": "sql", "azcli": "bash", "shell": "bash", "powershell": "powershell", "text": ""}


def _text(text: str) -> str:
    """A value as inert Markdown text: HTML (`<script>`, `</details>`) shows as text, never as markup."""
    return html.escape(text, quote=False)


def cell(text: str) -> str:
    """A value as one Markdown table cell: inert text, pipes escaped, one line."""
    return _text(text).replace("|", "\\|").replace("\n", " ")


def _fence(code: str) -> str:
    """A backtick fence longer than any run of backticks in ``code``, so the code cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    return "`" * max(3, longest + 1)


def render(report: Report) -> str:
    lines = [
        f"## linkready: {report.verdict.value}",
        "",
        f"Profile `{report.profile}` · {report.selection_line} · snapshot `{report.digest[:19]}…` · linkready {report.tool_version}",
        "",
        "| " + " | ".join(s.value for s in report.counts) + " |",
        "|" + "---|" * len(report.counts),
        "| " + " | ".join(str(n) for n in report.counts.values()) + " |",
        "",
    ]
    for key, value in report.target_summary.items():
        lines.append(f"- **{key}:** {cell(value)}")
    lines.append("")
    attention = [f for f in report.findings if f.status in (Status.FAIL, Status.ERROR, Status.WARN, Status.WAIVED)]
    if not attention:
        lines.append("Every selected check passed.")
        return "\n".join(lines) + "\n"
    causes = root_causes(report)
    if causes:
        lines += ["**Could not reach or read:**", ""]
        for cause in causes:
            ids = " ".join(dict.fromkeys(f.check_id for f in cause.blocked))
            lines.append(f"- {cell(cause.line)}: {ids}")
        lines.append("")
    lines += ["| Status | Check | Target | Finding | Owner |", "|---|---|---|---|---|"]
    for r in folded_rows(attention, causes):
        lines.append(f"| {_ICON[r.status]} | {cell(r.check)} | {cell(r.target) or '—'} | {cell(r.text)} | {cell(r.owner)} |")
    lines.append("")
    folded = {id(f) for cause in causes for f in cause.blocked}
    for f in attention:
        if f.status is Status.WAIVED or id(f) in folded:
            continue
        lines += [
            "<details>",
            f"<summary>{f.check_id} {cell(f.title)}{' — ' + cell(f.target) if f.target else ''}</summary>",
            "",
            f"**Observed:** {cell(f.observed) or '—'}  ",
            f"**Expected:** {cell(f.expected) or '—'}  ",
            f"**Fix:** {_text(f.remediation)}",
            "",
        ]
        for block in f.fix:
            fence = _fence(block.code)
            lines += [f"{fence}{_FENCE.get(block.language, '')}", block.code, fence, ""]
        lines += [f"[Documentation]({f.docs})", "", "</details>", ""]
    return "\n".join(lines) + "\n"
