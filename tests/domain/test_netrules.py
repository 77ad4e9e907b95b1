"""NSG and route evaluation: Azure's semantics case by case (properties live in test_netrules_properties)."""

from __future__ import annotations

import json

import pytest

from linkready.domain.flows import free_priority
from linkready.domain.netrules import (
    Context,
    Flow,
    NsgFormatError,
    Verdict,
    decide,
    default_rules,
    effective_routes,
    evaluate,
    load_nsg_text,
    nsg_from_arm,
    overlaps,
    parse_port_range,
    route_for_prefix,
    rule_from_arm,
    summarize,
)
from linkready.facts.azure import Route, SecurityRule

VNET = Context(("10.20.0.0/16", "10.10.0.0/16"))


def rule(name: str, prio: int, access: str = "Allow", src: tuple[str, ...] = ("*",), dst: tuple[str, ...] = ("*",),
         ports: tuple[str, ...] = ("*",), proto: str = "Tcp", direction: str = "Inbound", **kw: object) -> SecurityRule:
    return SecurityRule(name, prio, direction, access, proto, src, kw.pop("sports", ("*",)), dst, ports, **kw)  # type: ignore[arg-type]


def verdict(rules: list[SecurityRule], src: str = "10.10.2.4", dst: str = "10.20.1.5", port: int = 5022,
            proto: str = "tcp", ctx: Context = VNET) -> tuple[Verdict, str | None]:
    d = decide([*rules, *default_rules()], "Inbound", Flow(proto, src, dst, port), ctx)
    return d.verdict, d.rule.name if d.rule else None


@pytest.mark.parametrize(
    ("rules", "kwargs", "expected"),
    [
        # Priority order, first match wins, whatever the document order.
        ([rule("deny", 200, "Deny"), rule("allow", 100)], {}, (Verdict.ALLOW, "allow")),
        ([rule("allow", 300), rule("deny", 200, "Deny")], {}, (Verdict.DENY, "deny")),
        # Default rules: VirtualNetwork covers the peered VNet; DenyAllInBound for the rest.
        ([], {}, (Verdict.ALLOW, "AllowVnetInBound")),
        ([], {"src": "192.168.1.10"}, (Verdict.DENY, "DenyAllInBound")),
        ([], {"src": "168.63.129.16", "dst": "10.20.1.5"}, (Verdict.ALLOW, "AllowAzureLoadBalancerInBound")),
        # CIDR, single IP, prefix lists.
        ([rule("one-ip", 100, src=("10.10.2.4",))], {"src": "192.168.1.10"}, (Verdict.DENY, "DenyAllInBound")),
        ([rule("cidr", 100, "Deny", src=("10.10.2.0/24",))], {}, (Verdict.DENY, "cidr")),
        ([rule("list", 100, "Deny", src=("192.168.0.0/16", "10.10.2.4/32"))], {}, (Verdict.DENY, "list")),
        # Ports: single, range, list; protocol.
        ([rule("d", 100, "Deny", ports=("11000-11999",))], {"port": 11999}, (Verdict.DENY, "d")),
        ([rule("d", 100, "Deny", ports=("11000-11999",))], {"port": 12000}, (Verdict.ALLOW, "AllowVnetInBound")),
        ([rule("d", 100, "Deny", ports=("80", "5022"))], {}, (Verdict.DENY, "d")),
        ([rule("udp", 100, "Deny", proto="Udp")], {}, (Verdict.ALLOW, "AllowVnetInBound")),
        ([rule("icmp", 100, "Deny", proto="Icmp")], {"proto": "icmp"}, (Verdict.DENY, "icmp")),
        # Tags: Internet excludes private and VNet space.
        ([rule("inet", 100, "Deny", src=("Internet",))], {}, (Verdict.ALLOW, "AllowVnetInBound")),
        ([rule("inet", 100, "Deny", src=("Internet",))], {"src": "20.50.1.1"}, (Verdict.DENY, "inet")),
        # Direction: an outbound rule does not touch inbound traffic.
        ([rule("out", 100, "Deny", direction="Outbound")], {}, (Verdict.ALLOW, "AllowVnetInBound")),
    ],
)
def test_nsg_semantics(rules: list[SecurityRule], kwargs: dict[str, object], expected: tuple[Verdict, str]) -> None:
    assert verdict(rules, **kwargs) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("blocking", "reason"),
    [
        (rule("tagged", 100, "Deny", src=("Sql.WestEurope",)), "service tag 'Sql.WestEurope' cannot be resolved"),
        (rule("asg", 100, "Deny", src=(), source_asgs=("asg-sql",)), "application security group asg-sql"),
        (rule("sport", 100, "Deny", sports=("1024-65535",)), "restricts source ports"),
    ],
)
def test_unresolvable_rule_above_an_allow_makes_the_decision_unknown(blocking: SecurityRule, reason: str) -> None:
    d = decide([blocking, rule("allow", 200), *default_rules()], "Inbound", Flow("tcp", "10.10.2.4", "10.20.1.5", 5022), VNET)
    assert d.verdict is Verdict.UNKNOWN and d.rule is not None and d.rule.name == "allow"
    assert [u.name for u in d.uncertain] == [blocking.name] and reason in d.uncertain[0].reason
    assert "unless an unresolvable rule above it matches" in d.describe()


