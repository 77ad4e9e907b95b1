"""SQL-001..008 on facts: a PASS and a FAIL (or WARN/ERROR) per check."""

from __future__ import annotations

import pytest

from linkready.facts import ProbeError
from linkready.facts.sql import TraceFlag
from tests.builders.sql_facts import SQL, database, facts, instance, messages, statuses

CASES = [
    ("SQL-001", facts(), "PASS"),
    ("SQL-001", facts(instance=instance(product_version="12.0.6444.4")), "FAIL"),
    ("SQL-001", facts(instance=instance(product_version="13.0.7000.253", host_platform="Linux")), "FAIL"),
    ("SQL-002", facts(), "PASS"),
    ("SQL-002", facts(instance=instance(product_version="15.0.4261.1", product_update_level="CU18")), "FAIL"),
    ("SQL-002", facts(instance=instance(product_version="14.0.3456.2", product_update_level="CU31")), "FAIL"),
    ("SQL-002", facts(instance=instance(product_version="16.0.4085.2", product_update_level="CU9"),
                      plan={"initial_primary": "ManagedInstance"}), "FAIL"),
    ("SQL-002", facts(instance=instance(product_version="16.0.4095.4", product_update_level="CU10"),
                      plan={"initial_primary": "ManagedInstance"}), "PASS"),
    ("SQL-002", facts(instance=instance(product_version="16.0.1135.2", product_update_level=None),
                      plan={"tsql_failover": True}), "FAIL"),  # GDR on the RTM branch: below CU13 by number
    ("SQL-003", facts(), "PASS"),
    ("SQL-003", facts(instance=instance(edition="Express Edition (64-bit)")), "FAIL"),
    ("SQL-003", facts(instance=instance(edition="Web Edition (64-bit)")), "FAIL"),
    ("SQL-003", facts(instance=instance(host_distribution="Windows 11 Pro")), "FAIL"),
    ("SQL-003", facts(instance=instance(edition="Evaluation Edition (64-bit)")), "WARN"),
    # No host OS named (neither dm_os_host_info nor @@VERSION): unknown is never "supported".
    ("SQL-003", facts(instance=instance(host_platform="", host_distribution="", host_release="")), "ERROR"),
    ("SQL-004", facts(), "PASS"),
    ("SQL-004", facts(instance=instance(is_hadr_enabled=False, hadr_manager_status=0)), "FAIL"),
    ("SQL-004", facts(instance=instance(hadr_manager_status=2)), "FAIL"),
    ("SQL-005", facts(), "PASS"),
    ("SQL-005", facts(master_key_present=False), "FAIL"),
    ("SQL-006", facts(), "PASS"),
    ("SQL-006", facts(trace_flags=(TraceFlag(1800, False, False), TraceFlag(9567, True, True),
                                   TraceFlag(12381, False, False))), "WARN"),
    ("SQL-006", facts(databases=database(data_size_mb=200_000)), "WARN"),  # large database: 12381 recommended
    ("SQL-007", facts(), "PASS"),
    ("SQL-007", facts(permissions=("CONNECT SQL", "VIEW ANY DEFINITION")), "ERROR"),
    ("SQL-008", facts(), "PASS"),
    ("SQL-008", facts(has_sp_certificate_add_issuer=False), "FAIL"),
    ("SQL-008", facts(has_sp_multidb_milink=True, multidb_mode_enabled=True), "FAIL"),
]


@pytest.mark.parametrize(("check_id", "f", "expected"), CASES)
def test_instance_checks(check_id: str, f: object, expected: str) -> None:
    assert statuses(check_id, f) == [expected]  # type: ignore[arg-type]


def test_multidb_plan_needs_the_procedure_and_enterprise() -> None:
    from dataclasses import replace

    from tests.builders.sql_facts import LINK

    multi = facts(instance=instance(product_version="16.0.4145.4", product_update_level="CU15",
                                    edition="Standard Edition (64-bit)"))
    multi = replace(multi, plan=replace(multi.plan, links=(replace(LINK, link_mode="MultiDatabase"),)))
    assert statuses("SQL-008", multi) == ["FAIL"]
    assert statuses("SQL-003", multi) == ["FAIL"]
    assert statuses("SQL-002", multi) == ["FAIL"]  # CU15 < CU27
    assert "CU27" in messages("SQL-002", multi)


def test_failures_name_the_fix() -> None:
    assert "KB5024276" in messages("SQL-002", facts(instance=instance(product_version="15.0.4261.1")))
    assert "CREATE MASTER KEY" in messages("SQL-005", facts(master_key_present=False))
    assert "GRANT VIEW SERVER STATE" in messages("SQL-007", facts(permissions=("CONNECT SQL",)))


