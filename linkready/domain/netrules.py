"""Network security group and route evaluation, the way Azure does it (pure: no I/O).

NSG rules are evaluated per direction in priority order (lower number first); the first rule that
matches a flow decides, and the default rules (priorities 65000-65500) come last. A rule matches
when protocol, source and destination address, and source and destination port all match.

Some rule parts cannot be resolved from an NSG alone: application security groups, service tags
other than ``VirtualNetwork``, ``Internet`` and ``AzureLoadBalancer``, and source-port
restrictions (the link's client ports are ephemeral). Such a rule *may* match; the evaluator
records it and only reports the decision as UNKNOWN when such a rule sits above the deciding rule
and would decide the other way. Nothing is guessed.

Routes use longest-prefix match over the subnet's route table plus Azure's system routes; for one
prefix a user route beats a gateway (BGP) route, which beats a system route.

Ports and addresses are evaluated over *segments*: every rule boundary splits the queried port
range and address blocks into pieces within which the decision cannot change, so a whole range
(11000-11999) from a whole prefix costs one evaluation per piece, not per port and address.
"""

from __future__ import annotations

import enum
import functools
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from linkready.domain.addresses import (
    MAX_IPV4,
    MAX_IPV6,
    Interval,
    as_block,
    as_interval,
    as_network,
    ip_text,
    range_text,
    split_at,
    subtract,
)
from linkready.domain.nsg_documents import (
    NsgFormatError,
    default_rules,
    load_nsg_text,
    nsg_from_arm,
    parse_port_range,
    parse_ports,
    rule_from_arm,
)
from linkready.domain.routes import (
    EffectiveRoute,
    RouteSource,
    effective_routes,
    overlaps,
    route_for_prefix,
    select_route,
    system_routes,
)
from linkready.facts.azure import SecurityRule

#: The names nsg-eval, the NSG checks and the Azure probe import from here (the evaluator's API);
#: documents, addresses and routes have their own modules.
__all__ = [
    "AZURE_LOAD_BALANCER", "AddressSet", "Context", "Decision", "EffectiveRoute", "Flow", "Match",
    "NsgFormatError", "PortSpan", "RouteSource", "RuleMatch", "Uncertain", "Verdict", "decide", "default_rules",
    "effective_routes", "evaluate", "load_nsg_text", "nsg_from_arm", "ordered", "overlaps",
    "parse_port_range", "parse_ports", "resolve_address", "route_for_prefix", "rule_from_arm", "rule_matches",
    "select_route", "summarize", "system_routes",
]

