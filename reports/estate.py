"""Estate reports: the estate page (HTML), JSON, JUnit and the console summary of one estate run.

The runner (``linkready.tools.estate``) produces an :class:`EstateReport`; this module only renders
it. Per-target files go through :func:`render_target` (the single-target formats, with the HTML
template compiled once per process).
"""

from __future__ import annotations

import functools
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linkready.model import Status, Verdict
from linkready.serde import to_data
from linkready.tools.estate.file import slug

if TYPE_CHECKING:
    from linkready.report import Report
    from linkready.tools.estate.outcomes import EstateReport

SCHEMA_ID = "linkready-estate/1"
#: Blockers shown as columns of the blockers × targets matrix (more would not fit 375 px).
MATRIX_COLUMNS = 8


@functools.cache
def _html_environment() -> Any:
    # One compiled template per process: compiling report.html dominates a per-target render.
    from linkready.reports import html

    return html.environment()


def warm_up() -> None:
    """Compile the per-target and estate templates and import the formats once, before the targets run
    (estate mode forks its live workers after this, so none of them compiles them again)."""
    from linkready.reports import json_report, junit  # noqa: F401

    environment = _html_environment()
    for name in ("report.html", "estate.html"):
        environment.get_template(name)


def render_target(fmt: str, report: Report) -> str:
    """One target's report in a text format (``"json"``, ``"junit"``, ``"html"``…)."""
    from linkready.reports import Format, render

    if fmt == "html":
        from linkready.reports import html

        text: str = _html_environment().get_template("report.html").render(**html.view(report))
        return text
    return str(render(Format(fmt), report))