def test_unreadable_facts_are_errors_not_failures() -> None:
    error = ProbeError("sql", "sql.trace_flags", "permission", "trace_flags needs VIEW SERVER STATE: denied")
    assert statuses("SQL-006", facts(trace_flags=None, errors=(error,))) == ["ERROR"]


def test_sql006_advice_matches_the_evidence() -> None:
    """9567 set, 1800 missing, a large database: advise 1800 only, and 12381 for the seeding window only."""
    text = messages("SQL-006", facts(trace_flags=(TraceFlag(1800, False, False), TraceFlag(9567, True, True)),
                                     databases=database(data_size_mb=200_000)))
    assert "DBCC TRACEON(1800, -1);" in text and "-T1800" in text and "9567, -1" not in text
    assert "DBCC TRACEON(12381, -1);" in text and "DBCC TRACEOFF(12381, -1)" in text
    assert "traceflag 12381" not in text and "-T12381" not in text  # never a permanent startup flag
    assert statuses("SQL-005", facts(master_key_present=None, errors=(
        ProbeError("sql", "sql.master_key_present", "permission", "needs VIEW ANY DEFINITION"),))) == ["ERROR"]
    assert statuses("SQL-001", facts(SQL, instance=None)) == ["ERROR"]  # not collected is unknown


def _flags(*states: tuple[int, bool, bool | None]) -> tuple[TraceFlag, ...]:
    return tuple(TraceFlag(flag, startup, running) for flag, startup, running in states)


def test_sql006_reads_what_is_on_now_and_at_startup() -> None:
    """DBCC TRACEON(12381, -1) counts as on; a -T not yet restarted is not on now; 12381 never at startup."""
    traceon = _flags((1800, True, True), (9567, True, True), (12381, False, True))
    assert statuses("SQL-006", facts(trace_flags=traceon, databases=database(data_size_mb=200_000))) == ["PASS"]
    not_restarted = _flags((1800, True, False), (9567, True, True), (12381, False, False))
    text = messages("SQL-006", facts(trace_flags=not_restarted))
    assert statuses("SQL-006", facts(trace_flags=not_restarted)) == ["WARN"]
    assert "DBCC TRACEON(1800, -1);" in text and "-T1800" not in text and "mssql-conf traceflag 1800" not in text
    only_now = _flags((1800, False, True), (9567, True, True), (12381, False, False))
    text = messages("SQL-006", facts(trace_flags=only_now))
    assert "-T1800" in text and "DBCC TRACEON(1800" not in text
    at_startup = _flags((1800, True, True), (9567, True, True), (12381, True, True))
    text = messages("SQL-006", facts(trace_flags=at_startup))
    assert statuses("SQL-006", facts(trace_flags=at_startup)) == ["WARN"] and "Remove the startup parameter -T12381" in text


def test_sql006_observed_names_both_states() -> None:
    from linkready.checks import get

    from linkready.engine import run_check
    from linkready.model import Settings

    spec = get("SQL-006")
    assert spec is not None
    found = run_check(spec, facts(trace_flags=_flags((1800, True, True), (9567, True, False), (12381, False, True))),
                      Settings({}))
    assert found[0].observed.startswith("startup: 1800, 9567; running now: 1800, 12381")
    # Not read is unknown, never "as at startup": an ERROR naming what is missing.
    unread = run_check(spec, facts(trace_flags=_flags((1800, True, None), (9567, True, None))), Settings({}))
    assert unread[0].status.name == "ERROR" and "running now: not read" in unread[0].observed


@pytest.mark.parametrize(("key", "check_id"), [
    ("is_sysadmin", "SQL-007"), ("has_sp_multidb_milink", "SQL-008"), ("multidb_mode_enabled", "SQL-008")])
def test_a_snapshot_without_the_key_is_not_absent_or_off(key: str, check_id: str) -> None:
    # Issue 13: the demo plans single-database links; without the key SQL-008 would read "missing"/"off"
    # and pass, SQL-007 would read "not sysadmin". Unknown is neither: ERROR naming the key.
    import json

    from linkready.snapshot import loads
    from tests.verdict.removal import demo_data

    data = demo_data()
    assert statuses(check_id, loads(json.dumps(data)).facts) != ["ERROR"]  # the key is what changes it
    del data["facts"]["sql"][key]
    facts_without = loads(json.dumps(data)).facts
    assert statuses(check_id, facts_without) == ["ERROR"]
    assert f"sql.{key}" in messages(check_id, facts_without)
