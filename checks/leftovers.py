"""Leftovers of an earlier link attempt: on SQL Server (SVC-021, SVC-022) and on the managed instance (SVC-023).

A link that failed half-way, or was deleted on the managed instance only, leaves its distributed
availability group and the managed instance's certificate in SQL Server's master. A new attempt under the
same names then fails on the name clash, and stale certificates keep trusting an instance no link uses.
Both checks compare SQL Server's objects with the links the managed instance reports (``azure.links``):
without that list "no counterpart" cannot be known, so they need it. SVC-023 looks the other way: server
trust certificates on the instance that neither SQL Server's endpoint nor any link uses.
"""

from __future__ import annotations

from collections.abc import Iterator

from linkready.checks._azure import hexnorm, mi_parts
from linkready.checks._directions import LEFTOVERS
from linkready.checks.certificates import endpoint_certificate
from linkready.checks.trust import public_key_id

from linkready.domain.azcli import partner_cert_delete
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


def _trusted_by_this_sql_server(facts: Facts) -> tuple[str, str | None] | None:
    """(thumbprint, public key id) of SQL Server's endpoint certificate; None without one."""
    found = endpoint_certificate(facts)
    if found is None or found[1] is None:
        return None
    cert = found[1]
    return hexnorm(cert.thumbprint), public_key_id(cert.public_der_hex) if cert.public_der_hex else None


@check(
    id="SVC-023",
    title="No server trust certificate on the managed instance is left from a link that no longer exists",
    area=Area.CERTIFICATES,
    severity=Severity.LOW,
    rationale=(
        "Creating a link uploads SQL Server's endpoint certificate to the managed instance as a server trust "
        "certificate (partner certificate). One that is neither SQL Server's current endpoint certificate nor "
        "the certificate an existing link authenticates its partner with is left from a link that no longer "
        "exists: it still lets that certificate's holder authenticate to the instance, and uploading a new "
        "certificate under its name is refused (CertificateAlreadyExists)."
    ),
    remediation=(
        "Delete the leftover server trust certificate from the managed instance (az sql mi partner-cert delete) "
        "once no link, and no other SQL Server you are about to link, uses it."
    ),
    docs=DOCS_TROUBLE,
    owner=Owner.AZURE,
    requires=("azure.server_trust_certificates", "azure.links", "sql.endpoints", "sql.certificates"),
    directions=LEFTOVERS,
)
def no_leftover_server_trust_certificate(facts: Facts, settings: Settings) -> Iterator[Result]:
    assert facts.azure is not None and facts.azure.server_trust_certificates is not None
    assert facts.azure.links is not None
    own = _trusted_by_this_sql_server(facts)
    named = {db.partner_cert_name.lower() for link in facts.azure.links for db in link.databases
             if db.partner_cert_name}
    # The 2023-08-01 API (and a link without databases) does not say which certificate a link uses.
    silent = sorted(link.name for link in facts.azure.links if not any(db.partner_cert_name for db in link.databases))
    expected = "server trust certificates only for SQL Server's endpoint certificate or an existing link's partner"
    stale = []
    for cert in facts.azure.server_trust_certificates:
        mine = own is not None and (hexnorm(cert.thumbprint) == own[0] or (
            own[1] is not None and bool(cert.public_blob_hex) and public_key_id(cert.public_blob_hex) == own[1]))
        if not mine and cert.name.lower() not in named:
            stale.append(cert)
    if not stale:
        yield passed("Every server trust certificate belongs to SQL Server's endpoint or to an existing link",
                     observed=", ".join(c.name for c in facts.azure.server_trust_certificates) or "none",
                     expected=expected)
        return
    group, name = mi_parts(facts)
    target = f"--resource-group {group} --instance-name {name}"
    for cert in stale:
        observed = f"server trust certificate {cert.name}: not SQL Server's endpoint certificate, no link names it"
        if silent:
            yield warned(
                f"Server trust certificate {cert.name} is not SQL Server's endpoint certificate, and the links "
                f"{', '.join(silent)} do not report which certificate they use (partnerAuthCertValidity): check "
                "whether one of them needs it before deleting it", target=cert.name, observed=observed,
                expected=expected)
            continue
        yield warned(
            f"Server trust certificate {cert.name} on the managed instance is neither SQL Server's endpoint "
            "certificate nor used by any link: left from a link that no longer exists",
            target=cert.name, observed=observed, expected=expected,
            fix=(CodeBlock("azcli", partner_cert_delete(target, name=cert.name),
                           "Delete the leftover server trust certificate"),),
        )
