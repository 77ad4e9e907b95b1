"""The network flows table: which flows, where each must be open, what the facts show, the fix command."""

from __future__ import annotations

from dataclasses import replace

import pytest

from linkready.domain.flows import (
    RULE_NAME,
    Direction,
    FlowRow,
    FlowState,
    FlowTable,
    Where,
    free_priority,
    network_flows,
    rule_name,
)
from linkready.facts import Collector, Facts, ProbeError
from linkready.facts.azure import NetworkSecurityGroup, Route, RouteTable, SecurityRule
from linkready.facts.network import DnsAnswer, DnsStatus, PortRun, PortState
from linkready.snapshot import loads
from tests.conftest import ROOT

DEMO = loads((ROOT / "linkready" / "data" / "demo_snapshot.json").read_text("utf-8")).facts


def row(table: FlowTable, where: Where, ports: str, direction: Direction | None = None) -> FlowRow:
    found = [r for r in table.rows if r.where is where and r.flow.ports == ports
             and (direction is None or r.direction is direction)]
    assert len(found) == 1, [(r.where, r.flow.ports, r.direction) for r in table.rows]
    return found[0]


def with_azure(facts: Facts, **changes: object) -> Facts:
    assert facts.azure is not None
    return replace(facts, azure=replace(facts.azure, **changes))


def with_network(facts: Facts, **changes: object) -> Facts:
    assert facts.network is not None
    return replace(facts, network=replace(facts.network, **changes))


def rule(name: str, prio: int, direction: str, access: str, src: str, dst: str, ports: str) -> SecurityRule:
    return SecurityRule(name, prio, direction, access, "Tcp", (src,), ("*",), (dst,), (ports,))


# --- the demo: each flow at each place, with its state -----------------------------------------

DEMO_ROWS = [
    # where, ports, direction, state, words in observed
    (Where.FIREWALL, "5022", Direction.OUTBOUND, FlowState.OPEN, "open 5022 at 10.40.0.254 from SQLPROD01"),
    (Where.MI_NSG, "5022", Direction.INBOUND, FlowState.OPEN, "allow-link-5022-in (200)"),
    (Where.FIREWALL, "11000-11999", Direction.OUTBOUND, FlowState.BLOCKED, "filtered 11000-11999"),
    (Where.MI_NSG, "11000-11999", Direction.INBOUND, FlowState.BLOCKED, "deny-onprem-redirect (300)"),
    (Where.MI_NSG, "5022", Direction.OUTBOUND, FlowState.OPEN, "allow-link-5022-out (200)"),
    (Where.FIREWALL, "5022", Direction.INBOUND, FlowState.NOT_OBSERVED, "linkready network-test"),
    (Where.ROUTE, "any", Direction.OUTBOUND, FlowState.OPEN, "VirtualNetworkGateway (to-onprem)"),
]


@pytest.mark.parametrize(("where", "ports", "direction", "state", "words"), DEMO_ROWS)
def test_demo_rows(where: Where, ports: str, direction: Direction, state: FlowState, words: str) -> None:
    found = row(network_flows(DEMO), where, ports, direction)
    assert found.state is state, found
    assert words in found.observed


def test_demo_flows_name_prefixes_and_the_planned_ports() -> None:
    table = network_flows(DEMO)
    assert [r.number for r in table.rows] == list(range(1, len(table.rows) + 1))
    to_mi = row(table, Where.MI_NSG, "11000-11999")
    assert (to_mi.flow.source, to_mi.flow.destination, to_mi.flow.protocol) == (("10.20.1.0/24",), ("10.40.0.0/24",),
                                                                                 "TCP")
    # The SQL Server VM's NSG: the demo's SQL Server is not an Azure VM (not_found), so no row for it.
    assert not [r for r in table.rows if r.where is Where.VM_NSG]
    dns = [r for r in table.rows if r.where is Where.DNS]
    assert [r.state for r in dns] == [FlowState.OPEN, FlowState.BLOCKED]
    assert "inside the MI subnet 10.40.0.0/24" in dns[0].observed and dns[0].flow.destination == ("10.20.1.5",)
    assert "NXDOMAIN from 10.40.2.4" in dns[1].observed and dns[1].flow.name == "sqlprod01.museum.local"
    assert all(r.flow.docs.startswith("https://learn.microsoft.com/") for r in table.rows)


def test_the_notes_name_the_whole_subnet_and_the_node_leg_test() -> None:
    notes = " ".join(network_flows(DEMO).notes)
    assert "to the whole MI subnet 10.40.0.0/24, not only to the instance's address (10.40.0.254)" in notes
    assert "node leg is proven only by the documented SQL Agent network test (linkready network-test" in notes