def test_unresolvable_rule_with_the_same_access_does_not_matter() -> None:
    d = decide([rule("tagged", 100, "Allow", src=("AzureCloud",)), rule("allow", 200), *default_rules()], "Inbound",
               Flow("tcp", "10.10.2.4", "10.20.1.5", 5022), VNET)
    assert d.verdict is Verdict.ALLOW and d.uncertain == ()


def test_unknown_vnet_space_leaves_virtualnetwork_rules_unresolved() -> None:
    v, name = verdict([], ctx=Context(None))
    assert v is Verdict.UNKNOWN and name == "DenyAllInBound"


def test_range_compression_names_the_deciding_rule_per_run() -> None:
    rules = [rule("allow-hadr", 1010, src=("10.10.2.0/24",), ports=("11000-11500",)),
             rule("deny-vnet", 4000, "Deny", src=("VirtualNetwork",)), *default_rules()]
    spans = evaluate(rules, "Inbound", "tcp", ["10.10.2.4"], ["10.20.1.0/24"], [(11000, 11999)], VNET)
    assert [(s.ports, s.decision.verdict, s.decision.rule.name if s.decision.rule else None) for s in spans] == [
        ("11000-11500", Verdict.ALLOW, "allow-hadr"), ("11501-11999", Verdict.DENY, "deny-vnet")]
    assert summarize(spans) is Verdict.DENY


def test_source_prefix_split_where_a_rule_covers_part_of_it() -> None:
    rules = [rule("half", 100, src=("10.10.2.0/25",), ports=("5022",)), *default_rules()]
    spans = evaluate(rules, "Inbound", "tcp", ["10.10.2.0/24"], ["10.20.1.4"], [(5022, 5022)], Context(("10.20.0.0/16",)))
    assert [(s.source, s.decision.verdict) for s in spans] == [
        ("10.10.2.0/25", Verdict.ALLOW), ("10.10.2.128/25", Verdict.DENY)]


ARM_RULE = {
    "name": "allow-hadr", "id": "/x/securityRules/allow-hadr",
    "properties": {"priority": 1010, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
                   "sourcePortRange": "*", "destinationPortRanges": ["11000-11999", "5022"],
                   "sourceAddressPrefixes": ["10.10.2.0/24", "10.10.3.4"], "destinationAddressPrefix": "VirtualNetwork",
                   "sourcePortRanges": [], "destinationAddressPrefixes": []},
}


def test_arm_and_az_cli_shapes_parse_the_same() -> None:
    flat = {"name": "allow-hadr", **ARM_RULE["properties"]}  # az network nsg show flattens properties
    assert rule_from_arm(ARM_RULE) == rule_from_arm(flat)
    parsed = rule_from_arm(ARM_RULE)
    assert parsed.destination_ports == ("11000-11999", "5022")
    assert parsed.source_prefixes == ("10.10.2.0/24", "10.10.3.4")


