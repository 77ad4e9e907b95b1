"""NSG-001..005 over hand-built facts: PASS, FAIL, WARN, SKIP and ERROR per check."""

from __future__ import annotations

from dataclasses import replace

import pytest

from linkready.domain.flows import network_flows
from linkready.facts import Facts, ProbeError
from linkready.facts.azure import Route, RouteTable, SecurityRule
from linkready.model import Finding, Status
from tests.builders.azure_facts import MI_NSG_RULES, azure, facts, nsg, plan, rule, vnet
from tests.builders.checks import findings as run
from tests.builders.manifest import not_asked


def mi_leg(findings: list[Finding]) -> Finding:
    return next(x for x in findings if "MI subnet" in x.target)


def without(name: str) -> tuple[SecurityRule, ...]:
    return tuple(r for r in MI_NSG_RULES if r.name != name)


def test_healthy_passes_both_nsgs() -> None:
    for check_id in ("NSG-001", "NSG-002", "NSG-003"):
        findings = run(check_id, facts())
        assert [x.status for x in findings] == [Status.PASS, Status.PASS], check_id
        assert {x.target.split(" ")[0] for x in findings} == {"nsg-sqlmi", "nsg-sqlvm"}


def test_missing_hadr_rule_fails_on_default_deny_with_the_command() -> None:
    # Source outside any VNet space (on-premises, no gateway): DenyAllInBound decides.
    f = facts(azure_facts=azure(nsg=nsg(*without("allow-milink-hadr-in")), source_vm_nsgs=None, vnet=vnet(peerings=())),
              plan_facts=plan(source_prefixes=("192.168.10.0/24",), source_address="192.168.10.5"))
    finding = mi_leg(run("NSG-002", f))
    assert finding.status is Status.FAIL
    assert "no rule allows it; default DenyAllInBound (priority 65500) denies it" in finding.message
    [fix] = finding.fix
    # 5022 from this prefix is blocked too: NSG-001's rule takes 4090, so this one takes the next free priority
    # (ARM refuses two inbound rules of one NSG at the same priority), as the flows table does.
    assert "az network nsg rule create" in fix.code and "--priority 4080" in fix.code
    assert "--destination-port-ranges 11000-11999" in fix.code and "--source-address-prefixes 192.168.10.0/24" in fix.code
    [mirroring] = mi_leg(run("NSG-001", f)).fix
    assert "--priority 4090" in mirroring.code and "--destination-port-ranges 5022" in mirroring.code
    table = {row.command for row in network_flows(f).rows if row.command}
    assert {fix.code, mirroring.code} <= table


def test_higher_priority_deny_is_named() -> None:
    deny = SecurityRule("deny-corp-in", 900, "Inbound", "Deny", "*", ("10.0.0.0/8", "172.16.0.0/12"), ("*",), ("*",), ("*",))
    finding = mi_leg(run("NSG-001", facts(azure_facts=azure(nsg=nsg(*MI_NSG_RULES, deny)))))
    assert finding.status is Status.FAIL and "rule deny-corp-in (priority 900) denies it" in finding.message
    assert "--priority 890" in finding.fix[0].code


def test_partial_range_names_the_denied_ports() -> None:
    rules = (*without("allow-milink-hadr-in"),
             rule("allow-part", 1010, "Inbound", "Allow", "10.10.2.0/24", "10.20.1.0/24", "11000-11499"),
             rule("deny-rest", 1020, "Inbound", "Deny", "*", "*", "*", "*"))
    finding = mi_leg(run("NSG-002", facts(azure_facts=azure(nsg=nsg(*rules)))))
    assert finding.status is Status.FAIL and "port 11500-11999" in finding.observed


def test_only_default_rules_allow_a_peered_source() -> None:
    finding = mi_leg(run("NSG-002", facts(azure_facts=azure(nsg=nsg()))))
    assert finding.status is Status.PASS and "AllowVnetInBound" in finding.message


def test_outbound_deny_fails_nsg_003() -> None:
    rules = (*without("allow-milink-5022-out"), rule("deny-out", 500, "Outbound", "Deny", "*", "VirtualNetwork", "*", "*"))
    finding = mi_leg(run("NSG-003", facts(azure_facts=azure(nsg=nsg(*rules)))))
    assert finding.status is Status.FAIL and "deny-out (priority 500)" in finding.message


def test_sql_vm_nsg_blocking_the_reverse_direction_fails() -> None:
    vm = nsg(rule("deny-all-in", 200, "Inbound", "Deny", "*", "*", "*", "*"), name="nsg-sqlvm")
    findings = run("NSG-003", facts(azure_facts=azure(source_vm_nsgs=(vm,))))
    vm_leg = next(x for x in findings if "SQL Server VM" in x.target)
    assert vm_leg.status is Status.FAIL and "deny-all-in" in vm_leg.message


