"""Builders of facts for the DNS and port check tests (plain data, no I/O)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from linkready.facts import Collector, Facts, PlanFacts, PlannedLink, ProbeError
from linkready.facts.azure import AzureFacts, Subnet, VirtualNetwork
from linkready.facts.network import DnsAnswer, NetworkFacts, PortResult, PortScan, port_runs
from tests.builders.checks import findings, one

FQDN = "mi-test.abc123def456.database.windows.net"
MI_ADDR = "10.40.0.254"
SUBNET = "10.40.0.0/24"
SQL_ADDR = "10.20.1.10"
PARTNER = "sqlprod01.corp.example"


def answer(status: str = "ok", *addresses: str, server: str = "10.20.1.5", via: str = "system",
           name: str = FQDN, chain: tuple[str, ...] = (), detail: str = "") -> DnsAnswer:
    return DnsAnswer(name=name, server=server, status=status, addresses=addresses, cname_chain=chain,
                     detail=detail, elapsed_ms=2.0, via=via)


def scan(states: dict[int, str], *, host: str = FQDN, address: str = MI_ADDR, error: str = "",
         sampled: bool = False, source: str = SQL_ADDR) -> PortScan:
    return PortScan(
        host=host,
        address=address,
        runs=port_runs(PortResult(p, s, 1.0 if s in ("open", "refused") else None, "") for p, s in states.items()),
        timeout_s=3.0,
        source_address=source,
        sampled=sampled,
        source_host="SQLPROD01",
        requested="5022,11000-11999",
        elapsed_s=3.1,
        error=error,
    )


def all_range(state: str, **overrides: str) -> dict[int, str]:
    states = {5022: "open", **{p: state for p in range(11000, 12000)}}
    states.update({int(k): v for k, v in overrides.items()})
    return states


def facts(*, network: NetworkFacts | None = None, on_sql_host: bool | None = True, subnet: str | None = SUBNET,
          vnet_dns: tuple[str, ...] | None = ("10.40.2.4",), endpoints: tuple[str, ...] = (),
          source_address: str = SQL_ADDR, errors: tuple[ProbeError, ...] = (), no_network: bool = False,
          **net: Any) -> Facts:
    if network is None and not no_network:
        # As the probe does: the VNet servers it asked for the partner host are recorded beside their answers.
        asked = tuple(dict.fromkeys(a.server for a in net.get("partner_dns") or () if a.via == "vnet"))
        network = NetworkFacts(**{"mi_fqdn": FQDN, "vnet_dns_servers": asked, **net})
    azure = AzureFacts(
        subnet=Subnet(id="subnet", address_prefixes=(subnet,)) if subnet else None,
        vnet=VirtualNetwork(id="vnet", name="vnet", address_prefixes=("10.40.0.0/16",), dns_servers=vnet_dns)
        if vnet_dns is not None
        else None,
    )
    links = tuple(
        PlannedLink(name=f"link{i}", databases=("Sales",), instance_ag_name="AG_MI", partner_ag_name="AG",
                    partner_endpoint=e)
        for i, e in enumerate(endpoints)
    )
    return Facts(
        plan=PlanFacts(links=links, source_address=source_address),
        collector=Collector(hostname="SQLPROD01", source_addresses=(SQL_ADDR,), runs_on_sql_host=on_sql_host),
        azure=azure,
        network=network,
        errors=errors,
    )


run = findings


__all__ = ["all_range", "answer", "facts", "one", "replace", "run", "scan"]
