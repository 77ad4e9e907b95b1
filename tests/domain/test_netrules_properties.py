"""Property tests: the NSG and route evaluator against brute-force references.

The references below share no code with :mod:`linkready.domain.netrules` beyond the rule dataclass:
NSG semantics are defined by enumerating every "possible world" (each unresolvable rule either
matches or not) and evaluating each packet by a plain first-match loop over Python sets; routes
by checking every address against every prefix.
"""

from __future__ import annotations

import functools
import ipaddress
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkready.domain import netrules
from linkready.domain.netrules import Context, Verdict
from linkready.facts.azure import Route, SecurityRule

VNET = ("10.0.0.0/27", "52.0.0.8/29")
ADDRESS_POOLS = ("10.0.0.0/26", "52.0.0.0/28", "168.63.129.16/30")
PORT_LO, PORT_HI = 5000, 5040

EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _addresses() -> list[ipaddress.IPv4Address]:
    return [ip for pool in ADDRESS_POOLS for ip in ipaddress.ip_network(pool)]


ADDRESSES = _addresses()

prefixes = st.one_of(
    st.sampled_from(["*", "VirtualNetwork", "Internet", "AzureLoadBalancer", "Storage", "AzureCloud.westeurope"]),
    st.builds(
        lambda base, length: str(ipaddress.ip_network(f"{base}/{length}", strict=False)),
        st.sampled_from([str(ip) for ip in ADDRESSES]),
        st.integers(24, 32),
    ),
)
port_specs = st.one_of(
    st.just("*"),
    st.integers(PORT_LO, PORT_HI).map(str),
    st.tuples(st.integers(PORT_LO, PORT_HI), st.integers(0, 15)).map(lambda t: f"{t[0]}-{min(t[0] + t[1], 65535)}"),
)


@st.composite
def rules(draw: st.DrawFn, default: bool = False) -> SecurityRule:
    return SecurityRule(
        name=f"r{draw(st.integers(0, 10**6))}",
        priority=draw(st.integers(100, 4096)),
        direction=draw(st.sampled_from(["Inbound", "Outbound"])),
        access=draw(st.sampled_from(["Allow", "Deny"])),
        protocol=draw(st.sampled_from(["Tcp", "Udp", "*"])),
        source_prefixes=tuple(draw(st.lists(prefixes, min_size=1, max_size=2))),
        source_ports=draw(st.sampled_from([("*",), ("*",), ("*",), ("1024-65535",)])),
        destination_prefixes=tuple(draw(st.lists(prefixes, min_size=1, max_size=2))),
        destination_ports=tuple(draw(st.lists(port_specs, min_size=1, max_size=3))),
        source_asgs=draw(st.sampled_from([(), (), (), (), ("asg-web",)])),
    )


rule_lists = st.lists(rules(), max_size=7).map(lambda rs: list({r.priority: r for r in rs}.values()))


# ---- the reference --------------------------------------------------------------------------

@functools.cache
def ref_addresses(spec: str) -> set[ipaddress.IPv4Address] | None:
    """The set of pool addresses a prefix/tag covers; None = cannot be known."""
    vnet = [ipaddress.ip_network(p) for p in VNET]
    if spec == "*":
        return set(ADDRESSES)
    if spec == "VirtualNetwork":
        return {ip for ip in ADDRESSES if any(ip in n for n in vnet)}
    if spec == "Internet":
        return {ip for ip in ADDRESSES if ip.is_global and not any(ip in n for n in vnet)}
    if spec == "AzureLoadBalancer":
        return {ipaddress.ip_address("168.63.129.16")}
    try:
        net = ipaddress.ip_network(spec)
    except ValueError:
        return None
    return {ip for ip in ADDRESSES if ip in net}


def ref_ports(spec: str) -> range:
    if spec == "*":
        return range(65536)
    lo, _, hi = spec.partition("-")
    return range(int(lo), int(hi or lo) + 1)


def ref_match(rule: SecurityRule, proto: str, src: ipaddress.IPv4Address, dst: ipaddress.IPv4Address,
              port: int) -> bool | None:
    if rule.protocol != "*" and rule.protocol.lower() != proto:
        return False
    if not any(port in ref_ports(p) for p in rule.destination_ports):
        return False
    maybe = rule.source_ports != ("*",)
    for specs, asgs, ip in ((rule.source_prefixes, rule.source_asgs, src),
                            (rule.destination_prefixes, rule.destination_asgs, dst)):
        sets = [ref_addresses(s) for s in specs]
        if any(s is not None and ip in s for s in sets):
            continue
        if any(s is None for s in sets) or asgs:
            maybe = True
            continue
        return False
    return None if maybe else True