def test_unresolvable_service_tag_above_the_allow_warns() -> None:
    tagged = SecurityRule("deny-sql-tag", 500, "Inbound", "Deny", "*", ("Sql.WestEurope",), ("*",), ("*",), ("*",))
    finding = mi_leg(run("NSG-001", facts(azure_facts=azure(nsg=nsg(*MI_NSG_RULES, tagged)))))
    assert finding.status is Status.WARN and "deny-sql-tag" in finding.message and "Sql.WestEurope" in finding.message


def test_asg_rule_warns() -> None:
    asg = SecurityRule("deny-asg", 500, "Inbound", "Deny", "*", (), ("*",), ("*",), ("*",), source_asgs=("asg-web",))
    finding = mi_leg(run("NSG-001", facts(azure_facts=azure(nsg=nsg(*MI_NSG_RULES, asg)))))
    assert finding.status is Status.WARN and "asg-web" in finding.message


def test_gateway_source_outside_the_known_space_warns() -> None:
    f = facts(azure_facts=azure(nsg=nsg(*without("allow-milink-5022-in")), source_vm_nsgs=None,
                                vnet=vnet(peerings=(), has_gateway=True)),
              plan_facts=plan(source_prefixes=("192.168.10.0/24",)))
    finding = mi_leg(run("NSG-001", f))
    assert finding.status is Status.WARN and "gateway" in " ".join(finding.evidence)


def test_nsg_read_error_is_error_and_the_vm_leg_still_reports() -> None:
    f = facts(azure_facts=azure(nsg=None), errors=(ProbeError("azure", "azure.nsg", "permission", "403 lacks read"),))
    findings = run("NSG-001", f)
    assert [x.status for x in findings] == [Status.ERROR, Status.PASS]
    assert "403 lacks read" in findings[0].message


def test_no_source_address_skips() -> None:
    f = facts(plan_facts=plan(source_prefixes=(), source_address="", links=()))
    assert [x.status for x in run("NSG-001", f)] == [Status.SKIP]


def test_partner_endpoint_ip_is_the_fallback_source() -> None:
    f = facts(plan_facts=plan(source_prefixes=(), source_address=""))
    assert {x.status for x in run("NSG-001", f)} == {Status.PASS}


def test_azure_not_collected_is_error_and_not_asked_skips() -> None:
    f = Facts(plan=plan())
    assert [x.status for x in run("NSG-001", f)] == [Status.ERROR]
    assert [x.status for x in run("NSG-001", not_asked(f, "azure"))] == [Status.SKIP]


@pytest.mark.parametrize(
    ("routes", "gateway", "source", "status", "words"),
    [
        ((), False, "10.10.2.0/24", Status.PASS, "VNetPeering"),
        ((Route("drop-app", "10.10.0.0/16", "None"),), False, "10.10.2.0/24", Status.FAIL, "black hole"),
        ((Route("fw", "10.10.2.0/24", "VirtualAppliance", "10.0.0.4"),), False, "10.10.2.0/24", Status.WARN, "UCS"),
        ((), False, "192.168.10.0/24", Status.FAIL, "Azure drops traffic"),
        ((), True, "192.168.10.0/24", Status.WARN, "gateway"),
        ((Route("to-net", "192.168.10.0/24", "Internet"),), False, "192.168.10.0/24", Status.FAIL, "private connectivity"),
        ((Route("ok", "192.168.10.0/24", "VirtualNetworkGateway"),), False, "192.168.10.0/24", Status.PASS, "VirtualNetworkGateway"),
    ],
)
def test_nsg_004_routes(routes: tuple[Route, ...], gateway: bool, source: str, status: Status, words: str) -> None:
    peerings = vnet().peerings if source.startswith("10.10") else ()
    f = facts(azure_facts=azure(route_table=RouteTable("/x/rt", "rt-sqlmi", routes),
                                vnet=vnet(has_gateway=gateway, peerings=peerings)),
              plan_facts=plan(source_prefixes=(source,)))
    [finding] = run("NSG-004", f)
    assert finding.status is status and words in finding.message


def test_nsg_004_splits_a_prefix_where_a_route_covers_part() -> None:
    f = facts(azure_facts=azure(route_table=RouteTable("/x/rt", "rt", (Route("drop-half", "10.10.2.128/25", "None"),))))
    findings = run("NSG-004", f)
    assert [(x.target, x.status) for x in findings] == [
        ("route to 10.10.2.0/25", Status.PASS), ("route to 10.10.2.128/25", Status.FAIL)]