def test_the_blocked_nsg_row_carries_the_command_that_opens_it() -> None:
    blocked = row(network_flows(DEMO), Where.MI_NSG, "11000-11999")
    assert blocked.command.splitlines()[0].startswith(
        "az network nsg rule create --resource-group rg-museum-data --nsg-name nsg-sqlmi")
    assert "--priority 290 --direction Inbound --access Allow --protocol Tcp" in blocked.command
    assert "--source-address-prefixes 10.20.1.0/24" in blocked.command
    assert "--destination-address-prefixes 10.40.0.0/24 --destination-port-ranges 11000-11999" in blocked.command
    assert [r.number for r in network_flows(DEMO).rows if r.command] == [blocked.number]  # open rows need none


def test_the_reverse_port_is_the_partner_endpoint_port_not_5022() -> None:
    links = tuple(replace(link, partner_endpoint="TCP://10.20.1.10:5023") for link in DEMO.plan.links)
    table = network_flows(replace(DEMO, plan=replace(DEMO.plan, links=links)))
    reverse = [r for r in table.rows if r.flow.source_label == "MI subnet" and r.flow.protocol == "TCP"]
    assert {r.flow.ports for r in reverse} == {"5023"}
    # The demo NSG allows outbound 5022 only: 5023 falls to the default rules, where AllowVnetOutBound
    # depends on the VirtualNetwork tag, which a gateway's learned prefixes make unknown: undecided, not open.
    out = row(table, Where.MI_NSG, "5023")
    assert out.state is FlowState.UNDECIDED and "AllowVnetOutBound (65000)" in out.observed
    assert "--priority 4090 --direction Outbound" in out.command and "--destination-port-ranges 5023" in out.command


# --- unknown is never open ---------------------------------------------------------------------


def test_without_any_fact_every_row_is_not_observed_and_says_which_fact() -> None:
    table = network_flows(replace(DEMO, azure=None, network=None, errors=()))
    assert table.rows and all(r.state is FlowState.NOT_OBSERVED for r in table.rows)
    assert not any(r.command for r in table.rows)
    assert any("network.mi_ports" in r.observed for r in table.rows)
    assert any("azure.subnet" in r.observed for r in table.rows)


def test_a_probe_error_on_the_nsg_is_named() -> None:
    facts = replace(with_azure(DEMO, nsg=None), errors=(
        ProbeError("azure", "azure.nsg", "permission", "403 on networkSecurityGroups/read"),))
    nsg_rows = [r for r in network_flows(facts).rows if r.where is Where.MI_NSG]
    assert nsg_rows and all(r.state is FlowState.NOT_OBSERVED for r in nsg_rows)
    assert all("azure.nsg could not be read: 403" in r.observed for r in nsg_rows)


def test_open_from_a_jump_box_is_undecided_not_open() -> None:
    facts = replace(DEMO, collector=replace(DEMO.collector, runs_on_sql_host=False, hostname="JUMP01"))
    fw = row(network_flows(facts), Where.FIREWALL, "5022", Direction.OUTBOUND)
    assert fw.state is FlowState.UNDECIDED
    assert "is not the SQL Server host" in fw.observed


@pytest.mark.parametrize(("runs", "state"), [
    ((PortRun(PortState.OPEN, ((5022, 5022), (11000, 11999))),), FlowState.OPEN),
    ((PortRun(PortState.OPEN, ((5022, 5022), (11000, 11499))), PortRun(PortState.UNTESTED, ((11500, 11999),))),
     FlowState.UNDECIDED),
    ((PortRun(PortState.OPEN, ((5022, 5022),)), PortRun(PortState.UNTESTED, ((11000, 11999),))),
     FlowState.NOT_OBSERVED),
    ((PortRun(PortState.OPEN, ((5022, 5022), (11000, 11998))), PortRun(PortState.UNREACHABLE, ((11999, 11999),))),
     FlowState.BLOCKED),
    ((PortRun(PortState.OPEN, ((5022, 5022),)), PortRun(PortState.REFUSED, ((11000, 11999),))), FlowState.UNDECIDED),
    ((PortRun(PortState.OPEN, ((5022, 5022),)),), FlowState.NOT_OBSERVED),  # the range was not scanned
])
def test_the_scan_decides_the_firewall_row(runs: tuple[PortRun, ...], state: FlowState) -> None:
    assert DEMO.network is not None and DEMO.network.mi_ports is not None
    facts = with_network(DEMO, mi_ports=replace(DEMO.network.mi_ports, runs=runs))
    assert row(network_flows(facts), Where.FIREWALL, "11000-11999").state is state


