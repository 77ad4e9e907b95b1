"""Leftovers of an earlier link attempt on SQL Server (SVC-021, SVC-022).

A link that failed half-way, or was deleted on the managed instance only, leaves its distributed
availability group and the managed instance's certificate in SQL Server's master. A new attempt under the
same names then fails on the name clash, and stale certificates keep trusting an instance no link uses.
Both checks compare SQL Server's objects with the links the managed instance reports (``azure.links``):
without that list "no counterpart" cannot be known, so they need it.
"""

from __future__ import annotations

from collections.abc import Iterator

from linkready.checks._directions import LEFTOVERS

from linkready.domain.clouds import DNS_SUFFIXES
from linkready.domain.docs import DOCS_TROUBLE
from linkready.domain.endpoints import parse_endpoint
from linkready.domain.tsql import quote_name
from linkready.facts import Facts
from linkready.facts.sql import AvailabilityGroup
from linkready.model import Area, CodeBlock, Owner, Result, Settings, Severity, passed, warned
from linkready.registry import check


def _host(endpoint_url: str) -> str:
    parsed = parse_endpoint(endpoint_url.strip())
    return parsed.host.lower() if parsed else ""


def _is_mi_host(host: str) -> bool:
    return any(host.endswith(suffix) for suffix in DNS_SUFFIXES)


def _link_dags(facts: Facts) -> list[AvailabilityGroup]:
    """Distributed AGs on SQL Server that belong to a link: named like a planned link, or with a replica on an MI."""
    assert facts.sql is not None and facts.sql.availability_groups is not None
    planned = {link.name.lower() for link in facts.plan.links}
    return [g for g in facts.sql.availability_groups if g.is_distributed and (
        g.name.lower() in planned or any(_is_mi_host(_host(r.endpoint_url)) for r in g.replicas))]


@check(
    id="SVC-021",
    title="No distributed availability group on SQL Server is left from an earlier link attempt",
    area=Area.PLAN,
    severity=Severity.MEDIUM,
    rationale=(
        "The link is a distributed availability group on both sides. One that exists on SQL Server but not on "
        "the managed instance is what a failed or half-deleted attempt leaves behind: a new link under the same "
        "name fails on the name clash, and the old one keeps its databases joined to nothing."
    ),
    remediation=(
        "If it is from an earlier attempt, drop the distributed availability group on SQL Server (DROP "
        "AVAILABILITY GROUP), then the availability group created for it if nothing else uses it."
    ),
    docs=DOCS_TROUBLE,
    owner=Owner.DBA,
    requires=("sql.availability_groups", "azure.links"),
    directions=LEFTOVERS,
)
def no_leftover_distributed_ag(facts: Facts, settings: Settings) -> Iterator[Result]:
    assert facts.azure is not None and facts.azure.links is not None
    on_instance = {link.name.lower() for link in facts.azure.links}
    dags = _link_dags(facts)
    expected = "every link's distributed AG on SQL Server has its link on the managed instance"
    if not dags:
        yield passed("No distributed availability group of a link exists on SQL Server", observed="none",
                     expected=expected)
        return
    for dag in dags:
        observed = f"distributed AG {dag.name} on SQL Server; " + (
            "a link of that name on the managed instance" if dag.name.lower() in on_instance
            else "no link of that name on the managed instance")
        if dag.name.lower() in on_instance:
            yield passed(f"{dag.name} is the managed instance's link {dag.name}", target=dag.name,
                         observed=observed, expected=expected)
            continue
        yield warned(
            f"Distributed availability group {dag.name} exists on SQL Server but the managed instance has no link "
            "of that name: a leftover of an earlier attempt, or a link deleted on the instance only",
            target=dag.name, observed=observed, expected=expected,
            fix=(CodeBlock("tsql", f"-- On SQL Server, once you are sure no link uses it:\n"
                                   f"DROP AVAILABILITY GROUP {quote_name(dag.name)};",
                           "Drop the leftover distributed availability group"),),
        )


@check(
    id="SVC-022",
    title="No managed instance certificate in SQL Server's master is left from a link that no longer exists",
    area=Area.CERTIFICATES,
    severity=Severity.LOW,
    rationale=(
        "Creating a link imports the managed instance's endpoint certificate into master under the instance's "
        "host name. A certificate for an instance that is neither planned nor the partner of a distributed "
        "availability group on SQL Server is left from a link that no longer exists, and still lets that "
        "instance authenticate to SQL Server's endpoint."
    ),
    remediation=(
        "Drop the certificate from master (DROP CERTIFICATE) when no link to that managed instance remains."
    ),
    docs=DOCS_TROUBLE,
    owner=Owner.DBA,
    # The planned instance's own certificate is expected: its host name comes from the ARM facts.
    requires=("sql.certificates", "sql.availability_groups", "azure.managed_instance"),
    directions=LEFTOVERS,
)
def no_leftover_partner_certificate(facts: Facts, settings: Settings) -> Iterator[Result]:
    assert facts.sql is not None and facts.sql.certificates is not None
    assert facts.azure is not None and facts.azure.managed_instance is not None
    in_use = {_host(r.endpoint_url) for g in _link_dags(facts) for r in g.replicas}
    planned = {facts.plan.mi_fqdn.strip().lower(), facts.azure.managed_instance.fqdn.strip().lower()}
    stale = [c for c in facts.sql.certificates
             if _is_mi_host(c.name.lower()) and c.name.lower() not in in_use | planned]
    expected = "a managed instance certificate only for the planned instance or a link's partner"
    if not stale:
        yield passed("No certificate of an unlinked managed instance is in master", observed="none",
                     expected=expected)
        return
    for cert in stale:
        yield warned(
            f"Certificate {cert.name} in master belongs to a managed instance that is neither planned nor the "
            "partner of a distributed availability group here: left from a link that no longer exists",
            target=cert.name, observed=f"certificate {cert.name}, no link to that instance", expected=expected,
            fix=(CodeBlock("tsql", f"USE master;\nDROP CERTIFICATE {quote_name(cert.name)};",
                           "Drop the leftover managed instance certificate"),),
        )
