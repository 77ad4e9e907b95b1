"""What the facts say about each required flow at each place (pure: no I/O).

NSG rows use the NSG evaluator (:mod:`linkready.domain.netrules`, the one NSG-001..003 use), firewall
rows the port scan (``PortScan.ranges_by_state``), the route row the route selection NSG-004 uses,
DNS rows the recorded answers. A fact that is missing makes the row *not observed*, naming it; a
fact that cannot decide makes it *undecided*. Neither is ever open.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from linkready.domain.flow_model import NETWORK_TEST, Direction, Flow, FlowKind, FlowRow, FlowState, RuleNeed, Where
from linkready.domain.link_network import connected_peer_prefixes, runs_on_sql_host, vnet_context
from linkready.domain.netrules import (
    NsgFormatError,
    PortSpan,
    RouteSource,
    Verdict,
    effective_routes,
    evaluate,
    route_for_prefix,
    summarize,
)
from linkready.facts import Facts
from linkready.facts.azure import NetworkSecurityGroup, VirtualNetwork
from linkready.facts.network import DnsAnswer, DnsStatus, PortScan, PortState

_IN, _OUT = Direction.INBOUND, Direction.OUTBOUND
_FIREWALLS_TO_MI = "SQL Server host and network firewalls"
_FIREWALLS_TO_SQL = "network and SQL Server host firewalls"


def observe(facts: Facts, flow: Flow) -> list[FlowRow]:
    """The rows of one flow: one per place it must be open, each with what the facts show."""
    if flow.kind is FlowKind.TO_MI:
        return [_scan_row(facts, flow), _mi_nsg_row(facts, flow, _IN), *_vm_nsg_rows(facts, flow, _OUT)]
    if flow.kind is FlowKind.TO_SQL:
        return [_mi_nsg_row(facts, flow, _OUT), *_vm_nsg_rows(facts, flow, _IN), _reverse_firewall_row(facts, flow)]
    if flow.kind is FlowKind.ROUTE:
        return [_route_row(facts, flow)]
    if flow.kind is FlowKind.DNS_MI:
        return [_mi_dns_row(facts, flow)]
    return [_partner_dns_row(facts, flow)]


def _row(flow: Flow, where: Where, place: str, direction: Direction, state: FlowState, observed: str,
         basis: str, need: RuleNeed | None = None) -> FlowRow:
    return FlowRow(flow, where, place, direction, state, observed, basis, need=need)


def _missing(facts: Facts, path: str) -> str:
    _, why = facts.state_of(path)
    return why or f"{path} was not collected"


# ---------------------------------------------------------------------------------------------
# NSGs


def _ends(flow: Flow) -> str:
    """Why an NSG row cannot be evaluated because a prefix is unknown ("" when both are known)."""
    gaps = []
    if not flow.source:
        gaps.append(f"{flow.source_label} prefix {flow.source_note}")
    if not flow.destination:
        gaps.append(f"{flow.destination_label} prefix {flow.destination_note}")
    return "; ".join(gaps)


def _mi_nsg_row(facts: Facts, flow: Flow, direction: Direction) -> FlowRow:
    azure = facts.azure
    place = "MI subnet NSG"

    def unseen(why: str) -> FlowRow:
        return _row(flow, Where.MI_NSG, place, direction, FlowState.NOT_OBSERVED, why, "none")

    if (error := facts.error_for("azure.nsg")) is not None:
        return unseen(f"azure.nsg could not be read: {error.reason}")
    if azure is None or azure.subnet is None:
        return unseen(_missing(facts, "azure.subnet"))
    if azure.nsg is None and azure.subnet.nsg_id:
        return unseen(f"the subnet names NSG {azure.subnet.nsg_id.rsplit('/', 1)[-1]} but azure.nsg was not collected")
    if azure.nsg is not None and not azure.subnet.nsg_id:
        return unseen(f"NSG {azure.nsg.name} was collected but the subnet names none (azure.subnet.nsg_id): "
                      "inconsistent facts")
    if azure.nsg is None:
        return _row(flow, Where.MI_NSG, "(no NSG on the MI subnet)", direction, FlowState.OPEN,
                    "no NSG is associated with the MI subnet: Azure allows it", "NSG evaluation")
    return _nsg_row(flow, Where.MI_NSG, azure.nsg, direction, azure.vnet, flow.source if direction is _IN
                    else flow.destination)


def _vm_nsg_rows(facts: Facts, flow: Flow, direction: Direction) -> list[FlowRow]:
    """The SQL Server VM's NSGs (NIC and subnet); none when SQL Server is not an Azure VM."""
    azure = facts.azure
    place = "SQL Server VM's NSGs"
    error = facts.error_for("azure.source_vm_nsgs")
    if error is not None and error.kind == "not_found":
        return []  # the SQL Server is not an Azure VM: no NSG of its own on the path
    if error is not None or azure is None or azure.source_vm_nsgs is None:
        why = f"azure.source_vm_nsgs could not be read: {error.reason}" if error else \
            _missing(facts, "azure.source_vm_nsgs") + " (whether SQL Server is an Azure VM with an NSG is unknown)"
        return [_row(flow, Where.VM_NSG, place, direction, FlowState.NOT_OBSERVED, why, "none")]
    if not azure.source_vm_nsgs:
        if not azure.source_vm_nic_id:
            return []
        return [_row(flow, Where.VM_NSG, "(no NSG on the SQL Server VM)", direction, FlowState.OPEN,
                     "the SQL Server VM's NIC and subnet have no NSG: Azure allows it", "NSG evaluation")]
    subnet_side = flow.destination if direction is _OUT else flow.source
    return [_nsg_row(flow, Where.VM_NSG, nsg, direction, azure.source_vnet, subnet_side)
            for nsg in azure.source_vm_nsgs]


