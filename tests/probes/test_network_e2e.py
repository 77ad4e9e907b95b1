"""Network scenarios end to end: `linkready collect` runs in the client namespace (the "SQL Server
host") against a real DNS server on its loopback and real kernel rules in the server namespace (the
"managed instance subnet"); `linkready evaluate` then judges the snapshot.

The Azure facts the network checks need (MI subnet prefix, VNet DNS servers) are added to the
snapshot as the Azure probe would have read them: this room does not run the ARM stand-in.
DNS-003 runs the engine in-process instead, because the probe must know the VNet's DNS servers
while it collects.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from linkready.config import parse_config
from linkready.facts.azure import AzureFacts, Subnet, VirtualNetwork
from linkready.probes import ProbeContext, ProbeOutcome, ProbeSpec, Secrets
from tests.conftest import ROOT
from tests.gate.junit import assert_junit_agrees
from tests.standins.dns.server import (
    MI_FQDN,
    MI_SUBNET,
    SQL_HOST,
    SQL_HOST_WRONG,
    DnsTestServer,
    SilentDnsServer,
    Zone,
    scenario_zone,
)
from tests.standins.netns.lab import CLIENT_V4, NetnsLab

RESOURCE_ID = (
    "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-test"
    "/providers/Microsoft.Sql/managedInstances/mi-test"
)
MI_OPEN = [5022, *range(11000, 12000)]


def config_toml(partner_endpoint: str = f"TCP://{CLIENT_V4}:5022", source_address: str = "",
                **network: Any) -> str:
    extra = "".join(f"{k} = {json.dumps(v)}\n" for k, v in network.items())
    # A [source] only to say where SQL Server is; the tests below never start the SQL probe.
    source = f'[source]\nserver = "{source_address}"\naddress = "{source_address}"\n' if source_address else ""
    return source + f"""
[managed_instance]
resource_id = "{RESOURCE_ID}"
fqdn = "{MI_FQDN}"

[azure]
# Nothing listens here: the Azure probe fails at once instead of looking for a real ARM.
arm_endpoint = "https://127.0.0.1:9"
timeout = 2
retries = 0

[[link]]
name = "link-sales"
databases = ["Sales"]
instance_ag_name = "AG_Sales_MI"
partner_ag_name = "AG_Sales"
partner_endpoint = "{partner_endpoint}"

