"""Link plan checks: the parameters ``az sql mi link create`` will be given are valid."""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterator

from linkready.checks._directions import PLAN_SHAPE

from linkready.domain import azcli
from linkready.domain.azcli import shell_quote
from linkready.domain.clouds import DNS_SUFFIXES
from linkready.domain.docs import DOCS_OVERVIEW, DOCS_SCRIPTS
from linkready.domain.endpoints import parse_endpoint
from linkready.domain.names import MULTI_DB_LINK_NAME, database_list_problems, object_name_problems
from linkready.domain.resource_ids import group_and_name
from linkready.facts import Facts, PlannedLink
from linkready.model import Area, CodeBlock, Owner, Result, Settings, Severity, failed, passed, warned
from linkready.registry import check

REPLICATION_MODES = ("Async", "Sync")


def create_command(link: PlannedLink, mi_resource_id: str) -> CodeBlock:
    """The ``az sql mi link create`` call for a planned link, filled from the plan."""
    group, instance = group_and_name(mi_resource_id)
    target = f"--resource-group {shell_quote(group)} --mi {shell_quote(instance)}"
    create = azcli.link_create(target, name=link.name, instance_ag=link.instance_ag_name,
                               partner_ag=link.partner_ag_name, partner_endpoint=link.partner_endpoint,
                               databases=link.databases or ("<database>",), link_mode=link.link_mode)
    if link.replication_mode.lower() != "async":
        create += "\n" + azcli.link_set_replication_mode(target, name=link.name,
                                                         replication_mode=link.replication_mode)
    return CodeBlock(
        "azcli",
        create,
        "Create the link once every check passes",
    )


@check(
    id="PLAN-001",
    title="Link and availability group names are valid and unique; replication mode is Async or Sync",
    area=Area.PLAN,
    severity=Severity.HIGH,
    rationale=(
        "The link creates a distributed availability group named after the link on top of two availability "
        "groups. Names that are empty, too long, reused or hold characters that break the generated T-SQL "
        "make the creation fail half-way, after certificates and endpoints were already changed."
    ),
    remediation="Fix the names in the [[link]] table of the config: unique link names, two distinct AG names.",
    docs=DOCS_SCRIPTS,
    owner=Owner.DBA,
    requires=("plan.links",),
    prevents=(41976,),
    directions=PLAN_SHAPE,
)
def link_names_are_valid(facts: Facts, settings: Settings) -> Iterator[Result]:
    counts = Counter(link.name.lower() for link in facts.plan.links)
    for link in facts.plan.links:
        problems = object_name_problems("link name", link.name)
        problems += object_name_problems("instance AG name", link.instance_ag_name)
        problems += object_name_problems("partner AG name", link.partner_ag_name)
        if counts[link.name.lower()] > 1:
            problems.append(f"link name {link.name!r} is planned {counts[link.name.lower()]} times")
        if link.instance_ag_name and link.instance_ag_name.lower() == link.partner_ag_name.lower():
            problems.append("the instance AG and the partner AG have the same name")
        if link.link_mode == "MultiDatabase" and not MULTI_DB_LINK_NAME.match(link.name):
            problems.append(
                f"multiple-database link names use lowercase letters, digits and inner hyphens; got {link.name!r}"
            )
        if link.replication_mode not in REPLICATION_MODES:
            problems.append(f"replication mode {link.replication_mode!r} is not Async or Sync")
        observed = (
            f"link {link.name!r}, instance AG {link.instance_ag_name!r}, partner AG {link.partner_ag_name!r}, "
            f"mode {link.replication_mode}"
        )
        if problems:
            yield failed("; ".join(problems), target=link.name, observed=observed,
                         expected="unique, valid names; replication mode Async or Sync")
        else:
            yield passed("Names and replication mode are valid", target=link.name, observed=observed,
                         expected="unique, valid names; replication mode Async or Sync")


