"""Snapshots round-trip exactly; corrupt and newer snapshots are clear usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkready.serde import SerdeError, from_data, to_data
from linkready.snapshot import SnapshotError, loads
from tests.conftest import ROOT, run_cli
from tests.core.conftest import BAD_LINK, GOOD_LINK

DEMO = ROOT / "linkready" / "data" / "demo_snapshot.json"


def test_demo_snapshot_round_trips_byte_for_byte() -> None:
    from linkready.snapshot import dumps

    text = DEMO.read_text()
    snapshot = loads(text)
    assert dumps(snapshot) == text
    assert loads(dumps(snapshot)).digest == snapshot.digest


def test_collect_then_evaluate_gives_the_same_findings_as_check(write_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = write_config(GOOD_LINK + BAD_LINK.replace("link-sales", "link-hr").replace("Sales", "HR"))
    snap = tmp_path / "snap.json"
    assert run_cli("collect", "--config", str(config), "-o", str(snap), "-q").returncode == 0
    evaluated = run_cli("evaluate", str(snap), "--format", "json", "-o", str(tmp_path / "a"), "-q")
    checked = run_cli("check", "--config", str(config), "--format", "json", "-o", str(tmp_path / "b"), "-q")
    assert evaluated.returncode == checked.returncode == 1
    a = json.loads((tmp_path / "a" / "linkready-report.json").read_text())["findings"]
    b = json.loads((tmp_path / "b" / "linkready-report.json").read_text())["findings"]
    assert a == b and any(f["status"] == "FAIL" for f in a)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "not a linkready snapshot"),
        ('{"schema_version": 99}', "schema_version 99 is newer than this linkready understands"),
        ('{"schema_version": 1, "tool_version": "0", "collected_at": "yesterday", "facts": {}}', "not an ISO"),
        ('{"schema_version": 1, "tool_version": "0", "collected_at": "2026-01-01T00:00:00+00:00",'
         ' "facts": {"sql": {"mastr_key_present": true}}}', "unknown key 'mastr_key_present'"),
    ],
)
def test_corrupt_or_newer_snapshot_is_a_usage_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "snap.json"
    path.write_text(text)
    with pytest.raises(SnapshotError, match=message.replace("(", r"\(").replace(")", r"\)")):
        loads(text)
    result = run_cli("evaluate", str(path))
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_serde_rejects_wrong_types_with_a_path() -> None:
    from linkready.facts.sql import TraceFlag

    with pytest.raises(SerdeError, match=r"\$\.flag: expected int"):
        from_data(TraceFlag, {"flag": "1800", "enabled": True})
    assert from_data(TraceFlag, to_data(TraceFlag(1800, True))) == TraceFlag(1800, True)


def test_schema_1_snapshot_without_an_area_is_not_collected_not_empty() -> None:
    # A version-1 snapshot (no manifest) that lacks the SQL facts: every SQL check is unknown.
    from linkready.checks import load_profile

    from linkready.engine import decide, evaluate
    from linkready.model import Status, Verdict

    data = json.loads(DEMO.read_text())
    data["schema_version"] = 1
    data["facts"].pop("manifest")
    data["facts"]["sql"] = None
    snapshot = loads(json.dumps(data))
    assert snapshot.facts.manifest == ()
    findings = evaluate(snapshot.facts, load_profile("preflight"))
    sql = [f for f in findings if f.check_id == "SQL-001"]
    assert [f.status for f in sql] == [Status.ERROR]
    assert "sql.instance was not collected" in sql[0].message and "no manifest" in sql[0].message
    assert decide(findings, load_profile("preflight")) is not Verdict.READY


def test_schema_2_manifest_not_asked_skips_and_not_collected_errors() -> None:
    from linkready.checks import load_profile

    from linkready.engine import evaluate
    from linkready.model import Status

    data = json.loads(DEMO.read_text())
    assert data["schema_version"] == 2
    data["facts"]["sql"] = None
    for entry in data["facts"]["manifest"]:
        if entry["fact"] == "sql":
            entry.update(state="not_asked", reason="SQL Server facts were not asked for (no [source] in the config)")
    by_id = {f.check_id: f for f in evaluate(loads(json.dumps(data)).facts, load_profile("preflight"))}
    assert by_id["SQL-001"].status is Status.SKIP and "no [source]" in by_id["SQL-001"].message
    for entry in data["facts"]["manifest"]:
        if entry["fact"] == "sql":
            entry.update(state="not_collected", reason="the sql probe did not finish within 30 s")
    by_id = {f.check_id: f for f in evaluate(loads(json.dumps(data)).facts, load_profile("preflight"))}
    assert by_id["SQL-001"].status is Status.ERROR and "did not finish within 30 s" in by_id["SQL-001"].message


def test_a_key_the_snapshot_lacks_is_not_collected_never_its_default() -> None:
    # has_filestream defaults to False, which DB-005 would pass: an old or hand-edited snapshot that lacks
    # it says nothing, so every check that needs sql.databases is unknown, naming the missing key.
    from linkready.checks import load_profile

    from linkready.engine import evaluate
    from linkready.facts import ErrorKind, FactState
    from linkready.model import Status

    data = json.loads(DEMO.read_text())
    del data["facts"]["sql"]["databases"][0]["has_filestream"]
    facts = loads(json.dumps(data)).facts
    gap = facts.error_for("sql.databases")
    assert gap is not None and gap.kind is ErrorKind.INCOMPLETE and gap.probe == "snapshot"
    assert "sql.databases[0].has_filestream" in gap.reason
    assert facts.state_of("sql")[0] is FactState.NOT_COLLECTED  # a check needing the whole area is unknown too
    assert facts.state_of("sql.instance")[0] is FactState.COLLECTED  # the sound parts stay judged
    by_id = {f.check_id: f for f in evaluate(facts, load_profile("preflight"))}
    assert by_id["DB-001"].status is Status.ERROR and "has_filestream" in by_id["DB-001"].message
    assert by_id["SQL-001"].status is not Status.ERROR


def test_a_plan_key_the_snapshot_lacks_makes_every_link_check_unknown() -> None:
    # initial_primary absent would default to SQLServer: the direction every database check takes is a guess.
    from linkready.checks import load_profile

    from linkready.engine import evaluate
    from linkready.model import Status

    data = json.loads(DEMO.read_text())
    del data["facts"]["plan"]["initial_primary"]
    by_id = {f.check_id: f for f in evaluate(loads(json.dumps(data)).facts, load_profile("preflight"))}
    assert by_id["DB-001"].status is Status.ERROR and "plan.initial_primary" in by_id["DB-001"].message


def test_serde_reports_absent_keys_but_not_those_of_a_refused_union_arm() -> None:
    from linkready.facts.sql import SqlDatabase

    absent: list[str] = []
    base = {"name": "d", "database_id": 5, "state": "ONLINE", "recovery_model": "FULL", "is_system": False,
            "collation": "x"}
    from_data(SqlDatabase | None, base, absent=absent)  # type: ignore[arg-type]
    assert "$.has_filestream" in absent and "$.name" not in absent
    absent.clear()
    from_data(tuple[SqlDatabase, ...] | None, None, absent=absent)  # type: ignore[arg-type]
    assert absent == []
