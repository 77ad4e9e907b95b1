"""Self-contained HTML report (jinja2, autoescape on, StrictUndefined).

One file: inline CSS, inline JavaScript, icons as inline SVG, logo as a data: URI, system
fonts. Nothing is fetched, so it works from file://, from an e-mail attachment and offline; with
JavaScript off every finding is still there (only filters, search and copy buttons need it).

Readers: the CIO reads the first screen (verdict in words + colour + shape, counts, top blockers);
the DBA and the network team read their area's findings (observed, expected, why, fix, owner).
Print CSS makes the same file a paged document (``reports/pdf.py`` prints it).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jinja2
from linkready.reports.causes import root_causes
from linkready.reports.flows import section as flows_section
from linkready.reports.summary import summarize
from markupsafe import Markup, escape

from linkready.model import Area, CodeBlock, Finding, Owner, Status, Verdict
from linkready.report import STATUS_ORDER, Report

if TYPE_CHECKING:
    from linkready.tools.diff import Diff


@dataclass(frozen=True)
class StatusStyle:
    """How a status looks. Text colour on background must reach 4.5:1 (tests compute it)."""

    word: str
    background: str
    foreground: str
    icon: str
    #: The left border of a finding card: the style differs per status, so it survives greyscale.
    border: str


STATUS_STYLE: dict[Status, StatusStyle] = {
    Status.FAIL: StatusStyle("Failed", "#b3261e", "#ffffff", "fail", "8px solid"),
    Status.ERROR: StatusStyle("Could not check", "#6a1b9a", "#ffffff", "error", "8px double"),
    Status.WARN: StatusStyle("Warning", "#8a5300", "#ffffff", "warn", "6px dashed"),
    Status.WAIVED: StatusStyle("Waived", "#00607a", "#ffffff", "waived", "6px dotted"),
    Status.SKIP: StatusStyle("Not applicable", "#595959", "#ffffff", "skip", "3px dashed"),
    Status.PASS: StatusStyle("Passed", "#1e6b34", "#ffffff", "pass", "3px solid"),
}

VERDICT_STYLE: dict[Verdict, tuple[str, str, str]] = {
    # class, icon, background (white text on it: ≥ 4.5:1)
    Verdict.READY: ("ready", "pass", "#1e6b34"),
    Verdict.NOT_READY: ("not-ready", "fail", "#b3261e"),
    Verdict.UNKNOWN: ("unknown", "error", "#6a1b9a"),
}

LANGUAGE_LABEL = {"tsql": "T-SQL", "azcli": "Azure CLI", "powershell": "PowerShell", "shell": "Shell", "text": "Text"}

#: Statuses shown as full cards (open); PASS and SKIP are folded into one group per area.
ATTENTION = (Status.FAIL, Status.ERROR, Status.WARN, Status.WAIVED)
QUIET = (Status.SKIP, Status.PASS)
TOP_BLOCKERS = 8


class _Environment(jinja2.Environment):
    """Compiles each template once per process, even when estate threads ask for it at the same moment."""

    _compile_lock = threading.RLock()

    def _load_template(self, name: str, globals: Any) -> jinja2.Template:
        # Without the lock, N threads that miss the cache together compile the same template N times.
        with self._compile_lock:
            return super()._load_template(name, globals)



def plain_title(check_id: str) -> str:
    """The check's one-sentence plain-language title, or "" for an ID the catalogue does not know."""
    from linkready.checks import get

    spec = get(check_id)
    return spec.plain_title if spec else ""

