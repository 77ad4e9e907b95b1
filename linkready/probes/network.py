"""The network probe: name resolution and TCP reachability, from wherever linkready runs.

What it gathers (``NetworkFacts``):

* ``mi_dns``: the managed instance FQDN through the system resolver (hosts file, resolv.conf)
  and through each DNS server named in ``[network] dns_servers``;
* ``partner_dns``: every host name in a planned partner endpoint, through the system resolver
  and through the managed instance VNet's custom DNS servers (read by the Azure probe), because
  the managed instance resolves that name with its VNet's DNS;
* ``mi_ports``: TCP 5022 and 11000-11999 (or a sample) on the address the FQDN resolved to;
* ``sql_endpoint_port``: the SQL Server's mirroring endpoint port at the partner endpoint host.

The FQDN comes from the config or, failing that, from the Azure probe; the probe waits for the
Azure probe only for what it cannot know otherwise, and does everything else meanwhile.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from linkready.domain.endpoints import split_endpoint
from linkready.domain.ports import (
    MI_ENDPOINT_PORT,
    MI_REDIRECT_RANGE,
    SQL_DEFAULT_ENDPOINT_PORT,
    format_ranges,
    sample_ports,
)
from linkready.facts import Collector, ProbeError
from linkready.facts.network import DnsAnswer, NetworkFacts, PortScan, port_runs
from linkready.probes import ProbeContext, ProbeOutcome
from linkready.probes.dns import (
    VIA_CONFIGURED,
    VIA_VNET,
    DnsServer,
    DnsServerSpecError,
    addresses_of,
    parse_server,
    resolve_all,
    resolve_system,
)
from linkready.probes.tcp import is_ip_address, scan_address, scan_host, source_address_for

if TYPE_CHECKING:
    from linkready.config import Config

PROBE = "network"
#: Share of the engine's probe timeout the scans may use; the rest is for waiting and bookkeeping.
_DEADLINE_SHARE = 0.8


def server_host(server: str) -> str:
    """The host part of a SQL Server name as configured: ``tcp:host\\inst,1433`` → ``host``."""
    host = server.strip()
    if host.lower().startswith("tcp:"):
        host = host[4:]
    if host.startswith("["):
        return host[1:].partition("]")[0]
    host = host.split(",", 1)[0].split("\\", 1)[0]
    return "127.0.0.1" if host in (".", "(local)", "localhost") else host


def mi_ports(sample: int) -> tuple[list[int], bool]:
    """5022 plus the redirect range, or 5022 plus a sample of it; and whether it was sampled."""
    redirect = list(range(MI_REDIRECT_RANGE[0], MI_REDIRECT_RANGE[1] + 1))
    if sample and sample < len(redirect):
        return [MI_ENDPOINT_PORT, *sample_ports(redirect, sample)], True
    return [MI_ENDPOINT_PORT, *redirect], False


def is_local_address(address: str) -> bool:
    """Whether ``address`` belongs to this machine (binding to it succeeds; nothing is sent)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.is_loopback:
        return True
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.bind((address, 0))
    except OSError:
        return False
    return True


def _dns_servers(config: Config, errors: list[ProbeError]) -> list[DnsServer]:
    servers = []
    for text in config.network.dns_servers:
        try:
            servers.append(parse_server(text))
        except DnsServerSpecError as exc:
            errors.append(ProbeError(PROBE, "network.mi_dns", "config", f"[network] dns_servers: {exc}"))
    return servers


async def _azure_facts(ctx: ProbeContext, timeout: float) -> Any:
    if ctx.config.managed_instance is None:
        return None
    outcome = await asyncio.to_thread(ctx.wait_for, "azure", timeout)
    return outcome.facts if outcome is not None else None


