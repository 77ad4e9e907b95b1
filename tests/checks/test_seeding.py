"""Seeding checks SEED-001..002 on facts: time vs the 6-day cancellation, trace flag 12381 vs log backups."""

from __future__ import annotations

from dataclasses import replace

import pytest
from linkready.checks import get

from linkready.facts import Facts, PlanFacts, PlannedLink
from linkready.facts.sql import SqlDatabase, SqlFacts, TraceFlag
from linkready.model import Status
from tests.builders.checks import findings, one


def db(name: str, data_gb: float, log_gb: float = 0.0) -> SqlDatabase:
    return SqlDatabase(name, 5, "ONLINE", "FULL", False, "SQL_Latin1_General_CP1_CI_AS",
                       data_size_mb=data_gb * 1024, log_size_mb=log_gb * 1024)


def facts(*dbs: SqlDatabase, throughput: float | None = 84.0, tf12381: bool = False) -> Facts:
    links = tuple(PlannedLink(f"link-{d.name.lower()}", (d.name,), f"AG_{d.name}_MI", f"AG_{d.name}",
                              "TCP://10.1.0.4:5022") for d in dbs)
    return Facts(
        plan=PlanFacts(links=links, seeding_throughput_gb_per_hour=throughput),
        sql=SqlFacts(databases=(*dbs, db("Other", 5000)), trace_flags=(TraceFlag(12381, tf12381),)),
    )


def run(check_id: str, f: Facts, **thresholds: object) -> list[tuple[Status, str]]:
    return [(x.status, x.message) for x in findings(check_id, f, **thresholds)]


@pytest.mark.parametrize(
    ("scenario", "status"),
    [
        (facts(db("Sales", 90, 10)), Status.PASS),  # 100 GB at 84 GB/h: about 1.2 h
        (facts(db("Sales", 4000), db("HR", 3000), throughput=100), Status.PASS),  # 70 h = 2.9 days, under 3
        (facts(db("Sales", 8000), db("HR", 2000), throughput=100), Status.WARN),  # 100 h = 4.2 days
        (facts(db("Sales", 15000), throughput=100), Status.FAIL),  # 150 h = 6.25 days: cancelled
        (facts(db("Sales", 100), throughput=None), Status.SKIP),
    ],
)
def test_seed_001(scenario: Facts, status: Status) -> None:
    assert [r[0] for r in run("SEED-001", scenario)] == [status]


def test_seed_001_counts_only_planned_databases_and_names_the_total() -> None:
    (status, message), = run("SEED-001", facts(db("Sales", 90, 10)))
    assert status is Status.PASS and "1.2 h" in message  # "Other" (5 TB, not planned) is ignored


def test_seed_001_warn_fraction_from_profile() -> None:
    assert run("SEED-001", facts(db("Sales", 7000), throughput=100), seeding_warn_fraction=0.25)[0][0] is Status.WARN


@pytest.mark.parametrize(
    ("scenario", "status"),
    [
        (facts(db("Sales", 200)), Status.WARN),  # 2.4 h of seeding with log backups every 15 min, TF off
        (facts(db("Sales", 200), tf12381=True), Status.PASS),
        (facts(db("Sales", 10)), Status.PASS),  # about 7 minutes: within one log backup interval
        (facts(db("Sales", 10), throughput=None), Status.PASS),  # reference rate assumed, said so
    ],
)
def test_seed_002(scenario: Facts, status: Status) -> None:
    assert run("SEED-002", scenario)[0][0] is status


def test_seed_002_names_the_errors_and_the_trace_flag() -> None:
    spec = get("SEED-002")
    assert spec is not None and spec.prevents == (1408, 1412)
    finding = findings("SEED-002", facts(db("Sales", 200)))[0]
    assert "1408/1412" in finding.message and "DBCC TRACEON (12381, -1)" in finding.fix[0].code


def test_seed_002_says_when_the_rate_is_assumed() -> None:
    finding = findings("SEED-002", facts(db("Sales", 200), throughput=None))[0]
    assert "assumed 84 GB/h" in finding.observed


def test_throughput_flows_from_config_to_plan() -> None:
    from linkready.config import ConfigError, parse_config

    config = parse_config({"network": {"seeding_throughput_gb_per_hour": 42.5}})
    assert config.plan().seeding_throughput_gb_per_hour == 42.5
    with pytest.raises(ConfigError, match="seeding_throughput_gb_per_hour"):
        parse_config({"network": {"seeding_throughput_gb_per_hour": 0}})
    assert replace(PlanFacts()).seeding_throughput_gb_per_hour is None  # old snapshots still load


# --- measured log backup cadence and log generation (msdb.dbo.backupset, last 7 days) ---------------


