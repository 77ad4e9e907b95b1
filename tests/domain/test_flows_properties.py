"""Property tests for the network flows table: prefix and port-range logic against brute force.

The references enumerate every packet (source address, destination address, port) of small prefixes
and ranges with a plain first-match loop, and every scanned port one by one; they share no code with
the evaluator or :mod:`linkready.domain.flow_observations`.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkready.domain.flow_observations import scan_states
from linkready.domain.flows import RULE_NAME, FlowState, Where, free_priority, network_flows, rule_name
from linkready.facts.azure import SecurityRule
from linkready.facts.network import PortRun, PortScan, PortState
from tests.domain.test_flows import DEMO

EXAMPLES = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- port scans: clipping runs to a flow's range keeps exactly the scanned ports of the range ---

states = st.sampled_from(list(PortState))


@st.composite
def scans(draw: st.DrawFn) -> PortScan:
    cuts = sorted(set(draw(st.lists(st.integers(1, 120), min_size=2, max_size=12))))
    runs: dict[PortState, list[tuple[int, int]]] = {}
    for low, high in itertools.pairwise(cuts):
        if draw(st.booleans()):  # a gap: ports not scanned
            runs.setdefault(draw(states), []).append((low, high - 1))
    return PortScan("mi", "10.40.0.4", tuple(PortRun(s, tuple(r)) for s, r in runs.items()), 1.0)


@EXAMPLES
@given(scans(), st.integers(0, 130), st.integers(0, 40))
def test_clipped_states_are_exactly_the_scanned_ports_in_range(scan: PortScan, low: int, width: int) -> None:
    high = low + width
    clipped = scan_states(scan, low, high)
    expected: dict[PortState, set[int]] = {}
    for run in scan.runs:
        for port in run.port_numbers():
            if low <= port <= high:
                expected.setdefault(run.state, set()).add(port)
    got = {state: {p for a, b in spans for p in range(a, b + 1)} for state, spans in clipped.items()}
    assert got == expected


# --- priorities and names ------------------------------------------------------------------------

@EXAMPLES
@given(st.sets(st.integers(90, 4200), max_size=60), st.integers(95, 70000))
def test_a_free_priority_is_free_in_range_and_above_the_blocker(used: set[int], below: int) -> None:
    prio = free_priority(used, below)
    if prio is None:
        assert all(p in used for p in range(100, min(below - 1, 4096) + 1))
    else:
        assert 100 <= prio <= 4096 and prio < below and prio not in used


@EXAMPLES
@given(st.text(max_size=120), st.sets(st.text(max_size=12), max_size=5))
def test_rule_names_are_valid_for_arm_and_unused(base: str, taken: set[str]) -> None:
    name = rule_name(base, taken)
    assert RULE_NAME.fullmatch(name), name
    assert name.lower() not in {t.lower() for t in taken}


# --- NSG rows against a brute-force first match, and the command opens what it says ------------

SQL_POOL, MI_POOL = "10.20.1.0/28", "10.40.0.0/28"
#: Rules only differ inside 10995-11021, so 11000-11022 stand for the whole 11000-11999 (11022 for the rest).
LOW, HIGH = 11000, 11022
cidrs = st.one_of(
    st.just("*"),
    st.builds(lambda pool, base, length: str(ipaddress.ip_network(f"{ipaddress.ip_network(pool)[base]}/{length}",
                                                                    strict=False)),
              st.sampled_from([SQL_POOL, MI_POOL]), st.integers(0, 15), st.integers(28, 32)),
)
ports = st.one_of(st.just("*"), st.tuples(st.integers(10995, 11015), st.integers(0, 6)).map(
    lambda t: f"{t[0]}-{t[0] + t[1]}" if t[1] else str(t[0])))


@st.composite
def inbound_rules(draw: st.DrawFn) -> list[SecurityRule]:
    drawn = draw(st.lists(st.tuples(st.integers(100, 400), st.sampled_from(["Allow", "Deny"]), cidrs, cidrs, ports),
                          max_size=6))
    by_priority = {p: SecurityRule(f"r{p}", p, "Inbound", a, "Tcp", (s,), ("*",), (d,), (pt,))
                   for p, a, s, d, pt in drawn}
    return list(by_priority.values())


def _covers(spec: str, ip: ipaddress.IPv4Address) -> bool:
    return spec == "*" or ip in ipaddress.ip_network(spec)


def _port_in(spec: str, port: int) -> bool:
    if spec == "*":
        return True
    low, _, high = spec.partition("-")
    return int(low) <= port <= int(high or low)


def reference(rules: list[SecurityRule], sources: str, destinations: str) -> set[str]:
    """Every packet's first matching access ("Deny" when none matches, as DenyAllInBound would)."""
    seen = set()
    for src in ipaddress.ip_network(sources):
        for dst in ipaddress.ip_network(destinations):
            for port in range(LOW, HIGH + 1):
                for r in sorted(rules, key=lambda x: x.priority):
                    if _covers(r.source_prefixes[0], src) and _covers(r.destination_prefixes[0], dst) and \
                            _port_in(r.destination_ports[0], port):
                        seen.add(r.access)
                        break
                else:
                    seen.add("Deny")
    return seen


def facts_for(rules: list[SecurityRule], sources: str, subnet: str):  # type: ignore[no-untyped-def]
    assert DEMO.azure is not None and DEMO.azure.nsg is not None and DEMO.azure.subnet is not None
    nsg = replace(DEMO.azure.nsg, rules=tuple(rules))
    azure = replace(DEMO.azure, nsg=nsg, subnet=replace(DEMO.azure.subnet, address_prefixes=(subnet,)))
    return replace(DEMO, azure=azure, plan=replace(DEMO.plan, source_prefixes=(sources,)))


def hadr_row(facts):  # type: ignore[no-untyped-def]
    return next(r for r in network_flows(facts).rows if r.where is Where.MI_NSG and r.flow.kind == "to_mi"
                and r.flow.ports == "11000-11999")


@EXAMPLES
@given(inbound_rules(), st.sampled_from(["10.20.1.0/30", "10.20.1.4/31", "10.20.1.8/32"]),
       st.sampled_from(["10.40.0.0/30", "10.40.0.8/31"]))
def test_the_nsg_row_agrees_with_every_packet_and_its_command_opens_it(
        rules: list[SecurityRule], sources: str, subnet: str) -> None:
    seen = reference(rules, sources, subnet)
    row = hadr_row(facts_for(rules, sources, subnet))
    assert row.state is (FlowState.OPEN if seen == {"Allow"} else FlowState.BLOCKED), (seen, row.observed)
    if row.state is FlowState.OPEN:
        assert not row.command
        return
    if not row.command:  # no room above the blocker (rules or the 5022 row's command took it): say so
        below = int(re.search(r"no free priority under (\d+)", row.observed)[1])  # type: ignore[index]
        others = {int(m) for r in network_flows(facts_for(rules, sources, subnet)).rows if r.command
                  and r.direction is row.direction for m in re.findall(r"--priority (\d+)", r.command)}
        assert set(range(100, below)) <= {r.priority for r in rules} | others
        return
    prio = int(re.search(r"--priority (\d+)", row.command)[1])  # type: ignore[index]
    name = re.search(r"--name (\S+)", row.command)[1]  # type: ignore[index]
    assert prio not in {r.priority for r in rules} and name not in {r.name for r in rules}
    opened = [*rules, SecurityRule(name, prio, "Inbound", "Allow", "Tcp", (sources,), ("*",), (subnet,),
                                   ("11000-11999",))]
    assert hadr_row(facts_for(opened, sources, subnet)).state is FlowState.OPEN
