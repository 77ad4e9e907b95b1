"""The network flows a Managed Instance link needs, one row per place each must be open (pure: no I/O).

The network team's table (issue 19): every required flow (source prefix -> destination prefix, ports,
protocol) at every place it must be open -- the on-premises firewall, the MI subnet NSG, a SQL Server
VM's NSG, the MI subnet's routes, DNS -- with the state the facts show and, where an NSG blocks, the
``az network nsg rule create`` that opens it. The flows and their places are link knowledge
(:mod:`linkready.domain.flow_model`); the states come from the NSG evaluation, the port scan, the DNS
answers and the routes (:mod:`linkready.domain.flow_observations`). Unknown is never open.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from linkready.domain.azcli import nsg_rule_create
from linkready.domain.flow_model import (
    NETWORK_TEST,
    Direction,
    Flow,
    FlowRow,
    FlowState,
    FlowTable,
    RuleNeed,
    Where,
    required_flows,
    subnet_prefixes,
)
from linkready.domain.flow_observations import observe
from linkready.domain.ports import MI_ENDPOINT_PORT, MI_REDIRECT_RANGE
from linkready.domain.resource_ids import group_and_name
from linkready.facts import Facts

__all__ = [
    "RULE_NAME", "Direction", "Flow", "FlowRow", "FlowState", "FlowTable", "RuleNeed", "Where", "assign_commands",
    "free_priority", "network_flows", "required_flows", "rule_name",
]


def network_flows(facts: Facts) -> FlowTable:
    """The table: every required flow at every place it must be open, observed, numbered, with commands."""
    rows = [row for flow in required_flows(facts) for row in observe(facts, flow)]
    rows = assign_commands(rows)
    numbered = tuple(replace(row, number=i) for i, row in enumerate(rows, start=1))
    return FlowTable(numbered, tuple(_notes(facts)))


def _notes(facts: Facts) -> Iterable[str]:
    subnet, why = subnet_prefixes(facts)
    scan = facts.network.mi_ports if facts.network else None
    target = f"the whole MI subnet {', '.join(subnet)}" if subnet else f"the whole MI subnet (prefix unknown: {why})"
    address = f" ({scan.address})" if scan and scan.address else ""
    yield (f"On the on-premises firewall, open TCP {MI_ENDPOINT_PORT} and {MI_REDIRECT_RANGE[0]}-{MI_REDIRECT_RANGE[1]} "
           f"to {target}, not only to the instance's address{address}: the redirect goes to the hosting node, "
           "another address of the subnet that changes after a failover.")
    yield (f"The node leg is proven only by the documented SQL Agent network test ({NETWORK_TEST}; Microsoft's "
           "procedure reads the node and its HADR port on the managed instance): a port scan reaches the "
           "instance's address, not the node. The managed instance -> SQL Server rows are observed only by "
           "that test.")


# ---------------------------------------------------------------------------------------------
# Commands: free priorities and valid names, per NSG and direction, across every row

#: ARM's rule for security rule names: 1-80 characters, letters, digits, '_', '.', '-'; starts with a
#: letter or digit, ends with a letter, digit or '_' (Azure's naming rules for Microsoft.Network).
RULE_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$")
MIN_PRIORITY, MAX_PRIORITY = 100, 4096


def rule_name(base: str, taken: Iterable[str]) -> str:
    """``base`` made valid for ARM and unused in the NSG (case-insensitive): ``-2``, ``-3``… when taken."""
    text = re.sub(r"[^A-Za-z0-9_.-]+", "-", base).strip("-.")[:72] or "allow-milink"
    if not text[0].isalnum():
        text = "r" + text
    while text and not (text[-1].isalnum() or text[-1] == "_"):
        text = text[:-1]
    used = {t.lower() for t in taken}
    name, n = text, 1
    while name.lower() in used:
        n += 1
        name = f"{text}-{n}"
    return name


def free_priority(used: Iterable[int], below: int) -> int | None:
    """The round priority closest under ``below`` (then any) that ``used`` lacks; None when none is left."""
    taken = set(used)
    top = min(below - 1, MAX_PRIORITY)
    for step in (10, 1):
        for prio in range(top - top % step, MIN_PRIORITY - 1, -step):
            if prio >= MIN_PRIORITY and prio not in taken:
                return prio
    return None


def assign_commands(rows: Sequence[FlowRow]) -> list[FlowRow]:
    """Write each needed rule's command; rows on one NSG and direction never share a priority or name."""
    claimed: dict[tuple[str, Direction], tuple[set[int], set[str]]] = {}
    out = []
    for row in rows:
        need = row.need
        if need is None:
            out.append(row)
            continue
        prios, names = claimed.setdefault((need.nsg_id.lower(), need.direction), (set(), set()))
        prio = free_priority(need.used_priorities | prios, need.below)
        if prio is None:
            out.append(replace(row, observed=row.observed + f"; no free priority under {need.below}: change the "
                                                           "blocking rule instead"))
            continue
        short = "hadr" if need.ports == f"{MI_REDIRECT_RANGE[0]}-{MI_REDIRECT_RANGE[1]}" else need.ports
        name = rule_name(f"allow-milink-{short}-{'in' if need.direction is Direction.INBOUND else 'out'}",
                         need.used_names | names)
        prios.add(prio)
        names.add(name)
        group, _ = group_and_name(need.nsg_id)
        command = nsg_rule_create(
            group=group, nsg_name=need.nsg_name, name=name, priority=prio, direction=need.direction.value,
            sources=need.sources, destinations=need.destinations, ports=need.ports,
            description=f"MI link: {row.flow.source_label} to {row.flow.destination_label} TCP {need.ports}",
        )
        out.append(replace(row, command=command))
    return out