async def _probe(ctx: ProbeContext) -> ProbeOutcome:
    config = ctx.config
    net = config.network
    plan = config.plan()
    started = time.monotonic()
    budget = config.options.probe_timeout * _DEADLINE_SHARE
    errors: list[ProbeError] = []
    servers = _dns_servers(config, errors)
    # Started only when something needs it: waiting on the Azure probe occupies a worker thread
    # that asyncio.run() would otherwise wait for at the end.
    azure_task: asyncio.Future[Any] | None = None

    def azure_facts() -> asyncio.Future[Any]:
        nonlocal azure_task
        if azure_task is None:
            azure_task = asyncio.ensure_future(_azure_facts(ctx, remaining()))
        return azure_task

    def remaining() -> float:
        return max(0.1, budget - (time.monotonic() - started))

    # -- the managed instance: FQDN → addresses → ports -----------------------------------------
    async def managed_instance() -> tuple[str, tuple[DnsAnswer, ...] | None, PortScan | None]:
        fqdn = plan.mi_fqdn
        if not fqdn:
            azure = await azure_facts()
            mi = getattr(azure, "managed_instance", None)
            fqdn = getattr(mi, "fqdn", "") or ""
        if not fqdn:
            reason = (
                "the managed instance FQDN is unknown: set [managed_instance] fqdn, or let the Azure probe "
                "read it"
            )
            errors.append(ProbeError(PROBE, "network.mi_dns", "config", reason))
            errors.append(ProbeError(PROBE, "network.mi_ports", "config", reason))
            return "", None, None
        answers = await asyncio.to_thread(
            resolve_all, fqdn, servers=servers, via=VIA_CONFIGURED, timeout=net.dns_timeout
        )
        ports, sampled = mi_ports(net.port_sample)
        addresses = addresses_of(answers)
        requested = format_ranges([MI_ENDPOINT_PORT, *range(MI_REDIRECT_RANGE[0], MI_REDIRECT_RANGE[1] + 1)])
        if not addresses:
            scan = PortScan(
                host=fqdn,
                address="",
                runs=(),
                timeout_s=net.connect_timeout,
                sampled=sampled,
                source_host=socket.gethostname(),
                requested=requested,
                error=f"{fqdn} did not resolve, so no port could be tried",
            )
            return fqdn, answers, scan
        scan = await scan_host(
            _prefer_v4(addresses),
            ports,
            timeout=net.connect_timeout,
            concurrency=net.concurrency,
            deadline=remaining(),
            sampled=sampled,
            requested=requested,
        )
        return fqdn, answers, replace(scan, host=fqdn)

    # -- the partner endpoint host names, as the managed instance's VNet DNS resolves them ----
    async def partner() -> tuple[tuple[str, ...], tuple[str, ...], tuple[DnsAnswer, ...] | None]:
        hosts: dict[str, None] = {}
        for link in plan.links:
            parts = split_endpoint(link.partner_endpoint)
            if parts and not is_ip_address(parts[0]):
                hosts.setdefault(parts[0], None)
        if not hosts:
            return (), (), ()
        # The system resolver's answers need nothing from Azure: ask while the Azure probe runs, so
        # that only the VNet DNS servers' lookups wait for it.
        system = {
            host: asyncio.ensure_future(asyncio.to_thread(resolve_system, host, timeout=net.dns_timeout))
            for host in hosts
        }
        azure = await azure_facts()
        vnet = getattr(azure, "vnet", None)
        vnet_servers: list[DnsServer] = []
        for text in getattr(vnet, "dns_servers", ()) or ():
            try:
                vnet_servers.append(parse_server(text))
            except DnsServerSpecError as exc:
                errors.append(ProbeError(PROBE, "network.partner_dns", "error", f"VNet DNS server: {exc}"))
        answers: list[DnsAnswer] = []
        for host in hosts:
            answers.append(await system[host])
            answers.extend(
                await asyncio.to_thread(
                    resolve_all, host, servers=vnet_servers, via=VIA_VNET, system=False, timeout=net.dns_timeout
                )
            )
        return tuple(hosts), tuple(s.label for s in vnet_servers), tuple(answers)

    # -- the SQL Server's own endpoint, at the address the managed instance will use ----------
    async def sql_endpoint() -> PortScan | None:
        target: tuple[str, int] | None = None
        for link in plan.links:
            target = split_endpoint(link.partner_endpoint)
            if target:
                break
        if target is None:
            host = plan.source_address or (server_host(plan.source_server) if plan.source_server else "")
            if not host:
                return None
            target = (host, SQL_DEFAULT_ENDPOINT_PORT)  # no planned partner endpoint names a port
        host, port = target
        if is_ip_address(host):
            results = await scan_address(host, [port], timeout=net.connect_timeout, deadline=remaining())
            return PortScan(
                host=host,
                address=host,
                runs=port_runs(results),
                timeout_s=net.connect_timeout,
                source_address=source_address_for(host, port),
                source_host=socket.gethostname(),
                requested=str(port),
            )
        answers = await asyncio.to_thread(resolve_all, host, timeout=net.dns_timeout)
        addresses = addresses_of(answers)
        if not addresses:
            return PortScan(
                host=host,
                address="",
                runs=(),
                timeout_s=net.connect_timeout,
                source_host=socket.gethostname(),
                requested=str(port),
                error=f"{host} did not resolve here: {answers[0].detail or answers[0].status}",
            )
        scan = await scan_host(_prefer_v4(addresses), [port], timeout=net.connect_timeout, deadline=remaining())
        return replace(scan, host=host)

    (fqdn, mi_dns, mi_scan), (hosts, vnet_servers, partner_dns), sql_scan = await asyncio.gather(
        managed_instance(), partner(), sql_endpoint()
    )
    facts = NetworkFacts(
        mi_dns=mi_dns,
        partner_dns=partner_dns,
        mi_ports=mi_scan,
        sql_endpoint_port=sql_scan,
        mi_fqdn=fqdn,
        partner_hosts=hosts,
        vnet_dns_servers=vnet_servers,
    )
    return ProbeOutcome(facts, tuple(errors), collector=_collector(config, mi_scan, sql_scan))


def _prefer_v4(addresses: tuple[str, ...]) -> str:
    return next((a for a in addresses if ":" not in a), addresses[0])


def _collector(config: Config, mi_scan: PortScan | None, sql_scan: PortScan | None) -> Collector:
    """Where the probes ran, with the source addresses actually used towards each target."""
    from linkready.probes.host import local_collector

    base = local_collector()
    used = [s.source_address for s in (mi_scan, sql_scan) if s is not None and s.source_address]
    addresses = tuple(dict.fromkeys([*used, *base.source_addresses]))
    on_sql_host = config.network.runs_on_sql_host
    if on_sql_host is None and sql_scan is not None and sql_scan.address:
        # The partner endpoint (the SQL Server's address as the MI will dial it) is one of this
        # machine's addresses: linkready is running on the SQL Server host.
        # Otherwise that address is elsewhere, so this is a jump box or another machine.
        on_sql_host = is_local_address(sql_scan.address)
    return replace(base, source_addresses=addresses, runs_on_sql_host=on_sql_host)


def probe(ctx: ProbeContext) -> ProbeOutcome:
    """Entry point for the engine (runs in the engine's probe thread)."""
    return asyncio.run(_probe(ctx))
