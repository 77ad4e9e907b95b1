"""Estate mode: many targets (SQL Server + managed instance + plan) judged in one run.

An estate file lists targets, each either a target file (``config``: collected live by ``check``)
or a facts snapshot (``snapshot``: evaluated by ``check`` and ``evaluate``)::

    [estate]
    name = "Contoso data platform"
    concurrency = 8            # targets in flight at once (live collection is I/O bound)

    [[target]]
    name = "sqlprod01"
    config = "targets/sqlprod01.toml"      # relative to the estate file

    [[target]]
    name = "sqlprod02"
    snapshot = "snapshots/sqlprod02.json"
    profile = "audit"                      # optional, per target

Every target runs in isolation: a broken target file, a missing snapshot or a probe that hangs
makes that target *unknown* with the reason; the others still report. The estate verdict and exit
code: 0 every target ready, 1 any target not ready, 3 some unknown and none not ready.
"""

from __future__ import annotations

import concurrent.futures
import functools
import json
import os
import re
import time
import tomllib
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from linkready import __version__
from linkready.model import Finding, Severity, Status, Verdict, Waiver
from linkready.report import Branding, Report
from linkready.serde import to_data

SCHEMA_ID = "linkready-estate/1"
DEFAULT_CONCURRENCY = 8
#: Snapshot-only estates at least this large are evaluated in worker processes (CPU bound).
PROCESS_POOL_MIN_TARGETS = 16
#: Per-target files written under ``targets/<slug>/`` (the report formats' own file names).
TARGET_FORMATS = ("json", "junit", "html")
_ATTENTION = (Status.FAIL, Status.ERROR, Status.WARN, Status.WAIVED)
_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")


class EstateError(ValueError):
    """The estate file itself is wrong (exit 2). One line naming the file and the key."""


@dataclass(frozen=True)
class EstateTarget:
    """One line of the estate: a name and where its facts come from."""

    name: str
    slug: str
    config: Path | None = None
    snapshot: Path | None = None
    profile: str | None = None

    @property
    def source(self) -> str:
        return str(self.snapshot if self.snapshot is not None else self.config)


@dataclass(frozen=True)
class Estate:
    name: str
    path: Path
    targets: tuple[EstateTarget, ...]
    concurrency: int = DEFAULT_CONCURRENCY
    profile: str | None = None


_ESTATE_KEYS = {"name", "concurrency", "profile"}
_TARGET_KEYS = {"name", "config", "snapshot", "profile"}


def slug(name: str) -> str:
    """A file-system-safe directory name for a target (``"SQL 01\\\\A"`` → ``"SQL_01_A"``)."""
    return _SLUG.sub("_", name).strip("._") or "target"