def ref_decide(rules_: list[SecurityRule], direction: str, proto: str, src: ipaddress.IPv4Address,
               dst: ipaddress.IPv4Address, port: int) -> tuple[Verdict, str | None]:
    """Every possible world of the unresolvable rules; one verdict if they all agree."""
    mine = sorted((r for r in rules_ if r.direction == direction), key=lambda r: (r.priority, r.is_default))
    matches = [(r, ref_match(r, proto, src, dst, port)) for r in mine]
    unknown = [i for i, (_, m) in enumerate(matches) if m is None]
    outcomes: set[tuple[str, str | None]] = set()
    for world in itertools.product([False, True], repeat=len(unknown)):
        on = {unknown[i] for i, v in enumerate(world) if v}
        decided = ("Deny", None)
        for i, (rule, m) in enumerate(matches):
            if m is True or i in on:
                decided = (rule.access, rule.name)
                break
        outcomes.add(decided)
    verdicts = {a for a, _ in outcomes}
    if len(verdicts) > 1:
        return Verdict.UNKNOWN, None
    names = {n for _, n in outcomes}
    return Verdict(verdicts.pop()), (names.pop() if len(names) == 1 else "?")


# ---- the properties -------------------------------------------------------------------------

def _expand(spans: list[netrules.PortSpan]) -> dict[tuple[str, str, int], netrules.Decision]:
    out = {}
    for span in spans:
        srcs = _block_addresses(span.source)
        dsts = _block_addresses(span.destination)
        for s, d, p in itertools.product(srcs, dsts, range(span.start, span.end + 1)):
            key = (str(s), str(d), p)
            assert key not in out, f"{key} decided twice"
            out[key] = span.decision
    return out


def _block_addresses(text: str) -> list[ipaddress.IPv4Address]:
    if "-" in text:
        first, last = (ipaddress.ip_address(t) for t in text.split("-"))
        return [ipaddress.IPv4Address(i) for i in range(int(first), int(last) + 1)]
    return list(ipaddress.ip_network(text))


@EXAMPLES
@given(
    rules_=rule_lists,
    direction=st.sampled_from(["Inbound", "Outbound"]),
    proto=st.sampled_from(["tcp", "udp"]),
    src=st.sampled_from(["10.0.0.24/29", "10.0.0.16/30", "52.0.0.4/30", "168.63.129.16/31", "10.0.0.7"]),
    dst=st.sampled_from(["10.0.0.32/30", "52.0.0.12", "10.0.0.0/30"]),
    first=st.integers(PORT_LO - 5, PORT_HI),
    width=st.integers(0, 20),
    with_defaults=st.booleans(),
)
def test_range_evaluation_equals_brute_force(rules_: list[SecurityRule], direction: str, proto: str, src: str,
                                             dst: str, first: int, width: int, with_defaults: bool) -> None:
    all_rules = rules_ + (list(netrules.default_rules()) if with_defaults else [])
    ports = [(first, first + width)]
    spans = netrules.evaluate(all_rules, direction, proto, [src], [dst], ports, Context(VNET))
    decided = _expand(spans)
    expected_keys = {
        (str(s), str(d), p)
        for s in ipaddress.ip_network(src) for d in ipaddress.ip_network(dst) for p in range(first, first + width + 1)
    }
    assert set(decided) == expected_keys
    for (s, d, p), decision in decided.items():
        verdict, name = ref_decide(all_rules, direction, proto, ipaddress.ip_address(s), ipaddress.ip_address(d), p)
        assert decision.verdict is verdict, (s, d, p, decision.describe())
        if verdict is not Verdict.UNKNOWN and name != "?":
            assert (decision.rule.name if decision.rule else None) == name


@EXAMPLES
@given(rules_=rule_lists, port=st.integers(PORT_LO, PORT_HI), src=st.sampled_from(ADDRESSES),
       dst=st.sampled_from(ADDRESSES))
