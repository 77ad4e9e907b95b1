"""The network probe's wiring: config → DNS + TCP facts, errors as values, where it ran."""

from __future__ import annotations

import tomllib

import pytest

from linkready.config import parse_config
from linkready.domain.endpoints import split_endpoint
from linkready.engine import collect
from linkready.facts.network import PORT_OPEN
from linkready.probes import ProbeSpec, Secrets
from linkready.probes.network import is_local_address, mi_ports, server_host
from tests.standins.dns.server import MI_FQDN, DnsTestServer, scenario_zone
from tests.standins.netns.lab import CLIENT_V4, NetnsLab

NETWORK_ONLY = [ProbeSpec("network", "network", "linkready.probes.network:probe")]
RID = "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg/providers/Microsoft.Sql/managedInstances/mi"


def config(text: str):  # type: ignore[no-untyped-def]
    return parse_config(tomllib.loads(text))


@pytest.mark.parametrize(
    ("server", "host"),
    [("sql01", "sql01"), ("tcp:sql01.corp,1433", "sql01.corp"), ("sql01\\INST", "sql01"), ("(local)", "127.0.0.1"),
     ("[2001:db8::5],1433", "2001:db8::5")],
)
def test_server_host(server: str, host: str) -> None:
    assert server_host(server) == host


@pytest.mark.parametrize(
    ("endpoint", "parts"),
    [("TCP://10.0.0.4:5022", ("10.0.0.4", 5022)), ("tcp://sql01.corp:5023", ("sql01.corp", 5023)),
     ("TCP://[2001:db8::5]:5022", ("2001:db8::5", 5022)), ("TCP://host", None), ("TCP://h:70000", None)],
)
def test_split_endpoint(endpoint: str, parts: tuple[str, int] | None) -> None:
    assert split_endpoint(endpoint) == parts


def test_mi_ports_full_and_sampled() -> None:
    full, sampled = mi_ports(0)
    assert (len(full), sampled) == (1001, False)
    some, sampled = mi_ports(20)
    assert sampled and len(some) == 21 and some[:2] == [5022, 11000] and some[-1] == 11999


def test_is_local_address() -> None:
    assert is_local_address("127.0.0.1")
    assert not is_local_address("192.0.2.123")
    assert not is_local_address("not-an-ip")


def test_unknown_fqdn_and_bad_dns_server_are_probe_errors() -> None:
    # Only loopback is touched: the partner endpoint is 127.0.0.1 and no name is resolved.
    cfg = config(f"""
[managed_instance]
resource_id = "{RID}"
[network]
dns_servers = ["dns.example"]
connect_timeout = 0.5
[[link]]
name = "l"
databases = ["Sales"]
instance_ag_name = "A"
partner_ag_name = "B"
partner_endpoint = "TCP://127.0.0.1:9"
""")
    snapshot = collect(cfg, Secrets(), probes=NETWORK_ONLY)
    errors = {(e.fact, e.kind) for e in snapshot.facts.errors}
    assert ("network.mi_dns", "config") in errors and ("network.mi_ports", "config") in errors
    assert any("dns.example" in e.reason for e in snapshot.facts.errors)
    net = snapshot.facts.network
    assert net is not None and net.mi_dns is None and net.mi_ports is None
    assert net.sql_endpoint_port is not None
    assert net.sql_endpoint_port.ports[0].state == "refused"
    assert snapshot.facts.collector.runs_on_sql_host is True  # 127.0.0.1 is this machine


def test_configured_dns_server_and_sampled_scan(lab: NetnsLab) -> None:
    dns = lab.in_client(DnsTestServer, scenario_zone("private"), "127.0.0.1", 0)
    cfg = config(f"""
[managed_instance]
resource_id = "{RID}"
fqdn = "{MI_FQDN}"
[network]
dns_servers = ["{dns.spec}"]
connect_timeout = 0.5
dns_timeout = 0.5
port_sample = 25
[[link]]
name = "l"
databases = ["Sales"]
instance_ag_name = "A"
partner_ag_name = "B"
partner_endpoint = "TCP://{CLIENT_V4}:5022"
""")
    try:
        with lab.listening([5022, *range(11000, 12000)]):
            snapshot = lab.in_client(collect, cfg, Secrets(), probes=NETWORK_ONLY)
    finally:
        dns.stop()
    net = snapshot.facts.network
    assert net is not None and net.mi_dns is not None and net.mi_ports is not None
    configured = [a for a in net.mi_dns if a.via == "configured"]
    assert [(a.server, a.status, a.addresses) for a in configured] == [(dns.spec, "ok", ("192.0.2.2",))]
    assert net.mi_ports.sampled and len(net.mi_ports.ports) == 26
    assert net.mi_ports.requested == "5022,11000-11999"
    assert {r.state for r in net.mi_ports.ports} == {PORT_OPEN}
    assert net.mi_fqdn == MI_FQDN
    # The partner endpoint is the client's own address, and nothing listens on it: refused.
    assert net.sql_endpoint_port is not None and net.sql_endpoint_port.ports[0].state == "refused"
    assert snapshot.facts.collector.runs_on_sql_host is True