def test_a_rule_that_cannot_be_resolved_offline_is_undecided_and_still_gets_a_command() -> None:
    assert DEMO.azure is not None and DEMO.azure.nsg is not None
    rules = [r for r in DEMO.azure.nsg.rules if r.name != "deny-onprem-redirect"]
    rules.append(SecurityRule("deny-tagged", 250, "Inbound", "Deny", "Tcp", ("Storage",), ("*",), ("*",),
                              ("11000-11999",)))
    rules.append(rule("allow-hadr", 260, "Inbound", "Allow", "10.20.1.0/24", "*", "11000-11999"))
    facts = with_azure(DEMO, nsg=replace(DEMO.azure.nsg, rules=tuple(rules)))
    found = row(network_flows(facts), Where.MI_NSG, "11000-11999")
    assert found.state is FlowState.UNDECIDED and "deny-tagged (250)" in found.observed
    assert "--priority 240" in found.command  # above the rule that may deny it


def test_no_nsg_on_the_subnet_is_open() -> None:
    assert DEMO.azure is not None and DEMO.azure.subnet is not None
    facts = with_azure(DEMO, nsg=None, subnet=replace(DEMO.azure.subnet, nsg_id=None))
    rows = [r for r in network_flows(facts).rows if r.where is Where.MI_NSG]
    assert all(r.state is FlowState.OPEN and "no NSG" in r.observed for r in rows)


# --- the SQL Server VM's NSG legs ---------------------------------------------------------------

VM_NSG = NetworkSecurityGroup(
    "/subscriptions/s/resourceGroups/rg-sql/providers/Microsoft.Network/networkSecurityGroups/nsg-sqlvm", "nsg-sqlvm",
    (rule("deny-all-out", 200, "Outbound", "Deny", "*", "*", "*"),
     rule("allow-milink-5022-out", 150, "Outbound", "Allow", "10.20.1.0/24", "10.40.0.0/24", "5022"),
     rule("allow-5022-in", 210, "Inbound", "Allow", "10.40.0.0/24", "*", "5022"),
     rule("allow-milink-hadr-out", 100, "Outbound", "Allow", "10.99.0.0/24", "*", "1-2")),
)


def test_an_azure_vm_sql_server_gets_its_nsg_legs() -> None:
    facts = replace(with_azure(DEMO, source_vm_nsgs=(VM_NSG,), source_vm_nic_id="nic-sql"),
                    errors=tuple(e for e in DEMO.errors if e.fact != "azure.source_vm_nsgs"))
    table = network_flows(facts)
    assert row(table, Where.VM_NSG, "5022", Direction.OUTBOUND).state is FlowState.OPEN
    assert row(table, Where.VM_NSG, "5022", Direction.INBOUND).state is FlowState.OPEN
    hadr = row(table, Where.VM_NSG, "11000-11999", Direction.OUTBOUND)
    assert hadr.state is FlowState.BLOCKED and "deny-all-out (200)" in hadr.observed
    # Priority 190 is free under 200; the names allow-milink-hadr-out and -5022-out are taken in this NSG.
    assert "--priority 190" in hadr.command and "--name allow-milink-hadr-out-2 " in hadr.command
    assert "--resource-group rg-sql --nsg-name nsg-sqlvm" in hadr.command


def test_an_unreadable_vm_nsg_is_not_observed_but_not_an_azure_vm_has_no_row() -> None:
    facts = replace(with_azure(DEMO, source_vm_nsgs=None), errors=(
        ProbeError("azure", "azure.source_vm_nsgs", "permission", "403 on the VM's NIC"),))
    rows = [r for r in network_flows(facts).rows if r.where is Where.VM_NSG]
    assert rows and all(r.state is FlowState.NOT_OBSERVED and "403" in r.observed for r in rows)


# --- commands never collide ---------------------------------------------------------------------


def test_two_commands_on_one_nsg_and_direction_take_two_priorities_and_two_names() -> None:
    assert DEMO.azure is not None and DEMO.azure.nsg is not None
    rules = [r for r in DEMO.azure.nsg.rules if r.name != "allow-link-5022-in"]
    rules.append(rule("deny-all-in", 300, "Inbound", "Deny", "*", "*", "*"))
    rules = [r for r in rules if r.name != "deny-onprem-redirect"]
    rules.append(rule("taken", 290, "Inbound", "Allow", "192.0.2.0/24", "*", "1"))
    facts = with_azure(DEMO, nsg=replace(DEMO.azure.nsg, rules=tuple(rules)))
    table = network_flows(facts)
    first, second = (row(table, Where.MI_NSG, p, Direction.INBOUND) for p in ("5022", "11000-11999"))
    assert first.state is second.state is FlowState.BLOCKED
    assert "--priority 280" in first.command and "--priority 270" in second.command
    names = {c.split("--name ", 1)[1].split()[0] for c in (first.command, second.command)}
    assert names == {"allow-milink-5022-in", "allow-milink-hadr-in"}