def _decided_by(spans: Iterable[PortSpan]) -> str:
    rules = sorted({(s.decision.rule.priority, s.decision.rule.name, s.decision.rule.is_default)
                    for s in spans if s.decision.rule})
    return ", ".join(f"{'default rule' if default else 'rule'} {name} ({prio})" for prio, name, default in rules)


def _nsg_row(flow: Flow, where: Where, nsg: NetworkSecurityGroup, direction: Direction, vnet: VirtualNetwork | None,
             remote: Sequence[str]) -> FlowRow:
    """Evaluate one NSG for the flow; ``remote`` is the far side the VirtualNetwork tag must cover."""
    place = nsg.name
    ports = flow.port_range
    if (gap := _ends(flow)) or ports is None:
        return _row(flow, where, place, direction, FlowState.NOT_OBSERVED, f"cannot evaluate: {gap or 'no ports'}",
                    "none")
    ctx, note = vnet_context(vnet, remote)
    try:
        spans = evaluate(nsg.rules, direction.value, "tcp", flow.source, flow.destination, [ports], ctx)
    except NsgFormatError as exc:
        return _row(flow, where, place, direction, FlowState.NOT_OBSERVED, f"the NSG cannot be evaluated: {exc}",
                    "none")
    verdict = summarize(spans)
    if verdict is Verdict.ALLOW:
        return _row(flow, where, place, direction, FlowState.OPEN, f"allowed by {_decided_by(spans)}",
                    "NSG evaluation")
    against = [s for s in spans if s.decision.verdict is not Verdict.ALLOW]
    below = min([s.decision.rule.priority for s in against if s.decision.rule and s.decision.verdict is Verdict.DENY]
                + [u.priority for s in against for u in s.decision.uncertain] + [4097])
    need = RuleNeed(nsg.id, nsg.name, direction, flow.source, flow.destination, flow.ports, below,
                    frozenset(r.priority for r in nsg.rules if r.direction.lower() == direction.value.lower()),
                    frozenset(r.name for r in nsg.rules))
    if verdict is Verdict.DENY:
        denied = [s for s in spans if s.decision.verdict is Verdict.DENY]
        ports_hit = ", ".join(dict.fromkeys(s.ports for s in denied))
        return _row(flow, where, place, direction, FlowState.BLOCKED,
                    f"denied by {_decided_by(denied) or 'no rule (no default rules in the document)'} on port "
                    f"{ports_hit}", "NSG evaluation", need)
    maybes = sorted({f"{u.name} ({u.priority}): {u.reason}" for s in spans for u in s.decision.uncertain})
    return _row(flow, where, place, direction, FlowState.UNDECIDED,
                "depends on rules that cannot be resolved offline: " + "; ".join(maybes)
                + (f" ({note})" if note else ""),
                "NSG evaluation", need)