def _build_environment() -> jinja2.Environment:
    env = _Environment(
        loader=jinja2.PackageLoader("linkready.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Compiled templates survive the process (keyed by source checksum): a cold CLI skips the compiler.
        bytecode_cache=jinja2.FileSystemBytecodeCache(),
    )
    env.filters["id"] = id
    env.filters["lower_first"] = lower_first
    env.filters["unknown_reason"] = unknown_reason
    env.filters["n"] = thousands
    env.filters["plain"] = plain_title
    env.filters["camel_breaks"] = camel_breaks
    env.tests["mentioned_in"] = lambda target, message: mentions(message, target)
    return env


_ENV: jinja2.Environment | None = None
_ENV_LOCK = threading.Lock()


def environment() -> jinja2.Environment:
    """The one Jinja environment of this process, built once under a lock (callers must not change it)."""
    global _ENV
    with _ENV_LOCK:
        if _ENV is None:
            _ENV = _build_environment()
        return _ENV


def _env() -> jinja2.Environment:
    return environment()


def lower_first(text: str) -> str:
    """``"The endpoint is started"`` → ``"the endpoint is started"`` (keeps acronyms such as ``TCP``)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def camel_breaks(code: str) -> Markup:
    """A service error code with a line-break opportunity between its words (``Managed<wbr>Instance...``).

    The codes are 40-90 characters without a space: a narrow column would otherwise break them anywhere. <wbr>
    adds no text, so the search box (which matches a finding's text) still finds the code as the user typed it.
    """
    return Markup(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "<wbr>", str(escape(code))))


def unknown_reason(message: str) -> str:
    """An ERROR message without the engine's "Could not evaluate:" lead-in (the callout already says so)."""
    for prefix in ("Could not evaluate: ", "Could not evaluate - "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def mentions(message: str, target: str) -> bool:
    """Whether ``message`` already names ``target`` (or its host/database part), so it need not be repeated."""
    if not target or target in message:
        return True
    parts = [p for p in re.split(r"[\s:()/,]+", target) if len(p) >= 4 and not p.isdigit()]
    return any(p in message for p in parts)


def anchor(finding: Finding) -> str:
    """A stable fragment ID for a finding, e.g. ``DB-003-Sales``."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", finding.target)
    return f"{finding.check_id}-{slug}" if slug else finding.check_id


def css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string that cannot close the string or the <style> element."""
    escaped = "".join(
        ch if ch.isalnum() or ch in " .,:;-_()&'/+@#!?" else f"\\{ord(ch):x} " for ch in text
    )
    return Markup(f'"{escaped}"')


@dataclass(frozen=True)
class Block:
    id: str
    language: str
    label: str
    title: str
    code: str


@dataclass(frozen=True)
class Item:
    """A finding prepared for the template: unique anchor, numbered code blocks, service error codes.

    ``codes`` are the service's error code names the check prevents (``Finding.service_errors``): printed on the
    finding so that the search box, which matches a finding's text, finds a code a user already saw.
    """

    f: Finding
    anchor: str
    blocks: tuple[Block, ...]
    codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Blocker:
    """One line of "Top blockers": a check that failed, on one target or on many (estates)."""

    first: Finding
    anchor: str
    targets: tuple[str, ...]

    @property
    def count(self) -> int:
        return max(1, len(self.targets))


@dataclass(frozen=True)
class AreaView:
    area: Area
    id: str
    attention: tuple[Item, ...]
    quiet: tuple[Item, ...]
    counts: dict[Status, int]


def _blocks(blocks: tuple[CodeBlock, ...], counter: list[int]) -> tuple[Block, ...]:
    out = []
    for block in blocks:
        counter[0] += 1
        out.append(Block(f"code-{counter[0]}", block.language, LANGUAGE_LABEL.get(block.language, block.language),
                         block.title, block.code))
    return tuple(out)


def _areas(report: Report) -> tuple[list[AreaView], dict[int, str]]:
    used: Counter[str] = Counter()
    counter = [0]
    anchors: dict[int, str] = {}
    views = []
    for area, findings in report.by_area():
        attention: list[Item] = []
        quiet: list[Item] = []
        counts: Counter[Status] = Counter()
        for f in findings:
            base = anchor(f)
            used[base] += 1
            unique = base if used[base] == 1 else f"{base}-{used[base]}"
            anchors[id(f)] = unique
            counts[f.status] += 1
            item = Item(f, unique, _blocks(f.fix, counter) if f.status in ATTENTION else (), f.service_errors)
            (attention if f.status in ATTENTION else quiet).append(item)
        views.append(AreaView(area, f"area-{area.value}", tuple(attention), tuple(quiet),
                              {s: counts.get(s, 0) for s in STATUS_ORDER}))
    return views, anchors


def _blockers(findings: list[Finding], anchors: dict[int, str]) -> list[Blocker]:
    """FAIL findings grouped by check, in the report's order (most severe first)."""
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.check_id, []).append(f)
    return [
        Blocker(group[0], anchors[id(group[0])], tuple(f.target for f in group) if len(group) > 1 else ())
        for group in groups.values()
    ]


def thousands(value: int) -> str:
    return f"{value:,}"


def anchors_for(report: Report) -> list[tuple[Finding, str]]:
    """Each finding with the fragment ID it has in the page (unique even for repeated keys)."""
    _views, anchors = _areas(report)
    return [(f, anchors[id(f)]) for f in report.findings]


def _owners(report: Report) -> list[tuple[Owner, int, int]]:
    """(owner, blocking FAIL/ERROR count, WARN count) for owners with something to do."""
    blocking: Counter[Owner] = Counter()
    warnings: Counter[Owner] = Counter()
    for f in report.findings:
        if f.status in (Status.FAIL, Status.ERROR):
            blocking[f.owner] += 1
        elif f.status is Status.WARN:
            warnings[f.owner] += 1
    return [(o, blocking[o], warnings[o]) for o in Owner if blocking[o] or warnings[o]]


def verdict_sentence(report: Report) -> str:
    counts = report.counts
    fails, errors = counts[Status.FAIL], counts[Status.ERROR]
    if report.verdict is Verdict.READY:
        waived, warnings = counts[Status.WAIVED], counts[Status.WARN]
        extra = f" ({waived:,} accepted by waiver)" if waived else ""
        if warnings:
            plural = "s are" if warnings != 1 else " is"
            return f"Nothing blocks the link{extra}; {warnings:,} warning{plural} worth a look before creating it."
        return f"Every selected check passed or was waived{extra}. The link can be created."
    if report.verdict is Verdict.NOT_READY:
        if fails == 0:
            return "The profile treats warnings as blocking: fix or waive every warning before creating the link."
        text = f"{fails:,} blocking finding{'s' if fails != 1 else ''} must be fixed before the link can be created."
        if errors:
            text += f" {errors:,} more could not be checked."
        return text
    if errors == 0:
        return (f"None of the {report.checks_selected:,} selected checks judged anything "
                f"({report.selection_line}): unknown is not passed.")
    return (f"Nothing failed, but {errors:,} check{'s' if errors != 1 else ''} could not run: "
            "unknown is not passed. See “Could not be checked”.")


def view(report: Report, *, changes: Diff | None = None, paper: str | None = None) -> dict[str, Any]:
    """The template's view model: everything computed once here, so the template only prints."""
    areas, anchors = _areas(report)
    blockers = _blockers(report.blockers(), anchors)
    causes = root_causes(report)
    # ERRORs a root cause explains are said once, by their cause; the rest are listed one by one.
    folded = {id(f) for cause in causes for f in cause.blocked}
    errors = [f for f in report.findings if f.status is Status.ERROR and id(f) not in folded]
    verdict_class, verdict_icon, verdict_bg = VERDICT_STYLE[report.verdict]
    facts = report.snapshot.facts
    collector = facts.collector
    checked_from = ""
    if collector.hostname:
        checked_from = collector.hostname + (f" ({collector.platform})" if collector.platform else "")
        if collector.runs_on_sql_host is True:
            checked_from += ", on the SQL Server host"
        elif collector.runs_on_sql_host is False:
            checked_from += ", not the SQL Server host: reachability from SQL Server itself is not proven"
    customer = report.branding.customer
    header = f"{customer} · Managed Instance link readiness" if customer else "Managed Instance link readiness"
    return {
        "report": report,
        "Status": Status,
        "statuses": STATUS_ORDER,
        "style": STATUS_STYLE,
        "attention_statuses": ATTENTION,
        "verdict_class": verdict_class,
        "verdict_icon": verdict_icon,
        "verdict_bg": verdict_bg,
        "verdict_sentence": verdict_sentence(report),
        "areas": areas,
        "anchors": anchors,
        "blockers": blockers[:TOP_BLOCKERS],
        "more_blockers": max(0, len(blockers) - TOP_BLOCKERS),
        "errors": errors[:TOP_BLOCKERS],
        "more_errors": max(0, len(errors) - TOP_BLOCKERS),
        "probe_errors": facts.errors,
        "root_causes": causes,
        "owners": _owners(report),
        "target": report.target_summary,
        "checked_from": checked_from,
        "changes": changes,
        "page_header": css_string(header),
        "paper": paper,
        "total": len(report.findings),
        "blocking_total": len(report.blockers()),
        "executive": summarize(report),
        "flows": flows_section(report),
    }


def render(report: Report, *, changes: Diff | None = None, paper: str | None = None) -> str:
    """The report as one HTML document. ``paper`` ("A4"/"Letter") fixes the page size for PDF output."""
    return _env().get_template("report.html").render(**view(report, changes=changes, paper=paper))


def render_diff(diff: Diff) -> str:
    """``linkready diff --format html``: the changes section as a page of its own."""
    return _env().get_template("diff.html").render(
        changes=diff, style=STATUS_STYLE, statuses=STATUS_ORDER, Status=Status, paper=None,
        page_header=css_string("linkready · changes since " + diff.since),
    )
