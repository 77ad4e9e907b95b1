"""NSG documents: an ARM GET body or ``az network nsg show`` output read into facts (pure: no I/O).

Split from netrules so the evaluator reads as evaluation; ``nsg-eval`` and the Azure probe parse here.

The *effective* format (``az network nic list-effective-nsg``, ARM ``effectiveNetworkSecurityGroups``)
writes the same rules differently: ``"protocol": "All"``, ports as ``"3389-3389"`` / ``"0-65535"``,
names prefixed ``securityRules/`` or ``defaultSecurityRules/``, tags beside their
``expandedSourceAddressPrefix`` lists. It is normalised here into the GET shape, so both formats are
evaluated by one evaluator and give one answer.
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


#: Name prefixes of the effective-rules format: which list of the NSG a rule came from.
_EFFECTIVE_CUSTOM = "securityRules/"
_EFFECTIVE_DEFAULT = "defaultSecurityRules/"


def _protocol(value: Any) -> str:
    # The effective format says "All" where the GET format says "*".
    text = str(value or "*")
    return "*" if text.strip().lower() == "all" else text


def _prefixes(props: Mapping[str, Any], side: str) -> tuple[str, ...]:
    """The rule's address prefixes for ``side`` ("source"/"destination"), as written (tags kept).

    An effective rule whose prefix fields are empty carries only the expanded list: use it.
    """
    written = _as_list(props.get(f"{side}AddressPrefix"), props.get(f"{side}AddressPrefixes"))
    expanded = props.get(f"expanded{side.capitalize()}AddressPrefix")
    return written or _as_list(None, expanded)


def rule_from_arm(raw: Mapping[str, Any], is_default: bool = False) -> SecurityRule:
    """One security rule from its ARM (or az CLI) JSON, GET or effective format."""
    if not isinstance(raw, Mapping):
        raise NsgFormatError("a security rule is not a JSON object")
    props = _rule_props(raw)
    name = str(raw.get("name") or props.get("name") or "")
    if name.startswith(_EFFECTIVE_DEFAULT):
        name, is_default = name.removeprefix(_EFFECTIVE_DEFAULT), True
    name = name.removeprefix(_EFFECTIVE_CUSTOM)
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
        protocol=_protocol(props.get("protocol")),
        source_prefixes=_prefixes(props, "source"),
        source_ports=_as_list(props.get("sourcePortRange"), props.get("sourcePortRanges")) or ("*",),
        destination_prefixes=_prefixes(props, "destination"),
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
    doc = _effective_document(doc)
    if isinstance(doc, list):
        doc = _split_rule_list(doc)
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


def _split_rule_list(rules: list[Any]) -> dict[str, Any]:
    """A bare rule list; effective rules name the default ones ``defaultSecurityRules/…``."""
    def is_default(rule: Any) -> bool:
        return isinstance(rule, Mapping) and str(rule.get("name", "")).startswith(_EFFECTIVE_DEFAULT)

    defaults = [r for r in rules if is_default(r)]
    doc: dict[str, Any] = {"securityRules": [r for r in rules if not is_default(r)]}
    if defaults:
        doc["defaultSecurityRules"] = defaults
    return doc


def _effective_document(doc: Any) -> Any:
    """``az network nic list-effective-nsg`` output (``{"value": [{networkSecurityGroup, effectiveSecurityRules}]}``)
    → the one NSG's id and rule list; anything else unchanged. Several NSGs are refused, naming the format."""
    if isinstance(doc, Mapping) and isinstance(doc.get("value"), list):
        entries = doc["value"]
    elif isinstance(doc, Mapping) and "effectiveSecurityRules" in doc:
        entries = [doc]
    else:
        return doc
    if not entries:
        raise NsgFormatError("an effective-NSG document (az network nic list-effective-nsg) with no NSG in it")
    if len(entries) > 1 or not isinstance(entries[0], Mapping):
        names = ", ".join(name_of(str((e.get("networkSecurityGroup") or {}).get("id", ""))) or "?"
                          for e in entries if isinstance(e, Mapping))
        raise NsgFormatError(f"an effective-NSG document (az network nic list-effective-nsg) with {len(entries)} "
                             f"NSGs ({names}): nsg-eval judges one NSG; save one entry of \"value\" and run it per NSG")
    entry = entries[0]
    rules = entry.get("effectiveSecurityRules")
    if not isinstance(rules, list):
        raise NsgFormatError("an effective-NSG document (az network nic list-effective-nsg) whose "
                             "effectiveSecurityRules is not a list")
    nsg_id = str((entry.get("networkSecurityGroup") or {}).get("id", "")) if isinstance(
        entry.get("networkSecurityGroup"), Mapping) else ""
    return {"id": nsg_id, "name": name_of(nsg_id) or "", **_split_rule_list(rules)}


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
