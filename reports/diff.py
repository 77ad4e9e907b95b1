"""The ``diff`` command's text and Markdown renderings (the HTML one lives with the HTML report)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linkready.reports import Format

    from linkready.tools.diff import Change, Diff


def render(fmt: Format, diff: Diff) -> str:
    """The diff in ``fmt``: console (text), md (for PR comments) or html (a page)."""
    if fmt.value == "html":
        from linkready.reports.html import render_diff

        text: str = render_diff(diff)
        return text
    return to_markdown(diff) if fmt.value == "md" else to_text(diff)

_SECTIONS = (
    ("regressed", "Regressed"),
    ("added", "New"),
    ("fixed", "Fixed or improved"),
    ("removed", "No longer reported"),
)


def summary_line(diff: Diff) -> str:
    return (
        f"{len(diff.fixed)} fixed, {len(diff.regressed)} regressed, {len(diff.added)} new, "
        f"{len(diff.removed)} no longer reported, {len(diff.unchanged)} unchanged"
    )


def to_text(diff: Diff) -> str:
    lines = [f"Changes since {diff.since} ({diff.old.label} → {diff.new.label})", summary_line(diff)]
    for attr, heading in _SECTIONS:
        changes: tuple[Change, ...] = getattr(diff, attr)
        if not changes:
            continue
        lines += ["", f"{heading} ({len(changes)}):"]
        for c in changes:
            lines.append(f"  {c.transition:<16} {c.key}  {c.message or c.title}")
    verdict = "no regressions" if not diff.regressions else f"{len(diff.regressions)} regression(s)"
    lines += ["", f"Result: {verdict}"]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def to_markdown(diff: Diff) -> str:
    lines = [
        f"## linkready: changes since {diff.since}",
        "",
        f"{summary_line(diff)} ({_md(diff.old.label)} → {_md(diff.new.label)})",
        "",
    ]
    for attr, heading in _SECTIONS:
        changes: tuple[Change, ...] = getattr(diff, attr)
        if not changes:
            continue
        lines += [f"### {heading} ({len(changes)})", "", "| Status | Check | Target | Finding |", "|---|---|---|---|"]
        for c in changes:
            lines.append(f"| {c.transition} | {c.check_id} | {_md(c.target) or '—'} | {_md(c.message or c.title)} |")
        lines.append("")
    lines.append("**No regressions.**" if not diff.regressions else f"**{len(diff.regressions)} regression(s).**")
    return "\n".join(lines) + "\n"