# ---------------------------------------------------------------------------------------------
# Firewalls (the port scan from the SQL Server side; nothing linkready runs sees the reverse)

_BLOCKING = (PortState.FILTERED, PortState.UNREACHABLE)
_WORDS = {PortState.OPEN: "open", PortState.REFUSED: "refused (TCP reset)", PortState.FILTERED: "filtered",
          PortState.UNREACHABLE: "unreachable", PortState.UNTESTED: "not tested (deadline)", PortState.ERROR: "error"}


def _clip(spans: Iterable[tuple[int, int]], low: int, high: int) -> list[tuple[int, int]]:
    return [(max(a, low), min(b, high)) for a, b in spans if a <= high and b >= low]


def _ranges(spans: Sequence[tuple[int, int]]) -> str:
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def scan_states(scan: PortScan, low: int, high: int) -> dict[PortState, list[tuple[int, int]]]:
    """The scan's ranges per state, clipped to ``low``-``high`` (states with no port there are absent)."""
    found = {state: _clip(spans, low, high) for state, spans in scan.ranges_by_state().items()}
    return {state: spans for state, spans in found.items() if spans}


def _scan_state(states: dict[PortState, list[tuple[int, int]]]) -> FlowState:
    if any(s in states for s in _BLOCKING):
        return FlowState.BLOCKED
    if PortState.REFUSED in states or PortState.UNTESTED in states or PortState.ERROR in states:
        return FlowState.UNDECIDED if PortState.OPEN in states or PortState.REFUSED in states else \
            FlowState.NOT_OBSERVED
    return FlowState.OPEN


def _scan_row(facts: Facts, flow: Flow) -> FlowRow:
    scan = facts.network.mi_ports if facts.network else None
    ports = flow.port_range
    assert ports is not None  # TO_MI flows always name their ports
    if scan is None or scan.error:
        why = scan.error if scan is not None else _missing(facts, "network.mi_ports")
        return _row(flow, Where.FIREWALL, _FIREWALLS_TO_MI, _OUT, FlowState.NOT_OBSERVED, f"not scanned: {why}", "none")
    states = scan_states(scan, *ports)
    if not states:
        return _row(flow, Where.FIREWALL, _FIREWALLS_TO_MI, _OUT, FlowState.NOT_OBSERVED,
                    f"port {flow.ports} was not scanned (network.mi_ports asked for {scan.requested or '?'})", "none")
    state = _scan_state(states)
    parts = [f"{_WORDS[s]} {_ranges(spans)}" for s, spans in states.items()]
    host = scan.source_host or facts.collector.hostname or "an unnamed host"
    observed = "; ".join(parts) + f" at {scan.address or scan.host} from {host}"
    if scan.sampled:
        observed += " (a sample of the range: unsampled ports not judged)"
    on_host = runs_on_sql_host(facts)
    if on_host is not True:
        observed += f"; {host} is {'not' if on_host is False else 'not known to be'} the SQL Server host"
        if state is FlowState.OPEN:
            state = FlowState.UNDECIDED  # open from a jump box is not the SQL Server's path
    return _row(flow, Where.FIREWALL, _FIREWALLS_TO_MI, _OUT, state, observed, "port scan (whole path)")