@check(
    id="PLAN-002",
    title="Partner endpoint is TCP://<SQL Server host>:<endpoint port>",
    area=Area.PLAN,
    severity=Severity.HIGH,
    rationale=(
        "The managed instance connects back to SQL Server at the partner endpoint. It must name the SQL Server "
        "(not the managed instance) in the form TCP://host:port, normally port 5022; anything else makes the "
        "link fail to initialise within five minutes (error 41962)."
    ),
    remediation="Set partner_endpoint to TCP://<SQL Server IP or resolvable name>:5022 (or the named instance's port).",
    docs=DOCS_SCRIPTS,
    owner=Owner.DBA,
    requires=("plan.links",),
    prevents=(41962, 41986),
    directions=PLAN_SHAPE,
)
def partner_endpoint_is_well_formed(facts: Facts, settings: Settings) -> Iterator[Result]:
    expected = "TCP://<SQL Server host>:5022"
    for link in facts.plan.links:
        endpoint = link.partner_endpoint
        parsed = parse_endpoint(endpoint)
        # The scheme is case-insensitive: the Azure CLI itself sends tcp://host:port and the service echoes it.
        if parsed is None or parsed.scheme.upper() != "TCP":
            yield failed(
                f"Partner endpoint {endpoint!r} is not of the form TCP://host:port",
                target=link.name, observed=endpoint or "(empty)", expected=expected,
            )
            continue
        host, port = parsed.host, parsed.port
        if host.lower().endswith(DNS_SUFFIXES):
            yield failed(
                f"Partner endpoint {endpoint} names an Azure SQL host; it must name the SQL Server",
                target=link.name, observed=endpoint, expected=expected,
            )
        elif not parsed.port_in_range:
            yield failed(f"Port {port} is out of range", target=link.name, observed=endpoint, expected=expected)
        elif _is_unusable_address(host):
            yield failed(
                f"Host {host} cannot be reached from the managed instance (loopback, unspecified or link-local)",
                target=link.name, observed=endpoint, expected=expected,
            )
        elif port != 5022:
            yield warned(
                f"Port {port} is not 5022: fine for a named instance whose endpoint listens there, "
                "but the SQL Server side firewall and NSG rules must then open it instead of 5022",
                target=link.name, observed=endpoint, expected=expected,
            )
        else:
            yield passed("Partner endpoint is well formed", target=link.name, observed=endpoint, expected=expected)


def _is_unusable_address(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host.lower() == "localhost"
    return address.is_loopback or address.is_unspecified or address.is_link_local


@check(
    id="PLAN-003",
    title="Database list is well formed and fits the link mode",
    area=Area.PLAN,
    severity=Severity.HIGH,
    rationale=(
        "A single-database link (the default) replicates exactly one user database; 'az sql mi link create' "
        "rejects malformed lists and system databases. A database planned in two links to the same managed "
        "instance cannot be seeded twice."
    ),
    remediation=(
        "List each user database once, one database per link, unless the multiple-database link mode "
        "(SQL Server 2022 CU27+ / 2025 CU9+, Enterprise or Developer) is planned."
    ),
    docs=DOCS_OVERVIEW,
    owner=Owner.DBA,
    requires=("plan.links",),
    directions=PLAN_SHAPE,
)
def database_list_fits_link_mode(facts: Facts, settings: Settings) -> Iterator[Result]:
    owners: dict[str, list[str]] = {}
    for link in facts.plan.links:
        for db in link.databases:
            owners.setdefault(db.lower(), []).append(link.name)
    for link in facts.plan.links:
        problems = database_list_problems(list(link.databases))
        if link.link_mode == "SingleDatabase" and len(link.databases) > 1:
            problems.append(
                f"{len(link.databases)} databases in a single-database link (one database per link; plan "
                "one link per database or the multiple-database mode)"
            )
        for db in link.databases:
            others = [name for name in owners.get(db.lower(), []) if name != link.name]
            if others:
                problems.append(f"{db!r} is also planned in link {', '.join(others)}")
        observed = ", ".join(link.databases) or "(none)"
        expected = "one user database" if link.link_mode == "SingleDatabase" else "one or more user databases"
        fix = [create_command(link, facts.plan.mi_resource_id)]
        if problems:
            yield failed("; ".join(problems), target=link.name, observed=observed, expected=expected)
        else:
            yield passed("Database list is valid", target=link.name, observed=observed, expected=expected, fix=fix)
