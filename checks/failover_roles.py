"""Planned-failover preflight: the link's roles (FO-007, FO-008, profile ``failover``).

Which side of a link is primary decides where a planned failover starts, and the service refuses a failover or a
role change that the current roles do not allow (DistributedAvailabilityGroups.json, Failover and SetRole, both
spec versions): InvalidDistributedAvailabilityGroupFailoverInstanceRole ("planned failover can be executed on a
link in the primary role only"), DistributedAvailabilityGroupSetRoleInstanceAlreadyInRequestedRole and
DistributedAvailabilityGroupSetRoleChangeRoleAlreadyInProgress.
"""

from __future__ import annotations

from collections.abc import Iterator

from linkready.checks._directions import EXISTING_LINK
from linkready.checks.failover import TAGS, each_link, mi_target

from linkready.domain import azcli
from linkready.domain.docs import DOCS_TROUBLE
from linkready.facts import Facts
from linkready.facts.azure import ExistingLink
from linkready.facts.sql import AvailabilityGroup
from linkready.model import Area, CodeBlock, Owner, Result, Settings, Severity, errored, failed, passed
from linkready.registry import check

#: LinkRole as ARM reports a link's two sides (instanceLinkRole, partnerLinkRole).
PRIMARY, SECONDARY = "primary", "secondary"
ROLES_FROM_SERVICE = (
    " The service takes a planned failover (az sql mi link failover --failover-type Planned) only on a link whose "
    "managed instance side is primary (InvalidDistributedAvailabilityGroupFailoverInstanceRole), and refuses a role "
    "change to the role a side already has (DistributedAvailabilityGroupSetRoleInstanceAlreadyInRequestedRole)."
)


def planned_failover_on_sql_server(link: str) -> str:
    """The documented T-SQL planned failover, run on the primary (SQL Server 2022 CU13 and later)."""
    return f"ALTER AVAILABILITY GROUP [{link.replace(']', ']]')}] FAILOVER;"


def demote_to_secondary(link: str) -> str:
    """The documented T-SQL that makes SQL Server's side of the link secondary again (split brain, TROUBLE)."""
    return f"ALTER AVAILABILITY GROUP [{link.replace(']', ']]')}] SET (ROLE = SECONDARY);"


@check(
    id="FO-007",
    title="The link's roles allow a planned failover, started where the service accepts it",
    area=Area.LINK,
    severity=Severity.HIGH,
    rationale=(
        "A planned failover moves the databases from the link's primary to its secondary and is started on the "
        "primary: with SQL Server primary, on SQL Server (T-SQL ALTER AVAILABILITY GROUP ... FAILOVER from SQL Server "
        "2022 CU13, or the SSMS failover wizard); with the managed instance primary, on the instance. After a forced "
        "failover both sides can be primary (split brain), and after an unfinished role change neither is: then no "
        "planned failover can start until one side is made secondary." + ROLES_FROM_SERVICE
    ),
    remediation=(
        "Start the planned failover on the side that is primary. With both sides primary, keep the copy that must "
        "survive: take a tail-log backup (SQL Server) or a copy-only backup (the instance) of the other, make that "
        "side secondary (on SQL Server: ALTER AVAILABILITY GROUP [link] SET (ROLE = SECONDARY)), then fail over."
    ),
    docs=DOCS_TROUBLE,
    owner=Owner.DBA,
    requires=("azure",),
    tags=TAGS,
    directions=EXISTING_LINK,
)
def link_roles_allow_planned_failover(facts: Facts, settings: Settings) -> Iterator[Result]:
    yield from each_link(facts, lambda link: (_roles_result(facts, link),))


def _roles_result(facts: Facts, link: ExistingLink) -> Result:
    instance, partner = link.instance_role.lower(), link.partner_role.lower()
    observed = f"managed instance {link.instance_role or 'not reported'}, SQL Server {link.partner_role or 'not reported'}"
    expected = "one side primary, the other secondary"
    if not instance or not partner or {instance, partner} - {PRIMARY, SECONDARY}:
        why = ("the 2023-08-01 API shape carries none" if not instance or not partner
               else "a value other than Primary or Secondary")
        return errored(f"Could not evaluate: the managed instance does not report both roles of {link.name} ({why}): "
                       "which side may start a planned failover is unknown",
                       target=link.name, observed=observed, expected=expected)
    if instance == SECONDARY and partner == PRIMARY:
        return passed(
            "SQL Server is the primary: a planned failover moves the databases to the managed instance and is "
            "started on SQL Server", target=link.name, observed=observed, expected=expected,
            evidence=[f"on SQL Server (2022 CU13 and later): {planned_failover_on_sql_server(link.name)}, or the SSMS "
                      "failover wizard",
                      "the service refuses a planned failover (az sql mi link failover --failover-type Planned) "
                      "sent to the managed instance while its side is secondary "
                      "(InvalidDistributedAvailabilityGroupFailoverInstanceRole)"])
    if instance == PRIMARY and partner == SECONDARY:
        return passed(
            "The managed instance is the primary: a planned failover moves the databases to SQL Server and is "
            "started on the instance", target=link.name, observed=observed, expected=expected,
            evidence=[f"on the managed instance: {azcli.link_failover(mi_target(facts), name=link.name)}",
                      "FO-004 judges whether the update policy lets the databases run on this SQL Server"])
    if instance == PRIMARY:
        return failed(
            f"Both sides of {link.name} are primary (split brain after a forced failover): a planned failover is "
            "refused, and asking a side for the role it already has is refused too "
            "(DistributedAvailabilityGroupSetRoleInstanceAlreadyInRequestedRole)",
            target=link.name, observed=observed, expected=expected,
            fix=(CodeBlock("tsql", demote_to_secondary(link.name),
                           "On SQL Server, if its copy is the one to give up (after a tail-log backup)"),))
    return failed(
        f"Neither side of {link.name} is primary: a role change is unfinished or failed, so no planned failover can "
        "start (DistributedAvailabilityGroupSetRoleChangeRoleAlreadyInProgress while it runs)",
        target=link.name, observed=observed, expected=expected)