def test_nsg_004_disconnected_peering_has_no_route() -> None:
    peer = replace(vnet().peerings[0], state="Disconnected")
    [finding] = run("NSG-004", facts(azure_facts=azure(vnet=vnet(peerings=(peer,)))))
    assert finding.status is Status.FAIL


def test_nsg_005_overlap_and_delegation() -> None:
    overlapping = vnet(address_prefixes=("10.20.0.0/16", "10.10.0.0/22"))
    findings = {x.target: x for x in run("NSG-005", facts(azure_facts=azure(vnet=overlapping)))}
    assert findings["address spaces"].status is Status.FAIL
    assert "overlaps the MI VNet address space 10.10.0.0/22" in findings["address spaces"].message
    assert "peered VNet peer-sqlmi-to-app" in findings["address spaces"].message
    subnet = replace(azure().subnet, delegations=())  # type: ignore[type-var]
    findings = {x.target: x for x in run("NSG-005", facts(azure_facts=azure(subnet=subnet)))}
    assert findings["delegation"].status is Status.FAIL and "az network vnet subnet update" in findings["delegation"].fix[0].code
    assert findings["address spaces"].status is Status.PASS


def test_nsg_005_source_in_the_mi_subnet_fails() -> None:
    f = facts(plan_facts=plan(source_prefixes=("10.20.1.0/25",)))
    findings = {x.target: x for x in run("NSG-005", f)}
    assert findings["address spaces"].status is Status.FAIL and "MI subnet" in findings["address spaces"].message


def test_nsg_005_sql_vm_in_the_same_vnet_is_fine() -> None:
    same = azure(source_vnet=vnet(), vnet=vnet())
    f = facts(azure_facts=same, plan_facts=plan(source_prefixes=("10.20.5.0/24",)))
    findings = {x.target: x for x in run("NSG-005", f)}
    assert findings["address spaces"].status is Status.PASS


def test_subnet_read_error_is_error_for_every_nsg_check() -> None:
    f = facts(azure_facts=azure(subnet=None), errors=(ProbeError("azure", "azure.subnet", "not_found", "404 subnet"),))
    for check_id in ("NSG-001", "NSG-002", "NSG-003", "NSG-004", "NSG-005"):
        assert [x.status for x in run(check_id, f)] == [Status.ERROR], check_id



def _on_port(port: int) -> Facts:
    """The healthy plan with the SQL Server endpoint moved to ``port`` (a named instance's own port)."""
    base = plan()
    links = tuple(replace(link, partner_endpoint=f"TCP://10.10.2.4:{port}") for link in base.links)
    return facts(plan_facts=replace(base, links=links))


def test_nsg_003_judges_the_planned_sql_server_port_not_5022() -> None:
    # The reference allows another port on the SQL Server side; the healthy NSGs open only 5022 outbound,
    # and the rule above DenyAllOutBound (VirtualNetwork) would hide it, so deny the rest explicitly.
    deny = rule("deny-rest-out", 4000, "Outbound", "Deny", "*", "*", "*", "*")
    f = _on_port(5023)
    assert f.azure is not None and f.azure.nsg is not None
    f = replace(f, azure=replace(f.azure, nsg=nsg(*MI_NSG_RULES, deny)))
    finding = mi_leg(run("NSG-003", f))
    assert finding.status is Status.FAIL and "TCP 5023 to SQL Server" in finding.message
    assert "--destination-port-ranges 5023" in finding.fix[0].code and "allow-milink-5023-out" in finding.fix[0].code
    healthy = mi_leg(run("NSG-003", replace(f, plan=plan())))
    assert healthy.status is Status.PASS and "TCP 5022" in healthy.message


def test_nsg_001_stays_on_5022_whatever_the_sql_server_port() -> None:
    # The managed instance's ports cannot be changed: the inbound legs are 5022 and 11000-11999 always.
    finding = mi_leg(run("NSG-001", _on_port(5023)))
    assert finding.status is Status.PASS and "TCP 5022 from SQL Server" in finding.message


def test_two_planned_ports_are_judged_each_with_the_port_in_the_target() -> None:
    base = plan()
    first, second = base.links
    f = facts(plan_facts=replace(base, links=(first, replace(second, partner_endpoint="tcp://10.10.2.4:5023"))))
    targets = {x.target for x in run("NSG-003", f)}
    assert {"nsg-sqlmi (MI subnet) outbound port 5022", "nsg-sqlmi (MI subnet) outbound port 5023"} <= targets
