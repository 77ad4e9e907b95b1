"""Facts from name resolution and TCP reachability tests (owned by the network room).

Every field added after the first release has a default, so older snapshots still load.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


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

    name: str
    #: The server that gave this answer as ip[:port], "hosts-file", or "system" when none did.
    server: str
    #: ok, nxdomain, noanswer, servfail, timeout, no_nameservers, error.
    status: DnsStatus
    addresses: tuple[str, ...] = ()
    #: CNAMEs followed from ``name`` to the name that holds the addresses, in order.
    cname_chain: tuple[str, ...] = ()
    detail: str = ""
    elapsed_ms: float | None = None
    #: Which resolver was asked: "system" (resolv.conf / hosts file), "configured" (servers given in
    #: the config), "vnet" (the managed instance VNet's custom DNS servers).
    via: str = ""
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
class PortScan:
    host: str
    address: str
    ports: tuple[PortResult, ...]
    timeout_s: float
    source_address: str = ""
    sampled: bool = False
    #: Hostname of the machine the scan ran from.
    source_host: str = ""
    #: The ports asked for, compressed ("5022,11000-11999"), before any sampling.
    requested: str = ""
    elapsed_s: float | None = None
    #: Why no port could be tried (name did not resolve, bad address); ports is then empty.
    error: str = ""

    def by_state(self, state: str) -> tuple[int, ...]:
        """Ports whose classification is ``state``, ascending."""
        return tuple(sorted(r.port for r in self.ports if r.state == state))

    def result(self, port: int) -> PortResult | None:
        """The result for ``port``, or None when it was not scanned."""
        for r in self.ports:
            if r.port == port:
                return r
        return None


@dataclass(frozen=True)
class NetworkFacts:
    mi_dns: tuple[DnsAnswer, ...] | None = None
    partner_dns: tuple[DnsAnswer, ...] | None = None
    mi_ports: PortScan | None = None
    sql_endpoint_port: PortScan | None = None
    #: The managed instance FQDN that was resolved and scanned.
    mi_fqdn: str = ""
    #: Host names in the planned partner endpoints (TCP://host:port); IP addresses are not listed.
    partner_hosts: tuple[str, ...] = ()
    #: VNet DNS servers asked for the partner host; empty when the VNet uses Azure-provided DNS
    #: or its DNS settings were unknown when the probe ran.
    vnet_dns_servers: tuple[str, ...] = ()