def test_single_flow_decision_equals_reference(rules_: list[SecurityRule], port: int,
                                               src: ipaddress.IPv4Address, dst: ipaddress.IPv4Address) -> None:
    all_rules = rules_ + list(netrules.default_rules())
    flow = netrules.Flow("tcp", str(src), str(dst), port)
    got = netrules.decide(all_rules, "Inbound", flow, Context(VNET))
    verdict, name = ref_decide(all_rules, "Inbound", "tcp", src, dst, port)
    assert got.verdict is verdict
    if verdict is not Verdict.UNKNOWN and name != "?":
        assert got.rule is not None and got.rule.name == name


@EXAMPLES
@given(rules_=rule_lists, port=st.integers(PORT_LO, PORT_HI))
def test_rule_order_in_document_does_not_matter(rules_: list[SecurityRule], port: int) -> None:
    flow = netrules.Flow("tcp", "10.0.0.5", "10.0.0.33", port)
    forward = netrules.decide(rules_ + list(netrules.default_rules()), "Inbound", flow, Context(VNET))
    backward = netrules.decide(list(reversed(rules_ + list(netrules.default_rules()))), "Inbound", flow, Context(VNET))
    assert forward == backward


@EXAMPLES
@given(rules_=rule_lists, first=st.integers(PORT_LO, PORT_HI), width=st.integers(0, 30))
def test_spans_are_maximal_and_ordered(rules_: list[SecurityRule], first: int, width: int) -> None:
    spans = netrules.evaluate(rules_ + list(netrules.default_rules()), "Inbound", "tcp", ["10.0.0.5"],
                              ["10.0.0.33"], [(first, first + width)], Context(VNET))
    assert spans[0].start == first and spans[-1].end == first + width
    for a, b in itertools.pairwise(spans):
        assert a.end + 1 == b.start
        assert a.decision != b.decision, "adjacent spans with one decision must have been merged"


route_prefixes = st.builds(
    lambda base, length: str(ipaddress.ip_network(f"{base}/{length}", strict=False)),
    st.sampled_from([str(ip) for ip in ADDRESSES[:64]]),
    st.integers(24, 32),
)
user_routes = st.lists(
    st.builds(
        Route,
        name=st.text("abcdef", min_size=1, max_size=4),
        address_prefix=st.one_of(route_prefixes, st.just("Storage")),
        next_hop_type=st.sampled_from(["None", "VirtualAppliance", "VnetLocal", "Internet", "VirtualNetworkGateway"]),
    ),
    max_size=6,
)


def ref_route(routes: list[netrules.EffectiveRoute], ip: ipaddress.IPv4Address) -> netrules.EffectiveRoute | None:
    containing = [r for r in routes if ip in ipaddress.ip_network(r.prefix)]
    if not containing:
        return None
    longest = max(ipaddress.ip_network(r.prefix).prefixlen for r in containing)
    best = [r for r in containing if ipaddress.ip_network(r.prefix).prefixlen == longest]
    for source in ("User", "VirtualNetworkGateway", "Default"):
        tier = [r for r in best if r.source.value == source]
        if tier:
            hops = ["VnetLocal", "VNetPeering", "VirtualNetworkGateway", "Internet", "None"]
            return min(tier, key=lambda r: hops.index(r.next_hop_type) if r.next_hop_type in hops else 5)
    return None


@EXAMPLES
@given(user=user_routes, vnet=st.sampled_from([["10.0.0.0/27"], ["10.0.0.0/8"], []]),
       peered=st.sampled_from([[], ["10.0.0.32/28"]]), query=st.sampled_from(["10.0.0.0/26", "10.0.0.40/29", "10.0.0.9"]))
def test_route_selection_equals_brute_force(user: list[Route], vnet: list[str], peered: list[str], query: str) -> None:
    routes, tagged = netrules.effective_routes(user, vnet, peered)
    assert tagged == [r.name for r in user if r.address_prefix == "Storage"]
    covered: dict[str, netrules.EffectiveRoute | None] = {}
    for text, route in netrules.route_for_prefix(routes, query):
        for ip in _block_addresses(text):
            covered[str(ip)] = route
    assert set(covered) == {str(ip) for ip in ipaddress.ip_network(query)}
    for ip_text, route in covered.items():
        assert route == ref_route(routes, ipaddress.ip_address(ip_text))
