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
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from linkready.facts.azure import NetworkSecurityGroup, Route, SecurityRule

MAX_IPV4 = (1 << 32) - 1
MAX_IPV6 = (1 << 128) - 1
#: Azure's platform address for load-balancer health probes (the AzureLoadBalancer tag).
AZURE_LOAD_BALANCER = "168.63.129.16/32"
#: Tags the evaluator resolves; any other tag is reported as unresolvable.
KNOWN_TAGS = ("VirtualNetwork", "Internet", "AzureLoadBalancer")
#: Address blocks that are not on the public internet (RFC 6890 special-purpose IPv4 space).
NON_INTERNET_V4 = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3",
)
NON_INTERNET_V6 = ("::/127", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8")


class NsgFormatError(ValueError):
    """The NSG document is not shaped like an ARM NSG (or a rule value cannot be parsed)."""


class Verdict(enum.StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"
    UNKNOWN = "Unknown"


# --------------------------------------------------------------------------------------------
# Parsing ARM documents into facts


def _rule_props(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    # ARM nests rule fields under "properties"; `az network nsg show` flattens them.
    props = raw.get("properties")
    return props if isinstance(props, Mapping) else raw


def _as_list(single: Any, many: Any) -> tuple[str, ...]:
    values: list[str] = []
    if isinstance(many, list):
        values.extend(str(v) for v in many if str(v).strip())
    if isinstance(single, str) and single.strip():
        values.append(single.strip())
    return tuple(values)


def _asg_names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    names = []
    for asg in value:
        asg_id = str(asg.get("id", "")) if isinstance(asg, Mapping) else str(asg)
        names.append(asg_id.rsplit("/", 1)[-1] or asg_id)
    return tuple(names)


def rule_from_arm(raw: Mapping[str, Any], is_default: bool = False) -> SecurityRule:
    """One security rule from its ARM (or az CLI) JSON."""
    if not isinstance(raw, Mapping):
        raise NsgFormatError("a security rule is not a JSON object")
    props = _rule_props(raw)
    name = str(raw.get("name") or props.get("name") or "")
    try:
        priority = int(props["priority"])
        direction = str(props["direction"])
        access = str(props["access"])
    except (KeyError, TypeError, ValueError, OverflowError):
        # OverflowError: JSON's Infinity (Python's json accepts it) has no integer value.
        raise NsgFormatError(f"rule {name or '(unnamed)'!r} lacks priority, direction or access") from None
    if direction.lower() not in ("inbound", "outbound") or access.lower() not in ("allow", "deny"):
        raise NsgFormatError(f"rule {name!r} has direction {direction!r} / access {access!r}")
    rule = SecurityRule(
        name=name,
        priority=priority,
        direction=direction.capitalize(),
        access=access.capitalize(),
        protocol=str(props.get("protocol") or "*"),
        source_prefixes=_as_list(props.get("sourceAddressPrefix"), props.get("sourceAddressPrefixes")),
        source_ports=_as_list(props.get("sourcePortRange"), props.get("sourcePortRanges")) or ("*",),
        destination_prefixes=_as_list(props.get("destinationAddressPrefix"), props.get("destinationAddressPrefixes")),
        destination_ports=_as_list(props.get("destinationPortRange"), props.get("destinationPortRanges")) or ("*",),
        source_asgs=_asg_names(props.get("sourceApplicationSecurityGroups")),
        destination_asgs=_asg_names(props.get("destinationApplicationSecurityGroups")),
        is_default=is_default,
    )
    for spec in (*rule.source_ports, *rule.destination_ports):
        parse_port_range(spec, rule.name)
    if not (rule.source_prefixes or rule.source_asgs) or not (rule.destination_prefixes or rule.destination_asgs):
        raise NsgFormatError(f"rule {name!r} has no source or no destination")
    return rule


def default_rules() -> tuple[SecurityRule, ...]:
    """Azure's six default rules, present in every NSG."""

    def rule(name: str, prio: int, direction: str, access: str, src: str, dst: str) -> SecurityRule:
        return SecurityRule(name, prio, direction, access, "*", (src,), ("*",), (dst,), ("*",), is_default=True)

    return (
        rule("AllowVnetInBound", 65000, "Inbound", "Allow", "VirtualNetwork", "VirtualNetwork"),
        rule("AllowAzureLoadBalancerInBound", 65001, "Inbound", "Allow", "AzureLoadBalancer", "*"),
        rule("DenyAllInBound", 65500, "Inbound", "Deny", "*", "*"),
        rule("AllowVnetOutBound", 65000, "Outbound", "Allow", "VirtualNetwork", "VirtualNetwork"),
        rule("AllowInternetOutBound", 65001, "Outbound", "Allow", "*", "Internet"),
        rule("DenyAllOutBound", 65500, "Outbound", "Deny", "*", "*"),
    )


def nsg_from_arm(doc: Any) -> tuple[NetworkSecurityGroup, bool]:
    """An NSG from an ARM GET body or ``az network nsg show`` output.

    Returns the NSG and whether Azure's default rules had to be added because the document did
    not carry them (a hand-written rule list).
    """
    if isinstance(doc, list):
        doc = {"securityRules": doc}
    if not isinstance(doc, Mapping):
        raise NsgFormatError("the NSG document is not a JSON object")
    props = doc.get("properties") if isinstance(doc.get("properties"), Mapping) else doc
    assert isinstance(props, Mapping)
    custom = props.get("securityRules")
    defaults = props.get("defaultSecurityRules")
    if custom is None and defaults is None:
        raise NsgFormatError("no securityRules or defaultSecurityRules: this is not an NSG document")
    if custom is not None and not isinstance(custom, list):
        raise NsgFormatError("securityRules is not a list")
    if defaults is not None and not isinstance(defaults, list):
        raise NsgFormatError("defaultSecurityRules is not a list")
    rules = [rule_from_arm(r) for r in custom or []]
    added = not defaults
    rules += list(default_rules()) if added else [rule_from_arm(r, is_default=True) for r in defaults or []]
    return (
        NetworkSecurityGroup(id=str(doc.get("id", "")), name=str(doc.get("name", "")), rules=tuple(rules)),
        added,
    )


def load_nsg_text(text: str) -> tuple[NetworkSecurityGroup, bool]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NsgFormatError(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise NsgFormatError("not usable JSON: nested too deeply") from None
    return nsg_from_arm(doc)


# --------------------------------------------------------------------------------------------
# Value parsing


def parse_port_range(spec: str, rule: str = "") -> tuple[int, int]:
    """``"*"`` → (0, 65535); ``"5022"`` → (5022, 5022); ``"11000-11999"`` → (11000, 11999)."""
    text = spec.strip()
    if text in ("*", "Any", "any"):
        return (0, 65535)
    low, sep, high = text.partition("-")
    try:
        start, end = int(low), int(high) if sep else int(low)
    except ValueError:
        raise NsgFormatError(f"port {spec!r}{f' in rule {rule!r}' if rule else ''} is not a number or range") from None
    if not 0 <= start <= end <= 65535:
        raise NsgFormatError(f"port range {spec!r}{f' in rule {rule!r}' if rule else ''} is out of order or bounds")
    return (start, end)


def parse_ports(spec: str) -> list[tuple[int, int]]:
    """A port query: ``"5022"``, ``"11000-11999"`` or a comma list of those."""
    return [parse_port_range(part) for part in spec.split(",") if part.strip()]


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


Interval = tuple[int, int]


def _interval(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> tuple[int, Interval]:
    return net.version, (int(net.network_address), int(net.broadcast_address))


def _subtract(base: list[Interval], remove: Iterable[Interval]) -> list[Interval]:
    result = base
    for r_lo, r_hi in remove:
        nxt: list[Interval] = []
        for lo, hi in result:
            if r_hi < lo or r_lo > hi:
                nxt.append((lo, hi))
                continue
            if lo < r_lo:
                nxt.append((lo, r_lo - 1))
            if r_hi < hi:
                nxt.append((r_hi + 1, hi))
        result = nxt
    return result


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
            net = _network(prefix)
            if net is not None:
                version, iv = _interval(net)
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
    net = _network(text)
    if net is not None:
        version, iv = _interval(net)
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
        v4 = _subtract([(0, MAX_IPV4)], [_interval(ipaddress.ip_network(p))[1] for p in NON_INTERNET_V4] + vnet[4])
        v6 = _subtract([(0, MAX_IPV6)], [_interval(ipaddress.ip_network(p))[1] for p in NON_INTERNET_V6] + vnet[6])
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
    return rp in ("*", "any") or rp == flow_protocol.strip().lower()


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


def _split(lo: int, hi: int, breaks: set[int]) -> list[Interval]:
    cuts = sorted(b for b in breaks if lo < b <= hi)
    pieces: list[Interval] = []
    start = lo
    for cut in cuts:
        pieces.append((start, cut - 1))
        start = cut
    pieces.append((start, hi))
    return pieces


def _ip(version: int, value: int) -> str:
    return str(ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value))


def _range_text(version: int, lo: int, hi: int) -> str:
    first, last = ipaddress.ip_address(_ip(version, lo)), ipaddress.ip_address(_ip(version, hi))
    nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = list(
        ipaddress.summarize_address_range(first, last)  # type: ignore[type-var]
    )
    if len(nets) == 1:
        net = nets[0]
        return str(net.network_address) if net.num_addresses == 1 else str(net)
    return f"{first}-{last}"


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


def _block(text: str) -> tuple[int, Interval]:
    net = _network(text)
    if net is None:
        raise NsgFormatError(f"{text!r} is not an IP address or CIDR prefix")
    return _interval(net)


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
        s_version, (s_lo, s_hi) = _block(src_text)
        for dst_text in destinations:
            d_version, (d_lo, d_hi) = _block(dst_text)
            if s_version != d_version:
                raise NsgFormatError(f"{src_text} and {dst_text} are not of the same IP version")
            for a_lo, a_hi in _split(s_lo, s_hi, _address_breaks(directional, ctx, s_version, source=True)):
                for b_lo, b_hi in _split(d_lo, d_hi, _address_breaks(directional, ctx, d_version, source=False)):
                    spans.extend(_evaluate_block(directional, direction, protocol, s_version,
                                                 (a_lo, a_hi), (b_lo, b_hi), ports, port_breaks, ctx))
    return spans


def _evaluate_block(
    rules: Sequence[SecurityRule], direction: str, protocol: str, version: int, src: Interval, dst: Interval,
    ports: Sequence[Interval], port_breaks: set[int], ctx: Context,
) -> list[PortSpan]:
    src_text, dst_text = _range_text(version, *src), _range_text(version, *dst)
    spans: list[PortSpan] = []
    for p_lo, p_hi in ports:
        for lo, hi in _split(p_lo, p_hi, port_breaks):
            flow = Flow(protocol, _ip(version, src[0]), _ip(version, dst[0]), lo)
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


def free_priorities(rules: Iterable[SecurityRule], direction: str, below: int, count: int = 1) -> list[int]:
    """``count`` unused priorities (100-4096) in ``direction`` that sort before ``below``.

    Prefers round numbers closest under ``below`` so new rules land just above the rule that blocks.
    """
    used = {r.priority for r in rules if r.direction.lower() == direction.lower()}
    top = min(below - 1, 4096)
    found: list[int] = []
    for step in (10, 1):
        for prio in range(top - top % step, 99, -step):
            if prio not in used and prio not in found and prio >= 100:
                found.append(prio)
                if len(found) == count:
                    return sorted(found)
    return sorted(found)


# --------------------------------------------------------------------------------------------
# Routes


class RouteSource(enum.StrEnum):
    USER = "User"
    GATEWAY = "VirtualNetworkGateway"
    DEFAULT = "Default"


#: Among routes for the same prefix: user routes win, then BGP/gateway, then system routes.
_SOURCE_RANK = {RouteSource.USER: 0, RouteSource.GATEWAY: 1, RouteSource.DEFAULT: 2}
#: Among system routes for the same prefix, the VNet's own space beats Azure's drop routes.
_SYSTEM_HOP_RANK = {"vnetlocal": 0, "vnetpeering": 1, "virtualnetworkgateway": 2, "internet": 3, "none": 4}
#: Azure's system routes that drop private and shared address space not in the VNet.
SYSTEM_DROP_PREFIXES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")


@dataclass(frozen=True)
class EffectiveRoute:
    name: str
    prefix: str
    next_hop_type: str
    source: RouteSource
    next_hop_ip: str | None = None


def system_routes(vnet_prefixes: Iterable[str], peered_prefixes: Iterable[str]) -> list[EffectiveRoute]:
    """Azure's default routes for a subnet in a VNet with these address spaces and peerings."""
    routes = [EffectiveRoute(f"vnet {p}", p, "VnetLocal", RouteSource.DEFAULT) for p in vnet_prefixes]
    routes += [EffectiveRoute(f"peering {p}", p, "VNetPeering", RouteSource.DEFAULT) for p in peered_prefixes]
    routes.append(EffectiveRoute("default", "0.0.0.0/0", "Internet", RouteSource.DEFAULT))
    routes += [EffectiveRoute(f"drop {p}", p, "None", RouteSource.DEFAULT) for p in SYSTEM_DROP_PREFIXES]
    return routes


def effective_routes(
    user_routes: Iterable[Route],
    vnet_prefixes: Iterable[str],
    peered_prefixes: Iterable[str] = (),
    gateway_prefixes: Iterable[str] = (),
) -> tuple[list[EffectiveRoute], list[str]]:
    """User routes plus system (and known gateway) routes; also the user routes that are not CIDRs.

    Route prefixes may be service tags ("Storage"); those cover Azure public ranges this tool
    cannot expand, so they are returned separately for the report rather than guessed.
    """
    routes: list[EffectiveRoute] = []
    tagged: list[str] = []
    for route in user_routes:
        if _network(route.address_prefix) is None:
            tagged.append(route.name)
            continue
        routes.append(EffectiveRoute(route.name, route.address_prefix, route.next_hop_type, RouteSource.USER,
                                     route.next_hop_ip))
    routes += [EffectiveRoute(f"gateway {p}", p, "VirtualNetworkGateway", RouteSource.GATEWAY) for p in gateway_prefixes]
    routes += system_routes(vnet_prefixes, peered_prefixes)
    return routes, tagged


def select_route(routes: Iterable[EffectiveRoute], address: str) -> EffectiveRoute | None:
    """Longest prefix match for ``address``; ties by source (user > gateway > system)."""
    ip = ipaddress.ip_address(address)
    best: tuple[int, int, int] | None = None
    chosen: EffectiveRoute | None = None
    for route in routes:
        net = _network(route.prefix)
        if net is None or net.version != ip.version or ip not in net:
            continue
        key = (-net.prefixlen, _SOURCE_RANK[route.source], _SYSTEM_HOP_RANK.get(route.next_hop_type.lower(), 5))
        if best is None or key < best:
            best, chosen = key, route
    return chosen


def route_for_prefix(routes: Sequence[EffectiveRoute], prefix: str) -> list[tuple[str, EffectiveRoute | None]]:
    """The route chosen for every part of ``prefix`` (split where a more specific route starts)."""
    version, (lo, hi) = _block(prefix)
    breaks: set[int] = set()
    for route in routes:
        net = _network(route.prefix)
        if net is not None and net.version == version:
            _, (r_lo, r_hi) = _interval(net)
            breaks.update((r_lo, r_hi + 1))
    runs: list[tuple[int, int, EffectiveRoute | None]] = []
    for a, b in _split(lo, hi, breaks):
        chosen = select_route(routes, _ip(version, a))
        if runs and runs[-1][2] == chosen:
            runs[-1] = (runs[-1][0], b, chosen)
        else:
            runs.append((a, b, chosen))
    return [(_range_text(version, a, b), chosen) for a, b, chosen in runs]


def overlaps(a: str, b: str) -> bool:
    """True when two CIDR prefixes share any address."""
    na, nb = _network(a), _network(b)
    return na is not None and nb is not None and na.version == nb.version and na.overlaps(nb)  # type: ignore[arg-type]
