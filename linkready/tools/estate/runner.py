"""Running an estate: every target in isolation, in a bounded pool, into one :class:`EstateReport`.

A broken target file, a missing snapshot or a probe that hangs makes that target *unknown* with the
reason; the others still report. Rendering the estate (HTML, JSON, JUnit, console) is
``linkready.reports.estate``'s job. Per-target files are written inside the workers (so they render
in parallel) by the writer the caller passes in ``RunOptions.writer`` — tools never import reports.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from linkready import __version__
from linkready.model import Status, Verdict, Waiver
from linkready.report import Branding, Report, output_name
from linkready.tools.estate.file import Estate, EstateTarget
from linkready.tools.estate.outcomes import EstateReport, TargetOutcome
from linkready.tools.estate.workers import fork_available, run_in_workers

#: Snapshot-only estates at least this large are evaluated in worker processes (CPU bound).
PROCESS_POOL_MIN_TARGETS = 16
#: Live estates at least this large (and at least this concurrent) are collected in forked workers,
#: each with its own collecting threads (``linkready.tools.estate.workers``).
LIVE_WORKERS_MIN_TARGETS = 8
LIVE_WORKERS_MIN_CONCURRENCY = 4
#: Per-target files written under ``targets/<slug>/`` (the report formats' own file names).
TARGET_FORMATS = ("json", "junit", "html")
_ATTENTION = (Status.FAIL, Status.ERROR, Status.WARN, Status.WAIVED)
#: Writes one target's report files into a folder in the given formats under a file name stem ("":
#: the formats' own names) and returns the file names (``linkready.reports.estate.write_target_files``).
#: Module-level, so worker processes can receive it.
TargetWriter = Callable[[Report, Path, tuple[str, ...], str], tuple[str, ...]]


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
    #: Writes each target's files; None writes none (the outcomes still carry every verdict).
    writer: TargetWriter | None = None
    #: Prepares what ``writer`` needs (imports, compiled templates) once, before the workers start.
    warm: Callable[[], None] | None = None
    #: ``--name-template`` (checked already): each target's file names, from that target's report.
    name_template: str = ""
    #: The estate's customer, consultant and logo, on every target's report too.
    branding: Branding = field(default_factory=Branding)


def _unknown(target: EstateTarget, mode: str, reason: str, started: float) -> TargetOutcome:
    return TargetOutcome(
        name=target.name, slug=target.slug, source=target.source, mode=mode, verdict=Verdict.UNKNOWN,
        reason=reason, seconds=time.perf_counter() - started,
    )


@functools.cache
def _profile(name: str) -> Any:
    from linkready.checks import load_profile

    return load_profile(name)


def _write_target_files(report: Report, target: EstateTarget, options: RunOptions) -> tuple[str, ...]:
    if options.writer is None:
        return ()
    name = output_name(report, options.name_template) if options.name_template else ""
    names = options.writer(report, options.output / "targets" / target.slug, options.formats, name)
    return tuple(f"targets/{target.slug}/{name}" for name in names)


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
        report = make_report(snapshot, profile, options.waivers, branding=options.branding, now=options.now)
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


def _executor(kind: str, workers: int) -> concurrent.futures.Executor:
    if kind == "process":
        return concurrent.futures.ProcessPoolExecutor(max_workers=workers)
    return concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="estate")


def choose_executor(estate: Estate, options: RunOptions) -> str:
    """How the estate runs: ``thread``, ``process`` (snapshot-only, CPU bound) or ``workers`` (live).

    Live collection waits on the network, so it needs many threads; with several cores and enough
    targets the threads are spread over forked worker processes, so the targets' own CPU (the SDK,
    evaluating, rendering) runs on every core instead of taking turns in one interpreter.
    """
    cores = os.cpu_count() or 1
    count = len(estate.targets)
    live = options.live and any(t.config is not None for t in estate.targets)
    if live:
        many = count >= LIVE_WORKERS_MIN_TARGETS and min(count, estate.concurrency) >= LIVE_WORKERS_MIN_CONCURRENCY
        return "workers" if many and cores >= 2 and fork_available() else "thread"
    if count < PROCESS_POOL_MIN_TARGETS or cores < 2:
        return "thread"
    return "process"


def warm_up(estate: Estate, options: RunOptions) -> None:
    """Load, once and before the workers are forked, what every target uses: the engine, the checks
    of the estate's profiles and (``options.warm``) the compiled report templates.

    The probes' SDKs (pyodbc, the Azure SDK) are deliberately left to the workers: imported there,
    they overlap the targets' waiting on the network on every core, as they do when a target runs
    alone; imported here first, every target would wait for them (measured: estate 5.0 s instead of
    4.0 s). A profile that does not load is left to the target (it becomes unknown with the reason).
    """
    import linkready.engine  # noqa: F401
    from linkready.policy import PolicyError

    profiles = {options.profile or options.estate_profile or "preflight"}
    profiles.update(t.profile for t in estate.targets if t.profile)
    for name in sorted(profiles):
        with contextlib.suppress(PolicyError):
            _profile(name)
    if options.warm is not None:
        options.warm()


def _run_in_workers(estate: Estate, options: RunOptions, processes: int, workers: int,
                    on_done: Callable[[TargetOutcome], None] | None) -> dict[str, TargetOutcome]:
    outcomes: dict[str, TargetOutcome] = {}

    def record(index: int, outcome: TargetOutcome) -> None:
        outcomes[estate.targets[index].name] = outcome
        if on_done is not None:
            on_done(outcome)

    run_in_workers(
        estate.targets, functools.partial(run_target, options=options), processes=processes, concurrency=workers,
        on_outcome=record, failed=lambda target, reason: _unknown(target, "live", reason, time.perf_counter()),
    )
    return outcomes


def _run_in_pool(estate: Estate, options: RunOptions, kind: str, workers: int,
                 on_done: Callable[[TargetOutcome], None] | None) -> dict[str, TargetOutcome]:
    outcomes: dict[str, TargetOutcome] = {}
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
    return outcomes


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
    options = replace(options, estate_profile=options.estate_profile or estate.profile,
                      branding=branding or options.branding)
    kind = choose_executor(estate, options) if executor == "auto" else executor
    workers = min(estate.concurrency, len(estate.targets))
    processes = min(workers, os.cpu_count() or 1) if kind in ("process", "workers") else 1
    options.output.mkdir(parents=True, exist_ok=True)
    if kind == "workers":
        # Before the fork, so the workers inherit it. Not for threads: there a target's imports
        # overlap the other probes' waiting, as they do when the target runs alone.
        warm_up(estate, options)
        outcomes = _run_in_workers(estate, options, processes, workers, on_done)
        executor_text = f"{processes} worker processes, {workers} threads"
    else:
        try:
            outcomes = _run_in_pool(estate, options, kind, processes if kind == "process" else workers, on_done)
        except OSError:
            if kind != "process":
                raise
            # No process pool here (e.g. no /dev/shm in a container): threads give the same result.
            return run_estate(estate, options, executor="thread", branding=branding, on_done=on_done)
        executor_text = f"{kind} pool of {processes if kind == 'process' else workers}"
    return EstateReport(
        name=estate.name,
        outcomes=tuple(outcomes[t.name] for t in estate.targets),
        generated_at=options.now or datetime.now(UTC),
        tool_version=__version__,
        seconds=time.perf_counter() - started,
        executor=executor_text,
        branding=options.branding,
    )


