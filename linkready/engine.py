"""Orchestration: run probes concurrently, build the snapshot, run checks, apply policy, decide.

Nothing here knows about the terminal; the CLI passes an ``on_event`` callback for progress.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import platform
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from linkready import __version__
from linkready.facts import Collector, Facts, ProbeError, lookup
from linkready.model import (
    Area,
    CheckSpec,
    Finding,
    Owner,
    Result,
    Settings,
    Severity,
    Status,
    Verdict,
    Waiver,
    errored,
    skipped,
)
from linkready.policy import Profile
from linkready.probes import PROBES, ProbeContext, ProbeOutcome, ProbeSpec, Secrets
from linkready.registry import all_checks
from linkready.report import Branding, Report
from linkready.snapshot import SCHEMA_VERSION, Snapshot

if TYPE_CHECKING:  # pydantic only at the config boundary: the engine needs Config for annotations alone
    from linkready.config import Config

#: on_event(probe name, state: "start" | "done" | "error" | "timeout", seconds, detail)
EventHandler = Callable[[str, str, float, str], None]


# ---------------------------------------------------------------------------------------------
# Probes


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def probes_for(config: Config) -> list[ProbeSpec]:
    """The probes this config gives something to probe."""
    wanted = {
        "sql": config.source is not None,
        "azure": config.managed_instance is not None,
        "network": config.managed_instance is not None or config.source is not None,
        "target": config.managed_instance is not None,
    }
    return [spec for spec in PROBES if wanted[spec.name]]


def _run_in_thread(
    spec: ProbeSpec, function: Callable[[ProbeContext], ProbeOutcome], ctx: ProbeContext,
    loop: asyncio.AbstractEventLoop,
) -> asyncio.Future[ProbeOutcome]:
    # A daemon thread, not an executor: a probe stuck in a driver call must not keep the
    # process alive after its timeout has been reported.
    future: asyncio.Future[ProbeOutcome] = loop.create_future()

    def settle(setter: Callable[[Any], None], value: Any) -> None:
        if not future.done():
            setter(value)

    def deliver(setter: Callable[[Any], None], value: Any) -> None:
        # A probe that outlived its timeout may finish after the run (and its loop) ended.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, setter, value)

    def work() -> None:
        try:
            outcome = function(ctx)
        except BaseException as exc:  # errors are values past this point
            ctx.publish(spec.name, None)
            deliver(future.set_exception, exc)
        else:
            ctx.publish(spec.name, outcome)
            deliver(future.set_result, outcome)

    threading.Thread(target=work, name=f"probe-{spec.name}", daemon=True).start()
    return future


def _resolve(target: str) -> Callable[[ProbeContext], ProbeOutcome]:
    module, _, attr = target.partition(":")
    function: Callable[[ProbeContext], ProbeOutcome] = getattr(importlib.import_module(module), attr)
    return function


async def _collect(
    config: Config, secrets: Secrets, specs: Sequence[ProbeSpec], timeout: float, on_event: EventHandler
) -> dict[str, ProbeOutcome]:
    loop = asyncio.get_running_loop()
    ctx = ProbeContext(config, secrets, [s.name for s in specs])

    async def one(spec: ProbeSpec) -> tuple[str, ProbeOutcome]:
        started = time.perf_counter()
        on_event(spec.name, "start", 0.0, "")
        try:
            function = _resolve(spec.target)
            outcome = await asyncio.wait_for(_run_in_thread(spec, function, ctx, loop), timeout)
        except TimeoutError:
            ctx.publish(spec.name, None)
            reason = f"the {spec.name} probe did not finish within {timeout:g} s"
            on_event(spec.name, "timeout", time.perf_counter() - started, reason)
            return spec.name, ProbeOutcome(None, (ProbeError(spec.name, spec.fact, "timeout", reason),))
        except Exception as exc:
            ctx.publish(spec.name, None)
            reason = redact(f"the {spec.name} probe failed: {type(exc).__name__}: {exc}", secrets.values())
            on_event(spec.name, "error", time.perf_counter() - started, reason)
            return spec.name, ProbeOutcome(None, (ProbeError(spec.name, spec.fact, "error", reason),))
        errors = [replace(e, reason=redact(e.reason, secrets.values())) for e in outcome.errors]
        state = "error" if errors else "done"
        detail = f"{len(errors)} fact(s) could not be read" if errors else ""
        on_event(spec.name, state, time.perf_counter() - started, detail)
        return spec.name, replace(outcome, errors=tuple(errors))

    results = await asyncio.gather(*(one(spec) for spec in specs))
    return dict(results)


def local_collector() -> Collector:
    addresses: set[str] = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            addresses.add(str(info[4][0]))
    except OSError:
        pass
    return Collector(
        hostname=socket.gethostname(),
        platform=f"{platform.system()} {platform.release()}",
        source_addresses=tuple(sorted(addresses)),
    )


def collect(
    config: Config,
    secrets: Secrets,
    *,
    on_event: EventHandler | None = None,
    probes: Sequence[ProbeSpec] | None = None,
    now: datetime | None = None,
) -> Snapshot:
    """Run the probes the config calls for, concurrently, and return the snapshot."""
    specs = list(probes) if probes is not None else probes_for(config)
    outcomes = asyncio.run(
        _collect(config, secrets, specs, config.options.probe_timeout, on_event or (lambda *a: None))
    )
    facts: dict[str, Any] = {}
    errors: list[ProbeError] = []
    collected_at = now or datetime.now(UTC)
    collector = local_collector()
    if config.network.runs_on_sql_host is not None:
        collector = replace(collector, runs_on_sql_host=config.network.runs_on_sql_host)
    for spec in specs:
        outcome = outcomes[spec.name]
        facts[spec.fact] = outcome.facts
        errors.extend(outcome.errors)
        if outcome.collector is not None:
            collector = outcome.collector
    return Snapshot(
        schema_version=SCHEMA_VERSION,
        tool_version=__version__,
        collected_at=collected_at,
        facts=Facts(
            plan=config.plan(),
            collector=replace(collector, collected_at=collected_at),
            errors=tuple(errors),
            **facts,
        ),
    )


# ---------------------------------------------------------------------------------------------
# Checks


_NOT_COLLECTED = {
    "sql": "SQL Server facts were not collected (no [source] in the config)",
    "azure": "Azure facts were not collected (no [managed_instance] in the config)",
    "network": "network facts were not collected",
    "target": "target facts were not collected (no [managed_instance] in the config)",
    "plan.links": "no link is planned (no [[link]] in the config)",
}


def to_finding(spec: CheckSpec, result: Result) -> Finding:
    return Finding(
        check_id=spec.id,
        title=spec.title,
        area=spec.area,
        severity=spec.severity,
        status=result.status,
        message=result.message,
        target=result.target,
        observed=result.observed,
        expected=result.expected,
        evidence=result.evidence,
        rationale=spec.rationale,
        remediation=result.remediation or spec.remediation,
        fix=result.fix,
        docs=spec.docs,
        owner=spec.owner,
        prevents=spec.prevents,
    )


def _why_missing(facts: Facts, path: str) -> str:
    area = path.split(".")[0]
    if area in _NOT_COLLECTED and lookup(facts, area) is None:
        return _NOT_COLLECTED[area]
    return _NOT_COLLECTED.get(path, f"{path} is empty or was not collected")


def run_check(spec: CheckSpec, facts: Facts, settings: Settings) -> list[Finding]:
    """One check, isolated: a missing fact or an exception becomes a finding, never a crash."""
    for path in spec.requires:
        error = facts.error_for(path)
        if error is not None:
            return [to_finding(spec, errored(f"Could not evaluate: {path} could not be read: {error.reason}"))]
        value = lookup(facts, path)
        if value is None or value == ():
            return [to_finding(spec, skipped(f"Not applicable: {_why_missing(facts, path)}"))]
    assert spec.function is not None
    try:
        results = list(spec.function(facts, settings))
    except Exception as exc:
        return [to_finding(spec, errored(f"The check itself failed: {type(exc).__name__}: {exc}"))]
    if not results:
        return [to_finding(spec, skipped("Not applicable: nothing to check"))]
    return [to_finding(spec, result) for result in results]


def select_checks(profile: Profile, checks: Sequence[CheckSpec] | None = None) -> list[CheckSpec]:
    return [spec for spec in (checks if checks is not None else all_checks()) if profile.selects(spec)]


def evaluate(
    facts: Facts,
    profile: Profile,
    waivers: Sequence[Waiver] = (),
    *,
    today: date | None = None,
    checks: Sequence[CheckSpec] | None = None,
) -> list[Finding]:
    settings = Settings(profile.thresholds)
    findings: list[Finding] = []
    for spec in select_checks(profile, checks):
        findings.extend(run_check(spec, facts, settings))
    return apply_waivers(findings, waivers, today or date.today())


WAIVER_CHECK = CheckSpec(
    id="WAIVER-001",
    title="Waivers in use are current",
    area=Area.PLAN,
    severity=Severity.LOW,
    rationale="An expired waiver no longer hides its finding: the accepted risk needs a new decision.",
    remediation="Renew the waiver with a new expiry date and reason, or fix the finding.",
    docs="https://learn.microsoft.com/azure/azure-sql/managed-instance/managed-instance-link-preparation",
    owner=Owner.DBA,
)


def apply_waivers(findings: list[Finding], waivers: Sequence[Waiver], today: date) -> list[Finding]:
    """Waive matching FAIL/WARN findings; an expired waiver is ignored and reported as a WARN."""
    current = [w for w in waivers if w.expires >= today]
    out: list[Finding] = []
    for finding in findings:
        waiver = next(
            (
                w
                for w in current
                if w.check == finding.check_id and (not w.target or w.target == finding.target)
            ),
            None,
        )
        if waiver and finding.status in (Status.FAIL, Status.WARN):
            finding = replace(finding, status=Status.WAIVED, waiver=waiver)
        out.append(finding)
    for waiver in waivers:
        if waiver.expires < today:
            target = f" ({waiver.target})" if waiver.target else ""
            out.append(
                to_finding(
                    WAIVER_CHECK,
                    Result(
                        status=Status.WARN,
                        message=(
                            f"The waiver for {waiver.check}{target} expired on {waiver.expires.isoformat()} and "
                            "is ignored"
                        ),
                        target=f"{waiver.check}{target}",
                        observed=f"expires {waiver.expires.isoformat()}, owner {waiver.owner}: {waiver.reason}",
                        expected=f"an expiry date on or after {today.isoformat()}",
                    ),
                )
            )
    return out


def decide(findings: Iterable[Finding], profile: Profile) -> Verdict:
    statuses = {f.status for f in findings}
    if Status.FAIL in statuses or (profile.warn_is_failure and Status.WARN in statuses):
        return Verdict.NOT_READY
    if Status.ERROR in statuses:
        return Verdict.UNKNOWN
    return Verdict.READY


def make_report(
    snapshot: Snapshot,
    profile: Profile,
    waivers: Sequence[Waiver] = (),
    *,
    branding: Branding | None = None,
    now: datetime | None = None,
) -> Report:
    """Evaluate a snapshot under a profile and waivers: the one path every command takes."""
    generated_at = now or datetime.now(UTC)
    findings = evaluate(snapshot.facts, profile, waivers, today=generated_at.date())
    return Report(
        findings=tuple(findings),
        verdict=decide(findings, profile),
        profile=profile.name,
        snapshot=snapshot,
        generated_at=generated_at,
        tool_version=__version__,
        branding=branding or Branding(),
    )
