"""DNS probe: resolve a name the way the SQL Server host would, and through given DNS servers.

Two ways to ask:

* the **system** resolver: the hosts file first (as nsswitch's ``files dns`` does), then each
  nameserver of resolv.conf in order, stopping at the first definitive answer, the way a stub
  resolver fails over;
* **explicit** servers (``ip``, ``ip:port``, ``[v6]:port``), e.g. the managed instance VNet's
  custom DNS servers: each asked on its own with ``Resolver(configure=False)``, so every answer
  names the server that gave it.

A and AAAA are both asked; the CNAME chain is recorded. NXDOMAIN, NoAnswer, SERVFAIL, timeout and
"no nameservers" are distinct statuses, each with the server that said it. Nothing raises for an
expected DNS failure: outcomes are :class:`DnsAnswer` values.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver

from linkready.deadline import remaining
from linkready.facts.network import (
    DNS_ERROR,
    DNS_NO_NAMESERVERS,
    DNS_NOANSWER,
    DNS_NXDOMAIN,
    DNS_OK,
    DNS_SERVFAIL,
    DNS_TIMEOUT,
    DnsAnswer,
    DnsStatus,
)

DEFAULT_TIMEOUT = 3.0
DEFAULT_RESOLV_CONF = "/etc/resolv.conf"
DEFAULT_HOSTS_FILE = "/etc/hosts"

VIA_SYSTEM = "system"
VIA_CONFIGURED = "configured"
VIA_VNET = "vnet"

#: Statuses that end a stub resolver's search: another server would not be asked.
_DEFINITIVE = frozenset({DNS_OK, DNS_NXDOMAIN, DNS_NOANSWER})


class DnsServerSpecError(ValueError):
    """A DNS server given as text that is not ``ip``, ``ip:port`` or ``[ipv6]:port``."""


@dataclass(frozen=True)
class DnsServer:
    """One DNS server to ask directly."""

    address: str
    port: int = 53

    @property
    def label(self) -> str:
        """``ip``, ``ip:port`` or ``[ipv6]:port``: how reports name this server."""
        if self.port == 53:
            return self.address
        return f"[{self.address}]:{self.port}" if ":" in self.address else f"{self.address}:{self.port}"


def parse_server(text: str) -> DnsServer:
    """``"10.0.0.4"``, ``"127.0.0.1:5353"``, ``"[::1]:5353"`` or ``"::1"`` → :class:`DnsServer`."""
    raw = text.strip()
    address, port_text = raw, ""
    if raw.startswith("["):
        address, sep, rest = raw[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise DnsServerSpecError(f"bad DNS server {text!r}: expected [ipv6]:port")
        port_text = rest[1:]
    elif raw.count(":") == 1:
        address, _, port_text = raw.partition(":")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise DnsServerSpecError(f"bad DNS server {text!r}: {address!r} is not an IP address") from None
    port = 53
    if port_text:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise DnsServerSpecError(f"bad DNS server {text!r}: port must be 1-65535")
        port = int(port_text)
    return DnsServer(address, port)


@dataclass(frozen=True)
class _Outcome:
    status: str
    addresses: tuple[str, ...] = ()
    cnames: tuple[str, ...] = ()
    detail: str = ""
    canonical: str = ""


def _no_nameservers_outcome(exc: dns.resolver.NoNameservers, server: str) -> _Outcome:
    errors = exc.kwargs.get("errors") or []
    said = [str(err[3]) for err in errors]
    if any(s == "SERVFAIL" for s in said):
        return _Outcome(DNS_SERVFAIL, detail=f"{server} answered SERVFAIL")
    if not errors:
        return _Outcome(DNS_NO_NAMESERVERS, detail="no nameservers to ask")
    return _Outcome(DNS_NO_NAMESERVERS, detail=f"{server} failed: {', '.join(sorted(set(said)))}")


def _query(
    resolver: dns.resolver.Resolver, name: str, rdtype: str, lifetime: float, search: bool
) -> _Outcome:
    server = _server_label(resolver)
    # The configured DNS timeout never outlasts the run (a 120 s timeout under probe_timeout = 5).
    lifetime = remaining(lifetime)
    resolver.timeout = min(resolver.timeout, lifetime)
    try:
        answer = resolver.resolve(name, rdtype, lifetime=lifetime, search=search)
    except dns.resolver.NXDOMAIN:
        return _Outcome(DNS_NXDOMAIN, detail=f"{server} answered NXDOMAIN (the name does not exist)")
    except dns.resolver.NoAnswer as exc:
        response = exc.kwargs.get("response")
        cnames = _chain(response) if response is not None else ()
        return _Outcome(DNS_NOANSWER, cnames=cnames, detail=f"{server} has no {rdtype} record for the name")
    except dns.resolver.NoNameservers as exc:
        return _no_nameservers_outcome(exc, server)
    except dns.exception.Timeout:
        return _Outcome(DNS_TIMEOUT, detail=f"{server} did not answer within {lifetime:g} s")
    except dns.exception.DNSException as exc:
        return _Outcome(DNS_ERROR, detail=f"{server}: {type(exc).__name__}: {exc}")
    except OSError as exc:  # e.g. no route to the server, address family not supported
        return _Outcome(DNS_ERROR, detail=f"{server}: {exc}")
    addresses = tuple(rr.to_text() for rr in answer)
    return _Outcome(
        DNS_OK,
        addresses=addresses,
        cnames=_chain(answer.response),
        canonical=str(answer.canonical_name).rstrip("."),
    )


def _chain(response: object) -> tuple[str, ...]:
    try:
        chaining = response.resolve_chaining()  # type: ignore[attr-defined]
    except Exception:  # a response that does not chain (e.g. wrong owner) has no chain to record
        return ()
    return tuple(str(rrset[0].target).rstrip(".") for rrset in chaining.cnames if len(rrset))


def _server_label(resolver: dns.resolver.Resolver) -> str:
    """The one server this resolver asks, as ``ip`` or ``ip:port``."""
    servers = resolver.nameservers
    if not servers:
        return "system"
    ns = servers[0]
    if isinstance(ns, dns.nameserver.Do53Nameserver):
        return DnsServer(ns.address, ns.port).label
    # resolv.conf servers come back as plain address strings using the resolver's port.
    return DnsServer(str(ns), resolver.port).label


def _ask(
    resolver: dns.resolver.Resolver, name: str, timeout: float, search: bool
) -> tuple[str, tuple[str, ...], tuple[str, ...], str, str]:
    """A then AAAA through one resolver: (status, addresses, cnames, detail, canonical)."""
    a = _query(resolver, name, "A", timeout, search)
    if a.status == DNS_TIMEOUT:
        return a.status, (), a.cnames, a.detail, ""
    aaaa = _query(resolver, name, "AAAA", timeout, search)
    addresses = a.addresses + aaaa.addresses
    cnames = a.cnames or aaaa.cnames
    canonical = a.canonical or aaaa.canonical
    if addresses:
        notes = [o.detail for o in (a, aaaa) if o.status not in (DNS_OK, DNS_NOANSWER) and o.detail]
        return DNS_OK, addresses, cnames, "; ".join(notes), canonical
    if a.status == DNS_NOANSWER and aaaa.status == DNS_NOANSWER:
        return DNS_NOANSWER, (), cnames, f"{_server_label(resolver)} has no A or AAAA record", canonical
    # The A query's failure is the one that matters (the link runs over IPv4), unless it was
    # only "no A record" and the AAAA query failed harder.
    main = aaaa if a.status == DNS_NOANSWER else a
    return main.status, (), cnames, main.detail, canonical


def _explicit_resolver(server: DnsServer, timeout: float) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver(server.address, server.port)]
    resolver.timeout = timeout
    resolver.lifetime = timeout
    resolver.retry_servfail = False
    return resolver


def resolve_with_server(
    name: str, server: DnsServer, *, timeout: float = DEFAULT_TIMEOUT, via: str
) -> DnsAnswer:
    """Resolve ``name`` (A and AAAA) by asking ``server`` alone."""
    started = time.perf_counter()
    resolver = _explicit_resolver(server, timeout)
    status, addresses, cnames, detail, _canonical = _ask(resolver, _absolute(name), timeout, search=False)
    return DnsAnswer(
        name=name,
        server=server.label,
        status=DnsStatus(status),
        addresses=addresses,
        cname_chain=cnames,
        detail=detail,
        elapsed_ms=_ms(started),
        via=via,
        attempts=(f"{server.label} {status}",),
    )


def lookup_hosts_file(name: str, path: str = DEFAULT_HOSTS_FILE) -> tuple[str, ...]:
    """Addresses the hosts file gives ``name`` (case-insensitive), in file order; () if none."""
    wanted = name.lower().rstrip(".")
    found: dict[str, None] = {}
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ()
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        if wanted in (f.lower().rstrip(".") for f in fields[1:]):
            try:
                ipaddress.ip_address(fields[0].split("%", 1)[0])
            except ValueError:
                continue
            found.setdefault(fields[0], None)
    return tuple(found)


def resolve_system(
    name: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    resolv_conf: str = DEFAULT_RESOLV_CONF,
    hosts_file: str = DEFAULT_HOSTS_FILE,
) -> DnsAnswer:
    """Resolve ``name`` as this host's stub resolver would: hosts file, then resolv.conf servers.

    Each nameserver gets ``timeout`` seconds; the first definitive answer (addresses, NXDOMAIN
    or no record) wins; when every server fails the answer reports the first server's failure
    and ``attempts`` lists what each said.
    """
    started = time.perf_counter()
    hosts = lookup_hosts_file(name, hosts_file)
    if hosts:
        return DnsAnswer(
            name=name,
            server="hosts-file",
            status=DNS_OK,
            addresses=hosts,
            detail=f"from {hosts_file} (it takes precedence over DNS)",
            elapsed_ms=_ms(started),
            via=VIA_SYSTEM,
            attempts=(f"{hosts_file} ok",),
        )
    try:
        base = dns.resolver.Resolver(filename=resolv_conf)
    except dns.resolver.NoResolverConfiguration as exc:
        return DnsAnswer(
            name=name,
            server="system",
            status=DNS_NO_NAMESERVERS,
            detail=f"{resolv_conf}: {exc}",
            elapsed_ms=_ms(started),
            via=VIA_SYSTEM,
        )
    attempts: list[str] = []
    first_failure: tuple[str, str, tuple[str, ...], str] | None = None
    for ns in list(base.nameservers):
        resolver = dns.resolver.Resolver(filename=resolv_conf)
        resolver.nameservers = [ns]
        resolver.timeout = timeout
        resolver.lifetime = timeout
        resolver.retry_servfail = False
        label = _server_label(resolver)
        status, addresses, cnames, detail, canonical = _ask(resolver, name, timeout, search=True)
        attempts.append(f"{label} {status}")
        if status in _DEFINITIVE:
            if canonical and canonical.lower() != name.lower().rstrip("."):
                detail = "; ".join(d for d in (f"resolved as {canonical}", detail) if d)
            return DnsAnswer(
                name=name,
                server=label,
                status=DnsStatus(status),
                addresses=addresses,
                cname_chain=cnames,
                detail=detail,
                elapsed_ms=_ms(started),
                via=VIA_SYSTEM,
                attempts=tuple(attempts),
            )
        if first_failure is None:
            first_failure = (label, status, cnames, detail)
    assert first_failure is not None  # Resolver(filename=...) refuses a config without servers
    label, status, cnames, detail = first_failure
    if len(attempts) > 1:
        detail = f"{detail}; every nameserver in {resolv_conf} failed ({', '.join(attempts)})"
    return DnsAnswer(
        name=name,
        server=label,
        status=DnsStatus(status),
        cname_chain=cnames,
        detail=detail,
        elapsed_ms=_ms(started),
        via=VIA_SYSTEM,
        attempts=tuple(attempts),
    )


def resolve_all(
    name: str,
    *,
    servers: Sequence[DnsServer] = (),
    via: str = VIA_CONFIGURED,
    system: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    resolv_conf: str = DEFAULT_RESOLV_CONF,
    hosts_file: str = DEFAULT_HOSTS_FILE,
) -> tuple[DnsAnswer, ...]:
    """The system resolver's answer (when ``system``) followed by one answer per explicit server."""
    answers: list[DnsAnswer] = []
    if system:
        answers.append(resolve_system(name, timeout=timeout, resolv_conf=resolv_conf, hosts_file=hosts_file))
    answers.extend(resolve_with_server(name, s, timeout=timeout, via=via) for s in servers)
    return tuple(answers)


async def resolve_all_async(name: str, **kwargs: object) -> tuple[DnsAnswer, ...]:
    """:func:`resolve_all` in a worker thread (dnspython's sync resolver blocks)."""
    return await asyncio.to_thread(lambda: resolve_all(name, **kwargs))  # type: ignore[arg-type]


def addresses_of(answers: Sequence[DnsAnswer]) -> tuple[str, ...]:
    """The addresses of the first successful answer (the one a client would use)."""
    for answer in answers:
        if answer.status == DNS_OK and answer.addresses:
            return answer.addresses
    return ()


def _absolute(name: str) -> str:
    return name if name.endswith(".") else name + "."


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


__all__ = [
    "DnsServer",
    "DnsServerSpecError",
    "addresses_of",
    "lookup_hosts_file",
    "parse_server",
    "resolve_all",
    "resolve_system",
    "resolve_with_server",
]