def test_defaults_are_added_only_when_missing() -> None:
    nsg, added = nsg_from_arm({"name": "n", "properties": {"securityRules": [ARM_RULE]}})
    assert added and [r.name for r in nsg.rules if r.is_default] == [r.name for r in default_rules()]
    nsg2, added2 = nsg_from_arm({"name": "n", "securityRules": [ARM_RULE], "defaultSecurityRules": [
        {"name": "DenyAllInBound", "priority": 65500, "direction": "Inbound", "access": "Deny", "protocol": "*",
         "sourceAddressPrefix": "*", "destinationAddressPrefix": "*", "sourcePortRange": "*", "destinationPortRange": "*"}]})
    assert not added2 and [r.name for r in nsg2.rules] == ["allow-hadr", "DenyAllInBound"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ("[1]", "not a JSON object"),
        ('{"name": "x"}', "not an NSG document"),
        ('{"securityRules": [{"name": "r", "properties": {"direction": "Inbound"}}]}', "lacks priority"),
        ('{"securityRules": [{"name": "r", "priority": 100, "direction": "Sideways", "access": "Allow"}]}', "direction"),
        ('{"securityRules": [{"name": "r", "priority": 100, "direction": "Inbound", "access": "Allow", '
         '"sourceAddressPrefix": "*", "destinationAddressPrefix": "*", "destinationPortRange": "50-40"}]}', "out of order"),
        ('{"securityRules": [{"name": "r", "priority": 100, "direction": "Inbound", "access": "Allow", '
         '"destinationAddressPrefix": "*"}]}', "no source"),
    ],
)
def test_malformed_documents_are_named(text: str, message: str) -> None:
    with pytest.raises(NsgFormatError, match=message):
        load_nsg_text(text)


@pytest.mark.parametrize(("spec", "expected"), [("*", (0, 65535)), ("5022", (5022, 5022)), ("1-2", (1, 2))])
def test_port_ranges(spec: str, expected: tuple[int, int]) -> None:
    assert parse_port_range(spec) == expected


def test_free_priorities_land_just_above_the_blocking_rule() -> None:
    # The one priority picker (domain/flows) that the NSG checks' fixes and the flows table share.
    rules = [rule("a", 890), rule("b", 880), rule("x", 900, "Deny")]
    used = {r.priority for r in rules}
    assert free_priority(used, below=900) == 870
    assert free_priority(used | {870}, below=900) == 860
    assert free_priority({r.priority for r in [rule("top", 100, "Deny")]}, below=100) is None


@pytest.mark.parametrize(
    ("user", "prefix", "hop"),
    [
        ([], "10.10.2.0/24", "VNetPeering"),
        ([], "192.168.10.0/24", "None"),
        ([], "20.1.2.0/24", "Internet"),
        ([Route("fw", "10.10.0.0/16", "VirtualAppliance", "10.0.0.4")], "10.10.2.0/24", "VirtualAppliance"),
        ([Route("drop", "10.10.2.0/24", "None")], "10.10.2.0/24", "None"),
        ([Route("drop", "10.10.0.0/16", "None"), Route("ok", "10.10.2.0/24", "VnetLocal")], "10.10.2.0/24", "VnetLocal"),
        ([Route("tag", "Storage", "Internet")], "10.10.2.0/24", "VNetPeering"),
    ],
)
def test_routes_longest_prefix_then_user_over_system(user: list[Route], prefix: str, hop: str) -> None:
    routes, _ = effective_routes(user, ["10.20.0.0/16"], ["10.10.0.0/16"])
    [(_, chosen)] = route_for_prefix(routes, prefix)
    assert chosen is not None and chosen.next_hop_type == hop


def test_vnet_space_inside_a_drop_range_is_local() -> None:
    routes, _ = effective_routes([], ["10.0.0.0/8"], [])
    [(_, chosen)] = route_for_prefix(routes, "10.1.0.0/24")
    assert chosen is not None and chosen.next_hop_type == "VnetLocal"


def test_service_tag_routes_are_set_aside() -> None:
    _, tagged = effective_routes([Route("mi-Storage", "Storage", "Internet")], ["10.20.0.0/16"])
    assert tagged == ["mi-Storage"]


def test_overlaps() -> None:
    assert overlaps("10.10.0.0/22", "10.10.2.0/24")
    assert not overlaps("10.20.0.0/16", "10.10.2.0/24")
    assert not overlaps("10.0.0.0/8", "fd00::/8")


def test_a_real_stand_in_nsg_document_parses() -> None:
    from pathlib import Path

    doc = json.loads(Path(__file__).parents[1].joinpath("standins", "arm", "baseline.json").read_text())
    nsg_body = next(v for k, v in doc["resources"].items() if k.endswith("nsg-sqlmi"))
    nsg, added = nsg_from_arm(json.loads(json.dumps(nsg_body).replace("${NET}", "/x")))
    assert not added and len(nsg.rules) == 14
