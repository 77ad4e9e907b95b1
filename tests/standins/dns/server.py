"""A real DNS server on loopback (dnslib) answering from a small in-memory zone.

It behaves like a recursive resolver seen from a stub: CNAMEs inside the zone are chased and
returned together with the final records, unknown names get NXDOMAIN, known names without the
asked type get an empty NOERROR answer (NoAnswer), names marked ``servfail`` get SERVFAIL.
:class:`SilentDnsServer` binds a UDP port and never answers (the timeout case).

All addresses in the scenario zones come from the documentation ranges (192.0.2.0/24,
198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) so nothing ever points at a real host.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from dnslib import AAAA, CNAME, QTYPE, RCODE, RR, A, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer

MI_FQDN = "mi-test.abc123def456.database.windows.net"
MI_SUBNET = "192.0.2.0/24"
MI_ADDRESS = "192.0.2.2"
SQL_HOST = "sqlhost01.corp.example"
SQL_ADDRESS = "198.51.100.10"
SQL_HOST_WRONG = "sqlhost-old.corp.example"
#: The public data endpoint's name: resolvable, but it cannot carry the link.
PUBLIC_FQDN = "mi-test.public.abc123def456.database.windows.net"
PRIVATELINK_FQDN = "mi-test.privatelink.abc123def456.database.windows.net"


def _key(name: str) -> str:
    return name.lower().rstrip(".")


@dataclass
class Zone:
    """Records by name: ``{"host.example": [("A", "192.0.2.2"), ("CNAME", "x.example")]}``."""

    records: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    servfail: set[str] = field(default_factory=set)
    #: Seconds to wait before every answer (a slow server).
    delay: float = 0.0

    def add(self, name: str, rtype: str, value: str) -> Zone:
        self.records.setdefault(_key(name), []).append((rtype.upper(), value))
        return self

    def fail(self, name: str) -> Zone:
        self.servfail.add(_key(name))
        return self


class _ZoneResolver(BaseResolver):  # type: ignore[misc]
    def __init__(self, zone: Zone) -> None:
        self.zone = zone
        self.queries: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord:
        if self.zone.delay:
            time.sleep(self.zone.delay)
        reply = request.reply()
        qname = _key(str(request.q.qname))
        qtype = QTYPE[request.q.qtype]
        with self._lock:
            self.queries.append((qname, qtype))
        name = qname
        for _hop in range(10):
            if name in self.zone.servfail:
                reply.header.rcode = RCODE.SERVFAIL
                reply.rr = []
                return reply
            records = self.zone.records.get(name)
            if records is None:
                if name == qname:
                    reply.header.rcode = RCODE.NXDOMAIN
                return reply
            cname = next((value for rtype, value in records if rtype == "CNAME"), None)
            if cname is not None and qtype != "CNAME":
                reply.add_answer(RR(name + ".", QTYPE.CNAME, rdata=CNAME(cname + "."), ttl=60))
                name = _key(cname)
                continue
            for rtype, value in records:
                if rtype == qtype == "A":
                    reply.add_answer(RR(name + ".", QTYPE.A, rdata=A(value), ttl=60))
                elif rtype == qtype == "AAAA":
                    reply.add_answer(RR(name + ".", QTYPE.AAAA, rdata=AAAA(value), ttl=60))
            return reply
        reply.header.rcode = RCODE.SERVFAIL
        return reply


class DnsTestServer:
    """dnslib UDP server on ``address`` (loopback) and a free port, serving ``zone``.

    Constructed inside a network namespace (from a thread that entered it), its socket lives
    there: the e2e tests run one on 127.0.0.1:53 of the client namespace.
    """

    def __init__(self, zone: Zone, address: str = "127.0.0.1", port: int = 0) -> None:
        self.zone = zone
        self.resolver = _ZoneResolver(zone)
        logger = DNSLogger(log="-request,-reply,-truncated,-error", prefix=False)
        self._server = DNSServer(self.resolver, address=address, port=port, logger=logger)
        self.address, self.port = self._server.server.server_address[:2]
        # serve_forever's default 0.5 s poll would make every stop() cost half a second.
        self._thread = threading.Thread(
            target=self._server.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def spec(self) -> str:
        """``ip:port`` as the DNS probe and the config take it."""
        return f"{self.address}:{self.port}"

    @property
    def queries(self) -> list[tuple[str, str]]:
        return list(self.resolver.queries)

    def stop(self) -> None:
        self._server.server.shutdown()
        self._server.server.server_close()
        self._thread.join(timeout=2)

    def __enter__(self) -> DnsTestServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SilentDnsServer:
    """A bound UDP socket that reads queries and never answers: the resolver times out."""

    def __init__(self, address: str = "127.0.0.1", port: int = 0) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((address, port))
        self.address, self.port = self._sock.getsockname()[:2]
        self.received = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._sock.settimeout(0.02)
        self._thread.start()

    def _drain(self) -> None:
        while not self._stop.is_set():
            try:
                self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.received += 1

    @property
    def spec(self) -> str:
        return f"{self.address}:{self.port}"

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()

    def __enter__(self) -> SilentDnsServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def scenario_zone(scenario: str) -> Zone:
    """The zone for one named scenario (see the module docstring for the address plan).

    * ``private``: the MI FQDN has an A record inside the MI subnet (the VNet-local endpoint).
    * ``public``: the MI FQDN has a public A record (resolved by public DNS, outside the VNet).
    * ``public-endpoint``: ``PUBLIC_FQDN`` (the ``.public.`` endpoint name) resolves to a public address.
    * ``privatelink``: a CNAME chain to a privatelink name whose address is outside the subnet.
    * ``nxdomain``: the MI FQDN does not exist.
    * ``servfail``: the server fails for the MI FQDN.
    * ``ipv6``: the MI FQDN has only an AAAA record.
    Every zone also holds the partner host name (``SQL_HOST``) and a stale name.
    """
    zone = Zone()
    zone.add(SQL_HOST, "A", SQL_ADDRESS)
    zone.add(SQL_HOST_WRONG, "A", "198.51.100.99")
    if scenario == "private":
        zone.add(MI_FQDN, "A", MI_ADDRESS)
    elif scenario == "public":
        zone.add(MI_FQDN, "A", "203.0.113.10")
    elif scenario == "public-endpoint":
        # The config names the public endpoint (port 3342's name) instead of the VNet-local one.
        zone.add(PUBLIC_FQDN, "CNAME", "tr1234.westeurope1-a.worker.example")
        zone.add("tr1234.westeurope1-a.worker.example", "A", "203.0.113.20")
    elif scenario == "privatelink":
        zone.add(MI_FQDN, "CNAME", PRIVATELINK_FQDN)
        zone.add(PRIVATELINK_FQDN, "A", "198.51.100.50")
    elif scenario == "nxdomain":
        pass
    elif scenario == "servfail":
        zone.fail(MI_FQDN)
    elif scenario == "ipv6":
        zone.add(MI_FQDN, "AAAA", "2001:db8:1::2")
    else:
        raise ValueError(f"unknown DNS scenario {scenario!r}")
    return zone