@check(
    id="FO-008",
    title="No role change of the link is in progress: SQL Server and the managed instance agree on the primary",
    area=Area.LINK,
    severity=Severity.HIGH,
    rationale=(
        "A failover changes both sides' roles, one after the other. While a previous role change has not finished, "
        "the service refuses a new failover or role change (DistributedAvailabilityGroupSetRoleChangeRoleAlreadyInProgress). "
        "The specs do not say how the service detects it; what shows one from outside is SQL Server reporting a "
        "member of the distributed availability group as RESOLVING, or SQL Server and the managed instance naming "
        "different primaries."
    ),
    remediation=(
        "Wait for the running role change to finish (az sql mi op list shows the instance's operations; "
        "sys.dm_hadr_availability_replica_states on SQL Server), then run the failover preflight again. If the views "
        "stay apart, see the troubleshooting guide's split-brain steps."
    ),
    docs=DOCS_TROUBLE,
    owner=Owner.DBA,
    requires=("azure", "sql.availability_groups"),
    tags=TAGS,
    directions=EXISTING_LINK,
)
def no_role_change_in_progress(facts: Facts, settings: Settings) -> Iterator[Result]:
    assert facts.sql is not None and facts.sql.availability_groups is not None  # requires=
    dags = {ag.name.lower(): ag for ag in facts.sql.availability_groups if ag.is_distributed}
    error = facts.error_for("sql.availability_groups.replicas")
    unread = f" (sql.availability_groups.replicas could not be read: {error.reason})" if error else ""
    yield from each_link(facts, lambda link: (_views_result(link, dags.get(link.name.lower()), unread),))


def _views_result(link: ExistingLink, dag: AvailabilityGroup | None, unread: str) -> Result:
    expected = "no member RESOLVING; SQL Server and the instance name the same primary"
    if dag is None:
        return failed(f"SQL Server has no distributed availability group {link.name}: its side of the link is gone or "
                      "was renamed", target=link.name, observed="no distributed availability group of that name",
                      expected=expected)
    members = {r.name.lower(): r for r in dag.replicas}
    sql_side, mi_side = members.get(link.partner_ag_name.lower()), members.get(link.instance_ag_name.lower())
    observed = "; ".join(f"{r.name}: {r.role or 'no role reported'}" for r in dag.replicas) or "no member reported"
    if sql_side is None or mi_side is None or not sql_side.role:
        return errored(f"Could not evaluate: SQL Server does not report the roles of {link.partner_ag_name} and "
                       f"{link.instance_ag_name} in {link.name}{unread}", target=link.name, observed=observed,
                       expected=expected)
    resolving = [r.name for r in (sql_side, mi_side) if r.role.upper() == "RESOLVING"]
    if resolving:
        return failed(f"SQL Server reports {', '.join(resolving)} as RESOLVING: a role change of {link.name} is in "
                      "progress, and the service refuses a new one until it ends", target=link.name,
                      observed=observed, expected=expected)
    # SQL Server knows its own role; the managed instance's row may carry none (only the primary sees every member).
    instance_says = link.partner_role.upper()
    if instance_says and sql_side.role.upper() != instance_says:
        return failed(f"SQL Server says its side of {link.name} is {sql_side.role}, the managed instance says "
                      f"{link.partner_role}: a role change has not reached both sides", target=link.name,
                      observed=f"{observed}; the managed instance reports SQL Server {link.partner_role}",
                      expected=expected)
    if not instance_says:
        return errored(f"Could not evaluate: the managed instance does not report SQL Server's role in {link.name}",
                       target=link.name, observed=observed, expected=expected)
    return passed(f"SQL Server and the managed instance agree that SQL Server is {sql_side.role.lower()}, and no "
                  "member is RESOLVING", target=link.name, observed=observed, expected=expected)