def measured(d: SqlDatabase, every_minutes: float, mb_per_day: float, used_percent: float = 10.0) -> SqlDatabase:
    count = int(7 * 24 * 60 // every_minutes)
    return replace(d, log_backups_7d=count, log_backup_mb_7d=mb_per_day * 7, log_generated_mb_per_day=mb_per_day,
                   log_backup_interval_minutes=every_minutes, log_used_percent=used_percent)


def finding(check_id: str, f: Facts, **thresholds: object):  # type: ignore[no-untyped-def]
    return one(check_id, f, **thresholds)


def test_seeding_hours_share_the_bandwidth() -> None:
    from linkready.checks.seeding import seeding_hours

    # 10 GB and 30 GB at 10 GB/h: both send at 5 GB/h until the small one is done (2 h), then 10 GB/h.
    assert seeding_hours({"A": 10, "B": 30}, 10) == {"A": 2.0, "B": 4.0}
    assert seeding_hours({"A": 50}, 100) == {"A": 0.5}


@pytest.mark.parametrize(
    ("every", "fallback", "status", "source"),
    [
        (5.0, 15, Status.WARN, "measured"),  # 10 GB seeds in 7 min: outlasts a 5-minute cadence
        (30.0, 15, Status.PASS, "measured"),
        (240.0, 15, Status.PASS, "measured"),  # 200 GB below: 2.4 h < 4 h, where the profile's 15 would warn
        (None, 15, Status.PASS, "profile threshold"),  # 7 min < 15
        (None, 5, Status.WARN, "profile threshold"),
    ],
)
def test_seed_002_uses_the_measured_interval_and_says_so(every: float | None, fallback: int, status: Status,
                                                         source: str) -> None:
    size = 200 if every == 240.0 else 10
    sales = measured(db("Sales", size), every, 2048) if every else db("Sales", size)
    result = finding("SEED-002", facts(sales), log_backup_interval_minutes=fallback)
    assert result.status is status
    assert f"({source})" in result.observed
    shown = every if every else fallback
    assert f"log backups every {shown:g} min ({source})" in result.observed
    if every:
        assert f"{int(7 * 24 * 60 // every)} log backups in the last 7 days" in result.evidence[0]
    else:
        assert "not measured (backup history was not collected)" in result.evidence[0]
        assert f"log_backup_interval_minutes = {fallback:g} is used" in result.evidence[0]
    if status is Status.WARN:
        assert source in result.message and "1408/1412" in result.message


def test_seed_002_names_why_the_cadence_was_not_measured() -> None:
    none = replace(db("Sales", 10), log_backups_7d=0, log_backup_mb_7d=0.0)
    denied = replace(db("HR", 10), unreadable=("log_backups: log_backups needs SELECT ON msdb.dbo.backupset",))
    result = finding("SEED-002", facts(none, denied))
    assert "Sales: log backup interval not measured (no log backup in the last 7 days)" in result.evidence[0]
    assert "HR: log backup interval not measured (backup history not read: log_backups needs SELECT" in \
        result.evidence[1]


def test_seed_002_mixed_sources_judge_each_database_on_its_own_cadence() -> None:
    # Sales is measured every 5 min (WARN); HR falls back to 15 min and seeds in 7 min.
    result = finding("SEED-002", facts(measured(db("Sales", 10), 5, 1024), db("HR", 10), throughput=168))
    assert result.status is Status.WARN
    assert "Sales (" in result.message and "HR (" not in result.message


def test_seed_002_trace_flag_on_passes_whatever_the_cadence() -> None:
    result = finding("SEED-002", facts(measured(db("Sales", 200), 5, 1024), tf12381=True))
    assert result.status is Status.PASS and "every 5 min (measured)" in result.observed


@pytest.mark.parametrize(
    ("mb_per_day", "size_gb", "throughput", "status", "percent"),
    [
        # Sales: 90 GB data + 10 GB log at 10 GB/h = 10 h of seeding; log 10 GB, 10% used (1 GB).
        (4800, 90, 10, Status.PASS, "would reach 30%"),  # 2000 MB written: 3 GB of 10
        (24000, 90, 10, Status.WARN, "would reach 108%"),  # 10000 MB written: the file overflows
        (24000, 1490, 10, Status.FAIL, "would reach 1475%"),  # 150 h > 6 days; 150000 MB written
    ],
)
def test_seed_001_log_written_during_seeding(mb_per_day: float, size_gb: float, throughput: float, status: Status,
                                             percent: str) -> None:
    sales = measured(db("Sales", size_gb, 10), 15, mb_per_day)
    result = finding("SEED-001", facts(sales, throughput=throughput))
    assert result.status is status, result.message
    assert any(percent in line for line in result.evidence), result.evidence
    if status is not Status.PASS:
        assert "would fill the log file of Sales" in result.message and "9002" in result.message
        assert "ALTER DATABASE [Sales] MODIFY FILE" in result.fix[0].code
    else:
        assert not result.fix
