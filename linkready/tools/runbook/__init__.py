"""The link runbook: the ordered steps that create each planned link, generated from facts + plan.

Pure: facts in, a :class:`Runbook` out (``linkready.reports.runbook`` writes its four files).
Nothing is executed by linkready. The steps follow Microsoft's "configure the link with scripts"
order (reference §2.5, §3), one phase builder each, in ``PHASES`` order:

1. SQL Server (``01-sqlserver.sql``, sqlcmd mode; :mod:`.security`, :mod:`.links`): database master
   key if missing, the endpoint certificate, the database mirroring endpoint (certificate auth,
   AES), the managed instance's endpoint certificate imported under the MI FQDN, the Azure root CAs
   mapped with ``sp_certificate_add_issuer``, then per link an availability group and a distributed one
   (with the managed instance as initial primary: the AG starts empty, is granted CREATE ANY DATABASE so that
   seeding can create the database on SQL Server, and the instance's LISTENER_URL names the database).
2. Managed instance (``02-managed-instance.sh``, az CLI; :mod:`.links`): trust SQL Server's endpoint
   certificate (``az sql mi partner-cert create``), then ``az sql mi link create``.
3. Verification (``03-verify.sql``; :mod:`.verify`): replica and database synchronisation, seeding progress.

Before the first step (:mod:`.prerequisites`): the changes findings recommend that the instance refuses while a
link seeds (scaling, storage, maintenance window, update policy: ``OperationCanNotStartDueToMiLink``).

Every value comes from the facts. The only value the user supplies is the master key password
(a sqlcmd scripting variable, read from the environment) — linkready never invents a secret.
Values the snapshot lacks (e.g. a certificate that this runbook itself creates) are taken at run
time from a named variable with the query that prints it, never as an angle-bracket placeholder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from linkready.domain import resource_ids
from linkready.domain.endpoints import certificate_name_for
from linkready.facts import Facts
from linkready.model import Finding, Settings, Verdict
from linkready.tools.runbook import links, prerequisites, security, verify
from linkready.tools.runbook.model import (
    CLOUD_SUFFIXES,
    MASTER_KEY_VARIABLE,
    MI_CERT_VARIABLE,
    SCRIPT_PREFIX,
    SQL_CERT_VARIABLE,
    Context,
    Piece,
    Prerequisite,
    Runbook,
    RunbookError,
    Step,
)

__all__ = ["CLOUD_SUFFIXES", "MASTER_KEY_VARIABLE", "MI_CERT_VARIABLE", "PHASES", "SQL_CERT_VARIABLE", "Prerequisite",
           "Runbook", "RunbookError", "Step", "certificate_name_for", "generate"]

#: The phases in the order their steps run; each returns its piece of the runbook.
PHASES: tuple[Callable[[Context], Piece], ...] = (
    security.master_key,
    security.endpoint_certificate,
    security.mirroring_endpoint,
    security.mi_certificate,
    security.root_cas,
    links.availability_groups,
    links.trust_on_mi,
    links.create_links,
    verify.verification,
)


def generate(
    facts: Facts,
    *,
    verdict: Verdict,
    digest: str,
    generated_at: datetime,
    forced: bool = False,
    blockers: tuple[Finding, ...] = (),
    findings: tuple[Finding, ...] = (),
    settings: Settings | None = None,
) -> Runbook:
    """The runbook for every planned link. Raises RunbookError when an essential fact is missing.

    ``findings`` are the gating report's (the prerequisites are read from them); ``settings`` the profile's
    thresholds for the checks the prerequisites run when the profile left them out.
    """
    ctx = context(facts, generated_at)
    pieces = [phase(ctx) for phase in PHASES]
    return Runbook(
        title=f"Managed Instance link runbook: {ctx.server} → {ctx.mi_name}",
        verdict=verdict,
        forced=forced,
        digest=digest,
        generated_at=generated_at,
        steps=numbered(step for piece in pieces for step in piece.steps),
        in_place=tuple(item for piece in pieces for item in piece.in_place),
        variables=tuple(dict.fromkeys(v for piece in pieces for v in piece.variables)),
        blockers=blockers,
        prerequisites=prerequisites.before_the_link(facts, findings, settings or Settings({})),
        server=facts.plan.source_server or ctx.server,
        facts_summary={
            "SQL Server": f"{ctx.server} ({ctx.version}, {ctx.edition})",
            "Managed instance": f"{ctx.mi_name} ({ctx.mi_fqdn}), resource group {ctx.group}",
            "Links": ", ".join(f"{link.name} ({', '.join(link.databases)}, {link.replication_mode})"
                               for link in facts.plan.links),
        },
    )


def numbered(steps: Iterable[Step]) -> tuple[Step, ...]:
    """Steps numbered "<script>.<n>" in the order they run within their script."""
    counts: dict[str, int] = {}
    out = []
    for step in steps:
        counts[step.script] = counts.get(step.script, 0) + 1
        out.append(replace(step, number=f"{SCRIPT_PREFIX[step.script]}.{counts[step.script]}"))
    return tuple(out)


def context(facts: Facts, generated_at: datetime) -> Context:
    """What every phase reads, resolved once; a RunbookError names the first essential fact missing."""
    if not facts.plan.links:
        raise RunbookError("no link is planned in the snapshot (plan.links is empty)")
    sql = facts.sql
    instance = sql.instance if sql else None
    if sql is None or instance is None:
        raise RunbookError("sql.instance was not collected: the server name and version are needed")
    _refuse_undocumented(facts)
    group, mi_name, mi_fqdn = _mi_parts(facts)
    major = _major(instance.product_version)
    certificates = sql.certificates or ()
    endpoint = sql.endpoints[0] if sql.endpoints else None
    server = instance.server_name
    _, first_port = links.endpoint_for_link(facts.plan.links[0].partner_endpoint)
    sql_cert = security.endpoint_certificate_of(endpoint, certificates, certificate_name_for(server))
    return Context(
        facts=facts, generated_at=generated_at, server=server, version=instance.product_version,
        edition=instance.edition, major=major, group=group, mi_name=mi_name, mi_fqdn=mi_fqdn,
        master_key_present=sql.master_key_present, certificates=certificates, endpoint=endpoint,
        sql_cert=sql_cert, cert_name=sql_cert.name if sql_cert else certificate_name_for(server),
        first_port=first_port, existing_ags=frozenset(ag.name.lower() for ag in (sql.availability_groups or ())),
    )


def _refuse_undocumented(facts: Facts) -> None:
    """A plan whose scripted creation Microsoft does not document gets no guessed script.

    A multiple-database link from the managed instance: the extend-availability-group article (ms.date
    09/28/2026) supports it but says its examples "don't walk through creation from SQL Managed Instance", and the
    scripts article's managed-instance-first LISTENER_URL names one database (``;Database=``).
    """
    if facts.plan.initial_primary != "ManagedInstance":
        return
    multi = [link.name for link in facts.plan.links if link.link_mode == "MultiDatabase"]
    if multi:
        raise RunbookError(
            f"no scripted runbook for {', '.join(multi)}: Microsoft documents no scripted creation of a "
            "multiple-database link with the managed instance as initial primary; create it with the SSMS link "
            "wizard (its Summary page's Script button writes the script for your environment)")


def _major(version: str) -> int:
    try:
        return int(version.split(".")[0])
    except ValueError:
        raise RunbookError(f"sql.instance.product_version {version!r} is not a version number") from None


def _mi_parts(facts: Facts) -> tuple[str, str, str]:
    """(resource group, instance name, FQDN) from the Azure facts, else the plan."""
    mi = facts.azure.managed_instance if facts.azure else None
    resource_id = (mi.id if mi else "") or facts.plan.mi_resource_id
    rid = resource_ids.parse(resource_id)
    if rid is None:
        raise RunbookError("the snapshot names no managed instance resource ID (plan.mi_resource_id)")
    fqdn = (mi.fqdn if mi else "") or facts.plan.mi_fqdn
    if not fqdn:
        raise RunbookError(
            "the managed instance FQDN is unknown (azure.managed_instance not collected and "
            "managed_instance.fqdn not configured)"
        )
    return rid.group, (mi.name if mi else rid.name), fqdn
