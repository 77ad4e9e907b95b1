"""NSG and routing between SQL Server and the managed instance subnet (NSG-001..005).

The evaluation is :mod:`linkready.domain.netrules` — the same code as ``linkready nsg-eval`` — over the
NSG exactly as ARM returned it: priority order, first match wins, default rules last.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from linkready.checks._directions import NETWORK_PATH

from linkready.domain.docs import DOCS_PREP, DOCS_ROUTES
from linkready.domain.flows import FlowTable, network_flows
from linkready.domain.link_network import connected_peer_prefixes, planned_sql_ports, source_prefixes, vnet_context
from linkready.domain.netrules import (
    Context,
    EffectiveRoute,
    PortSpan,
    RouteSource,
    Verdict,
    effective_routes,
    evaluate,
    overlaps,
    route_for_prefix,
    summarize,
)
from linkready.domain.ports import MI_ENDPOINT_PORT, MI_REDIRECT_RANGE
from linkready.facts import Facts
from linkready.facts.azure import NetworkSecurityGroup
from linkready.model import Area, CodeBlock, Owner, Result, Settings, Severity, errored, failed, passed, skipped, warned
from linkready.registry import check

HADR = MI_REDIRECT_RANGE
MIRRORING = (MI_ENDPOINT_PORT, MI_ENDPOINT_PORT)


#: Every VNet has at least one address prefix: none is a lost answer, not a VNet that overlaps nothing.
_NO_VNET_SPACE = ("Could not evaluate: the MI VNet's address space is empty (azure.vnet.address_prefixes); "
                  "every VNet has one, so it was not read")


@dataclass(frozen=True)
class Leg:
    """One NSG to cross in one direction."""

    nsg: NetworkSecurityGroup
    direction: str
    sources: tuple[str, ...]
    destinations: tuple[str, ...]
    ctx: Context
    note: str
    label: str


def _legs(facts: Facts, ports: tuple[int, int], towards_mi: bool) -> Iterator[Leg]:
    azure = facts.azure
    assert azure is not None and azure.subnet is not None
    sources = tuple(source_prefixes(facts))
    subnet = azure.subnet.address_prefixes
    if azure.nsg is not None:
        ctx, note = vnet_context(azure.vnet, sources)
        if towards_mi:
            yield Leg(azure.nsg, "Inbound", sources, subnet, ctx, note, f"{azure.nsg.name} (MI subnet) inbound")
        else:
            yield Leg(azure.nsg, "Outbound", subnet, sources, ctx, note, f"{azure.nsg.name} (MI subnet) outbound")
    for vm_nsg in azure.source_vm_nsgs or ():
        ctx, note = vnet_context(azure.source_vnet, subnet)
        if towards_mi:
            yield Leg(vm_nsg, "Outbound", sources, subnet, ctx, note, f"{vm_nsg.name} (SQL Server VM) outbound")
        else:
            yield Leg(vm_nsg, "Inbound", subnet, sources, ctx, note, f"{vm_nsg.name} (SQL Server VM) inbound")


def _span_text(span: PortSpan) -> str:
    return f"port {span.ports} from {span.source} to {span.destination}: {span.decision.describe()}"


def _rule_command(leg: Leg, table: FlowTable, ports: tuple[int, int]) -> CodeBlock | None:
    """The flows table's command for this NSG, direction and ports: one assignment across NSG-001..003 and the
    table, so two fixes for one NSG never take the same priority (ARM refuses a second rule at a priority in use
    in the same direction) and the report prints one command per rule."""
    port_text = _port_text(ports)
    for row in table.rows:
        need = row.need
        if (need is not None and row.command and need.nsg_id.lower() == leg.nsg.id.lower()
                and need.direction.value == leg.direction and need.ports == port_text):
            return CodeBlock("azcli", row.command, f"Allow {port_text} ({leg.direction.lower()}) above the rule "
                                                   "that blocks it")
    return None


def _judge_flows(facts: Facts, spans: Sequence[tuple[int, int]], towards_mi: bool) -> Iterator[Result]:
    """Every leg of the path for every port span the plan needs; targets name the port when several."""
    azure = facts.azure
    assert azure is not None and azure.subnet is not None  # requires= guarantees both
    if not source_prefixes(facts):
        yield skipped("Not applicable: no SQL Server address or prefix is configured (source.address, "
                      "source.network_prefixes) and no partner endpoint is an IP address")
        return
    error = facts.error_for("azure.nsg")
    if error is not None:
        yield errored(f"Could not evaluate the MI subnet NSG: azure.nsg could not be read: {error.reason}", target="MI subnet")
    elif azure.nsg is None and azure.subnet.nsg_id:
        # The subnet names an NSG but its rules are absent: inconsistent facts are unknown, not "no NSG".
        yield errored(f"Could not evaluate: the MI subnet names NSG {azure.subnet.nsg_id.rsplit('/', 1)[-1]} but "
                      "azure.nsg was not collected", target="MI subnet")
    elif azure.nsg is not None and not azure.subnet.nsg_id:
        # NSG rules without the subnet naming them: which NSG applies (if any) is unknown.
        yield errored(f"Could not evaluate: NSG {azure.nsg.name} was collected but the MI subnet names no NSG "
                      "(azure.subnet.nsg_id is empty): inconsistent facts", target="MI subnet")
        return
    elif azure.nsg is None:
        what = ", ".join(_what(span, towards_mi) for span in spans)
        yield passed(f"The MI subnet has no NSG: Azure allows {what}", target="MI subnet",
                     observed="no NSG associated", expected=f"{what} allowed")
    vm_error = facts.error_for("azure.source_vm_nsgs")
    if vm_error is not None and vm_error.kind != "not_found":  # not found: SQL Server is not an Azure VM
        yield errored(f"Could not evaluate the SQL Server VM's NSGs: {vm_error.reason}")
    table = network_flows(facts)
    for ports in spans:
        for result in _judge_legs(facts, table, ports, towards_mi):
            yield replace(result, target=f"{result.target} port {_port_text(ports)}") if len(spans) > 1 else result


def _port_text(ports: tuple[int, int]) -> str:
    return str(ports[0]) if ports[0] == ports[1] else f"{ports[0]}-{ports[1]}"


def _what(ports: tuple[int, int], towards_mi: bool) -> str:
    return f"TCP {_port_text(ports)} {'from' if towards_mi else 'to'} SQL Server"


def _judge_legs(facts: Facts, table: FlowTable, ports: tuple[int, int], towards_mi: bool) -> Iterator[Result]:
    what = _what(ports, towards_mi)
    for leg in _legs(facts, ports, towards_mi):
        spans = evaluate(leg.nsg.rules, leg.direction, "tcp", leg.sources, leg.destinations, [ports], leg.ctx)
        verdict = summarize(spans)
        evidence = [_span_text(s) for s in spans] + ([f"note: {leg.note}"] if leg.note else [])
        expected = f"{what} allowed by {leg.nsg.name} ({leg.direction.lower()})"
        if verdict is Verdict.ALLOW:
            deciding = sorted({s.decision.rule.name for s in spans if s.decision.rule})
            yield passed(f"{leg.label} allows {what} (rule {', '.join(deciding)})", target=leg.label,
                         observed="; ".join(_span_text(s) for s in spans), expected=expected, evidence=evidence)
            continue
        denied = [s for s in spans if s.decision.verdict is Verdict.DENY]
        if denied:
            rules = {(s.decision.rule.priority, s.decision.rule.name, s.decision.rule.is_default)
                     for s in denied if s.decision.rule}
            blockers = ", ".join(
                f"{'no rule allows it; default ' if default else 'rule '}{name} (priority {prio}) denies it"
                for prio, name, default in sorted(rules)
            )
            first = min((p for p, _, _ in rules), default=4097)
            fix = _rule_command(leg, table, ports)
            remediation = (
                f"Add an allow rule for TCP {ports[0]}-{ports[1]} with a priority lower than {first} to {leg.nsg.name}"
                if fix else f"The blocking rule has priority {first}; change or remove it"
            )
            yield failed(
                f"{leg.label} blocks {what}: {blockers}", target=leg.label,
                observed="; ".join(_span_text(s) for s in denied), expected=expected, evidence=evidence,
                fix=(fix,) if fix else (), remediation=remediation,
            )
            continue
        maybes = sorted({f"{u.name} (priority {u.priority}): {u.reason}" for s in spans for u in s.decision.uncertain})
        yield warned(
            f"{leg.label}: whether {what} is allowed depends on rules that cannot be resolved offline: "
            + "; ".join(maybes), target=leg.label, observed="; ".join(_span_text(s) for s in spans),
            expected=expected, evidence=evidence,
        )


_NSG_RATIONALE = (
    "The link's traffic crosses the NSG on the managed instance subnet and, for a SQL Server on an Azure VM, the "
    "VM's NSGs. Azure applies the rules in priority order and the first match decides, so an allow rule below a "
    "broader deny rule, or no allow rule above DenyAllInBound, silently drops the link's packets."
)


@check(
    id="NSG-001",
    title="NSGs allow TCP 5022 from SQL Server to the managed instance subnet",
    area=Area.NSG,
    severity=Severity.CRITICAL,
    rationale=_NSG_RATIONALE + " SQL Server opens the database mirroring connection to the instance on 5022.",
    remediation="Allow inbound TCP 5022 from the SQL Server prefix on the MI subnet NSG (and outbound on the VM's NSG).",
    docs=DOCS_PREP,
    owner=Owner.NETWORK,
    requires=("azure", "azure.subnet"),
    prevents=(41962, 41986),
    directions=NETWORK_PATH,
)
def nsg_allows_5022_to_mi(facts: Facts, settings: Settings) -> Iterator[Result]:
    yield from _judge_flows(facts, [MIRRORING], True)


@check(
    id="NSG-002",
    title="NSGs allow TCP 11000-11999 from SQL Server to the managed instance subnet",
    area=Area.NSG,
    severity=Severity.CRITICAL,
    rationale=_NSG_RATIONALE + " The instance's HADR port is chosen in 11000-11999 and can change at any failover, "
              "so the whole range must be open.",
    remediation="Allow inbound TCP 11000-11999 from the SQL Server prefix on the MI subnet NSG.",
    docs=DOCS_PREP,
    owner=Owner.NETWORK,
    requires=("azure", "azure.subnet"),
    prevents=(41962, 41986),
    directions=NETWORK_PATH,
)
def nsg_allows_hadr_range_to_mi(facts: Facts, settings: Settings) -> Iterator[Result]:
    yield from _judge_flows(facts, [HADR], True)


@check(
    id="NSG-003",
    title="NSGs allow the SQL Server endpoint port (TCP 5022 by default) from the managed instance subnet",
    area=Area.NSG,
    severity=Severity.CRITICAL,
    rationale=_NSG_RATIONALE + " The instance connects back to SQL Server's endpoint on the partner endpoint's port "
              "(5022 unless the SQL Server endpoint was given another; the managed instance's ports cannot change).",
    remediation="Allow outbound TCP to the SQL Server prefix on the partner endpoint's port (5022 by default) on the MI "
                "subnet NSG, and inbound on the VM's NSG.",
    docs=DOCS_PREP,
    owner=Owner.NETWORK,
    requires=("azure", "azure.subnet"),
    prevents=(41962,),
    directions=NETWORK_PATH,
)
def nsg_allows_5022_from_mi(facts: Facts, settings: Settings) -> Iterator[Result]:
    yield from _judge_flows(facts, [(p, p) for p in planned_sql_ports(facts)], False)


def _route_result(prefix: str, part: str, route: EffectiveRoute | None, facts: Facts) -> Result:
    azure = facts.azure
    assert azure is not None
    vnet = azure.vnet
    rt = azure.route_table
    target = f"route to {part}"
    expected = "VnetLocal, VNetPeering or VirtualNetworkGateway (an appliance must pass the UCS protocol)"
    if route is None:
        return failed(f"No route covers {part}", target=target, observed="no route", expected=expected)
    hop = route.next_hop_type
    observed = f"{route.name} ({route.prefix}) -> {hop}" + (f" {route.next_hop_ip}" if route.next_hop_ip else "")
    if hop.lower() == "none":
        if route.source is RouteSource.USER:
            return failed(f"User route {route.name} sends {part} to next hop None: a black hole for the link",
                          target=target, observed=observed, expected=expected,
                          remediation=f"Remove or narrow route {route.name} in route table {rt.name if rt else ''}.")
        gateway = vnet is not None and vnet.has_gateway and not (rt and rt.disable_bgp_route_propagation)
        if gateway:
            return warned(f"{part} is reachable only through routes the VNet gateway learns, which ARM does not show "
                          "for a managed instance subnet; confirm the gateway advertises it",
                          target=target, observed=f"system route {route.prefix} -> None unless a gateway route covers it",
                          expected=expected)
        return failed(f"Azure drops traffic to {part}: only the system route {route.prefix} -> None covers it "
                      "(no peering, gateway or user route)", target=target, observed=observed, expected=expected,
                      remediation="Peer the VNets, or connect the SQL Server network by VPN/ExpressRoute.")
    if hop.lower() == "virtualappliance":
        return warned(f"{part} is routed through the appliance {route.next_hop_ip or ''} (route {route.name}): it must "
                      "allow TCP 5022 and 11000-11999 and pass the SQL Server UCS protocol without inspection",
                      target=target, observed=observed, expected=expected)
    if hop.lower() == "internet":
        return failed(f"{part} is routed to the Internet (route {route.name}); the link needs private connectivity "
                      "(VNet peering, VPN or ExpressRoute)", target=target, observed=observed, expected=expected)
    return passed(f"{part} is reached via {hop} ({route.name})", target=target, observed=observed, expected=expected)


@check(
    id="NSG-004",
    title="The MI subnet's routes reach SQL Server (no black hole; an appliance is flagged)",
    area=Area.NSG,
    severity=Severity.CRITICAL,
    rationale=(
        "Routes decide where the instance's replies and connections to SQL Server go: longest prefix wins, a user "
        "route beats a system route. A route to next hop None drops the link's packets; a firewall appliance must "
        "allow the ports and the UCS protocol, or the network test passes while the link fails."
    ),
    remediation="Fix the route table on the MI subnet so SQL Server's prefix goes to the VNet, the peering or the gateway.",
    docs=DOCS_ROUTES,
    owner=Owner.NETWORK,
    requires=("azure", "azure.subnet", "azure.vnet"),
    prevents=(41962,),
    directions=NETWORK_PATH,
)
def routes_reach_sql_server(facts: Facts, settings: Settings) -> Iterator[Result]:
    error = facts.error_for("azure.route_table")
    if error is not None:
        yield errored(f"Could not evaluate: azure.route_table could not be read: {error.reason}")
        return
    azure = facts.azure
    assert azure is not None and azure.vnet is not None
    if not azure.vnet.address_prefixes:
        yield errored(_NO_VNET_SPACE)
        return
    sources = source_prefixes(facts)
    if not sources:
        yield skipped("Not applicable: no SQL Server address or prefix is configured")
        return
    user = azure.route_table.routes if azure.route_table else ()
    if lost := [r.name or "unnamed" for r in user if not r.next_hop_type]:
        # ARM gives every route a next hop type: without it where the route sends traffic is unknown.
        yield errored(f"Could not evaluate: route {', '.join(lost)} has no next hop type "
                      "(azure.route_table.routes.next_hop_type): it was not read")
        return
    routes, tagged = effective_routes(user, azure.vnet.address_prefixes, connected_peer_prefixes(azure.vnet))
    for prefix in sources:
        for part, route in route_for_prefix(routes, prefix):
            result = _route_result(prefix, part, route, facts)
            if tagged:
                note = f"service-tag routes not expanded (they cover Azure public ranges): {', '.join(tagged)}"
                result = replace(result, evidence=(*result.evidence, note))
            yield result


@check(
    id="NSG-005",
    title="Address spaces do not overlap and the subnet is delegated to Microsoft.Sql/managedInstances",
    area=Area.NSG,
    severity=Severity.HIGH,
    rationale=(
        "Overlapping ranges make the instance route SQL Server's addresses inside its own VNet, so replies never "
        "leave it; peerings between overlapping VNets do not sync. A managed instance subnet must stay delegated "
        "to Microsoft.Sql/managedInstances."
    ),
    remediation="Re-address the overlapping network (or move SQL Server) and restore the subnet delegation.",
    docs=DOCS_PREP,
    owner=Owner.NETWORK,
    requires=("azure", "azure.subnet"),
    directions=NETWORK_PATH,
)
def address_spaces_do_not_overlap(facts: Facts, settings: Settings) -> Iterator[Result]:
    azure = facts.azure
    assert azure is not None and azure.subnet is not None
    delegations = azure.subnet.delegations
    if any(d.lower() == "microsoft.sql/managedinstances" for d in delegations):
        yield passed("The MI subnet is delegated to Microsoft.Sql/managedInstances", target="delegation",
                     observed=", ".join(delegations), expected="Microsoft.Sql/managedInstances")
    else:
        yield failed("The MI subnet is not delegated to Microsoft.Sql/managedInstances", target="delegation",
                     observed=", ".join(delegations) or "no delegation", expected="Microsoft.Sql/managedInstances",
                     fix=(CodeBlock("azcli", f"az network vnet subnet update --ids {azure.subnet.id} "
                                             "--delegations Microsoft.Sql/managedInstances"),))
    sources = source_prefixes(facts)
    vnet = azure.vnet
    if vnet is not None and not vnet.address_prefixes:
        yield errored(_NO_VNET_SPACE, target="address spaces")
        return
    problems: list[str] = []
    same_vnet = bool(vnet and azure.source_vnet and azure.source_vnet.id.lower() == vnet.id.lower())
    for src in sources:
        for sub in azure.subnet.address_prefixes:
            if overlaps(src, sub):
                problems.append(f"SQL Server prefix {src} overlaps the MI subnet {sub}")
        if vnet and not same_vnet:
            for space in vnet.address_prefixes:
                if overlaps(src, space):
                    problems.append(f"SQL Server prefix {src} overlaps the MI VNet address space {space}: the "
                                    "instance routes it inside its own VNet")
    if vnet:
        for peer in vnet.peerings:
            for remote in peer.remote_address_prefixes:
                for space in vnet.address_prefixes:
                    if overlaps(remote, space):
                        problems.append(f"peered VNet {peer.name} ({remote}) overlaps the MI VNet's {space}"
                                        + (f"; peering sync: {peer.sync_level}" if peer.sync_level else ""))
    observed = (f"MI subnet {', '.join(azure.subnet.address_prefixes)}; MI VNet "
                f"{', '.join(vnet.address_prefixes) if vnet else 'unknown'}; SQL Server {', '.join(sources) or 'unknown'}")
    if problems:
        yield failed("; ".join(dict.fromkeys(problems)), target="address spaces", observed=observed,
                     expected="no overlap between SQL Server's network, the MI subnet/VNet and peered VNets")
    elif not sources:
        yield skipped("Not applicable: no SQL Server prefix is configured to compare", target="address spaces")
    elif facts.error_for("azure.vnet") is not None:
        yield warned("The MI VNet could not be read; only the subnet was compared", target="address spaces",
                     observed=observed, expected="no overlap")
    else:
        yield passed("No overlap between SQL Server's network, the MI subnet/VNet and peered VNets",
                     target="address spaces", observed=observed, expected="no overlap")

