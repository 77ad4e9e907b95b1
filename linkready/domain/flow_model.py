"""The network flows table's model and the flows a plan requires (pure: no I/O; see :mod:`linkready.domain.flows`).

The doc below is the table's; this module holds its types so the observations can import them.

Link knowledge (the preparation page, "Network ports between the environments"): SQL Server opens
TCP 5022 and 11000-11999 to the managed instance *subnet* (the instance redirects to its hosting node,
another address of the subnet); the managed instance opens the SQL Server endpoint's port (the
partner endpoint's, 5022 unless SQL Server's endpoint uses another) back to SQL Server. Each flow must
be allowed in every firewall on the path: the SQL Server host and on-premises firewalls, the MI
subnet NSG, and the NSG of a SQL Server that is an Azure VM; the MI subnet's routes must reach SQL
Server; SQL Server must resolve the instance's FQDN and the instance must resolve a partner host name.

The observed state of each row comes from the facts (:mod:`linkready.domain.flow_observations`):
the NSG evaluation, the port scan, DNS answers and the route table. A row whose fact is missing is
*not observed* and says which fact; a row the facts cannot decide is *undecided*: neither is open.
Where an NSG blocks, the row carries the ``az network nsg rule create`` that opens it, with a
priority no observed rule (nor another row's command) uses and a rule name valid for ARM.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass, field

from linkready.domain.docs import DOCS_OVERVIEW, DOCS_PREP, DOCS_ROUTES, DOCS_SCRIPTS
from linkready.domain.endpoints import split_endpoint
from linkready.domain.link_network import planned_sql_ports, source_prefixes
from linkready.domain.ports import MI_ENDPOINT_PORT, MI_REDIRECT_RANGE
from linkready.facts import Facts


class Where(enum.StrEnum):
    """Where a flow must be open."""

    FIREWALL = "On-premises firewall"
    MI_NSG = "MI subnet NSG"
    VM_NSG = "SQL VM NSG"
    ROUTE = "Route (UDR)"
    DNS = "DNS"


class Direction(enum.StrEnum):
    """The direction of the flow as the place that must open it sees it."""

    INBOUND = "Inbound"
    OUTBOUND = "Outbound"


class FlowState(enum.StrEnum):
    """What the facts say about one row. Only OPEN is open: unknown is never open."""

    OPEN = "open"
    BLOCKED = "blocked"
    #: Observed, but the facts cannot decide (an unresolvable rule, a reset, a jump box, an appliance).
    UNDECIDED = "undecided"
    #: The fact that would show it is missing (the row names it), or nothing linkready runs can see it.
    NOT_OBSERVED = "not observed"


class FlowKind(enum.StrEnum):
    """What a flow is for: which places it crosses and which facts observe it."""

    TO_MI = "to_mi"
    TO_SQL = "to_sql"
    ROUTE = "route"
    DNS_MI = "dns_mi"
    DNS_PARTNER = "dns_partner"


@dataclass(frozen=True)
class Flow:
    """One required flow: who opens a connection to whom, on which ports."""

    kind: FlowKind
    purpose: str
    source_label: str
    #: CIDR prefixes or addresses; empty when unknown (``source_note`` says why).
    source: tuple[str, ...]
    destination_label: str
    destination: tuple[str, ...]
    protocol: str
    #: "5022", "11000-11999", "53", "any".
    ports: str
    docs: str
    source_note: str = ""
    destination_note: str = ""
    #: The name a DNS flow resolves.
    name: str = ""

    @property
    def port_range(self) -> tuple[int, int] | None:
        """The ports as an inclusive range; None for "any"."""
        low, _, high = self.ports.partition("-")
        if not low.isdigit():
            return None
        return int(low), int(high or low)

    def source_text(self) -> str:
        """``SQL Server 10.20.1.0/24``; ``(unknown)`` when no prefix is known (the row's observed says why)."""
        return f"{self.source_label} {' '.join(self.source) or '(unknown)'}"

    def destination_text(self) -> str:
        return f"{self.destination_label} {' '.join(self.destination) or '(unknown)'}"


@dataclass(frozen=True)
class RuleNeed:
    """An allow rule that would open a row on an NSG (the command is written once priorities are known)."""

    nsg_id: str
    nsg_name: str
    direction: Direction
    sources: tuple[str, ...]
    destinations: tuple[str, ...]
    ports: str
    #: The new rule must sort before this priority (the blocking or unresolvable rule's).
    below: int
    #: Priorities and names the NSG already uses in this direction (names in both).
    used_priorities: frozenset[int]
    used_names: frozenset[str]


@dataclass(frozen=True)
class FlowRow:
    """One flow at one place: the table's row."""

    flow: Flow
    where: Where
    #: The NSG, route table or resolver, or which firewalls.
    place: str
    direction: Direction
    state: FlowState
    observed: str
    #: Which fact the state comes from: "NSG evaluation", "port scan", "DNS", "routes", or "none".
    basis: str
    command: str = ""
    number: int = 0
    need: RuleNeed | None = field(default=None, compare=False)


@dataclass(frozen=True)
class FlowTable:
    rows: tuple[FlowRow, ...]
    #: Sentences the network team needs beside the table (the subnet to open, the node leg).
    notes: tuple[str, ...] = ()

    def count(self, state: FlowState) -> int:
        return sum(1 for row in self.rows if row.state is state)


NETWORK_TEST = "linkready network-test"


def subnet_prefixes(facts: Facts) -> tuple[tuple[str, ...], str]:
    subnet = facts.azure.subnet if facts.azure else None
    if subnet is not None and subnet.address_prefixes:
        return subnet.address_prefixes, ""
    _, why = facts.state_of("azure.subnet.address_prefixes")
    return (), why or "azure.subnet.address_prefixes is empty"


def _sources(facts: Facts) -> tuple[tuple[str, ...], str]:
    found = tuple(source_prefixes(facts))
    if found:
        return found, ""
    return (), "not configured: source.network_prefixes or source.address, or an IP partner endpoint"


def partner_hosts(facts: Facts) -> list[str]:
    """Partner endpoint hosts that are names (an IP address needs no resolution), in plan order."""
    hosts: list[str] = []
    for link in facts.plan.links:
        parts = split_endpoint(link.partner_endpoint)
        if parts and not _is_address(parts[0]):
            hosts.append(parts[0])
    return list(dict.fromkeys(hosts))


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _fqdn(facts: Facts) -> str:
    mi = facts.azure.managed_instance if facts.azure else None
    return (facts.network.mi_fqdn if facts.network else "") or facts.plan.mi_fqdn or (mi.fqdn if mi else "")


def _resolvers(facts: Facts) -> tuple[str, ...]:
    """The resolver SQL Server itself asks for the FQDN (the system resolver's answer, else the first one)."""
    answers = list(facts.network.mi_dns or () if facts.network else ())
    system = [a for a in answers if a.via == "system"] or answers[:1]
    found = [a.server.rsplit(":", 1)[0] if a.server.count(":") == 1 else a.server for a in system]
    return tuple(dict.fromkeys(s for s in found if _is_address(s)))


def required_flows(facts: Facts) -> list[Flow]:
    """Every flow the plan needs, in reading order: SQL Server -> MI, MI -> SQL Server, route, DNS."""
    sources, s_note = _sources(facts)
    subnet, m_note = subnet_prefixes(facts)
    low, high = MI_REDIRECT_RANGE
    flows = [
        Flow(FlowKind.TO_MI, "SQL Server opens the link on the instance's mirroring endpoint", "SQL Server", sources,
             "MI subnet", subnet, "TCP", str(MI_ENDPOINT_PORT), DOCS_PREP, s_note, m_note),
        Flow(FlowKind.TO_MI, "the instance redirects the link to its hosting node's HADR port (any port of the "
             "range; it changes after a failover)", "SQL Server", sources, "MI subnet", subnet, "TCP",
             f"{low}-{high}", DOCS_PREP, s_note, m_note),
    ]
    flows += [Flow(FlowKind.TO_SQL, "the instance connects back to SQL Server's mirroring endpoint (the partner "
                   "endpoint's port)", "MI subnet", subnet, "SQL Server", sources, "TCP", str(port), DOCS_PREP,
                   m_note, s_note) for port in planned_sql_ports(facts)]
    flows.append(Flow(FlowKind.ROUTE, "the MI subnet's routes carry the instance's packets to SQL Server",
                      "MI subnet", subnet, "SQL Server", sources, "IP", "any", DOCS_ROUTES, m_note, s_note))
    fqdn = _fqdn(facts)
    flows.append(Flow(FlowKind.DNS_MI, "SQL Server resolves the instance's FQDN to its VNet-local address, inside "
                      "the MI subnet", "SQL Server", sources, "DNS resolver", _resolvers(facts), "UDP/TCP", "53",
                      DOCS_OVERVIEW, s_note, "not observed", name=fqdn or "(FQDN unknown)"))
    vnet = facts.azure.vnet if facts.azure else None
    for host in partner_hosts(facts):
        flows.append(Flow(FlowKind.DNS_PARTNER, "the instance resolves the partner endpoint's host name through its "
                          "VNet's DNS", "MI subnet", subnet, "VNet DNS", vnet.dns_servers if vnet else (), "UDP/TCP",
                          "53", DOCS_SCRIPTS, m_note, "Azure-provided DNS" if vnet else "the VNet's DNS servers are "
                          "unknown", name=host))
    return flows
