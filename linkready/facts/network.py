"""Facts from name resolution and TCP reachability tests (owned by the network room).

Every field added after the first release has a default, so older snapshots still load.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from linkready.facts.consistency import always


class DnsStatus(enum.StrEnum):
    """DnsAnswer.status: how one resolver answered one name."""

    OK = "ok"
    NXDOMAIN = "nxdomain"
    NOANSWER = "noanswer"
    SERVFAIL = "servfail"
    TIMEOUT = "timeout"
    NO_NAMESERVERS = "no_nameservers"
    ERROR = "error"


class PortState(enum.StrEnum):
    """PortResult.state: what one TCP connection attempt found."""

    OPEN = "open"
    REFUSED = "refused"
    FILTERED = "filtered"
    UNREACHABLE = "unreachable"
    ERROR = "error"
    #: The scan's overall deadline ran out before this port got a full attempt.
    UNTESTED = "untested"


# The names the probes and checks used before the states were enums.
DNS_OK = DnsStatus.OK
DNS_NXDOMAIN = DnsStatus.NXDOMAIN
DNS_NOANSWER = DnsStatus.NOANSWER
DNS_SERVFAIL = DnsStatus.SERVFAIL
DNS_TIMEOUT = DnsStatus.TIMEOUT
DNS_NO_NAMESERVERS = DnsStatus.NO_NAMESERVERS
DNS_ERROR = DnsStatus.ERROR
PORT_OPEN = PortState.OPEN
PORT_REFUSED = PortState.REFUSED
PORT_FILTERED = PortState.FILTERED
PORT_UNREACHABLE = PortState.UNREACHABLE
PORT_ERROR = PortState.ERROR
PORT_UNTESTED = PortState.UNTESTED


@dataclass(frozen=True)
class DnsAnswer:
    """One name resolved by one resolver (A and AAAA together)."""

    name: str = field(metadata=always("the DNS probe records the name it asked for"))
    #: The server that gave this answer as ip[:port], "hosts-file", or "system" when none did.
    server: str = field(metadata=always("the DNS probe names the server that answered: ip[:port], hosts-file or "
                                        "system"))
    #: ok, nxdomain, noanswer, servfail, timeout, no_nameservers, error.
    status: DnsStatus
    addresses: tuple[str, ...] = ()
    #: CNAMEs followed from ``name`` to the name that holds the addresses, in order.
    cname_chain: tuple[str, ...] = ()
    detail: str = ""
    elapsed_ms: float | None = None
    #: Which resolver was asked: "system" (resolv.conf / hosts file), "configured" (servers given in
    #: the config), "vnet" (the managed instance VNet's custom DNS servers).
    via: str = field(default="", metadata=always("the DNS probe records which resolvers it asked: system, "
                                                 "configured or vnet"))
    #: Every server tried and what it said, e.g. ("10.0.0.4:53 timeout", "10.0.0.5:53 ok").
    attempts: tuple[str, ...] = ()


@dataclass(frozen=True)
class PortResult:
    port: int
    #: open, refused, filtered, unreachable, error, untested.
    state: PortState
    connect_ms: float | None = None
    detail: str = ""


@dataclass(frozen=True)
class PortRun:
    """Ports that got the same answer (state and detail), stored as inclusive ranges.

    A 1,000-port scan is two or three runs instead of 1,001 objects: loading, digesting and
    writing a snapshot cost as much as the port results until they were stored this way (issue 20).
    """

    state: PortState
    #: Inclusive (low, high) ranges, ascending and disjoint.
    ranges: tuple[tuple[int, int], ...]
    detail: str = ""
    #: Connect time per port, in port order; empty when no attempt measured one (filtered, untested).
    connect_ms: tuple[float, ...] = ()

    def port_numbers(self) -> tuple[int, ...]:
        return tuple(port for low, high in self.ranges for port in range(low, high + 1))

    def results(self) -> tuple[PortResult, ...]:
        ports = self.port_numbers()
        times: tuple[float | None, ...] = self.connect_ms if self.connect_ms else (None,) * len(ports)
        return tuple(PortResult(port, self.state, ms, self.detail) for port, ms in zip(ports, times, strict=True))


def port_runs(results: Iterable[PortResult]) -> tuple[PortRun, ...]:
    """Group per-port results into runs of one state and detail (ports sharing an answer share a run)."""
    groups: dict[tuple[PortState, str, bool], list[PortResult]] = {}
    unique = {r.port: r for r in results}  # one result per port, the last one given
    for port in sorted(unique):
        r = unique[port]
        groups.setdefault((PortState(r.state), r.detail, r.connect_ms is not None), []).append(r)
    runs = []
    for (state, detail, timed), members in groups.items():
        ranges: list[tuple[int, int]] = []
        for r in members:
            if ranges and ranges[-1][1] == r.port - 1:
                ranges[-1] = (ranges[-1][0], r.port)
            else:
                ranges.append((r.port, r.port))
        times = tuple(float(r.connect_ms) for r in members if r.connect_ms is not None) if timed else ()
        runs.append(PortRun(state, tuple(ranges), detail, times))
    return tuple(sorted(runs, key=lambda run: run.ranges[0]))


@dataclass(frozen=True)
class PortScan:
    """One address scanned. Read the ports through the methods: the stored layout is runs of ranges."""

    host: str = field(metadata=always("the network probe records the host it scanned"))
    address: str = field(metadata=always("the network probe records the address it scanned, or in error why it had "
                                         "none", unless="error"))
    runs: tuple[PortRun, ...]
    timeout_s: float
    #: The local address the kernel picked towards ``address``; "" when it had no route there.
    source_address: str = ""
    sampled: bool = False
    #: Hostname of the machine the scan ran from.
    source_host: str = field(default="", metadata=always("the network probe records the host it ran on"))
    #: The ports asked for, compressed ("5022,11000-11999"), before any sampling.
    requested: str = ""
    elapsed_s: float | None = None
    #: Why no port could be tried (name did not resolve, bad address); there are then no runs.
    error: str = ""

    def inconsistencies(self) -> Iterator[tuple[str, str]]:
        """A port that answered (open or refused) was reached over a route, so the kernel had a source address."""
        if not self.source_address and any(run.state in (PortState.OPEN, PortState.REFUSED) for run in self.runs):
            yield "source_address", ("source_address is empty although ports answered: a connection that reached "
                                     f"{self.address or self.host} had a local address")

    @functools.cached_property
    def ports(self) -> tuple[PortResult, ...]:
        """Every port's result, in port order (built from the runs once per scan object)."""
        return tuple(sorted((r for run in self.runs for r in run.results()), key=lambda r: r.port))

    @property
    def count(self) -> int:
        """How many ports were scanned, without building their results."""
        return sum(high - low + 1 for run in self.runs for low, high in run.ranges)

    def by_state(self, state: str) -> tuple[int, ...]:
        """Ports whose classification is ``state``, ascending."""
        return tuple(sorted(p for run in self.runs if run.state == state for p in run.port_numbers()))

    def ranges_by_state(self) -> dict[PortState, tuple[tuple[int, int], ...]]:
        """Inclusive ranges per state (a state with no port is absent), for tables that show ranges."""
        found: dict[PortState, list[tuple[int, int]]] = {}
        for run in self.runs:
            found.setdefault(run.state, []).extend(run.ranges)
        return {state: _merged(spans) for state, spans in found.items()}

    def result(self, port: int) -> PortResult | None:
        """The result for ``port``, or None when it was not scanned."""
        for run in self.runs:
            offset = 0
            for low, high in run.ranges:
                if low <= port <= high:
                    ms = run.connect_ms[offset + port - low] if run.connect_ms else None
                    return PortResult(port, run.state, ms, run.detail)
                offset += high - low + 1
        return None

    def results_in(self, low: int, high: int) -> tuple[PortResult, ...]:
        """Results for the ports in ``low``-``high`` (inclusive) that were scanned, in port order."""
        return tuple(r for r in self.ports if low <= r.port <= high)


