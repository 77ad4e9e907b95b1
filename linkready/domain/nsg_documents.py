"""NSG documents: an ARM GET body or ``az network nsg show`` output read into facts (pure: no I/O).

Split from netrules so the evaluator reads as evaluation; ``nsg-eval`` and the Azure probe parse here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from linkready.domain.resource_ids import name_of
from linkready.facts.azure import NetworkSecurityGroup, SecurityRule


class NsgFormatError(ValueError):
    """The NSG document is not shaped like an ARM NSG (or a rule value cannot be parsed)."""


def _rule_props(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    # ARM nests rule fields under "properties"; `az network nsg show` flattens them.
    props = raw.get("properties")
    return props if isinstance(props, Mapping) else raw


def _as_list(single: Any, many: Any) -> tuple[str, ...]:
    values: list[str] = []
    if isinstance(many, list):
        values.extend(str(v) for v in many if str(v).strip())
    if isinstance(single, str) and single.strip():
        values.append(single.strip())
    return tuple(values)


def _asg_names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    names = []
    for asg in value:
        asg_id = str(asg.get("id", "")) if isinstance(asg, Mapping) else str(asg)
        names.append(name_of(asg_id) or asg_id)
    return tuple(names)


def rule_from_arm(raw: Mapping[str, Any], is_default: bool = False) -> SecurityRule:
    """One security rule from its ARM (or az CLI) JSON."""
    if not isinstance(raw, Mapping):
        raise NsgFormatError("a security rule is not a JSON object")
    props = _rule_props(raw)
    name = str(raw.get("name") or props.get("name") or "")
    try:
        priority = int(props["priority"])
        direction = str(props["direction"])
        access = str(props["access"])
    except (KeyError, TypeError, ValueError, OverflowError):
        # OverflowError: JSON's Infinity (Python's json accepts it) has no integer value.
        raise NsgFormatError(f"rule {name or '(unnamed)'!r} lacks priority, direction or access") from None
    if direction.lower() not in ("inbound", "outbound") or access.lower() not in ("allow", "deny"):
        raise NsgFormatError(f"rule {name!r} has direction {direction!r} / access {access!r}")
    rule = SecurityRule(
        name=name,
        priority=priority,
        direction=direction.capitalize(),
        access=access.capitalize(),
        protocol=str(props.get("protocol") or "*"),
        source_prefixes=_as_list(props.get("sourceAddressPrefix"), props.get("sourceAddressPrefixes")),
        source_ports=_as_list(props.get("sourcePortRange"), props.get("sourcePortRanges")) or ("*",),
        destination_prefixes=_as_list(props.get("destinationAddressPrefix"), props.get("destinationAddressPrefixes")),
        destination_ports=_as_list(props.get("destinationPortRange"), props.get("destinationPortRanges")) or ("*",),
        source_asgs=_asg_names(props.get("sourceApplicationSecurityGroups")),
        destination_asgs=_asg_names(props.get("destinationApplicationSecurityGroups")),
        is_default=is_default,
    )
    for spec in (*rule.source_ports, *rule.destination_ports):
        parse_port_range(spec, rule.name)
    if not (rule.source_prefixes or rule.source_asgs) or not (rule.destination_prefixes or rule.destination_asgs):
        raise NsgFormatError(f"rule {name!r} has no source or no destination")
    return rule


def default_rules() -> tuple[SecurityRule, ...]:
    """Azure's six default rules, present in every NSG."""

    def rule(name: str, prio: int, direction: str, access: str, src: str, dst: str) -> SecurityRule:
        return SecurityRule(name, prio, direction, access, "*", (src,), ("*",), (dst,), ("*",), is_default=True)

    return (
        rule("AllowVnetInBound", 65000, "Inbound", "Allow", "VirtualNetwork", "VirtualNetwork"),
        rule("AllowAzureLoadBalancerInBound", 65001, "Inbound", "Allow", "AzureLoadBalancer", "*"),
        rule("DenyAllInBound", 65500, "Inbound", "Deny", "*", "*"),
        rule("AllowVnetOutBound", 65000, "Outbound", "Allow", "VirtualNetwork", "VirtualNetwork"),
        rule("AllowInternetOutBound", 65001, "Outbound", "Allow", "*", "Internet"),
        rule("DenyAllOutBound", 65500, "Outbound", "Deny", "*", "*"),
    )


def nsg_from_arm(doc: Any) -> tuple[NetworkSecurityGroup, bool]:
    """An NSG from an ARM GET body or ``az network nsg show`` output.

    Returns the NSG and whether Azure's default rules had to be added because the document did
    not carry them (a hand-written rule list).
    """
    if isinstance(doc, list):
        doc = {"securityRules": doc}
    if not isinstance(doc, Mapping):
        raise NsgFormatError("the NSG document is not a JSON object")
    props = doc.get("properties") if isinstance(doc.get("properties"), Mapping) else doc
    assert isinstance(props, Mapping)
    custom = props.get("securityRules")
    defaults = props.get("defaultSecurityRules")
    if custom is None and defaults is None:
        raise NsgFormatError("no securityRules or defaultSecurityRules: this is not an NSG document")
    if custom is not None and not isinstance(custom, list):
        raise NsgFormatError("securityRules is not a list")
    if defaults is not None and not isinstance(defaults, list):
        raise NsgFormatError("defaultSecurityRules is not a list")
    rules = [rule_from_arm(r) for r in custom or []]
    added = not defaults
    rules += list(default_rules()) if added else [rule_from_arm(r, is_default=True) for r in defaults or []]
    return (
        NetworkSecurityGroup(id=str(doc.get("id", "")), name=str(doc.get("name", "")), rules=tuple(rules)),
        added,
    )


def load_nsg_text(text: str) -> tuple[NetworkSecurityGroup, bool]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NsgFormatError(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise NsgFormatError("not usable JSON: nested too deeply") from None
    return nsg_from_arm(doc)


def parse_port_range(spec: str, rule: str = "") -> tuple[int, int]:
    """``"*"`` → (0, 65535); ``"5022"`` → (5022, 5022); ``"11000-11999"`` → (11000, 11999)."""
    text = spec.strip()
    if text in ("*", "Any", "any"):
        return (0, 65535)
    low, sep, high = text.partition("-")
    try:
        start, end = int(low), int(high) if sep else int(low)
    except ValueError:
        raise NsgFormatError(f"port {spec!r}{f' in rule {rule!r}' if rule else ''} is not a number or range") from None
    if not 0 <= start <= end <= 65535:
        raise NsgFormatError(f"port range {spec!r}{f' in rule {rule!r}' if rule else ''} is out of order or bounds")
    return (start, end)


def parse_ports(spec: str) -> list[tuple[int, int]]:
    """A port query: ``"5022"``, ``"11000-11999"`` or a comma list of those."""
    return [parse_port_range(part) for part in spec.split(",") if part.strip()]