def load_estate(path: Path) -> Estate:
    """Read and validate the estate file; relative target paths are resolved against its folder."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EstateError(f"{path}: no such estate file") from None
    except tomllib.TOMLDecodeError as exc:
        raise EstateError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EstateError(f"{path}: cannot be read: {exc}") from None
    unknown = sorted(set(data) - {"estate", "target"})
    if unknown:
        raise EstateError(f"{path}: unknown key '{unknown[0]}' (expected [estate] and [[target]] tables)")
    header = data.get("estate", {})
    if not isinstance(header, dict):
        raise EstateError(f"{path}: 'estate' must be a table")
    extra = sorted(set(header) - _ESTATE_KEYS)
    if extra:
        raise EstateError(f"{path}: unknown key 'estate.{extra[0]}'")
    concurrency = header.get("concurrency", DEFAULT_CONCURRENCY)
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or not 1 <= concurrency <= 256:
        raise EstateError(f"{path}: 'estate.concurrency' must be an integer from 1 to 256")
    entries = data.get("target", [])
    if not isinstance(entries, list) or not entries:
        raise EstateError(f"{path}: no targets (add [[target]] tables with a name and a config or snapshot)")
    base = path.parent
    targets: list[EstateTarget] = []
    seen: dict[str, str] = {}
    for index, entry in enumerate(entries):
        where = f"{path}: target[{index}]"
        if not isinstance(entry, dict):
            raise EstateError(f"{where}: must be a table")
        extra = sorted(set(entry) - _TARGET_KEYS)
        if extra:
            raise EstateError(f"{where}: unknown key '{extra[0]}'")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise EstateError(f"{where}: missing required key 'name'")
        has_config, has_snapshot = "config" in entry, "snapshot" in entry
        if has_config == has_snapshot:
            raise EstateError(f"{where} ({name}): give exactly one of 'config' (live) or 'snapshot'")
        for key in ("config", "snapshot", "profile"):
            if key in entry and (not isinstance(entry[key], str) or not entry[key]):
                raise EstateError(f"{where} ({name}): '{key}' must be a non-empty string")
        key = slug(name).lower()
        if key in seen:
            raise EstateError(f"{where}: target name {name!r} clashes with {seen[key]!r}")
        seen[key] = name
        targets.append(
            EstateTarget(
                name=name,
                slug=slug(name),
                config=base / entry["config"] if has_config else None,
                snapshot=base / entry["snapshot"] if has_snapshot else None,
                profile=entry.get("profile"),
            )
        )
    profile = header.get("profile")
    if profile is not None and not isinstance(profile, str):
        raise EstateError(f"{path}: 'estate.profile' must be a string")
    return Estate(
        name=str(header.get("name", path.stem)),
        path=path,
        targets=tuple(targets),
        concurrency=concurrency,
        profile=profile,
    )


# ---------------------------------------------------------------------------------------------
# Running one target


@dataclass(frozen=True)
class RunOptions:
    """What every target shares. Picklable: worker processes receive it."""

    output: Path
    #: Collect facts for ``config`` targets (``check``); ``evaluate`` never probes.
    live: bool = False
    #: ``--profile`` on the command line: wins over the estate file's profiles.
    profile: str | None = None
    #: The estate file's default profile.
    estate_profile: str | None = None
    waivers: tuple[Waiver, ...] = ()
    formats: tuple[str, ...] = TARGET_FORMATS
    now: datetime | None = None


@dataclass(frozen=True)
class TargetOutcome:
    """One target's result, small enough to send between processes (no facts, no PASS findings)."""

    name: str
    slug: str
    source: str
    mode: str
    verdict: Verdict
    profile: str = ""
    #: Why the target could not be evaluated at all (bad target file, missing snapshot…).
    reason: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    #: Findings that need attention (FAIL, ERROR, WARN, WAIVED), worst first.
    findings: tuple[Finding, ...] = ()
    target_summary: dict[str, str] = field(default_factory=dict)
    digest: str = ""
    seconds: float = 0.0
    #: Per-target report files, relative to the estate output folder.
    files: tuple[str, ...] = ()

    @property
    def blockers(self) -> list[Finding]:
        return [f for f in self.findings if f.status is Status.FAIL]


def _unknown(target: EstateTarget, mode: str, reason: str, started: float) -> TargetOutcome:
    return TargetOutcome(
        name=target.name, slug=target.slug, source=target.source, mode=mode, verdict=Verdict.UNKNOWN,
        reason=reason, seconds=time.perf_counter() - started,
    )


@functools.cache
def _profile(name: str) -> Any:
    from linkready.policy import load_profile

    return load_profile(name)


@functools.cache
def _html_environment() -> Any:
    # One compiled template per process: compiling report.html dominates a per-target render.
    from linkready.reports import html

    return html.environment()


def _render(fmt: str, report: Report) -> str:
    from linkready.reports import Format, render

    if fmt == "html":
        from linkready.reports import html

        text: str = _html_environment().get_template("report.html").render(**html.view(report))
        return text
    return str(render(Format(fmt), report))


def _write_target_files(report: Report, target: EstateTarget, options: RunOptions) -> tuple[str, ...]:
    from linkready.reports import Format

    folder = options.output / "targets" / target.slug
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in options.formats:
        name = Format(fmt).filename
        (folder / name).write_text(_render(fmt, report), encoding="utf-8")
        written.append(f"targets/{target.slug}/{name}")
    return tuple(written)


def _live_snapshot(target: EstateTarget, config: Any) -> Any:
    from linkready.config import read_password
    from linkready.engine import collect
    from linkready.probes import Secrets

    secrets = Secrets()
    if config.source is not None and config.source.auth in ("sql", "entra-password"):
        password = read_password(config.source)
        if password is None:
            # Estate mode never prompts: many targets run at once and pipelines have no terminal.
            raise _TargetProblem(
                f"source.password_env: environment variable {config.source.password_env} is not set "
                "(estate mode never prompts)"
            )
        secrets = Secrets(sql_password=password)
    return collect(config, secrets)


