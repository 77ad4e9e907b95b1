"""Engine behaviour: isolation of failing checks and probes, waivers, verdicts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from linkready.config import parse_config
from linkready.engine import collect, decide, evaluate, run_check
from linkready.facts import Facts, ProbeError, ProbeState
from linkready.facts.sql import SqlFacts
from linkready.model import (
    Area,
    CheckSpec,
    Owner,
    Result,
    Settings,
    Severity,
    Status,
    Verdict,
    Waiver,
    failed,
    passed,
    warned,
)
from linkready.policy import Profile
from linkready.probes import ProbeSpec, Secrets
from tests.builders.manifest import not_asked


def spec(check_id: str, function, requires: tuple[str, ...] = ()) -> CheckSpec:  # type: ignore[no-untyped-def]
    return CheckSpec(check_id, f"title {check_id}", Area.SQL, Severity.HIGH, "why", "fix it",
                     "https://example.invalid/docs", Owner.DBA, requires=requires, function=function)


def raises(facts: Facts, settings: Settings) -> Iterator[Result]:
    raise KeyError("endpoint")


def fails(facts: Facts, settings: Settings) -> Iterator[Result]:
    yield failed("master key missing", target="master", observed="none", expected="a master key")


def warns(facts: Facts, settings: Settings) -> Iterator[Result]:
    yield warned("trace flag 1800 off", observed="off", expected="on")


def ok(facts: Facts, settings: Settings) -> Iterator[Result]:
    yield passed("fine")


PROFILE = Profile("test")


def test_a_check_that_raises_becomes_error_and_the_others_still_report() -> None:
    checks = [spec("SQL-901", raises), spec("SQL-902", fails), spec("SQL-903", ok)]
    findings = evaluate(Facts(), PROFILE, checks=checks)
    by_id = {f.check_id: f for f in findings}
    assert by_id["SQL-901"].status is Status.ERROR
    assert "KeyError" in by_id["SQL-901"].message and "endpoint" in by_id["SQL-901"].message
    assert by_id["SQL-902"].status is Status.FAIL
    assert by_id["SQL-903"].status is Status.PASS


def test_missing_fact_is_error_with_the_probe_reason_or_skip_when_not_collected() -> None:
    blocked = Facts(sql=SqlFacts(master_key_present=True),
                    errors=(ProbeError("sql", "sql.trace_flags", "permission", "needs VIEW SERVER STATE"),))
    [finding] = run_check(spec("SQL-904", ok, ("sql.trace_flags",)), blocked, Settings())
    assert finding.status is Status.ERROR and "needs VIEW SERVER STATE" in finding.message
    [finding] = run_check(spec("SQL-905", ok, ("sql.master_key_present",)), blocked, Settings())
    assert finding.status is Status.PASS
    [finding] = run_check(spec("SQL-906", ok, ("azure.nsg",)), blocked, Settings())
    assert finding.status is Status.ERROR and "azure.nsg was not collected" in finding.message
    [finding] = run_check(spec("SQL-906", ok, ("azure.nsg",)), not_asked(blocked, "azure"), Settings())
    assert finding.status is Status.SKIP and "no [managed_instance]" in finding.message


def test_waiver_applies_and_expired_waiver_is_ignored_with_a_warning() -> None:
    checks = [spec("SQL-902", fails), spec("SQL-907", warns)]
    current = Waiver("SQL-902", "accepted until cutover", "dba@contoso", date(2026, 12, 31), "master")
    expired = Waiver("SQL-907", "old decision", "net@contoso", date(2026, 1, 31))
    findings = evaluate(Facts(), PROFILE, [current, expired], today=date(2026, 11, 26), checks=checks)
    by_id = {f.check_id: f for f in findings}
    assert by_id["SQL-902"].status is Status.WAIVED and by_id["SQL-902"].waiver == current
    assert by_id["SQL-907"].status is Status.WARN  # expired: not applied
    assert by_id["WAIVER-001"].status is Status.WARN
    assert "expired on 2026-01-31" in by_id["WAIVER-001"].message
    assert decide(findings, PROFILE) is Verdict.READY


def test_waiver_for_another_target_does_not_apply() -> None:
    waiver = Waiver("SQL-902", "r", "o", date(2099, 1, 1), "other")
    [finding] = evaluate(Facts(), PROFILE, [waiver], today=date(2026, 11, 26), checks=[spec("SQL-902", fails)])
    assert finding.status is Status.FAIL


def test_verdicts_and_pipeline_profile() -> None:
    warn_only = evaluate(Facts(), PROFILE, checks=[spec("SQL-907", warns), spec("SQL-903", ok)])
    assert decide(warn_only, PROFILE) is Verdict.READY
    assert decide(warn_only, Profile("pipeline", warn_is_failure=True)) is Verdict.NOT_READY
    error_only = evaluate(Facts(), PROFILE, checks=[spec("SQL-901", raises), spec("SQL-903", ok)])
    assert decide(error_only, PROFILE) is Verdict.UNKNOWN
    both = evaluate(Facts(), PROFILE, checks=[spec("SQL-901", raises), spec("SQL-902", fails)])
    assert decide(both, PROFILE) is Verdict.NOT_READY
    assert [v.exit_code for v in Verdict] == [0, 1, 3]


CONFIG = parse_config({"source": {"server": "127.0.0.1,1", "username": "probe"}})


def test_a_probe_that_times_out_is_recorded_and_the_others_finish() -> None:
    config = parse_config({"source": {"server": "x"}, "options": {"probe_timeout": 0.5}})
    probes = [ProbeSpec("sql", "sql", "tests.core.probes_for_tests:hangs"),
              ProbeSpec("network", "network", "tests.core.probes_for_tests:quick_sql")]
    events: list[tuple[str, str]] = []
    snapshot = collect(config, Secrets(), probes=probes, on_event=lambda n, s, t, d: events.append((n, s)))
    [error] = snapshot.facts.errors
    assert (error.probe, error.fact, error.kind) == ("sql", "sql", "timeout")
    assert "did not finish within 0.5 s" in error.reason
    assert snapshot.facts.sql is None and snapshot.facts.network is not None
    assert ("sql", "timeout") in events
    manifest = {m.probe: (m.state, m.reason) for m in snapshot.facts.manifest}
    assert manifest["sql"][0] is ProbeState.NOT_COLLECTED and "did not finish" in manifest["sql"][1]
    assert manifest["network"] == (ProbeState.COLLECTED, "")
    assert manifest["azure"][0] is ProbeState.NOT_ASKED and "no [managed_instance]" in manifest["azure"][1]
    [finding] = run_check(spec("SQL-908", ok, ("sql.master_key_present",)), snapshot.facts, Settings())
    assert finding.status is Status.ERROR and "did not finish within 0.5 s" in finding.message


def test_probe_exception_is_recorded_without_the_password() -> None:
    probes = [ProbeSpec("sql", "sql", "tests.core.probes_for_tests:leaks_password")]
    snapshot = collect(CONFIG, Secrets(sql_password="S3cr3t-Pa55"), probes=probes)
    [error] = snapshot.facts.errors
    assert "S3cr3t-Pa55" not in error.reason and "***" in error.reason
    assert "ConnectionError" in error.reason


def test_partial_probe_results_keep_what_was_read() -> None:
    snapshot = collect(CONFIG, Secrets(), probes=[ProbeSpec("sql", "sql", "tests.core.probes_for_tests:partial")])
    assert snapshot.facts.sql == SqlFacts(master_key_present=True)
    assert snapshot.facts.error_for("sql.trace_flags") is not None
    assert snapshot.facts.error_for("sql.master_key_present") is None


def test_a_probe_finishing_after_the_run_ended_is_harmless() -> None:
    import threading
    import time

    config = parse_config({"source": {"server": "x"}, "options": {"probe_timeout": 0.2}})
    probes = [ProbeSpec("sql", "sql", "tests.core.probes_for_tests:slow_then_done")]
    errors: list[BaseException] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)  # type: ignore[assignment]
    try:
        snapshot = collect(config, Secrets(), probes=probes)
        time.sleep(0.8)  # the probe thread finishes now, after its event loop closed
    finally:
        threading.excepthook = previous
    assert snapshot.facts.errors[0].kind == "timeout"
    assert errors == []