def _merged(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(high, merged[-1][1]))
        else:
            merged.append((low, high))
    return tuple(merged)


@dataclass(frozen=True)
class NetworkFacts:
    mi_dns: tuple[DnsAnswer, ...] | None = field(default=None, metadata=always(
        "the network probe resolves the managed instance FQDN it names in mi_fqdn", when="mi_fqdn"))
    partner_dns: tuple[DnsAnswer, ...] | None = field(default=None, metadata=always(
        "the network probe resolves every host it names in partner_hosts", when="partner_hosts"))
    mi_ports: PortScan | None = None
    sql_endpoint_port: PortScan | None = None
    #: The managed instance FQDN that was resolved and scanned.
    mi_fqdn: str = ""
    #: Host names in the planned partner endpoints (TCP://host:port); IP addresses are not listed.
    partner_hosts: tuple[str, ...] = ()
    #: VNet DNS servers asked for the partner host; empty when the VNet uses Azure-provided DNS
    #: or its DNS settings were unknown when the probe ran.
    vnet_dns_servers: tuple[str, ...] = ()

    def inconsistencies(self) -> Iterator[tuple[str, str]]:
        """Answers from the VNet's DNS servers name servers the probe recorded as the VNet's."""
        vnet = [a for a in self.partner_dns or () if a.via == "vnet"]
        if vnet and not self.vnet_dns_servers:
            yield "vnet_dns_servers", ("vnet_dns_servers is empty although partner_dns holds answers from the VNet's "
                                       f"DNS servers ({', '.join(sorted({a.server for a in vnet}))})")
