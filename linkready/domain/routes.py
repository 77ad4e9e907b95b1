"""Route selection the way Azure does it: longest prefix over user, gateway and system routes (pure).

For one prefix a user route beats a gateway (BGP) route, which beats a system route.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from linkready.domain.addresses import as_block, as_interval, as_network, ip_text, range_text, split_at
from linkready.facts.azure import Route


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
        if as_network(route.address_prefix) is None:
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
        net = as_network(route.prefix)
        if net is None or net.version != ip.version or ip not in net:
            continue
        key = (-net.prefixlen, _SOURCE_RANK[route.source], _SYSTEM_HOP_RANK.get(route.next_hop_type.lower(), 5))
        if best is None or key < best:
            best, chosen = key, route
    return chosen


def route_for_prefix(routes: Sequence[EffectiveRoute], prefix: str) -> list[tuple[str, EffectiveRoute | None]]:
    """The route chosen for every part of ``prefix`` (split where a more specific route starts)."""
    version, (lo, hi) = as_block(prefix)
    breaks: set[int] = set()
    for route in routes:
        net = as_network(route.prefix)
        if net is not None and net.version == version:
            _, (r_lo, r_hi) = as_interval(net)
            breaks.update((r_lo, r_hi + 1))
    runs: list[tuple[int, int, EffectiveRoute | None]] = []
    for a, b in split_at(lo, hi, breaks):
        chosen = select_route(routes, ip_text(version, a))
        if runs and runs[-1][2] == chosen:
            runs[-1] = (runs[-1][0], b, chosen)
        else:
            runs.append((a, b, chosen))
    return [(range_text(version, a, b), chosen) for a, b, chosen in runs]


def overlaps(a: str, b: str) -> bool:
    """True when two CIDR prefixes share any address."""
    na, nb = as_network(a), as_network(b)
    return na is not None and nb is not None and na.version == nb.version and na.overlaps(nb)  # type: ignore[arg-type]
