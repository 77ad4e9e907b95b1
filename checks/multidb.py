"""Multiple-database link mode (preview): the SQL Server availability group it links (SVC-024, SVC-025).

A multiple-database link replicates every database of one availability group on SQL Server (SVC-020
checks the plan lists them all). Its documentation (managed-instance-link-extend-availability-group,
ms.date 09/28/2026) adds two rules this module checks on the facts one SQL Server instance gives:
contained availability groups are not supported, and for a multiple-node group the partner endpoint is
the listener's IP address with the database mirroring endpoint's port (not a replica's address, not the
listener's client port). Everything that lives on the other replicas is out of reach of a probe that
reads one instance; each finding says so.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from linkready.checks._directions import PLAN_SHAPE

from linkready.domain.docs import DOCS_EXTEND
from linkready.domain.endpoints import split_endpoint
from linkready.facts import Facts
from linkready.facts.plan import PlannedLink
from linkready.facts.sql import AgListener, AvailabilityGroup
from linkready.model import Area, Owner, Result, Settings, Severity, errored, failed, passed, skipped, warned
from linkready.registry import check

#: The first SQL Server major with contained availability groups (SQL Server 2022).
CONTAINED_SINCE = 16
#: What a probe of one SQL Server instance cannot see of a multiple-database link.
OTHER_REPLICAS = (
    "Verified on the instance linkready connected to only: on every other replica of the availability group "
    "the same SQL Server build, sys.sp_multidb_milink enabled, the link's certificates and the database "
    "mirroring endpoint on the same port must be checked there (run linkready against each replica)."
)
UPDATE_REPLACES = (
    "An update of a multiple-database link (az sql mi link update --databases) replaces its membership: a "
    "database left out of the list is removed from the link."
)


def multidb_links(facts: Facts) -> list[PlannedLink]:
    return [link for link in facts.plan.links if link.link_mode == "MultiDatabase"]


def linked_groups(facts: Facts, link: PlannedLink) -> list[AvailabilityGroup]:
    """The SQL Server AG(s) a multiple-database link replicates: the one its plan names, else those
    holding a planned database (none when the AG is still to be created)."""
    assert facts.sql is not None and facts.sql.availability_groups is not None
    groups = [g for g in facts.sql.availability_groups if not g.is_distributed]
    named = [g for g in groups if g.name.lower() == link.partner_ag_name.lower()]
    planned = {db.lower() for db in link.databases}
    return named or [g for g in groups if planned & {d.lower() for d in g.databases}]


@check(
    id="SVC-024",
    title="The availability group a multiple-database link replicates is not a contained availability group",
    area=Area.PLAN,
    severity=Severity.HIGH,
    rationale=(
        "The multiple-database link mode (preview) replicates one availability group on SQL Server as a whole, "
        "and its documentation lists contained availability groups as not supported. What the service does "
        "with one is not documented (no service error code is named), so the link must not be planned on it."
    ),
    remediation=(
        "Link an availability group created without CONTAINED (CREATE AVAILABILITY GROUP ... WITH "
        "(CLUSTER_TYPE = ...) and no CONTAINED option), or let the SSMS wizard create a single-node group for "
        "standalone databases."
    ),
    docs=DOCS_EXTEND,
    owner=Owner.DBA,
    requires=("sql.availability_groups", "plan.links"),
    directions=PLAN_SHAPE,
)
def multidb_ag_is_not_contained(facts: Facts, settings: Settings) -> Iterator[Result]:
    links = multidb_links(facts)
    if not links:
        yield skipped("Not applicable: no link is planned in multiple-database mode")
        return
    instance = facts.sql.instance if facts.sql else None
    major = instance.major_version if instance else None
    expected = "an availability group that is not contained (is_contained = 0)"
    for link in links:
        groups = linked_groups(facts, link)
        if not groups:
            yield passed(f"No availability group holds the databases of {link.name} yet: create it without "
                         "CONTAINED", target=link.name, observed="no AG yet", expected=expected,
                         evidence=(OTHER_REPLICAS,))
        for group in groups:
            yield _contained_result(link, group, major, expected)


def _contained_result(link: PlannedLink, group: AvailabilityGroup, major: int | None, expected: str) -> Result:
    kw: dict[str, Any] = {"target": link.name, "expected": expected, "evidence": (OTHER_REPLICAS,)}
    if group.is_contained is None:
        if major is not None and major < CONTAINED_SINCE:
            return passed(f"{group.name} is on SQL Server {major}: contained availability groups exist from SQL "
                          "Server 2022 on", observed=f"AG {group.name}, SQL Server major {major}", **kw)
        return errored(f"Could not evaluate: whether {group.name} is contained was not read "
                       "(sys.availability_groups.is_contained)", target=link.name)
    observed = f"AG {group.name}: is_contained = {int(group.is_contained)}"
    if group.is_contained:
        return failed(f"{group.name} is a contained availability group: the multiple-database link mode does not "
                      "support contained availability groups", observed=observed, **kw)
    return passed(f"{group.name} is not a contained availability group", observed=observed, **kw)


@check(
    id="SVC-025",
    title="A multiple-database link's partner endpoint is its availability group listener's IP address and the "
          "database mirroring endpoint's port",
    area=Area.PLAN,
    severity=Severity.HIGH,
    rationale=(
        "For a multiple-node availability group the managed instance must reach whichever replica is primary: "
        "the documentation says to use the listener's IP address with the database mirroring endpoint's port "
        "as the partner endpoint, not an individual replica's address (the link stops after a local failover) "
        "and not the listener's client connection port. A single-node group uses the instance's own endpoint. "
        "What the service does with a replica's address is not documented."
    ),
    remediation=(
        "Create a listener for the availability group if it has none (ALTER AVAILABILITY GROUP ... ADD "
        "LISTENER), and plan the partner endpoint as TCP://<listener IP>:<database mirroring endpoint port>."
    ),
    docs=DOCS_EXTEND,
    owner=Owner.DBA,
    requires=("sql.availability_groups", "sql.endpoints", "plan.links"),
    directions=PLAN_SHAPE,
)
def multidb_partner_endpoint_is_the_listener(facts: Facts, settings: Settings) -> Iterator[Result]:
    links = multidb_links(facts)
    if not links:
        yield skipped("Not applicable: no link is planned in multiple-database mode")
        return
    assert facts.sql is not None and facts.sql.endpoints is not None
    endpoint_port = facts.sql.endpoints[0].port if facts.sql.endpoints else None
    for link in links:
        parts = split_endpoint(link.partner_endpoint)
        if parts is None:
            yield skipped(f"Not applicable: the partner endpoint {link.partner_endpoint!r} is not TCP://host:port "
                          "(PLAN-003 reports it)", target=link.name)
            continue
        groups = linked_groups(facts, link)
        yield _endpoint_result(facts, link, parts, groups[0] if groups else None, endpoint_port)


def _endpoint_result(facts: Facts, link: PlannedLink, parts: tuple[str, int], group: AvailabilityGroup | None,
                     endpoint_port: int | None) -> Result:
    host, port = parts
    expected = ("TCP://<listener IP>:<mirroring endpoint port> for a multiple-node AG, the instance's own "
                "endpoint for a single-node AG")
    kw: dict[str, Any] = {"target": link.name, "expected": expected, "evidence": (OTHER_REPLICAS, UPDATE_REPLACES)}
    observed = f"partner endpoint {link.partner_endpoint}; mirroring endpoint port {endpoint_port or 'none'}"
    if endpoint_port is not None and port != endpoint_port:
        listener_port = next((lst.port for lst in (group.listeners or ()) if lst.port == port), None) if group else None
        why = " (that is the listener's client connection port)" if listener_port is not None else ""
        return failed(f"The partner endpoint of {link.name} uses port {port}{why}, but SQL Server's database "
                      f"mirroring endpoint listens on {endpoint_port}", observed=observed, **kw)
    if group is None:
        return passed(f"No availability group holds the databases of {link.name} yet: a single-node group "
                      "created for them uses this instance's endpoint", observed=observed, **kw)
    replicas_unread = facts.error_for("sql.availability_groups.replicas")
    if replicas_unread is not None:
        return errored(f"Could not evaluate: the replicas of {group.name} were not read ({replicas_unread.reason})",
                       target=link.name)
    if len(group.replicas) <= 1:
        return passed(f"{group.name} has a single replica: the partner endpoint is this instance's own endpoint",
                      observed=f"{observed}; AG {group.name} with {len(group.replicas)} replica", **kw)
    if group.listeners is None:
        unread = facts.error_for("sql.availability_groups.listeners")
        return errored(f"Could not evaluate: the listeners of {group.name} were not read"
                       + (f" ({unread.reason})" if unread else ""), target=link.name)
    observed += f"; AG {group.name} with {len(group.replicas)} replicas; " + _listeners_text(group.listeners)
    return _listener_judgement(link, group, host, observed, kw)


def _listener_judgement(link: PlannedLink, group: AvailabilityGroup, host: str, observed: str,
                        kw: dict[str, Any]) -> Result:
    if not group.listeners:
        return failed(f"{group.name} has {len(group.replicas)} replicas and no listener: a multiple-database link "
                      "to it must name the listener's IP address, so that it survives a local failover",
                      observed=observed, **kw)
    addresses = {a.ip_address.lower(): a for lst in group.listeners for a in lst.addresses}
    if _canonical(host) in {_canonical(a) for a in addresses}:
        address = next(a for ip, a in addresses.items() if _canonical(ip) == _canonical(host))
        if address.state != "ONLINE":
            return warned(f"The partner endpoint names listener address {address.ip_address} of {group.name}, whose "
                          f"cluster IP resource is {address.state}", observed=observed, **kw)
        return passed(f"The partner endpoint names the listener address {address.ip_address} of {group.name}",
                      observed=observed, **kw)
    if host.lower() in {lst.dns_name.lower() for lst in group.listeners}:
        return warned(f"The partner endpoint names the listener by its network name {host}: the documentation asks "
                      "for its IP address (a name must resolve through the managed instance subnet's DNS)",
                      observed=observed, **kw)
    return failed(f"The partner endpoint of {link.name} names {host}, not a listener address of {group.name}: "
                  "after a local failover the link would point at a secondary replica", observed=observed,
                  **kw)


def _listeners_text(listeners: tuple[AgListener, ...]) -> str:
    if not listeners:
        return "no listener"
    return "; ".join(f"listener {lst.dns_name} (port {lst.port if lst.port is not None else 'not set'}, "
                     f"{', '.join(f'{a.ip_address} {a.state}' for a in lst.addresses) or 'no IP'})"
                     for lst in listeners)


def _canonical(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address.strip("[]")))
    except ValueError:
        return address.lower()
