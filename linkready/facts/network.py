"""Facts from name resolution and TCP reachability tests (owned by the network room)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DnsAnswer:
    name: str
    #: "system" or the server asked, as ip[:port].
    server: str
    #: ok, nxdomain, noanswer, servfail, timeout, no_nameservers, error.
    status: str
    addresses: tuple[str, ...] = ()
    cname_chain: tuple[str, ...] = ()
    detail: str = ""
    elapsed_ms: float | None = None


@dataclass(frozen=True)
class PortResult:
    port: int
    #: open, refused, filtered, unreachable, error.
    state: str
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


@dataclass(frozen=True)
class NetworkFacts:
    mi_dns: tuple[DnsAnswer, ...] | None = None
    partner_dns: tuple[DnsAnswer, ...] | None = None
    mi_ports: PortScan | None = None
    sql_endpoint_port: PortScan | None = None