def _reverse_firewall_row(facts: Facts, flow: Flow) -> FlowRow:
    observed = (f"only the managed instance can test this direction: {NETWORK_TEST} prints the SQL Agent test "
                "to run there")
    scan = facts.network.sql_endpoint_port if facts.network else None
    result = scan.result(int(flow.ports)) if scan and not scan.error and flow.ports.isdigit() else None
    if scan is not None and result is not None:
        where = "locally" if runs_on_sql_host(facts) else f"from {scan.source_host or facts.collector.hostname}"
        observed += f"; SQL Server's port {flow.ports} is {_WORDS[result.state]} {where} at {scan.address}"
    return _row(flow, Where.FIREWALL, _FIREWALLS_TO_SQL, _IN, FlowState.NOT_OBSERVED, observed, "none")


# ---------------------------------------------------------------------------------------------
# Routes


def _route_row(facts: Facts, flow: Flow) -> FlowRow:
    azure = facts.azure
    table = azure.route_table if azure else None
    place = f"route table {table.name}" if table else "MI subnet routes"

    def row(state: FlowState, observed: str, basis: str = "routes") -> FlowRow:
        return _row(flow, Where.ROUTE, place, _OUT, state, observed, basis)

    if (error := facts.error_for("azure.route_table")) is not None:
        return row(FlowState.NOT_OBSERVED, f"azure.route_table could not be read: {error.reason}", "none")
    if azure is None or azure.vnet is None or not azure.vnet.address_prefixes:
        return row(FlowState.NOT_OBSERVED, _missing(facts, "azure.vnet.address_prefixes"), "none")
    if not flow.destination:
        return row(FlowState.NOT_OBSERVED, f"cannot evaluate: SQL Server prefix {flow.destination_note}", "none")
    user = table.routes if table else ()
    if lost := [r.name or "unnamed" for r in user if not r.next_hop_type]:
        return row(FlowState.NOT_OBSERVED, f"route {', '.join(lost)} has no next hop type: it was not read", "none")
    routes, _ = effective_routes(user, azure.vnet.address_prefixes, connected_peer_prefixes(azure.vnet))
    gateway = azure.vnet.has_gateway and not (table and table.disable_bgp_route_propagation)
    states, parts = [], []
    for prefix in flow.destination:
        for part, route in route_for_prefix(routes, prefix):
            hop = route.next_hop_type.lower() if route else ""
            if route is None or hop == "internet" or (hop == "none" and (route.source is RouteSource.USER
                                                                         or not gateway)):
                states.append(FlowState.BLOCKED)
            elif hop in ("none", "virtualappliance"):
                states.append(FlowState.UNDECIDED)  # a gateway route ARM does not show; an appliance's own rules
            else:
                states.append(FlowState.OPEN)
            parts.append(f"{part} -> " + (f"{route.next_hop_type}{' ' + route.next_hop_ip if route.next_hop_ip else ''}"
                                          f" ({route.name})" if route else "no route"))
    state = next((s for s in (FlowState.BLOCKED, FlowState.UNDECIDED) if s in states), FlowState.OPEN)
    extra = {FlowState.BLOCKED: ": a black hole or no private path",
             FlowState.UNDECIDED: ": an appliance must pass TCP and the UCS protocol, or only a gateway route "
                                  "ARM does not show reaches it"}.get(state, "")
    return row(state, "; ".join(parts) + extra)


# ---------------------------------------------------------------------------------------------
# DNS


def _primary(answers: Sequence[DnsAnswer]) -> DnsAnswer:
    return next((a for a in answers if a.via == "system" or a.server in ("system", "hosts-file")), answers[0])


def _failed(answer: DnsAnswer) -> str:
    """``NXDOMAIN from 10.0.0.4``; the detail only where the status alone does not say what happened."""
    said = "no answer in time" if answer.status is DnsStatus.TIMEOUT else answer.status.value.upper()
    detail = answer.detail if answer.status in (DnsStatus.ERROR, DnsStatus.NO_NAMESERVERS) and answer.detail else ""
    return f"{said} from {answer.server}" + (f" ({detail})" if detail else "")


