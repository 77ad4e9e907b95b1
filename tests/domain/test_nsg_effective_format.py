"""The effective-rules format (az network nic list-effective-nsg) is judged exactly like the GET format.

The property: any rule set written both ways (GET: ``"*"``, ``"5022"``, plain names; effective:
``"All"``, ``"5022-5022"``, ``"0-65535"``, ``securityRules/`` names, expanded prefix lists) gives the
same decision for every flow, through the one parser (``nsg_from_arm``) and the one evaluator.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkready.domain import netrules
from linkready.domain.netrules import Context, NsgFormatError, nsg_from_arm
from linkready.facts.azure import SecurityRule
from tests.domain.test_netrules_properties import ADDRESSES, EXAMPLES, PORT_HI, PORT_LO, VNET, rule_lists


def _get_rule(rule: SecurityRule) -> dict[str, Any]:
    return {"name": rule.name, "properties": {
        "priority": rule.priority, "direction": rule.direction, "access": rule.access, "protocol": rule.protocol,
        "sourceAddressPrefixes": list(rule.source_prefixes), "sourcePortRanges": list(rule.source_ports),
        "destinationAddressPrefixes": list(rule.destination_prefixes),
        "destinationPortRanges": list(rule.destination_ports),
        "sourceApplicationSecurityGroups": [{"id": f"/x/applicationSecurityGroups/{a}"} for a in rule.source_asgs],
    }}


def _effective_ports(spec: str) -> str:
    if spec == "*":
        return "0-65535"
    return spec if "-" in spec else f"{spec}-{spec}"


def _effective_rule(rule: SecurityRule, list_name: str = "securityRules") -> dict[str, Any]:
    # Flat, as the effective list writes it; a single prefix goes in the singular field, the rest in
    # the plural one, and the expanded lists repeat literal prefixes (tags would be expanded by Azure).
    def prefixes(side: str, values: tuple[str, ...]) -> dict[str, Any]:
        return {f"{side}AddressPrefix": values[0] if len(values) == 1 else "",
                f"{side}AddressPrefixes": list(values) if len(values) > 1 else [],
                f"expanded{side.capitalize()}AddressPrefix": [v for v in values if "/" in v]}

    return {
        "name": f"{list_name}/{rule.name}", "priority": rule.priority, "direction": rule.direction,
        "access": rule.access, "protocol": "All" if rule.protocol == "*" else rule.protocol,
        **prefixes("source", rule.source_prefixes), **prefixes("destination", rule.destination_prefixes),
        "sourcePortRanges": [_effective_ports(p) for p in rule.source_ports],
        "destinationPortRanges": [_effective_ports(p) for p in rule.destination_ports],
        "sourceApplicationSecurityGroups": [{"id": f"/x/applicationSecurityGroups/{a}"} for a in rule.source_asgs],
    }


def _effective_document(rules: list[SecurityRule]) -> dict[str, Any]:
    return {"value": [{
        "networkSecurityGroup": {"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/"
                                       "networkSecurityGroups/nsg-sqlmi"},
        "association": {"subnet": {"id": "/x/subnets/snet"}},
        "effectiveSecurityRules": [_effective_rule(r) for r in rules] + [
            _effective_rule(r, "defaultSecurityRules") for r in netrules.default_rules()],
    }]}


@EXAMPLES
@given(rule_lists, st.sampled_from(["Inbound", "Outbound"]), st.sampled_from(["tcp", "udp"]),
       st.sampled_from([str(a) for a in ADDRESSES[::7]]), st.sampled_from([str(a) for a in ADDRESSES[::11]]),
       st.integers(PORT_LO, PORT_HI), st.integers(0, 8))
def test_the_same_rules_in_both_formats_give_the_same_answer(
    rules: list[SecurityRule], direction: str, protocol: str, source: str, destination: str, port: int, width: int,
) -> None:
    get_nsg, get_added = nsg_from_arm({"name": "nsg-sqlmi", "properties": {"securityRules": [_get_rule(r) for r in rules]}})
    eff_nsg, eff_added = nsg_from_arm(_effective_document(rules))
    assert get_added and not eff_added  # the effective list carries Azure's defaults itself
    assert eff_nsg.name == "nsg-sqlmi"
    assert [r.is_default for r in eff_nsg.rules] == [r.is_default for r in get_nsg.rules]
    ctx = Context(VNET)
    query = [(port, min(port + width, 65535))]
    answers = [netrules.evaluate(nsg.rules, direction, protocol, [source], [destination], query, ctx)
               for nsg in (get_nsg, eff_nsg)]
    assert [(s.ports, s.decision.verdict, s.decision.rule.name if s.decision.rule else None) for s in answers[0]] == \
           [(s.ports, s.decision.verdict, s.decision.rule.name if s.decision.rule else None) for s in answers[1]]


def test_a_document_with_several_nsgs_is_refused_naming_the_format() -> None:
    doc = _effective_document([])
    doc["value"].append({**doc["value"][0], "networkSecurityGroup": {"id": "/x/networkSecurityGroups/nsg-nic"}})
    with pytest.raises(NsgFormatError, match=r"effective-NSG document \(az network nic list-effective-nsg\) with 2 "
                                             r"NSGs \(nsg-sqlmi, nsg-nic\)"):
        nsg_from_arm(doc)
    with pytest.raises(NsgFormatError, match="with no NSG in it"):
        nsg_from_arm({"value": []})


def test_a_protocol_all_rule_in_the_facts_matches_tcp() -> None:
    # Facts written by hand (or by an older probe) in the effective spelling are judged the same.
    rule = SecurityRule("allow-all", 100, "Inbound", "Allow", "All", ("*",), ("*",), ("*",), ("5022",))
    [span] = netrules.evaluate([rule], "Inbound", "tcp", ["10.0.0.1"], ["10.0.0.2"], [(5022, 5022)], Context(VNET))
    assert span.decision.verdict is netrules.Verdict.ALLOW