class _TargetProblem(Exception):
    """A reason this one target cannot be evaluated; it becomes an unknown target."""


def run_target(target: EstateTarget, options: RunOptions) -> TargetOutcome:
    """Collect or load, evaluate and write one target. Never raises: failures are unknown targets."""
    from linkready.config import ConfigError, load_config
    from linkready.engine import make_report
    from linkready.policy import PolicyError
    from linkready.snapshot import SnapshotError, load

    started = time.perf_counter()
    mode = "snapshot" if target.snapshot is not None else ("live" if options.live else "config")
    try:
        config = None
        if target.config is not None:
            try:
                config = load_config(target.config)
            except ConfigError as exc:
                raise _TargetProblem(f"target file: {exc}") from None
        profile_name = (
            options.profile or target.profile or options.estate_profile
            or (config.options.profile if config is not None else None) or "preflight"
        )
        try:
            profile = _profile(profile_name)
        except PolicyError as exc:
            raise _TargetProblem(str(exc)) from None
        if target.snapshot is not None:
            try:
                snapshot = load(target.snapshot)
            except SnapshotError as exc:
                raise _TargetProblem(str(exc)) from None
        elif not options.live:
            raise _TargetProblem(
                "this target names a target file, not a snapshot; `evaluate` never probes "
                "(run `linkready check --estate`, or `linkready collect` and list the snapshot)"
            )
        else:
            snapshot = _live_snapshot(target, config)
        report = make_report(snapshot, profile, options.waivers, now=options.now)
        files = _write_target_files(report, target, options)
    except _TargetProblem as exc:
        return _unknown(target, mode, str(exc), started)
    except Exception as exc:  # one target's surprise must not sink the estate
        return _unknown(target, mode, f"unexpected {type(exc).__name__}: {exc}", started)
    rank = {status: i for i, status in enumerate(_ATTENTION)}
    attention = sorted(
        (f for f in report.findings if f.status in rank),
        key=lambda f: (rank[f.status], f.severity.rank, f.check_id, f.target),
    )
    return TargetOutcome(
        name=target.name,
        slug=target.slug,
        source=target.source,
        mode=mode,
        verdict=report.verdict,
        profile=report.profile,
        counts={status.value: count for status, count in report.counts.items()},
        findings=tuple(attention),
        target_summary=report.target_summary,
        digest=report.digest,
        seconds=time.perf_counter() - started,
        files=files,
    )


# ---------------------------------------------------------------------------------------------
# Running the estate


@dataclass(frozen=True)
class Blocker:
    """A check that fails on several targets: fix it once, unblock many."""

    check_id: str
    title: str
    severity: Severity
    targets: tuple[str, ...]


@dataclass(frozen=True)
class EstateReport:
    name: str
    outcomes: tuple[TargetOutcome, ...]
    generated_at: datetime
    tool_version: str
    seconds: float
    executor: str
    branding: Branding = field(default_factory=Branding)

    @property
    def tally(self) -> dict[Verdict, int]:
        counted = Counter(o.verdict for o in self.outcomes)
        return {verdict: counted.get(verdict, 0) for verdict in Verdict}

    @property
    def verdict(self) -> Verdict:
        tally = self.tally
        if tally[Verdict.NOT_READY]:
            return Verdict.NOT_READY
        if tally[Verdict.UNKNOWN]:
            return Verdict.UNKNOWN
        return Verdict.READY

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code

    def top_blockers(self, limit: int = 10) -> list[Blocker]:
        """FAIL checks ranked by how many targets they block, then by severity."""
        hits: dict[str, list[str]] = {}
        meta: dict[str, Finding] = {}
        for outcome in self.outcomes:
            for finding in outcome.blockers:
                names = hits.setdefault(finding.check_id, [])
                if outcome.name not in names:
                    names.append(outcome.name)
                meta.setdefault(finding.check_id, finding)
        ranked = sorted(hits, key=lambda cid: (-len(hits[cid]), meta[cid].severity.rank, cid))
        return [
            Blocker(cid, meta[cid].title, meta[cid].severity, tuple(hits[cid])) for cid in ranked[:limit]
        ]