#: Azure's platform address for load-balancer health probes (the AzureLoadBalancer tag).
AZURE_LOAD_BALANCER = "168.63.129.16/32"
#: Address blocks that are not on the public internet (RFC 6890 special-purpose IPv4 space).
NON_INTERNET_V4 = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3",
)
NON_INTERNET_V6 = ("::/127", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8")


class Verdict(enum.StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"
    UNKNOWN = "Unknown"


@dataclass(frozen=True)
class Context:
    """What service tags expand to for the NSG being evaluated.

    ``virtual_network`` is the VirtualNetwork tag: the VNet's address space, peered VNets, and
    on-premises prefixes learned through a gateway. None means unknown (the tag is unresolvable).
    """

    virtual_network: tuple[str, ...] | None = ()

    def vnet_intervals(self) -> dict[int, list[Interval]] | None:
        if self.virtual_network is None:
            return None
        out: dict[int, list[Interval]] = {4: [], 6: []}
        for prefix in self.virtual_network:
            net = as_network(prefix)
            if net is not None:
                version, iv = as_interval(net)
                out[version].append(iv)
        return out


@dataclass(frozen=True, eq=False)
class AddressSet:
    """An address spec resolved to integer intervals per IP version, or unresolvable (with why)."""

    intervals: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)
    unknown: str = ""

    def contains(self, version: int, value: int) -> bool:
        return any(lo <= value <= hi for lo, hi in self.intervals.get(version, ()))


@functools.lru_cache(maxsize=4096)
def resolve_address(spec: str, ctx: Context) -> AddressSet:
    """One address prefix / tag as ARM writes it, resolved against ``ctx`` (cached: NSGs repeat)."""
    text = spec.strip()
    if text in ("*", "Any", "any"):
        return AddressSet({4: ((0, MAX_IPV4),), 6: ((0, MAX_IPV6),)})
    net = as_network(text)
    if net is not None:
        version, iv = as_interval(net)
        return AddressSet({version: (iv,)})
    tag = text.lower()
    if tag == "azureloadbalancer":
        return resolve_address(AZURE_LOAD_BALANCER, ctx)
    if tag == "virtualnetwork":
        vnet = ctx.vnet_intervals()
        if vnet is None:
            return AddressSet(unknown="the VirtualNetwork tag's address space is not known")
        return AddressSet({v: tuple(ivs) for v, ivs in vnet.items()})
    if tag == "internet":
        vnet = ctx.vnet_intervals()
        if vnet is None:
            return AddressSet(unknown="the Internet tag depends on the VirtualNetwork address space, which is not known")
        v4 = subtract([(0, MAX_IPV4)], [as_interval(ipaddress.ip_network(p))[1] for p in NON_INTERNET_V4] + vnet[4])
        v6 = subtract([(0, MAX_IPV6)], [as_interval(ipaddress.ip_network(p))[1] for p in NON_INTERNET_V6] + vnet[6])
        return AddressSet({4: tuple(v4), 6: tuple(v6)})
    return AddressSet(unknown=f"service tag {text!r} cannot be resolved offline")


# --------------------------------------------------------------------------------------------
# Matching one concrete flow


class Match(enum.Enum):
    YES = "yes"
    NO = "no"
    MAYBE = "maybe"


@dataclass(frozen=True)
class Flow:
    """One concrete packet: protocol, addresses and ports. ``source_port`` None = ephemeral, unknown."""

    protocol: str
    source: str
    destination: str
    destination_port: int
    source_port: int | None = None


@dataclass(frozen=True)
class RuleMatch:
    match: Match
    reason: str = ""


def _protocol_matches(rule_protocol: str, flow_protocol: str) -> bool:
    rp = rule_protocol.strip().lower()
    # "All" is the effective-rules format's spelling of "*" (az network nic list-effective-nsg).
    return rp in ("*", "any", "all") or rp == flow_protocol.strip().lower()


def _addresses_match(specs: Sequence[str], asgs: Sequence[str], version: int, value: int, ctx: Context,
                     side: str) -> RuleMatch:
    maybe = ""
    for spec in specs:
        resolved = resolve_address(spec, ctx)
        if resolved.unknown:
            maybe = maybe or f"{side} {resolved.unknown}"
        elif resolved.contains(version, value):
            return RuleMatch(Match.YES)
    if asgs:
        maybe = maybe or f"{side} application security group {', '.join(asgs)} cannot be resolved from the NSG"
    return RuleMatch(Match.MAYBE, maybe) if maybe else RuleMatch(Match.NO)


def _ports_match(specs: Sequence[str], port: int | None, rule: str) -> bool | None:
    """True/False for a known port; None when the port is unknown and the rule restricts it."""
    ranges = [parse_port_range(s, rule) for s in specs]
    if port is None:
        return True if any(r == (0, 65535) for r in ranges) else None
    return any(lo <= port <= hi for lo, hi in ranges)


def rule_matches(rule: SecurityRule, flow: Flow, ctx: Context) -> RuleMatch:
    """Does ``rule`` match ``flow``? MAYBE when a part of the rule cannot be resolved."""
    if not _protocol_matches(rule.protocol, flow.protocol):
        return RuleMatch(Match.NO)
    proto = flow.protocol.strip().lower()
    if proto in ("tcp", "udp"):
        dport = _ports_match(rule.destination_ports, flow.destination_port, rule.name)
        if dport is False:
            return RuleMatch(Match.NO)
        sport = _ports_match(rule.source_ports, flow.source_port, rule.name)
        if sport is False:
            return RuleMatch(Match.NO)
    else:
        dport = sport = True
    src = ipaddress.ip_address(flow.source)
    dst = ipaddress.ip_address(flow.destination)
    s = _addresses_match(rule.source_prefixes, rule.source_asgs, src.version, int(src), ctx, "source")
    if s.match is Match.NO:
        return s
    d = _addresses_match(rule.destination_prefixes, rule.destination_asgs, dst.version, int(dst), ctx, "destination")
    if d.match is Match.NO:
        return d
    reasons = [m.reason for m in (s, d) if m.match is Match.MAYBE]
    if sport is None:
        reasons.append(f"it restricts source ports to {', '.join(rule.source_ports)} (the link's are ephemeral)")
    if reasons:
        return RuleMatch(Match.MAYBE, "; ".join(reasons))
    return RuleMatch(Match.YES)


@dataclass(frozen=True)
class Uncertain:
    """A rule above the decision that may or may not match the flow."""

    name: str
    priority: int
    access: str
    reason: str


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    #: The deciding rule (the first that surely matches), or None if no rule matched at all.
    rule: SecurityRule | None
    #: Rules above the deciding rule that might match and would decide the other way.
    uncertain: tuple[Uncertain, ...] = ()

    def describe(self) -> str:
        if self.rule is None:
            base = "no rule matches (no default rules in the document)"
        else:
            kind = "default rule" if self.rule.is_default else "rule"
            verb = "allowed" if self.rule.access.lower() == "allow" else "denied"
            base = f"{verb} by {kind} {self.rule.name} (priority {self.rule.priority})"
        if self.uncertain:
            maybes = "; ".join(f"{u.name} ({u.priority}, {u.access}): {u.reason}" for u in self.uncertain)
            base += f" unless an unresolvable rule above it matches: {maybes}"
        return base


def ordered(rules: Iterable[SecurityRule], direction: str) -> list[SecurityRule]:
    """The rules of one direction in evaluation order (priority, custom before default on a tie)."""
    d = direction.lower()
    return sorted((r for r in rules if r.direction.lower() == d), key=lambda r: (r.priority, r.is_default))


def decide(rules: Sequence[SecurityRule], direction: str, flow: Flow, ctx: Context) -> Decision:
    """First-match evaluation of one flow. ``rules`` may be unordered and mix both directions."""
    maybes: list[Uncertain] = []
    for rule in ordered(rules, direction):
        m = rule_matches(rule, flow, ctx)
        if m.match is Match.MAYBE:
            maybes.append(Uncertain(rule.name, rule.priority, rule.access, m.reason))
        elif m.match is Match.YES:
            verdict = Verdict.ALLOW if rule.access.lower() == "allow" else Verdict.DENY
            against = tuple(u for u in maybes if u.access.lower() != rule.access.lower())
            return Decision(Verdict.UNKNOWN if against else verdict, rule, against)
    # Without default rules nothing matched: Azure would deny (DenyAll is always there).
    against = tuple(u for u in maybes if u.access.lower() == "allow")
    return Decision(Verdict.UNKNOWN if against else Verdict.DENY, None, against)


# --------------------------------------------------------------------------------------------
# Whole ranges: segments within which the decision is constant


def _address_breaks(rules: Sequence[SecurityRule], ctx: Context, version: int, source: bool) -> set[int]:
    """Every address at which some rule's source (or destination) set starts or stops."""
    breaks: set[int] = set()
    for rule in rules:
        for spec in rule.source_prefixes if source else rule.destination_prefixes:
            for lo, hi in resolve_address(spec, ctx).intervals.get(version, ()):
                breaks.add(lo)
                breaks.add(hi + 1)
    return breaks


def _port_breaks(rules: Sequence[SecurityRule]) -> set[int]:
    breaks: set[int] = set()
    for rule in rules:
        for spec in rule.destination_ports:
            lo, hi = parse_port_range(spec, rule.name)
            breaks.add(lo)
            breaks.add(hi + 1)
    return breaks


@dataclass(frozen=True)
class PortSpan:
    """A run of ports (from one source block to one destination block) with one decision."""

    source: str
    destination: str
    start: int
    end: int
    decision: Decision

    @property
    def ports(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"


def evaluate(
    rules: Sequence[SecurityRule],
    direction: str,
    protocol: str,
    sources: Sequence[str],
    destinations: Sequence[str],
    ports: Sequence[Interval],
    ctx: Context,
) -> list[PortSpan]:
    """Decide every (source address, destination address, port) of the query, compressed.

    ``sources``/``destinations`` are IPs or CIDR prefixes (every address in them is a possible
    endpoint of the flow); ``ports`` are destination port ranges. The result lists maximal runs of
    consecutive ports with the same decision, per source and destination block.
    """
    directional = ordered(rules, direction)
    port_breaks = _port_breaks(directional)
    spans: list[PortSpan] = []
    for src_text in sources:
        s_version, (s_lo, s_hi) = as_block(src_text)
        for dst_text in destinations:
            d_version, (d_lo, d_hi) = as_block(dst_text)
            if s_version != d_version:
                raise NsgFormatError(f"{src_text} and {dst_text} are not of the same IP version")
            for a_lo, a_hi in split_at(s_lo, s_hi, _address_breaks(directional, ctx, s_version, source=True)):
                for b_lo, b_hi in split_at(d_lo, d_hi, _address_breaks(directional, ctx, d_version, source=False)):
                    spans.extend(_evaluate_block(directional, direction, protocol, s_version,
                                                 (a_lo, a_hi), (b_lo, b_hi), ports, port_breaks, ctx))
    return spans


def _evaluate_block(
    rules: Sequence[SecurityRule], direction: str, protocol: str, version: int, src: Interval, dst: Interval,
    ports: Sequence[Interval], port_breaks: set[int], ctx: Context,
) -> list[PortSpan]:
    src_text, dst_text = range_text(version, *src), range_text(version, *dst)
    spans: list[PortSpan] = []
    for p_lo, p_hi in ports:
        for lo, hi in split_at(p_lo, p_hi, port_breaks):
            flow = Flow(protocol, ip_text(version, src[0]), ip_text(version, dst[0]), lo)
            decision = decide(rules, direction, flow, ctx)
            last = spans[-1] if spans else None
            if last and last.decision == decision and last.end + 1 == lo:
                spans[-1] = PortSpan(src_text, dst_text, last.start, hi, decision)
            else:
                spans.append(PortSpan(src_text, dst_text, lo, hi, decision))
    return spans


def summarize(spans: Sequence[PortSpan]) -> Verdict:
    """ALLOW only if every span is allowed; DENY if any is denied; UNKNOWN otherwise."""
    verdicts = {s.decision.verdict for s in spans}
    if Verdict.DENY in verdicts:
        return Verdict.DENY
    if Verdict.UNKNOWN in verdicts:
        return Verdict.UNKNOWN
    return Verdict.ALLOW