def test_free_priority_and_rule_name_edges() -> None:
    assert free_priority({290}, 300) == 280
    assert free_priority(set(), 65500) == 4090  # a default rule: any custom priority is above it
    assert free_priority(set(), 101) == 100
    assert free_priority({100}, 101) is None
    assert free_priority(set(range(100, 200)) - {157}, 200) == 157
    assert rule_name("allow-milink-hadr-in", ["ALLOW-MILINK-HADR-IN"]) == "allow-milink-hadr-in-2"
    assert rule_name("-x y!", []) == "x-y"
    assert RULE_NAME.fullmatch(rule_name("a" * 200, []))


# --- routes and DNS -----------------------------------------------------------------------------


@pytest.mark.parametrize(("routes", "state", "words"), [
    ((Route("to-onprem", "10.20.0.0/16", "None"),), FlowState.BLOCKED, "None (to-onprem)"),
    ((Route("fw", "10.20.0.0/16", "VirtualAppliance", "10.40.9.4"),), FlowState.UNDECIDED, "VirtualAppliance 10.40.9.4"),
    ((Route("out", "10.20.1.0/24", "Internet"),), FlowState.BLOCKED, "Internet (out)"),
    ((Route("lost", "10.20.0.0/16", ""),), FlowState.NOT_OBSERVED, "no next hop type"),
])
def test_the_route_row(routes: tuple[Route, ...], state: FlowState, words: str) -> None:
    facts = with_azure(DEMO, route_table=RouteTable("rt", "rt-sqlmi", routes))
    found = row(network_flows(facts), Where.ROUTE, "any")
    assert found.state is state and words in found.observed


def test_no_gateway_route_and_no_peering_is_a_black_hole() -> None:
    assert DEMO.azure is not None and DEMO.azure.vnet is not None
    facts = with_azure(DEMO, route_table=None, vnet=replace(DEMO.azure.vnet, has_gateway=False, peerings=()))
    found = row(network_flows(facts), Where.ROUTE, "any")
    assert found.state is FlowState.BLOCKED and "drop 10.0.0.0/8" in found.observed


@pytest.mark.parametrize(("addresses", "status", "state", "words"), [
    (("10.40.0.254",), DnsStatus.OK, FlowState.OPEN, "inside the MI subnet"),
    (("20.50.1.2",), DnsStatus.OK, FlowState.BLOCKED, "outside the MI subnet 10.40.0.0/24"),
    ((), DnsStatus.NXDOMAIN, FlowState.BLOCKED, "NXDOMAIN from 10.20.1.5"),
    ((), DnsStatus.TIMEOUT, FlowState.BLOCKED, "no answer in time from 10.20.1.5"),
    ((), DnsStatus.OK, FlowState.NOT_OBSERVED, "no address was recorded"),
])
def test_the_mi_fqdn_row(addresses: tuple[str, ...], status: DnsStatus, state: FlowState, words: str) -> None:
    answer = DnsAnswer("sqlmi-museum-prod.7b3c1d9e0f2a.database.windows.net", "10.20.1.5", status, addresses,
                       via="system")
    found = next(r for r in network_flows(with_network(DEMO, mi_dns=(answer,))).rows if r.where is Where.DNS)
    assert found.state is state and words in found.observed


def test_a_partner_host_the_vnet_resolves_to_another_address_is_blocked() -> None:
    answer = DnsAnswer("sqlprod01.museum.local", "10.40.2.4", DnsStatus.OK, ("10.20.1.99",), via="vnet")
    found = [r for r in network_flows(with_network(DEMO, partner_dns=(answer,))).rows if r.where is Where.DNS][-1]
    assert found.state is FlowState.BLOCKED and "not to SQL Server's 10.20.1.10" in found.observed
    fine = replace(answer, addresses=("10.20.1.10",))
    assert [r for r in network_flows(with_network(DEMO, partner_dns=(fine,))).rows
            if r.where is Where.DNS][-1].state is FlowState.OPEN


def test_partner_endpoints_that_are_addresses_need_no_dns_row() -> None:
    links = tuple(replace(link, partner_endpoint="TCP://10.20.1.10:5022") for link in DEMO.plan.links)
    table = network_flows(replace(DEMO, plan=replace(DEMO.plan, links=links)))
    assert len([r for r in table.rows if r.where is Where.DNS]) == 1


def test_no_source_prefix_leaves_the_nsg_rows_not_observed() -> None:
    plan = replace(DEMO.plan, source_prefixes=(), source_address="",
                   links=tuple(replace(x, partner_endpoint="TCP://sqlprod01.museum.local:5022") for x in DEMO.plan.links))
    table = network_flows(replace(DEMO, plan=plan, collector=Collector(runs_on_sql_host=True)))
    nsg = [r for r in table.rows if r.where is Where.MI_NSG]
    assert nsg and all(r.state is FlowState.NOT_OBSERVED and "SQL Server prefix not configured" in r.observed
                       for r in nsg)
    assert table.rows[0].flow.source_text() == "SQL Server (unknown)"
