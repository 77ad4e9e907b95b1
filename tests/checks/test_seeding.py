"""Seeding checks SEED-001..002 on facts: time vs the 6-day cancellation, trace flag 12381 vs log backups."""

from __future__ import annotations

from dataclasses import replace

import pytest

from linkready.engine import run_check
from linkready.facts import Facts, PlanFacts, PlannedLink
from linkready.facts.sql import SqlDatabase, SqlFacts, TraceFlag
from linkready.model import Settings, Status
from linkready.registry import get


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
    spec = get(check_id)
    assert spec is not None
    return [(x.status, x.message) for x in run_check(spec, f, Settings(thresholds))]


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
    finding = run_check(spec, facts(db("Sales", 200)), Settings())[0]
    assert "1408/1412" in finding.message and "DBCC TRACEON (12381, -1)" in finding.fix[0].code


def test_seed_002_says_when_the_rate_is_assumed() -> None:
    spec = get("SEED-002")
    assert spec is not None
    finding = run_check(spec, facts(db("Sales", 200), throughput=None), Settings())[0]
    assert "assumed 84 GB/h" in finding.observed


def test_throughput_flows_from_config_to_plan() -> None:
    from linkready.config import ConfigError, parse_config

    config = parse_config({"network": {"seeding_throughput_gb_per_hour": 42.5}})
    assert config.plan().seeding_throughput_gb_per_hour == 42.5
    with pytest.raises(ConfigError, match="seeding_throughput_gb_per_hour"):
        parse_config({"network": {"seeding_throughput_gb_per_hour": 0}})
    assert replace(PlanFacts()).seeding_throughput_gb_per_hour is None  # old snapshots still load