def _mi_dns_row(facts: Facts, flow: Flow) -> FlowRow:
    answers = facts.network.mi_dns if facts.network else None
    basis = f"DNS from {facts.collector.hostname or 'the collector'}"
    if not answers:
        why = _missing(facts, "network.mi_dns") if answers is None else "network.mi_dns recorded no answer"
        return _row(flow, Where.DNS, f"resolving {flow.name}", _OUT, FlowState.NOT_OBSERVED, why, "none")
    primary = _primary(answers)
    place = f"resolver {primary.server} for {flow.name}"

    def row(state: FlowState, observed: str) -> FlowRow:
        return _row(flow, Where.DNS, place, _OUT, state, observed, basis)

    if primary.status is not DnsStatus.OK:
        return row(FlowState.BLOCKED, f"{flow.name} does not resolve: {_failed(primary)}")
    if not primary.addresses:
        return row(FlowState.NOT_OBSERVED, f"{primary.server} answered ok but no address was recorded")
    got = ", ".join(primary.addresses)
    subnet = facts.azure.subnet.address_prefixes if facts.azure and facts.azure.subnet else ()
    nets = [n for n in (_network(p) for p in subnet) if n is not None]
    if not nets:
        return row(FlowState.UNDECIDED, f"resolves to {got}; whether that is in the MI subnet is unknown "
                                        f"({_missing(facts, 'azure.subnet.address_prefixes')})")
    chain = [flow.name, primary.name, *primary.cname_chain]
    outside = [a for a in primary.addresses if not any(ipaddress.ip_address(a) in n for n in nets)]
    if any(".public." in n.lower() for n in chain):
        return row(FlowState.BLOCKED, f"resolves to {got} through the public endpoint name: the link needs the "
                                      "VNet-local endpoint")
    if outside:
        return row(FlowState.BLOCKED, f"resolves to {got}, outside the MI subnet {', '.join(subnet)}")
    return row(FlowState.OPEN, f"resolves to {got}, inside the MI subnet {', '.join(subnet)}")


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _partner_dns_row(facts: Facts, flow: Flow) -> FlowRow:
    net = facts.network
    host = flow.name
    servers = (net.vnet_dns_servers if net else ()) or flow.destination
    place = f"VNet DNS {', '.join(servers)} for {host}" if servers else f"Azure-provided DNS for {host}"

    def row(state: FlowState, observed: str, basis: str = "DNS (VNet servers asked from the collector)") -> FlowRow:
        return _row(flow, Where.DNS, place, _OUT, state, observed, basis)

    error = facts.error_for("network.partner_dns") or facts.error_for("network.vnet_dns_servers")
    if error is not None or net is None or net.partner_dns is None:
        return row(FlowState.NOT_OBSERVED, error.reason if error else _missing(facts, "network.partner_dns"), "none")
    answers = [a for a in net.partner_dns if a.name == host]
    vnet = [a for a in answers if a.via == "vnet" or (not a.via and a.server in servers)]
    if not vnet:
        if servers:
            return row(FlowState.NOT_OBSERVED, f"the VNet's DNS servers ({', '.join(servers)}) were not asked", "none")
        return row(FlowState.UNDECIDED, "the VNet uses Azure-provided DNS, which resolves Azure names and linked "
                                        "private zones only; use SQL Server's IP address in the partner endpoint")
    failing = [a for a in vnet if a.status in (DnsStatus.NXDOMAIN, DnsStatus.NOANSWER, DnsStatus.SERVFAIL)]
    if failing:
        return row(FlowState.BLOCKED, f"{host} does not resolve: {_failed(failing[0])}")
    ok = [a for a in vnet if a.status is DnsStatus.OK and a.addresses]
    if not ok:
        return row(FlowState.UNDECIDED, f"{_failed(vnet[0])}: the VNet's DNS may still answer inside the VNet")
    got = sorted({addr for a in ok for addr in a.addresses})
    expected = facts.plan.source_address
    if expected and expected not in got:
        return row(FlowState.BLOCKED, f"{host} resolves to {', '.join(got)}, not to SQL Server's {expected}")
    return row(FlowState.OPEN, f"{host} resolves to {', '.join(got)}")