[network]
connect_timeout = 0.5
dns_timeout = 0.5
{extra}
[options]
probe_timeout = 60
"""


@dataclass
class Scenario:
    dns: str | None  # a scenario zone, or None for a DNS server that never answers
    drop: range | list[int] = ()  # type: ignore[assignment]
    reset: range | list[int] = ()  # type: ignore[assignment]
    listen_mi: list[int] | range = ()  # type: ignore[assignment]
    sql_endpoint_listens: bool = True


def run_scenario(lab: NetnsLab, tmp_path: Path, scenario: Scenario) -> dict[str, list[dict[str, Any]]]:
    """collect in the client namespace, add the Azure facts, evaluate; findings by check ID."""
    lab.set_rules(drop=scenario.drop, reset=scenario.reset)
    lab.write_client_resolv_conf("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    dns: DnsTestServer | SilentDnsServer
    if scenario.dns is None:
        dns = lab.in_client(SilentDnsServer, "127.0.0.1", 53)
    else:
        dns = lab.in_client(DnsTestServer, scenario_zone(scenario.dns), "127.0.0.1", 53)
    sql_endpoint = lab.in_client(_listen, CLIENT_V4, 5022) if scenario.sql_endpoint_listens else None
    config = tmp_path / "target.toml"
    config.write_text(config_toml(), encoding="utf-8")
    snapshot = tmp_path / "snapshot.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    try:
        with lab.listening(scenario.listen_mi):
            collect = subprocess.run(
                lab.client_cmd(sys.executable, "-m", "linkready", "collect", "-c", str(config), "-o", str(snapshot),
                               "--quiet"),
                capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL,
            )
    finally:
        dns.stop()
        if sql_endpoint is not None:
            sql_endpoint.close()
    assert collect.returncode == 0, collect.stderr
    data = json.loads(snapshot.read_text(encoding="utf-8"))
    facts = data["facts"]
    # What the Azure probe reads from ARM: the MI subnet and its VNet's DNS servers.
    facts["azure"] = {
        "subnet": {"id": "snet-mi", "address_prefixes": [MI_SUBNET], "nsg_id": None, "route_table_id": None,
                   "delegations": ["Microsoft.Sql/managedInstances"]},
        "vnet": {"id": "vnet-mi", "name": "vnet-mi", "address_prefixes": ["192.0.2.0/24"], "dns_servers": [],
                 "peerings": []},
    }
    facts["errors"] = [e for e in facts["errors"] if not e["fact"].startswith("azure")]
    snapshot.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "report"
    evaluate = subprocess.run(
        [sys.executable, "-m", "linkready", "evaluate", str(snapshot), "--format", "json,junit", "-o", str(out), "-q"],
        capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert evaluate.returncode in (0, 1, 3), evaluate.stderr
    assert_junit_agrees(out / "linkready-junit.xml", evaluate.returncode)
    report = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))
    by_id: dict[str, list[dict[str, Any]]] = {}
    for finding in report["findings"]:
        by_id.setdefault(finding["check_id"], []).append(finding)
    by_id["_network"] = [facts["network"]]
    by_id["_collector"] = [facts["collector"]]
    return by_id


def _listen(address: str, port: int) -> Any:
    import socket

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, port))
    sock.listen(16)
    return sock


def status(found: dict[str, list[dict[str, Any]]], check_id: str) -> str:
    return str(found[check_id][0]["status"])


def test_ready_network(lab: NetnsLab, tmp_path: Path) -> None:
    found = run_scenario(lab, tmp_path, Scenario(dns="private", listen_mi=MI_OPEN))
    for check_id in ("DNS-001", "DNS-002", "NET-001", "NET-002", "NET-003"):
        assert status(found, check_id) == "PASS", (check_id, found[check_id])
    net = found["_network"][0]
    assert net["mi_dns"][0]["via"] == "system" and net["mi_dns"][0]["server"] == "127.0.0.1"
    assert net["mi_ports"]["source_address"] == CLIENT_V4
    collector = found["_collector"][0]
    assert collector["runs_on_sql_host"] is True  # the partner endpoint address is this host's
    assert CLIENT_V4 in collector["source_addresses"]
    assert "the SQL Server host itself" in found["NET-001"][0]["evidence"][0]


@pytest.mark.parametrize(
    ("scenario", "check_id", "words"),
    [
        (Scenario(dns="nxdomain"), "DNS-001", "answered NXDOMAIN"),
        (Scenario(dns="servfail"), "DNS-001", "SERVFAIL"),
        (Scenario(dns=None), "DNS-001", "did not answer in time"),
        (Scenario(dns="public"), "DNS-002", "is a public address"),
        (Scenario(dns="privatelink"), "DNS-002", "is a private endpoint"),
        (Scenario(dns="private", drop=[5022]), "NET-001", "gave no answer within 0.5 s"),
        (Scenario(dns="private", reset=[5022]), "NET-001", "answered with a TCP reset"),
        (Scenario(dns="private", listen_mi=[5022], drop=range(11000, 11900)), "NET-002",
         "filtered (no answer): 11000-11899"),
        (Scenario(dns="private", listen_mi=MI_OPEN, sql_endpoint_listens=False), "NET-003",
         "is not listening on the SQL Server host"),
    ],
    ids=["nxdomain", "servfail", "silent-dns", "public", "privatelink", "5022-dropped", "5022-reset",
         "redirect-range-dropped", "sql-endpoint-down"],
)
def test_fail_scenarios(lab: NetnsLab, tmp_path: Path, scenario: Scenario, check_id: str, words: str) -> None:
    found = run_scenario(lab, tmp_path, scenario)
    finding = found[check_id][0]
    assert finding["status"] == "FAIL", finding
    assert words in finding["message"]
    assert finding["evidence"], "every finding shows its evidence"


def test_unresolvable_mi_makes_port_checks_error_not_fail(lab: NetnsLab, tmp_path: Path) -> None:
    found = run_scenario(lab, tmp_path, Scenario(dns="nxdomain"))
    assert status(found, "NET-001") == "ERROR"
    assert "did not resolve" in found["NET-001"][0]["message"]
    assert status(found, "DNS-002") == "ERROR"


# -- DNS-003: the engine in-process, with the Azure facts published by an Azure-facts provider -------

VNET_DNS: list[str] = []


def azure_facts_probe(ctx: ProbeContext) -> ProbeOutcome:
    """Stands in for the Azure probe's output: the MI subnet and the VNet's custom DNS servers."""
    return ProbeOutcome(
        AzureFacts(
            subnet=Subnet(id="snet-mi", address_prefixes=(MI_SUBNET,)),
            vnet=VirtualNetwork(id="vnet", name="vnet", address_prefixes=("192.0.2.0/24",),
                                dns_servers=tuple(VNET_DNS)),
        )
    )


@pytest.fixture
def vnet_dns(lab: NetnsLab) -> Iterator[DnsTestServer]:
    zone = Zone().add(SQL_HOST, "A", CLIENT_V4).add(SQL_HOST_WRONG, "A", "198.51.100.99")
    server = lab.in_client(DnsTestServer, zone, "127.0.0.1", 0)
    VNET_DNS[:] = [server.spec]
    yield server
    VNET_DNS.clear()
    server.stop()


@pytest.mark.parametrize(
    ("host", "expected", "words"),
    [
        (SQL_HOST, "PASS", f"resolves through the VNet's DNS to {CLIENT_V4}"),
        ("sqlhost-missing.corp.example", "FAIL", "answered NXDOMAIN"),
        (SQL_HOST_WRONG, "FAIL", "but the SQL Server is at 198.51.100.10"),
    ],
)
def test_dns003_through_the_engine(lab: NetnsLab, vnet_dns: DnsTestServer, host: str, expected: str,
                                   words: str) -> None:
    import tomllib

    from linkready.checks import get, load_profile

    from linkready.engine import collect, evaluate

    config = parse_config(tomllib.loads(config_toml(f"TCP://{host}:5022", source_address=CLIENT_V4)))
    specs = [
        ProbeSpec("azure", "azure", "tests.probes.test_network_e2e:azure_facts_probe"),
        ProbeSpec("network", "network", "linkready.probes.network:probe"),
    ]
    # In the client namespace: its only DNS server is the VNet one on its loopback; the system
    # resolver's servers are unreachable from there, so nothing leaves the namespaces.
    snapshot = lab.in_client(collect, config, Secrets(), probes=specs)
    spec = get("DNS-003")
    assert spec is not None
    findings = evaluate(snapshot.facts, load_profile("preflight"), checks=[spec])
    assert [f.status.value for f in findings] == [expected], findings
    assert words in findings[0].message
    vnet_answers = [a for a in snapshot.facts.network.partner_dns if a.via == "vnet"]  # type: ignore[union-attr]
    assert [a.server for a in vnet_answers] == [vnet_dns.spec]
