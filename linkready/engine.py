"""Orchestration: run probes concurrently, build the snapshot, run checks, apply policy, decide.

Nothing here knows about the terminal; the CLI passes an ``on_event`` callback for progress.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from linkready import __version__
from linkready.checks import all_checks
from linkready.domain.docs import DOCS_PREP
from linkready.facts import Facts, FactState, ProbeError, ProbeManifest, ProbeState, lookup
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
from linkready.probes.host import local_collector
from linkready.redact import redact
from linkready.report import Branding, Report
from linkready.snapshot import SCHEMA_VERSION, Snapshot

if TYPE_CHECKING:  # pydantic only at the config boundary: the engine needs Config for annotations alone
    from linkready.config import Config

#: on_event(probe name, state: "start" | "done" | "error" | "timeout", seconds, detail)
EventHandler = Callable[[str, str, float, str], None]


# ---------------------------------------------------------------------------------------------
# Probes


def _clean(text: str, secrets: Secrets) -> str:
    # The one place every probe error passes on its way into the snapshot: the configured
    # secrets, bearer tokens and JWT-shaped strings go whichever probe (SQL, DNS, TCP, ARM)
    # quoted them, so findings, logs and reports built from the snapshot never carry them.
    return redact(text, tuple(secrets.values()))


def probes_for(config: Config) -> list[ProbeSpec]:
    """The probes this config gives something to probe."""
    return [spec for spec in PROBES if spec.wanted(config)]


def _run_in_thread(
    spec: ProbeSpec, ctx: ProbeContext, loop: asyncio.AbstractEventLoop,
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
            # The probe's module is imported here, in the probe's own thread: a probe whose imports
            # are slow (the Azure SDK, ~1.7 s of module bodies) no longer delays the start of the
            # others, which run their SQL, DNS and TCP round trips meanwhile (issue 20).
            outcome = _resolve(spec.target)(ctx)
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
            outcome = await asyncio.wait_for(_run_in_thread(spec, ctx, loop), timeout)
        except TimeoutError:
            ctx.publish(spec.name, None)
            reason = f"the {spec.name} probe did not finish within {timeout:g} s"
            on_event(spec.name, "timeout", time.perf_counter() - started, reason)
            return spec.name, ProbeOutcome(None, (ProbeError(spec.name, spec.fact, "timeout", reason),))
        except Exception as exc:
            ctx.publish(spec.name, None)
            reason = _clean(f"the {spec.name} probe failed: {type(exc).__name__}: {exc}", secrets)
            on_event(spec.name, "error", time.perf_counter() - started, reason)
            return spec.name, ProbeOutcome(None, (ProbeError(spec.name, spec.fact, "error", reason),))
        errors = [replace(e, reason=_clean(e.reason, secrets)) for e in outcome.errors]
        state = "error" if errors else "done"
        detail = f"{len(errors)} fact(s) could not be read" if errors else ""
        on_event(spec.name, state, time.perf_counter() - started, detail)
        return spec.name, replace(outcome, errors=tuple(errors))

    results = await asyncio.gather(*(one(spec) for spec in specs))
    return dict(results)


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
    manifest: list[ProbeManifest] = []
    ran = {spec.name for spec in specs}
    for spec in PROBES:
        if spec.name not in ran:
            reason = spec.not_asked_reason if not spec.wanted(config) else f"the {spec.name} probe was not run"
            manifest.append(ProbeManifest(spec.name, spec.fact, ProbeState.NOT_ASKED, reason))
    collected_at = now or datetime.now(UTC)
    collector = local_collector()
    if config.network.runs_on_sql_host is not None:
        collector = replace(collector, runs_on_sql_host=config.network.runs_on_sql_host)
    for spec in specs:
        outcome = outcomes[spec.name]
        facts[spec.fact] = outcome.facts
        errors.extend(outcome.errors)
        if outcome.facts is None:
            why = "; ".join(e.reason for e in outcome.errors) or f"the {spec.name} probe returned no facts"
            manifest.append(ProbeManifest(spec.name, spec.fact, ProbeState.NOT_COLLECTED, why))
        else:
            manifest.append(ProbeManifest(spec.name, spec.fact, ProbeState.COLLECTED))
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
            manifest=tuple(manifest),
            **facts,
        ),
    )


# ---------------------------------------------------------------------------------------------
# Checks


#: Facts whose emptiness is a genuine "not applicable" (the plan asks for nothing to judge), not
#: an answer to judge. Every other empty fact is collected and goes to the check.
_NOT_APPLICABLE_WHEN_EMPTY = {
    "plan.links": "no link is planned (plan.links is empty: no [[link]] in the config)",
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
        service_errors=spec.service_errors,
    )


def _why_empty(facts: Facts, paths: Sequence[str]) -> str:
    empty = [p for p in paths if lookup(facts, p) == ()]
    if not empty:
        return "nothing to check"
    return "; ".join(f"{p} is empty" for p in empty)


def run_check(spec: CheckSpec, facts: Facts, settings: Settings) -> list[Finding]:
    """One check, isolated: a missing fact or an exception becomes a finding, never a crash.

    A required fact that was not collected is ERROR naming the fact and why; one that was not
    asked for (no [source], no [managed_instance]) is SKIP; an empty one is a collected answer
    and the check judges it.
    """
    for path in spec.requires:
        state, reason = facts.state_of(path)
        if state is FactState.NOT_COLLECTED:
            return [to_finding(spec, errored(f"Could not evaluate: {reason}"))]
    for path in spec.requires:
        state, reason = facts.state_of(path)
        if state is FactState.NOT_ASKED:
            return [to_finding(spec, skipped(f"Not applicable: {reason}"))]
        if path in _NOT_APPLICABLE_WHEN_EMPTY and lookup(facts, path) == ():
            return [to_finding(spec, skipped(f"Not applicable: {_NOT_APPLICABLE_WHEN_EMPTY[path]}"))]
    assert spec.function is not None
    try:
        results = list(spec.function(facts, settings))
    except Exception as exc:
        return [to_finding(spec, errored(f"The check itself failed: {type(exc).__name__}: {exc}"))]
    if not results:
        return [to_finding(spec, skipped(f"Not applicable: {_why_empty(facts, spec.requires)}"))]
    return [to_finding(spec, result) for result in results]


def select_checks(profile: Profile, checks: Sequence[CheckSpec] | None = None) -> list[CheckSpec]:
    return [spec for spec in (checks if checks is not None else all_checks()) if profile.selects(spec)]


#: Dependent check -> the checks whose FAIL is its root cause. One fault, one blocker: when a root
#: FAILs, the dependent's FAIL says "Blocked by <root>" and leaves the top-blocker list.
ROOT_CAUSES: dict[str, tuple[str, ...]] = {
    "CERT-001": ("EP-003",),  # no certificate on the endpoint: EP-003 is the endpoint's authentication
    "CERT-002": ("CERT-001",),
    "CERT-003": ("CERT-001",),
    "CERT-005": ("CERT-001",),
    "FO-005": ("CERT-001",),  # an expired endpoint certificate cannot outlast the failback window either
    "NET-001": ("NSG-001",),
    "NET-002": ("NSG-002",),
}


def mark_root_causes(findings: list[Finding]) -> list[Finding]:
    failing = {f.check_id for f in findings if f.status is Status.FAIL}
    out = []
    for finding in findings:
        roots = [r for r in ROOT_CAUSES.get(finding.check_id, ()) if r in failing and r != finding.check_id]
        if finding.status is Status.FAIL and roots:
            finding = replace(finding, blocked_by=roots[0], message=f"Blocked by {roots[0]}: {finding.message}")
        out.append(finding)
    return out


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
    return apply_waivers(mark_root_causes(findings), waivers, today or date.today())


WAIVER_CHECK = CheckSpec(
    id="WAIVER-001",
    title="Waivers in use are current",
    area=Area.PLAN,
    severity=Severity.LOW,
    rationale="An expired waiver no longer hides its finding: the accepted risk needs a new decision.",
    remediation="Renew the waiver with a new expiry date and reason, or fix the finding.",
    docs=DOCS_PREP,
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


def checks_ran(findings: Iterable[Finding]) -> int:
    """Checks that judged something: at least one finding that is not SKIP (waiver notes aside)."""
    return len({f.check_id for f in findings if f.status is not Status.SKIP and f.check_id != WAIVER_CHECK.id})


def decide(findings: Iterable[Finding], profile: Profile) -> Verdict:
    findings = list(findings)
    statuses = {f.status for f in findings}
    if Status.FAIL in statuses or (profile.warn_is_failure and Status.WARN in statuses):
        return Verdict.NOT_READY
    if Status.ERROR in statuses:
        return Verdict.UNKNOWN
    if checks_ran(findings) == 0:
        # Nothing judged is nothing known: never "Ready" on zero checks.
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
        checks_selected=len(select_checks(profile)),
        checks_ran=checks_ran(findings),
    )
