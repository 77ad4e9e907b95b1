"""A real DNS server on loopback for the tests (dnslib), with zones per scenario."""

from tests.standins.dns.server import DnsTestServer, SilentDnsServer, Zone, scenario_zone

__all__ = ["DnsTestServer", "SilentDnsServer", "Zone", "scenario_zone"]
