"""DNS probe against a real DNS server (dnslib) on loopback, one zone per scenario."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from linkready.facts.network import (
    DNS_NO_NAMESERVERS,
    DNS_NOANSWER,
    DNS_NXDOMAIN,
    DNS_OK,
    DNS_SERVFAIL,
    DNS_TIMEOUT,
)
from linkready.probes.dns import (
    DnsServer,
    DnsServerSpecError,
    addresses_of,
    lookup_hosts_file,
    parse_server,
    resolve_all,
    resolve_system,
    resolve_with_server,
)
from tests.standins.dns.server import (
    MI_ADDRESS,
    MI_FQDN,
    PRIVATELINK_FQDN,
    PUBLIC_FQDN,
    SQL_ADDRESS,
    SQL_HOST,
    DnsTestServer,
    SilentDnsServer,
    Zone,
    scenario_zone,
)
from tests.standins.netns.lab import NetnsLab

StartServer = Callable[[str | Zone], DnsTestServer]


@pytest.mark.parametrize(
    ("scenario", "name", "status", "addresses", "chain"),
    [
        ("private", MI_FQDN, DNS_OK, (MI_ADDRESS,), ()),
        ("public", MI_FQDN, DNS_OK, ("203.0.113.10",), ()),
        ("public-endpoint", PUBLIC_FQDN, DNS_OK, ("203.0.113.20",), ("tr1234.westeurope1-a.worker.example",)),
        ("privatelink", MI_FQDN, DNS_OK, ("198.51.100.50",), (PRIVATELINK_FQDN,)),
        ("ipv6", MI_FQDN, DNS_OK, ("2001:db8:1::2",), ()),
        ("nxdomain", MI_FQDN, DNS_NXDOMAIN, (), ()),
        ("servfail", MI_FQDN, DNS_SERVFAIL, (), ()),
    ],
)
def test_explicit_server_scenarios(
    dns_server: StartServer,
    scenario: str,
    name: str,
    status: str,
    addresses: tuple[str, ...],
    chain: tuple[str, ...],
) -> None:
    server = dns_server(scenario)
    answer = resolve_with_server(name, parse_server(server.spec), timeout=2, via="configured")
    assert answer.status == status
    assert answer.addresses == addresses
    assert answer.cname_chain == chain
    assert answer.server == server.spec  # the server that said it, port included
    assert answer.via == "configured"
    assert answer.elapsed_ms is not None
    if status != DNS_OK:
        assert server.spec in answer.detail
        assert status.upper() in answer.detail.upper()
    # A and AAAA were both asked (unless A already failed hard)
    asked = {qtype for qname, qtype in server.queries}
    assert "A" in asked
    if status in (DNS_OK, DNS_NXDOMAIN):
        assert "AAAA" in asked


def test_name_without_address_records_is_noanswer(dns_server: StartServer) -> None:
    server = dns_server(Zone().add("txt-only.example", "TXT", "hello"))
    answer = resolve_with_server("txt-only.example", parse_server(server.spec), timeout=2, via="vnet")
    assert answer.status == DNS_NOANSWER
    assert "no A or AAAA record" in answer.detail


def test_silent_server_times_out_and_is_named(silent_dns_server: SilentDnsServer) -> None:
    answer = resolve_with_server(MI_FQDN, parse_server(silent_dns_server.spec), timeout=0.3, via="vnet")
    assert answer.status == DNS_TIMEOUT
    assert answer.server == silent_dns_server.spec
    assert f"{silent_dns_server.spec} did not answer within 0.3 s" in answer.detail
    assert silent_dns_server.received >= 1  # the query really went out and was ignored


def test_each_server_answers_for_itself(dns_server: StartServer, silent_dns_server: SilentDnsServer) -> None:
    good, bad = dns_server("private"), dns_server("nxdomain")
    servers = [parse_server(s) for s in (good.spec, bad.spec, silent_dns_server.spec)]
    answers = resolve_all(MI_FQDN, servers=servers, via="vnet", system=False, timeout=0.3)
    assert [(a.server, a.status) for a in answers] == [
        (good.spec, DNS_OK),
        (bad.spec, DNS_NXDOMAIN),
        (silent_dns_server.spec, DNS_TIMEOUT),
    ]
    assert addresses_of(answers) == (MI_ADDRESS,)


@pytest.mark.parametrize(
    ("text", "server"),
    [
        ("10.0.0.4", DnsServer("10.0.0.4", 53)),
        ("127.0.0.1:5353", DnsServer("127.0.0.1", 5353)),
        ("[::1]:5353", DnsServer("::1", 5353)),
        ("::1", DnsServer("::1", 53)),
        ("[2001:db8::53]", DnsServer("2001:db8::53", 53)),
    ],
)
def test_parse_server(text: str, server: DnsServer) -> None:
    assert parse_server(text) == server
    assert parse_server(server.label) == server


@pytest.mark.parametrize(
    "text", ["dns.example", "10.0.0.4:0", "10.0.0.4:99999", "[::1", "[::1]x", "1.2.3.4:x"]
)
def test_parse_server_rejects(text: str) -> None:
    with pytest.raises(DnsServerSpecError, match="bad DNS server"):
        parse_server(text)


def test_hosts_file(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text(
        "# comment\n127.0.0.1 localhost\n192.0.2.7 MI-Test.abc123def456.database.windows.net mi # alias\n"
        "not-an-ip mi-test.abc123def456.database.windows.net\n",
        encoding="utf-8",
    )
    assert lookup_hosts_file(MI_FQDN, str(hosts)) == ("192.0.2.7",)
    assert lookup_hosts_file("mi", str(hosts)) == ("192.0.2.7",)
    assert lookup_hosts_file("other.example", str(hosts)) == ()
    assert lookup_hosts_file("x", str(tmp_path / "missing")) == ()


def test_system_resolver_prefers_hosts_file(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text(f"192.0.2.9 {MI_FQDN}\n", encoding="utf-8")
    answer = resolve_system(MI_FQDN, hosts_file=str(hosts), resolv_conf=str(tmp_path / "none"))
    assert (answer.status, answer.server, answer.addresses) == (DNS_OK, "hosts-file", ("192.0.2.9",))


@pytest.mark.parametrize("content", ["", "search corp.example\n"], ids=["empty", "no-nameserver-line"])
def test_system_resolver_without_nameservers(tmp_path: Path, content: str) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text(content, encoding="utf-8")
    answer = resolve_system(MI_FQDN, resolv_conf=str(conf), hosts_file=str(tmp_path / "nohosts"))
    assert answer.status == DNS_NO_NAMESERVERS
    assert answer.server == "system"
    assert "no nameservers" in answer.detail


# -- the system resolver for real: resolv.conf servers on port 53 need their own namespace -------


def _start_in(lab: NetnsLab, zone: Zone | None, address: str) -> DnsTestServer | SilentDnsServer:
    if zone is None:
        return lab.in_client(SilentDnsServer, address, 53)
    return lab.in_client(DnsTestServer, zone, address, 53)


def test_system_resolver_fails_over_like_a_stub_resolver(netns_lab: NetnsLab, tmp_path: Path) -> None:
    silent = _start_in(netns_lab, None, "127.0.0.2")
    servfail = _start_in(netns_lab, scenario_zone("servfail"), "127.0.0.3")
    good = _start_in(netns_lab, scenario_zone("private"), "127.0.0.4")
    conf = tmp_path / "resolv.conf"
    conf.write_text(
        "search corp.example\nnameserver 127.0.0.2\nnameserver 127.0.0.3\nnameserver 127.0.0.4\n",
        encoding="utf-8",
    )
    nohosts = str(tmp_path / "nohosts")
    try:
        mi = netns_lab.in_client(
            resolve_system, MI_FQDN, timeout=0.3, resolv_conf=str(conf), hosts_file=nohosts
        )
        short = netns_lab.in_client(
            resolve_system, "sqlhost01", timeout=0.3, resolv_conf=str(conf), hosts_file=nohosts
        )
    finally:
        for server in (silent, servfail, good):
            server.stop()
    assert mi.status == DNS_OK
    assert mi.server == "127.0.0.4"
    assert mi.addresses == (MI_ADDRESS,)
    assert mi.attempts == ("127.0.0.2 timeout", "127.0.0.3 servfail", "127.0.0.4 ok")
    assert mi.via == "system"
    # A short name is completed with the search domain, as the OS would.
    assert short.status == DNS_OK and short.addresses == (SQL_ADDRESS,)
    assert f"resolved as {SQL_HOST}" in short.detail


def test_system_resolver_stops_at_nxdomain_and_reports_total_failure(
    netns_lab: NetnsLab, tmp_path: Path
) -> None:
    nx = _start_in(netns_lab, scenario_zone("nxdomain"), "127.0.0.5")
    good = _start_in(netns_lab, scenario_zone("private"), "127.0.0.6")
    silent = _start_in(netns_lab, None, "127.0.0.7")
    conf1 = tmp_path / "a.conf"
    conf1.write_text("nameserver 127.0.0.5\nnameserver 127.0.0.6\n", encoding="utf-8")
    conf2 = tmp_path / "b.conf"
    conf2.write_text("nameserver 127.0.0.7\n", encoding="utf-8")
    nohosts = str(tmp_path / "nohosts")
    try:
        nxd = netns_lab.in_client(
            resolve_system, MI_FQDN, timeout=0.3, resolv_conf=str(conf1), hosts_file=nohosts
        )
        dead = netns_lab.in_client(
            resolve_system, MI_FQDN, timeout=0.3, resolv_conf=str(conf2), hosts_file=nohosts
        )
    finally:
        for server in (nx, good, silent):
            server.stop()
    # NXDOMAIN is definitive: a stub resolver does not ask the next server.
    assert (nxd.status, nxd.server, nxd.attempts) == (DNS_NXDOMAIN, "127.0.0.5", ("127.0.0.5 nxdomain",))
    assert (dead.status, dead.server) == (DNS_TIMEOUT, "127.0.0.7")