def render_json(report: EstateReport) -> str:
    tally = report.tally
    data = {
        "schema": SCHEMA_ID,
        "tool_version": report.tool_version,
        "generated_at": report.generated_at.isoformat(),
        "estate": report.name,
        "verdict": report.verdict.value,
        "exit_code": report.exit_code,
        "summary": {
            "targets": len(report.outcomes),
            "ready": tally[Verdict.READY],
            "not_ready": tally[Verdict.NOT_READY],
            "unknown": tally[Verdict.UNKNOWN],
        },
        "top_blockers": [
            {"check_id": b.check_id, "title": b.title, "severity": b.severity.value,
             "target_count": len(b.targets), "targets": list(b.targets)}
            for b in report.top_blockers()
        ],
        "targets": [
            {
                "name": o.name,
                "source": o.source,
                "mode": o.mode,
                "verdict": o.verdict.value,
                "exit_code": o.verdict.exit_code,
                "profile": o.profile,
                "reason": o.reason,
                "counts": o.counts,
                "snapshot_digest": o.digest,
                "target": o.target_summary,
                "seconds": round(o.seconds, 4),
                "files": list(o.files),
                "findings": [to_data(f) for f in o.findings],
            }
            for o in report.outcomes
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_junit(report: EstateReport) -> str:
    """One testcase per target: a failed test for a target that is not ready, an error for unknown."""
    root = ET.Element("testsuites", name="linkready-estate")
    tally = report.tally
    suite = ET.SubElement(
        root, "testsuite", name=f"linkready.estate.{slug(report.name)}", tests=str(len(report.outcomes)),
        failures=str(tally[Verdict.NOT_READY]), errors=str(tally[Verdict.UNKNOWN]), skipped="0",
        timestamp=report.generated_at.isoformat(), time="0",
    )
    for outcome in report.outcomes:
        case = ET.SubElement(suite, "testcase", name=outcome.name, classname="linkready.estate", time="0")
        if outcome.verdict is Verdict.NOT_READY:
            lines = [f"{f.check_id} {f.message}" + (f" [{f.target}]" if f.target else "") for f in outcome.failures]
            if not lines:  # the pipeline profile: WARN made it not ready
                lines = [f"{f.check_id} {f.message}" for f in outcome.findings if f.status is Status.WARN]
            ET.SubElement(case, "failure", message=f"{outcome.name}: not ready ({len(lines)} blocker(s))",
                          type="not-ready").text = "\n".join(lines)
        elif outcome.verdict is Verdict.UNKNOWN:
            reason = outcome.reason or "; ".join(
                f"{f.check_id} {f.message}" for f in outcome.findings if f.status is Status.ERROR
            )
            ET.SubElement(case, "error", message=f"{outcome.name}: could not evaluate",
                          type="could-not-evaluate").text = reason
        if outcome.files:
            ET.SubElement(case, "system-out").text = "Reports: " + ", ".join(outcome.files)
    root.set("tests", str(len(report.outcomes)))
    root.set("failures", str(tally[Verdict.NOT_READY]))
    root.set("errors", str(tally[Verdict.UNKNOWN]))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


#: How a target's verdict looks: the colour, shape and badge of the status that decides it.
VERDICT_STATUS = {Verdict.READY: Status.PASS, Verdict.NOT_READY: Status.FAIL, Verdict.UNKNOWN: Status.ERROR}


def verdict_sentence(report: EstateReport) -> str:
    """The estate verdict in one sentence, for the banner."""
    tally, total = report.tally, len(report.outcomes)
    blocked, unknown = tally[Verdict.NOT_READY], tally[Verdict.UNKNOWN]
    if report.verdict is Verdict.READY:
        return f"Every target is ready ({total:,} of {total:,}): nothing blocks a link."
    if report.verdict is Verdict.NOT_READY:
        text = f"{blocked:,} of {total:,} target{'s' if total != 1 else ''} {'have' if blocked != 1 else 'has'} " \
               "blocking findings to fix before a link can be created."
        if unknown:
            text += f" {unknown:,} more could not be evaluated."
        return text
    return (f"Nothing failed, but {unknown:,} of {total:,} target{'s' if total != 1 else ''} could not be evaluated: "
            "unknown is not passed.")


def render_html(report: EstateReport, *, paper: str | None = None) -> str:
    """The estate page, with the single-target report's stylesheet, status shapes and badges.
    ``paper`` ("A4"/"Letter") fixes the page size when the page is printed to PDF."""
    from linkready.reports import Format, html

    from linkready.report import STATUS_ORDER

    template = _html_environment().get_template("estate.html")
    html_suffix = Path(Format.HTML.filename).suffix
    verdict_class, verdict_icon, _ = html.VERDICT_STYLE[report.verdict]
    return str(template.render(
        report=report,
        tally=report.tally,
        Verdict=Verdict,
        Status=Status,
        verdicts=list(Verdict),
        verdict_status=VERDICT_STATUS,
        verdict_class=verdict_class,
        verdict_icon=verdict_icon,
        verdict_sentence=verdict_sentence(report),
        blockers=report.top_blockers(),
        # The matrix: the most common blockers as columns, so it stays narrow enough for a phone.
        matrix=report.top_blockers(MATRIX_COLUMNS),
        slugs={o.name: o.slug for o in report.outcomes},
        # a target's HTML file, whatever --name-template named it
        report_files={o.slug: next((p for p in o.files if p.endswith(html_suffix)), "") for o in report.outcomes},
        anchor=html.anchor,
        # what the shared stylesheet (_styles.html) needs
        statuses=STATUS_ORDER,
        style=html.STATUS_STYLE,
        paper=paper,
        page_header=html.css_string(f"{report.name} · Managed Instance link readiness (estate)"),
    ))


ESTATE_FILES = {"html": "estate.html", "json": "estate.json", "junit": "estate-junit.xml"}


def write_target_files(report: Report, folder: Path, formats: tuple[str, ...], name: str = "") -> tuple[str, ...]:
    """One target's report files in ``folder``; returns the names written. ``name`` is the file name
    stem ``--name-template`` gave this target ("": the formats' own names); the extension stays.

    The estate runner calls this in its workers (``RunOptions.writer``), so each target renders in
    parallel; it is a module-level function because worker processes receive it by name.
    """
    from linkready.reports import Format, render_bytes

    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for fmt in formats:
        chosen = Format(fmt)
        filename = f"{name}{Path(chosen.filename).suffix}" if name else chosen.filename
        if chosen.binary:  # xlsx (a PDF per target is never asked for: see commands/estate.py)
            (folder / filename).write_bytes(render_bytes(chosen, report))
        else:
            (folder / filename).write_text(render_target(fmt, report), encoding="utf-8")
        names.append(filename)
    return tuple(names)


ESTATE_PDF = "estate.pdf"


def estate_name(report: EstateReport, template: str) -> str:
    """The estate files' name stem for ``--name-template``: the estate's own values. ``{server}``
    and ``{instance}`` read the estate's name (the targets each have their own), ``{profile}`` the
    profile every evaluated target used (``mixed`` when they differ)."""
    from linkready.report import moment_fields, name_from

    profiles = {o.profile for o in report.outcomes if o.profile}
    return name_from(template, {
        "customer": report.branding.customer,
        "server": report.name,
        "instance": report.name,
        "profile": profiles.pop() if len(profiles) == 1 else ("mixed" if profiles else ""),
        **moment_fields(report.generated_at, report.verdict),
    }, default="estate")


ESTATE_EXTRA = {"pdf": ESTATE_PDF, "xlsx": "estate.xlsx"}


def estate_filenames(name: str = "") -> dict[str, str]:
    """The estate-level file names: ``estate.html``… by default; ``<name>.html``… under a template."""
    files = {**ESTATE_FILES, **ESTATE_EXTRA}
    return {key: f"{name}{Path(filename).suffix}" for key, filename in files.items()} if name else files


def write_estate(report: EstateReport, output: Path, *, pdf: bool = False, xlsx: bool = False,
                 name: str = "") -> list[Path]:
    """The estate-level files (HTML summary with drill-down, JSON, JUnit; with ``xlsx`` every target's
    findings that need attention in one workbook; with ``pdf`` the estate page printed to estate.pdf,
    last, so a PdfError leaves the others written); per-target files exist already. ``name`` is the
    file name stem ``--name-template`` gave the estate (see :func:`estate_name`)."""
    output.mkdir(parents=True, exist_ok=True)
    renderers = {"html": render_html, "json": render_json, "junit": render_junit}
    filenames = estate_filenames(name)
    written = []
    for key, render in renderers.items():
        path = output / filenames[key]
        path.write_text(render(report), encoding="utf-8")
        written.append(path)
    if xlsx:
        from linkready.reports.xlsx_export import render_estate

        path = output / filenames["xlsx"]
        path.write_bytes(render_estate(report.outcomes))
        written.append(path)
    if pdf:
        from linkready.reports.pdf import paper_size, render_html_pdf

        path = output / filenames["pdf"]
        path.write_bytes(render_html_pdf(render_html(report, paper=paper_size())))
        written.append(path)
    return written


def print_summary(report: EstateReport, console: Any) -> None:
    """Console summary: the estate verdict, the tally, one row per target."""
    from linkready.reports.console import VERDICT_STYLE
    from rich.table import Table
    from rich.text import Text

    tally = report.tally
    console.print(Text(f"linkready estate {report.name}: {report.verdict.value}", style=VERDICT_STYLE[report.verdict]))
    console.print(
        f"{len(report.outcomes)} targets: {tally[Verdict.READY]} ready, {tally[Verdict.NOT_READY]} not ready, "
        f"{tally[Verdict.UNKNOWN]} unknown ({report.seconds:.2f} s, {report.executor})",
        highlight=False,
    )
    table = Table()
    for column in ("Target", "Verdict", "FAIL", "WARN", "ERROR", "First blocker or reason"):
        table.add_column(column, overflow="fold")
    for o in report.outcomes:
        lead = o.first_blocker
        first = o.reason or (f"{lead.check_id} {lead.message}" if lead else "")
        table.add_row(
            o.name, Text(o.verdict.value, style=VERDICT_STYLE[o.verdict]),
            str(o.counts.get("FAIL", 0)), str(o.counts.get("WARN", 0)), str(o.counts.get("ERROR", 0)), first,
        )
    console.print(table)
    blockers = report.top_blockers(5)
    if blockers:
        console.print("Most common blockers:", highlight=False)
        for b in blockers:
            console.print(f"  {b.check_id} on {len(b.targets)} target(s): {b.title}", highlight=False)
