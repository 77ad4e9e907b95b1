"""``linkready probe-port HOST PORTS``: classify TCP ports right now (handy during an outage call).

Prints each classification with its ports compressed as ranges, and exits 0 when every port is
open, 1 otherwise, 2 on bad arguments.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

import click

from linkready.commands._common import machine_format
from linkready.commands._guard import skip_teardown
from linkready.domain.ports import PortSpecError, format_ranges, parse_port_spec, sample_ports
from linkready.facts.network import (
    PORT_ERROR,
    PORT_FILTERED,
    PORT_OPEN,
    PORT_REFUSED,
    PORT_UNREACHABLE,
    PORT_UNTESTED,
    PortScan,
)

EXIT_ALL_OPEN = 0
EXIT_NOT_ALL_OPEN = 1
EXIT_USAGE = 2

_ORDER = (PORT_OPEN, PORT_REFUSED, PORT_FILTERED, PORT_UNREACHABLE, PORT_UNTESTED, PORT_ERROR)
_MEANING = {
    PORT_OPEN: "handshake completed",
    PORT_REFUSED: "TCP reset: reached, nothing listening or rejected",
    PORT_FILTERED: "no answer: dropped by a firewall, NSG or route",
    PORT_UNREACHABLE: "no route or ICMP unreachable",
    PORT_UNTESTED: "the overall deadline ran out first",
    PORT_ERROR: "could not be tried",
}


def _usage(message: str) -> None:
    click.echo(f"linkready: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def render(scan: PortScan) -> str:
    """The human-readable result: one line per classification, ports as ranges."""
    where = f"from {scan.source_host or 'this host'}"
    if scan.source_address:
        where += f" (source address {scan.source_address})"
    target = scan.host if scan.host == scan.address else f"{scan.host} ({scan.address})"
    elapsed = f" in {scan.elapsed_s:.2f} s" if scan.elapsed_s is not None else ""
    lines = [f"{target} {where}: {scan.count} port(s), {scan.timeout_s:g} s per port{elapsed}"]
    if scan.sampled:
        lines[0] += f" (sample of {scan.requested})"
    width = max(len(s) for s in _ORDER)
    for state in _ORDER:
        ports = scan.by_state(state)
        if ports:
            lines.append(f"  {state:<{width}}  {format_ranges(ports):<24} {_MEANING[state]}")
    return "\n".join(lines)


async def _run(
    host: str, ports: Sequence[int], timeout: float, concurrency: int, deadline: float | None,
    dns_servers: Sequence[str], sampled: bool, requested: str,
) -> PortScan:
    import asyncio

    from linkready.probes.tcp import scan_host

    resolve = None
    if dns_servers:
        # dnspython only when names are resolved through given servers (issue 20: ~0.15 s otherwise)
        from linkready.probes.dns import addresses_of, parse_server, resolve_all

        servers = [parse_server(s) for s in dns_servers]

        async def resolve_with_servers(name: str, seconds: float) -> Sequence[str]:
            answers = await asyncio.to_thread(resolve_all, name, servers=servers, system=False, timeout=seconds)
            found = addresses_of(answers)
            if not found:
                raise OSError("; ".join(f"{a.server} {a.status}" for a in answers))
            return found

        resolve = resolve_with_servers
    return await scan_host(
        host, ports, timeout=timeout, concurrency=concurrency, deadline=deadline, resolve=resolve,
        sampled=sampled, requested=requested,
    )


@click.command(name="probe-port")
@click.argument("host")
@click.argument("ports", metavar="PORTS")
@click.option("--timeout", type=float, default=3.0, show_default=True, help="Seconds to wait for each port.")
@click.option("--concurrency", type=int, default=1024, show_default=True, help="Sockets open at once.")
@click.option("--deadline", type=float, default=None, help="Seconds for the whole scan (default: none).")
@click.option("--sample", type=int, default=0, help="Test only N of the ports (the ends always included).")
@click.option("--dns-server", "dns_servers", multiple=True, metavar="IP[:PORT]",
              help="Resolve HOST with this DNS server instead of the system resolver (repeatable).")
@machine_format("as_json")
def command(host: str, ports: str, timeout: float, concurrency: int, deadline: float | None, sample: int,
            dns_servers: tuple[str, ...], as_json: bool) -> None:
    """Classify TCP PORTS on HOST as open, refused, filtered or unreachable.

    PORTS is a list of ports and ranges, e.g. 5022,11000-11999. Exit code: 0 when every port
    is open, 1 otherwise, 2 on bad arguments.
    """
    try:
        wanted = parse_port_spec(ports)
    except PortSpecError as exc:
        _usage(f"PORTS: {exc}")
    if timeout <= 0:
        _usage("--timeout must be positive")
    if concurrency < 1:
        _usage("--concurrency must be at least 1")
    if deadline is not None and deadline <= 0:
        _usage("--deadline must be positive")
    if sample < 0:
        _usage("--sample must be 0 (all ports) or more")
    if not host.strip():
        _usage("HOST is empty")
    if dns_servers:
        from linkready.probes.dns import DnsServerSpecError, parse_server

        for text in dns_servers:
            try:
                parse_server(text)
            except DnsServerSpecError as exc:
                _usage(f"--dns-server: {exc}")
    requested = format_ranges(wanted)
    sampled = bool(sample) and sample < len(wanted)
    chosen = list(sample_ports(wanted, sample)) if sampled else list(wanted)
    import asyncio

    scan = asyncio.run(_run(host, chosen, timeout, concurrency, deadline, dns_servers, sampled, requested))
    if as_json:
        from linkready.serde import to_data

        # The command's JSON keeps one object per port (what scripts read), unlike the snapshot's runs.
        data = to_data(scan)
        del data["runs"]
        data["ports"] = to_data(scan.ports)
        click.echo(json.dumps(data, indent=2))
    elif scan.error:
        click.echo(f"linkready: {scan.error}", err=True)
    else:
        click.echo(render(scan))
    all_open = not scan.error and all(r.state == PORT_OPEN for r in scan.ports)
    skip_teardown()  # issue 20: the whole process is timed against nmap -sT
    sys.exit(EXIT_ALL_OPEN if all_open else EXIT_NOT_ALL_OPEN)
