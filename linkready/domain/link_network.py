"""Who talks to whom on the link's network path: SQL Server's prefixes, the SQL Server side ports, the
VirtualNetwork tag an NSG sees (pure: no I/O).

The NSG checks (NSG-001..005) and the network flows table (:mod:`linkready.domain.flows`) read the
plan the same way through these, so a flow the table lists is the flow the checks judged.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from linkready.domain.endpoints import parse_endpoint, sql_side_ports
from linkready.domain.netrules import Context
from linkready.facts import Facts
from linkready.facts.azure import VirtualNetwork


def planned_sql_ports(facts: Facts) -> tuple[int, ...]:
    """The SQL Server side ports this plan needs (partner endpoints, else the endpoint's port)."""
    endpoints = facts.sql.endpoints if facts.sql and facts.sql.endpoints else ()
    return sql_side_ports((link.partner_endpoint for link in facts.plan.links), (e.port for e in endpoints))


def source_prefixes(facts: Facts) -> list[str]:
    """What SQL Server sends from: configured prefixes, else its address, else partner endpoint IPs."""
    plan = facts.plan
    if plan.source_prefixes:
        return [str(ipaddress.ip_network(p, strict=False)) for p in plan.source_prefixes]
    if plan.source_address:
        try:
            return [str(ipaddress.ip_network(plan.source_address))]
        except ValueError:
            pass
    found: list[str] = []
    for link in plan.links:
        parsed = parse_endpoint(link.partner_endpoint)
        if parsed:
            try:
                found.append(str(ipaddress.ip_network(parsed.host)))
            except ValueError:
                continue
    return list(dict.fromkeys(found))


def connected_peer_prefixes(vnet: VirtualNetwork | None) -> list[str]:
    """The address spaces of the VNet's peerings that are connected (they join the VirtualNetwork tag)."""
    if vnet is None:
        return []
    return [p for peer in vnet.peerings if peer.state.lower() == "connected" for p in peer.remote_address_prefixes]


def _within(prefix: str, spaces: Sequence[str]) -> bool:
    net = ipaddress.ip_network(prefix, strict=False)
    return any(net.version == s.version and net.subnet_of(s)  # type: ignore[arg-type]
               for s in (ipaddress.ip_network(x, strict=False) for x in spaces))


def vnet_context(vnet: VirtualNetwork | None, sources: Sequence[str]) -> tuple[Context, str]:
    """The VirtualNetwork tag for an NSG in ``vnet``, and a note when it had to stay unknown."""
    if vnet is None:
        return Context(None), "the VNet could not be read, so the VirtualNetwork tag is unknown"
    space = [*vnet.address_prefixes, *connected_peer_prefixes(vnet)]
    outside = [s for s in sources if not _within(s, space)]
    if outside and vnet.has_gateway:
        # Prefixes a VPN/ExpressRoute gateway learns are part of the tag, but ARM does not list them.
        return Context(None), (f"{', '.join(outside)} may reach the VNet through its gateway; whether the "
                               "VirtualNetwork tag covers it cannot be read from ARM")
    return Context(tuple(space)), ""


def _short(name: str) -> str:
    return name.split(".", 1)[0].strip().lower()


def runs_on_sql_host(facts: Facts) -> bool | None:
    """Whether the probes ran on the SQL Server host: as recorded, else by comparing host names."""
    known = facts.collector.runs_on_sql_host
    if known is not None:
        return known
    instance = facts.sql.instance if facts.sql else None
    if instance is None or not facts.collector.hostname or not instance.machine_name:
        return None
    return _short(facts.collector.hostname) == _short(instance.machine_name)