def _executor(kind: str, workers: int) -> concurrent.futures.Executor:
    if kind == "process":
        return concurrent.futures.ProcessPoolExecutor(max_workers=workers)
    return concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="estate")


def choose_executor(estate: Estate, options: RunOptions) -> str:
    """Threads for live collection (I/O bound); processes for large snapshot-only runs (CPU bound)."""
    live = options.live and any(t.config is not None for t in estate.targets)
    if live or len(estate.targets) < PROCESS_POOL_MIN_TARGETS or (os.cpu_count() or 1) < 2:
        return "thread"
    return "process"


def run_estate(
    estate: Estate,
    options: RunOptions,
    *,
    executor: str = "auto",
    branding: Branding | None = None,
    on_done: Callable[[TargetOutcome], None] | None = None,
) -> EstateReport:
    """Run every target in a bounded pool; results keep the estate file's order."""
    started = time.perf_counter()
    options = replace(options, estate_profile=options.estate_profile or estate.profile)
    kind = choose_executor(estate, options) if executor == "auto" else executor
    workers = min(estate.concurrency, len(estate.targets))
    if kind == "process":
        workers = min(workers, os.cpu_count() or 1)
    options.output.mkdir(parents=True, exist_ok=True)
    outcomes: dict[str, TargetOutcome] = {}
    try:
        with _executor(kind, workers) as pool:
            futures = {pool.submit(run_target, target, options): target for target in estate.targets}
            for future in concurrent.futures.as_completed(futures):
                target = futures[future]
                try:
                    outcome = future.result()
                except Exception as exc:  # a worker process that died
                    outcome = _unknown(target, "snapshot", f"worker failed: {type(exc).__name__}: {exc}",
                                       time.perf_counter())
                outcomes[target.name] = outcome
                if on_done is not None:
                    on_done(outcome)
    except OSError:
        if kind != "process":
            raise
        # No process pool here (e.g. no /dev/shm in a container): threads give the same result.
        return run_estate(estate, options, executor="thread", branding=branding, on_done=on_done)
    return EstateReport(
        name=estate.name,
        outcomes=tuple(outcomes[t.name] for t in estate.targets),
        generated_at=options.now or datetime.now(UTC),
        tool_version=__version__,
        seconds=time.perf_counter() - started,
        executor=f"{kind} pool of {workers}",
        branding=branding or Branding(),
    )


# ---------------------------------------------------------------------------------------------
# Estate reports


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
            lines = [f"{f.check_id} {f.message}" + (f" [{f.target}]" if f.target else "") for f in outcome.blockers]
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


def render_html(report: EstateReport) -> str:
    """The estate page, with the single-target report's stylesheet, status shapes and badges."""
    from linkready.report import STATUS_ORDER
    from linkready.reports import Format, html

    template = _html_environment().get_template("estate.html")
    html_file = Format.HTML.filename
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
        slugs={o.name: o.slug for o in report.outcomes},
        report_files={o.slug: next((p for p in o.files if p.endswith(html_file)), "") for o in report.outcomes},
        anchor=html.anchor,
        # what the shared stylesheet (_styles.html) needs
        statuses=STATUS_ORDER,
        style=html.STATUS_STYLE,
        paper=None,
        page_header=html.css_string(f"{report.name} · Managed Instance link readiness (estate)"),
    ))


ESTATE_FILES = {"html": "estate.html", "json": "estate.json", "junit": "estate-junit.xml"}


def write_estate(report: EstateReport, output: Path) -> list[Path]:
    """The estate-level files (HTML summary with drill-down, JSON, JUnit); per-target files exist already."""
    output.mkdir(parents=True, exist_ok=True)
    renderers = {"html": render_html, "json": render_json, "junit": render_junit}
    written = []
    for key, filename in ESTATE_FILES.items():
        path = output / filename
        path.write_text(renderers[key](report), encoding="utf-8")
        written.append(path)
    return written


def print_summary(report: EstateReport, console: Any) -> None:
    """Console summary: the estate verdict, the tally, one row per target."""
    from rich.table import Table
    from rich.text import Text

    from linkready.reports.console import VERDICT_STYLE

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
        first = o.reason or next((f"{f.check_id} {f.message}" for f in o.findings), "")
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
