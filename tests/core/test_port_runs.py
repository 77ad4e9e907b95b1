"""Port scans are stored as runs of ranges per state; the per-port view and the old per-port form agree."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkready.facts.network import PortResult, PortScan, PortState, port_runs
from linkready.serde import from_data, to_data
from linkready.snapshot import SnapshotError, dumps, loads
from tests.builders.reports import demo_snapshot

_STATES = st.sampled_from(list(PortState))
_RESULT = st.builds(
    PortResult,
    port=st.integers(1, 400),
    state=_STATES,
    connect_ms=st.one_of(st.none(), st.floats(0, 5000, allow_nan=False)),
    detail=st.sampled_from(["", "no answer within 3 s", "ECONNREFUSED: Connection refused"]),
)


def _scan(results: list[PortResult]) -> PortScan:
    return PortScan("mi.example", "10.0.0.4", port_runs(results), 3.0)


@given(st.lists(_RESULT, max_size=60))
def test_runs_give_back_every_port_result_and_survive_json(results: list[PortResult]) -> None:
    unique = {r.port: r for r in results}  # one result per port, as the probe gives them
    scan = _scan(list(unique.values()))
    expected = tuple(sorted(unique.values(), key=lambda r: r.port))
    assert scan.ports == expected
    assert scan.count == len(expected)
    for r in expected:
        assert scan.result(r.port) == r
    assert scan.result(401) is None
    for state in PortState:
        assert scan.by_state(state) == tuple(r.port for r in expected if r.state == state)
        spans = scan.ranges_by_state().get(state, ())
        assert [p for low, high in spans for p in range(low, high + 1)] == list(scan.by_state(state))
    assert from_data(PortScan, json.loads(json.dumps(to_data(scan)))) == scan


def test_a_thousand_ports_with_one_answer_are_one_run() -> None:
    filtered = [PortResult(p, PortState.FILTERED, None, "no answer within 3 s") for p in range(11000, 12000)]
    runs = port_runs([PortResult(5022, PortState.OPEN, 21.4), *filtered])
    assert [(r.state, r.ranges, r.connect_ms) for r in runs] == [
        (PortState.OPEN, ((5022, 5022),), (21.4,)),
        (PortState.FILTERED, ((11000, 11999),), ()),
    ]


def test_version_2_per_port_lists_read_as_the_same_facts() -> None:
    current = demo_snapshot()
    data = json.loads(dumps(current))
    data["schema_version"] = 2
    for name in ("mi_ports", "sql_endpoint_port"):
        scan = data["facts"]["network"][name]
        ports = getattr(current.facts.network, name).ports
        scan["ports"] = [to_data(r) for r in ports]
        del scan["runs"]
    old = loads(json.dumps(data))
    assert old.facts == current.facts
    assert old.schema_version == 2


def test_a_bad_per_port_entry_in_the_old_form_names_its_path() -> None:
    data = json.loads(dumps(demo_snapshot()))
    data["schema_version"] = 2
    scan = data["facts"]["network"]["mi_ports"]
    del scan["runs"]
    scan["ports"] = [{"port": "5022", "state": "open"}]
    with pytest.raises(SnapshotError, match=r"\$\.facts\.network\.mi_ports\.ports\[0\]\.port: expected int"):
        loads(json.dumps(data))


def test_a_range_that_is_not_a_pair_is_refused() -> None:
    data = json.loads(dumps(demo_snapshot()))
    data["facts"]["network"]["mi_ports"]["runs"][0]["ranges"] = [[5022]]
    with pytest.raises(SnapshotError, match=r"ranges\[0\]: expected 2 items, got 1"):
        loads(json.dumps(data))


def test_replace_does_not_carry_a_stale_per_port_view() -> None:
    scan = _scan([PortResult(5022, PortState.OPEN, 1.0)])
    assert scan.ports[0].state is PortState.OPEN
    other = replace(scan, runs=port_runs([PortResult(5022, PortState.REFUSED, 1.0)]))
    assert other.ports[0].state is PortState.REFUSED
