"""pytest fixtures that start DNS test servers on loopback; import them into a test module."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.standins.dns.server import DnsTestServer, SilentDnsServer, Zone, scenario_zone


@pytest.fixture
def dns_server() -> Iterator[Callable[[str | Zone], DnsTestServer]]:
    """Factory: ``dns_server("private")`` or ``dns_server(Zone(...))`` → a running server."""
    started: list[DnsTestServer] = []

    def start(zone: str | Zone) -> DnsTestServer:
        server = DnsTestServer(scenario_zone(zone) if isinstance(zone, str) else zone)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def silent_dns_server() -> Iterator[SilentDnsServer]:
    """A DNS server address that never answers."""
    server = SilentDnsServer()
    yield server
    server.stop()
