"""Issue 13, direction: every check declares what it judges per planned direction, and keeps its word.

The declaration is each check's ``directions=`` metadata (linkready.model.Directions); docs/direction-matrix.md
is generated from it. A check declared direction-insensitive must judge the same facts the same way whether
SQL Server or the instance is the initial primary and whether failback is planned; a direction-sensitive one
must judge differently in at least one of the fact sets below (or its declaration is a claim no test backs).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from linkready.checks import all_checks

from linkready.engine import evaluate
from linkready.model import Directions, Finding
from linkready.snapshot import loads
from tests.conftest import ROOT
from tests.verdict.removal import ALL, demo_data
from tests.verdict.test_contradictions import contradictions

#: (initial_primary, failback) for the three directions of docs/direction-matrix.md.
DIRECTIONS = {"sql_first": ("SQLServer", False), "mi_first": ("ManagedInstance", False),
              "failback": ("SQLServer", True)}


def _planned(data: dict[str, Any]) -> list[str]:
    return [name for link in data["facts"]["plan"]["links"] for name in link["databases"]]


def _as_mi_first_needs(data: dict[str, Any]) -> None:
    """The planned databases on the instance and not on SQL Server: what an MI-first plan needs."""
    planned = _planned(data)
    facts = data["facts"]
    facts["sql"]["databases"] = [d for d in facts["sql"]["databases"] if d["name"] not in planned]
    on_mi = facts["azure"]["databases"]
    on_mi += [dict(on_mi[0], name=name) for name in planned]


def _in_memory_on_general_purpose(data: dict[str, Any]) -> None:
    """A planned database with In-Memory OLTP towards the demo's General Purpose instance."""
    data["facts"]["sql"]["databases"][0].update(inmemory_filegroups=1, inmemory_files=1)


def _seeding_throughput(data: dict[str, Any]) -> None:
    data["facts"]["plan"]["seeding_throughput_gb_per_hour"] = 50.0


#: Fact sets each check is judged on in all three directions.
FACT_SETS: dict[str, Callable[[dict[str, Any]], None]] = {
    "demo": _seeding_throughput,
    "databases on the instance": lambda d: (_seeding_throughput(d), _as_mi_first_needs(d)),
    "In-Memory OLTP towards General Purpose": _in_memory_on_general_purpose,
}


#: (fact set, direction) -> the findings, for the contradiction scan.
_FINDINGS: dict[tuple[str, str], list[Finding]] = {}


def _judged(fact_set: str) -> dict[str, dict[str, list[tuple[str, ...]]]]:
    """direction -> check ID -> its findings, reduced to what a reader sees."""
    out: dict[str, dict[str, list[tuple[str, ...]]]] = {}
    for direction, (primary, failback) in DIRECTIONS.items():
        data = copy.deepcopy(demo_data())
        FACT_SETS[fact_set](data)
        data["facts"]["plan"].update(initial_primary=primary, failback=failback)
        snapshot = loads(json.dumps(data))
        findings: list[Finding] = evaluate(snapshot.facts, ALL, today=snapshot.collected_at.date())
        _FINDINGS[(fact_set, direction)] = findings
        by_check: dict[str, list[tuple[str, ...]]] = {}
        for f in findings:
            by_check.setdefault(f.check_id, []).append((f.status.value, f.target, f.message, f.observed, f.expected))
        out[direction] = by_check
    return out


@pytest.fixture(scope="module")
def judged() -> dict[str, dict[str, dict[str, list[tuple[str, ...]]]]]:
    return {name: _judged(name) for name in FACT_SETS}


def test_every_check_declares_its_directions() -> None:
    # A new check without directions= fails here: say what it judges with each side as initial primary.
    missing = [c.id for c in all_checks() if not isinstance(c.directions, Directions)]
    assert not missing, f"checks without directions= metadata (see checks/_directions.py): {missing}"


def test_a_declaration_is_either_insensitive_or_complete() -> None:
    with pytest.raises(ValueError):
        Directions(same="x", mi_first="y")
    with pytest.raises(ValueError):
        Directions(sql_first="x", mi_first="y")  # failback missing
    with pytest.raises(ValueError):
        Directions()


def test_insensitive_checks_judge_the_same_in_every_direction(judged: dict[str, Any]) -> None:
    problems = []
    for spec in all_checks():
        if spec.directions is None or spec.directions.is_sensitive:
            continue
        for fact_set, by_direction in judged.items():
            seen = {d: by_direction[d].get(spec.id) for d in DIRECTIONS}
            if len({json.dumps(v) for v in seen.values()}) > 1:
                problems.append(f"{spec.id} on {fact_set}: {seen}")
    assert not problems, "declared direction-insensitive, but judged differently:\n" + "\n".join(problems)


def test_sensitive_checks_judge_differently_somewhere(judged: dict[str, Any]) -> None:
    unbacked = []
    for spec in all_checks():
        if spec.directions is None or not spec.directions.is_sensitive:
            continue
        if not any(len({json.dumps(by_direction[d].get(spec.id)) for d in DIRECTIONS}) > 1
                   for by_direction in judged.values()):
            unbacked.append(spec.id)
    assert not unbacked, f"declared direction-sensitive, but the same in every direction on every fact set: {unbacked}"


def test_the_direction_matrix_doc_is_current() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_direction_matrix.py"), "--check"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_the_doc_names_every_check_once() -> None:
    text = (ROOT / "docs" / "direction-matrix.md").read_text(encoding="utf-8")
    for spec in all_checks():
        assert text.count(f"{spec.id} ") + text.count(f"{spec.id},") + text.count(f"{spec.id}|") >= 1, spec.id


def test_no_direction_report_contradicts_itself(judged: dict[str, Any]) -> None:
    problems = [f"{fact_set}, {direction}: {p}" for (fact_set, direction), findings in _FINDINGS.items()
                for p in contradictions(findings)]
    assert len(_FINDINGS) == len(FACT_SETS) * len(DIRECTIONS)
    assert not problems, problems


@pytest.mark.parametrize("instance_role", ["Secondary", "Primary"])
def test_failover_checks_do_not_assume_sql_server_is_primary(instance_role: str) -> None:
    # FO-001/FO-002 judge the existing link as it is, whichever side is primary now (the instance first, or after
    # a failover): their words name "the primary" and "the secondary", never SQL Server -> instance.
    data = copy.deepcopy(demo_data())
    link = data["facts"]["azure"]["links"][0]
    link.update(instance_role=instance_role, partner_role="Secondary" if instance_role == "Primary" else "Primary")
    data["facts"]["plan"]["links"] = [dict(data["facts"]["plan"]["links"][0], name=link["name"])]
    snapshot = loads(json.dumps(data))
    findings = evaluate(snapshot.facts, ALL, today=snapshot.collected_at.date())
    [fo1] = [f for f in findings if f.check_id == "FO-001"]
    assert "a forced one would lose the log the secondary has not received" in fo1.message
    [fo2] = [f for f in findings if f.check_id == "FO-002"]
    assert "commits on the primary then wait for the secondary" in fo2.message
    assert "the managed instance" not in fo1.message + fo2.message
