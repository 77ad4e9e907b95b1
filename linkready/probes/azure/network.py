"""The network side: subnet, NSG, route table, virtual network and the SQL Server VM's NIC."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from linkready.facts import ProbeError
from linkready.facts.azure import (
    NetworkSecurityGroup,
    Peering,
    Route,
    RouteTable,
    Subnet,
    VirtualNetwork,
)
from linkready.probes.azure.convert import T, _opt, _parts, _raw, _s
from linkready.probes.azure.errors import _DaemonPool
from linkready.probes.azure.reader import ArmReader

if TYPE_CHECKING:

    from linkready.config import Config


# ---- network side ---------------------------------------------------------------------------

def _read_network(reader: ArmReader, pool: _DaemonPool, subnet_id: str) -> dict[str, Future[Any]]:
    """Subnet first (it names the NSG and route table), then NSG, route table and VNet at once."""
    futures: dict[str, Future[Any]] = {}
    try:
        sub, group, parts = _parts(subnet_id)
        vnet_name, subnet_name = parts[1], parts[3]
    except (ValueError, IndexError):
        reader.errors.add(ProbeError("azure", "azure.subnet", "error", f"unexpected subnet ID {subnet_id!r}", subnet_id))
        return futures
    net = reader.network(sub)
    subnet_model = reader.guard("azure.subnet", subnet_id, lambda: net.subnets.get(group, vnet_name, subnet_name))
    done: Future[Any] = Future()
    done.set_result(_subnet(subnet_model) if subnet_model is not None else None)
    futures["subnet"] = done
    vnet_id = subnet_id.rsplit("/subnets/", 1)[0]
    futures["vnet"] = pool.submit(reader.guard, "azure.vnet", vnet_id, lambda: _vnet(net.virtual_networks.get(group, vnet_name)))
    if subnet_model is None:
        for fact in ("azure.nsg", "azure.route_table"):
            reader.errors.add(ProbeError("azure", fact, "error", "the MI subnet could not be read, so its "
                                         f"{fact.split('.')[1].replace('_', ' ')} is unknown", subnet_id))
        return futures
    subnet = done.result()
    if subnet.nsg_id:
        futures["nsg"] = pool.submit(reader.guard, "azure.nsg", subnet.nsg_id, lambda: _read_nsg(reader, subnet.nsg_id))
    if subnet.route_table_id:
        rt_id = subnet.route_table_id
        futures["route_table"] = pool.submit(reader.guard, "azure.route_table", rt_id, lambda: _read_route_table(reader, rt_id))
    return futures


def _subnet(model: Any) -> Subnet:
    props = model.properties
    prefixes = list(props.address_prefixes or [])
    if props.address_prefix:
        prefixes.insert(0, props.address_prefix)
    return Subnet(
        id=_s(model.id),
        address_prefixes=tuple(dict.fromkeys(prefixes)),
        nsg_id=_s(props.network_security_group.id) if props.network_security_group else None,
        route_table_id=_s(props.route_table.id) if props.route_table else None,
        delegations=tuple(_s(d.properties.service_name) for d in props.delegations or [] if d.properties),
    )


def _read_nsg(reader: ArmReader, nsg_id: str) -> NetworkSecurityGroup:
    from linkready.domain.netrules import rule_from_arm

    sub, group, parts = _parts(nsg_id)
    model = reader.network(sub).network_security_groups.get(group, parts[1])
    props = model.properties
    rules = [rule_from_arm(_raw(r)) for r in props.security_rules or []]
    rules += [rule_from_arm(_raw(r), is_default=True) for r in props.default_security_rules or []]
    return NetworkSecurityGroup(id=_s(model.id), name=_s(model.name), rules=tuple(rules))


def _read_route_table(reader: ArmReader, rt_id: str) -> RouteTable:
    sub, group, parts = _parts(rt_id)
    model = reader.network(sub).route_tables.get(group, parts[1])
    props = model.properties
    routes = tuple(
        Route(name=_s(r.name), address_prefix=_s(r.properties.address_prefix), next_hop_type=_s(r.properties.next_hop_type),
              next_hop_ip=_opt(r.properties.next_hop_ip_address))
        for r in props.routes or [] if r.properties
    )
    return RouteTable(id=_s(model.id), name=_s(model.name), routes=routes,
                      disable_bgp_route_propagation=bool(props.disable_bgp_route_propagation))


def _vnet(model: Any) -> VirtualNetwork:
    props = model.properties
    peerings = []
    for p in props.virtual_network_peerings or []:
        pp = p.properties
        remote = pp.remote_address_space.address_prefixes if pp.remote_address_space else []
        peerings.append(Peering(
            name=_s(p.name),
            remote_vnet_id=_s(pp.remote_virtual_network.id) if pp.remote_virtual_network else "",
            remote_address_prefixes=tuple(remote or ()),
            state=_s(pp.peering_state),
            sync_level=_s(pp.peering_sync_level),
            use_remote_gateways=bool(pp.use_remote_gateways),
        ))
    subnets = {_s(s.name).lower() for s in props.subnets or []}
    return VirtualNetwork(
        id=_s(model.id),
        name=_s(model.name),
        address_prefixes=tuple(props.address_space.address_prefixes or ()) if props.address_space else (),
        dns_servers=tuple(props.dhcp_options.dns_servers or ()) if props.dhcp_options else (),
        peerings=tuple(peerings),
        has_gateway="gatewaysubnet" in subnets or any(p.use_remote_gateways for p in peerings),
    )


@dataclass(frozen=True)
class _Source:
    nic_id: str | None = None
    nsgs: tuple[NetworkSecurityGroup, ...] | None = None
    vnet: VirtualNetwork | None = None


def _read_source_vm(reader: ArmReader, config: Config) -> _Source:
    """The SQL Server VM's NIC (configured, or found by its address) and the NSGs on its path."""
    import ipaddress

    nic_id = config.azure.source_nic_id
    address = config.source.address if config.source else ""
    sub = reader.mi.subscription_id
    if not nic_id:
        try:
            if not address or not ipaddress.ip_address(address).is_private:
                return _Source()
        except ValueError:
            return _Source()
        found = reader.guard("azure.source_vm_nsgs", f"/subscriptions/{sub}/providers/Microsoft.Network/networkInterfaces",
                             lambda: _find_nic(reader.network(sub), address))
        if not found:
            return _Source()
        nic_id = found
    try:
        nic_sub, nic_group, nic_parts = _parts(nic_id)
    except ValueError:
        reader.errors.add(ProbeError("azure", "azure.source_vm_nsgs", "config", f"{nic_id!r} is not a NIC resource ID", nic_id))
        return _Source()
    net = reader.network(nic_sub)
    nic = reader.guard("azure.source_vm_nsgs", nic_id, lambda: net.network_interfaces.get(nic_group, nic_parts[1]))
    if nic is None:
        return _Source(nic_id=nic_id)
    nsg_ids: list[str] = []
    subnet_id = ""
    for ipc in nic.properties.ip_configurations or []:
        if ipc.properties and ipc.properties.subnet:
            subnet_id = _s(ipc.properties.subnet.id)
            break
    vnet: VirtualNetwork | None = None
    if subnet_id:
        s_sub, s_group, s_parts = _parts(subnet_id)
        s_net = reader.network(s_sub)
        subnet = reader.guard("azure.source_vm_nsgs", subnet_id, lambda: s_net.subnets.get(s_group, s_parts[1], s_parts[3]))
        if subnet is not None and subnet.properties.network_security_group:
            nsg_ids.append(_s(subnet.properties.network_security_group.id))
        vnet = reader.guard("azure.source_vnet", subnet_id.rsplit("/subnets/", 1)[0],
                            lambda: _vnet(s_net.virtual_networks.get(s_group, s_parts[1])))
    if nic.properties.network_security_group:
        nsg_ids.append(_s(nic.properties.network_security_group.id))
    nsgs = [reader.guard("azure.source_vm_nsgs", i, lambda i=i: _read_nsg(reader, i)) for i in nsg_ids]  # type: ignore[misc]
    if any(n is None for n in nsgs):
        return _Source(nic_id=nic_id, vnet=vnet)
    return _Source(nic_id=nic_id, nsgs=tuple(n for n in nsgs if n is not None), vnet=vnet)


def _find_nic(net: Any, address: str) -> str | None:
    for nic in _limited(net.network_interfaces.list_all(), 5000):
        for ipc in nic.properties.ip_configurations or []:
            if ipc.properties and _s(ipc.properties.private_ip_address) == address:
                return _s(nic.id)
    return None


def _limited(items: Iterable[T], limit: int) -> Iterable[T]:
    for index, item in enumerate(items):
        if index >= limit:
            return
        yield item
