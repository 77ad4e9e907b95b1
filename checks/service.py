"""Service error codes and the checks that prevent them, plus checks named after service refusals (SVC-001..004).

``prevents`` in the model holds SQL error numbers only; the service's own error code names (what users
search for) are mapped to checks here, in ``SERVICE_ERRORS``, until the model carries them. The codes themselves
(meaning, spec source) are link knowledge: ``linkready.domain.service_codes``. ``explain`` and
docs/service-error-codes.md read both.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from linkready.checks._directions import PLAN_SHAPE, SEEDED_FROM_SQL_SERVER, SQL_SERVER_SETUP
from linkready.checks.databases import each_planned

from linkready.domain.docs import DOCS_ARC_PREP, DOCS_OVERVIEW, DOCS_PREP, DOCS_TROUBLE
from linkready.domain.endpoints import split_endpoint
from linkready.domain.service_codes import SERVICE_CODES, ServiceCode, code_named
from linkready.facts import Facts
from linkready.facts.sql import AvailabilityGroup, SqlDatabase
from linkready.model import Area, Owner, Result, Settings, Severity, failed, passed, skipped, warned
from linkready.registry import check

__all__ = ["SERVICE_CODES", "SERVICE_ERRORS", "ServiceCode", "checks_preventing", "code_named"]

#: Check ID → the service error codes it prevents. Every name here is a key of SERVICE_CODES (tested). A code
#: no check prevents either says why none can (``ServiceCode.unpreventable``) or is listed as a gap in
#: docs/service-error-codes.md.
SERVICE_ERRORS: dict[str, tuple[str, ...]] = {
    "DNS-003": ("UnableToResolveRemoteServer", "ManagedInstanceLinkConnectivityIsNotEstablished"),
    "MI-001": ("ManagedInstanceOperationInProgress", "ManagedInstanceUpdateSloInProgress", "ManagedInstanceIsBusy",
               "ConflictingServerOperation", "ManagedInstanceStoppingOrStopped", "ManagedInstanceStarting"),
    # MI-006 fails on any failover group membership, whichever side is primary.
    "MI-006": ("ManagedInstanceHasGeoReplica", "DistributedAvailabilityGroupMiPrimaryWithGeodr"),
    "DB-005": ("ManagedInstanceLinkSourceDbHasMultipleLogFiles",),
    "DB-006": ("ManagedInstanceLinkSourceDbHasFilestream",),
    "DB-007": ("ManagedInstanceLinkSourceDbHasHekatonFile",),
    "DB-008": ("CloudLifterChimeraAvailabilityGroupConnectionCannotBeEstablished",),
    "DB-009": ("ManagedInstanceLinkTdeCertificateMissing",),
    "MI-007": ("NameAlreadyExists", "ManagedInstanceLinkForProvidedAvailabilityGroupsAlreadyExists",
               "CloudLifterChimeraMIAgNameIsAlreadyUsed"),
    "DB-011": ("NameAlreadyExists", "ManagedDatabaseNameInUse"),
    "MI-004": ("NoMoreSpaceInManagedInstance", "StorageAccountFull"),
    "DB-012": ("NoMoreSpaceInManagedInstance", "StorageAccountFull"),
    "MI-005": ("DatabaseNumberLimitReached",),
    "DB-013": ("InvalidCollation",),
    # The certificates the service names in its own words (the SQL errors 41973/41974 of the same conditions).
    "CERT-003": ("ManagedInstanceLinkCertificateNotFoundOnManagedInstance",),
    "CERT-004": ("ManagedInstanceLinkCertificateNotFoundOnSqlServer",),
    # Replication that does not start in time (error 41962 on SQL Server): the network path both ways.
    "EP-005": ("ManagedInstanceLinkConnectivityIsNotEstablished",),
    "DNS-001": ("ManagedInstanceLinkConnectivityIsNotEstablished",),
    "DNS-002": ("ManagedInstanceLinkConnectivityIsNotEstablished",),
    "NET-001": ("ManagedInstanceLinkConnectivityIsNotEstablished",),
    "NET-002": ("ManagedInstanceLinkConnectivityIsNotEstablished",),
    "NET-003": ("ManagedInstanceLinkConnectivityIsNotEstablished",),
    "NSG-001": ("ManagedInstanceLinkConnectivityIsNotEstablished",),
    "NSG-002": ("ManagedInstanceLinkConnectivityIsNotEstablished",),
    "NSG-003": ("ManagedInstanceLinkConnectivityIsNotEstablished",),
    "NSG-004": ("ManagedInstanceLinkConnectivityIsNotEstablished",),
    # The request linkready builds from the plan: names, partner endpoint, database list.
    "PLAN-001": ("InvalidDistributedAvailabilityGroupsCreateOrUpdateRequestInstanceAvailabilityGroupName",
                 "InvalidDistributedAvailabilityGroupsCreateOrUpdateRequestPartnerAvailabilityGroupName",
                 "InstanceAvailabilityGroupNamePartnerAvailabilityGroupNameMatch",
                 "CloudLifterChimeraAvailabilityGroupConnectionCannotBeEstablished"),
    "PLAN-002": ("InvalidDistributedAvailabilityGroupsCreateOrUpdateRequestPartnerEndpoint",
                 "ManagedInstanceLinkConnectivityIsNotEstablished"),
    "PLAN-003": ("InvalidDistributedAvailabilityGroupsCreateOrUpdateRequestDatabases",),
    "FO-007": ("InvalidDistributedAvailabilityGroupFailoverInstanceRole",
               "DistributedAvailabilityGroupSetRoleInstanceAlreadyInRequestedRole"),
    "FO-008": ("DistributedAvailabilityGroupSetRoleChangeRoleAlreadyInProgress",),
    "FO-001": ("DistributedAvailabilityGroupFailoverSecondariesNotSynchronizing",),
    "FO-003": ("DistributedAvailabilityGroupFailoverLogSendQueueSizeTooBig",
               "DistributedAvailabilityGroupFailoverRedoQueueSizeTooBig"),
    "SVC-001": ("CannotUseReservedDatabaseName",),
    "SVC-002": ("CannotUseTrailingWhitespacesInDatabaseName",),
    "SVC-005": ("ManagedInstanceFileExceededMaxAzureStorageFileSizeLimit",
                "ManagedInstanceUpdateSloGPv2PerDatabaseFileLimitExceeded",
                "ManagedInstanceLinkUnsupportedNumberOfFilesOnSourceDb"),
    "SVC-006": ("ManagedInstanceExceedMaxAzureStorage", "ManagedInstanceLinkUnsupportedNumberOfFilesOnSourceDb"),
    "SVC-007": ("ManagedInstanceLinkSourceDbHasDefunctFiles",),
    "SVC-008": ("DistributedAvailabilityGroupDbEncryptedWithSmk",),
    # A new upload under a leftover's name, or of a certificate already uploaded, is refused.
    "SVC-023": ("CertificateAlreadyExists",),
    # A link for bi-directional failover needs matching database formats (the update policy) on both sides.
    "MI-003": ("CloudLifterChimeraBoxAndMiOnDifferentDbVersionsFailoverModeManual",),
    # The scaling, storage and window changes the target audit recommends cannot start while a link seeds: each
    # says to make them before the link, and the runbook's prerequisites repeat it (BLOCKED_WHILE_SEEDING).
    "TGT-010": ("OperationCanNotStartDueToMiLink",),
    "TGT-011": ("OperationCanNotStartDueToMiLink",),
    "TGT-012": ("NextGenGPNotSupportedForCmwCustomers", "OperationCanNotStartDueToMiLink"),
}

#: The service code a management operation on the instance fails with while a link seeds.
BLOCKED_WHILE_SEEDING = "OperationCanNotStartDueToMiLink"


def checks_preventing(code: str) -> list[str]:
    """IDs of the checks that prevent service code ``code`` (exact name), in table order."""
    return [check_id for check_id, codes in SERVICE_ERRORS.items() if code in codes]


#: Names the service reserves for its own databases (CannotUseReservedDatabaseName). Compared without case,
#: as the instance's default collation does.
RESERVED_DATABASE_NAMES = ("master", "model", "msdb", "tempdb")


@check(
    id="SVC-001",
    title="No planned database uses a name the service reserves (master, model, msdb, tempdb)",
    area=Area.PLAN,
    severity=Severity.HIGH,
    rationale=(
        "The managed instance creates the replicated database under the planned name. The system database "
        "names are reserved there, and the link creation is refused with CannotUseReservedDatabaseName."
    ),
    remediation="Plan only user databases; system databases cannot be replicated through a link.",
    docs=DOCS_OVERVIEW,
    owner=Owner.DBA,
    requires=("plan.links",),
    directions=PLAN_SHAPE,
)
def no_reserved_database_names(facts: Facts, settings: Settings) -> Iterator[Result]:
    expected = f"none of {', '.join(RESERVED_DATABASE_NAMES)}"
    for link in facts.plan.links:
        reserved = [db for db in link.databases if db.strip().lower() in RESERVED_DATABASE_NAMES]
        observed = ", ".join(link.databases) or "(none)"
        if reserved:
            yield failed(
                f"{', '.join(reserved)}: reserved on the managed instance (CannotUseReservedDatabaseName)",
                target=link.name, observed=observed, expected=expected,
            )
        else:
            yield passed("No reserved database name is planned", target=link.name, observed=observed,
                         expected=expected)


@check(
    id="SVC-002",
    title="No planned database name ends (or starts) with white space",
    area=Area.PLAN,
    severity=Severity.HIGH,
    rationale=(
        "SQL Server accepts database names with trailing spaces; the managed instance refuses them "
        "(CannotUseTrailingWhitespacesInDatabaseName), so such a database cannot be linked under its name."
    ),
    remediation=(
        "Rename the database on SQL Server without the trailing spaces (ALTER DATABASE ... MODIFY NAME) "
        "before creating the link, and plan it under the new name."
    ),
    docs=DOCS_TROUBLE,
    owner=Owner.DBA,
    requires=("plan.links",),
    directions=PLAN_SHAPE,
)
def no_whitespace_around_database_names(facts: Facts, settings: Settings) -> Iterator[Result]:
    expected = "names without leading or trailing white space"
    for link in facts.plan.links:
        padded = [db for db in link.databases if db != db.strip()]
        observed = ", ".join(repr(db) for db in link.databases) or "(none)"
        if padded:
            yield failed(
                f"{', '.join(repr(db) for db in padded)}: white space around the name "
                "(CannotUseTrailingWhitespacesInDatabaseName)",
                target=link.name, observed=observed, expected=expected,
            )
        else:
            yield passed("No database name has white space around it", target=link.name, observed=observed,
                         expected=expected)


DB_REQUIRES = ("sql.databases", "plan.links")


@check(
    id="SVC-003",
    title="Accelerated database recovery on the source: what it means on the managed instance",
    area=Area.DATABASES,
    severity=Severity.INFO,
    rationale=(
        "Accelerated database recovery (ADR) is always on for managed instance databases. A database without "
        "ADR on SQL Server gets it on the instance after the link: rollback and recovery behave differently "
        "there, and the persistent version store takes space in the database."
    ),
    remediation=(
        "Nothing blocks the link. Plan for the version store's space on the instance; to see the behaviour "
        "beforehand, test ALTER DATABASE ... SET ACCELERATED_DATABASE_RECOVERY = ON on a copy."
    ),
    docs=DOCS_PREP,
    owner=Owner.DBA,
    requires=DB_REQUIRES,
    directions=SEEDED_FROM_SQL_SERVER,
)
def adr_state_on_instance(facts: Facts, settings: Settings) -> Iterator[Result]:
    # each_planned: the planned databases on SQL Server, in the direction the plan seeds them.
    yield from each_planned(facts, settings, _adr)


def _adr(db: SqlDatabase, facts: Facts, settings: Settings) -> Result:
    expected = "ADR on (as it always is on the managed instance)"
    observed = f"ADR {'on' if db.adr_enabled else 'off'}"
    # No action is needed either way, so ADR off is an informational PASS rather than a WARN:
    # the finding says what changes on the instance without counting against readiness.
    if db.adr_enabled:
        return passed("ADR is on, as it will be on the managed instance", target=db.name, observed=observed,
                      expected=expected)
    return passed(
        f"For information: ADR is off on SQL Server; on the managed instance {db.name} runs with ADR on "
        "(version store space, different rollback behaviour)",
        target=db.name, observed=observed, expected=expected,
    )


@check(
    id="SVC-004",
    title="Service Broker on the source: what it means on the managed instance",
    area=Area.DATABASES,
    severity=Severity.LOW,
    rationale=(
        "A database replicated through the link is read-only on the managed instance while the link lasts; "
        "Service Broker queues there do not process messages until the database becomes primary after a "
        "failover, and broker routes naming the SQL Server host must be revisited then."
    ),
    remediation=(
        "Nothing blocks the link. Before failing over, list the database's routes and services "
        "(sys.routes, sys.services) and plan how the applications reach the broker on the instance."
    ),
    docs=DOCS_PREP,
    owner=Owner.DBA,
    requires=DB_REQUIRES,
    directions=SEEDED_FROM_SQL_SERVER,
)
def broker_state_on_instance(facts: Facts, settings: Settings) -> Iterator[Result]:
    yield from each_planned(facts, settings, _broker)


def _broker(db: SqlDatabase, facts: Facts, settings: Settings) -> Result:
    expected = "Service Broker off, or its failover planned"
    observed = f"Service Broker {'enabled' if db.broker_enabled else 'disabled'}"
    if db.broker_enabled:
        return warned(
            f"Service Broker is enabled on {db.name}: its queues do not run on the instance until failover, "
            "and routes naming the SQL Server must be revisited then",
            target=db.name, observed=observed, expected=expected,
        )
    return passed("Service Broker is not in use", target=db.name, observed=observed, expected=expected)


#: What a multiple-database link does that this probe, reading one SQL Server instance, cannot see.
MULTIDB_UNSEEN = (
    "Read from one instance only: the databases and seeding state on the other replicas are not verified "
    "here (SVC-024 and SVC-025 check the AG's contained flag and listener from this instance); check them "
    "on every replica (the documentation is silent on what the service validates there)."
)
MULTIDB_UPDATE = (
    "Updating a multiple-database link's database list replaces its membership: a database left out of the "
    "update is removed from the link, so every update must list all of them."
)


@check(
    id="SVC-020",
    title="A multiple-database link plans every database of the SQL Server availability group it links",
    area=Area.PLAN,
    severity=Severity.HIGH,
    rationale=(
        "In multiple-database mode (preview) the link replicates the databases of one availability group on "
        "SQL Server together, and an update to the link replaces its membership with the list it names. A "
        "database of that AG left out of the plan is not replicated as the plan assumes; the documentation "
        "does not say whether the service refuses such a link or leaves the database out."
    ),
    remediation=(
        "List every database of the availability group in the link's databases, or move the databases that "
        "must not be replicated out of the AG (ALTER AVAILABILITY GROUP ... REMOVE DATABASE) before creating "
        "the link."
    ),
    docs=DOCS_OVERVIEW,
    owner=Owner.DBA,
    requires=("sql.availability_groups", "plan.links"),
    directions=PLAN_SHAPE,
)
def multidb_link_plans_whole_ag(facts: Facts, settings: Settings) -> Iterator[Result]:
    assert facts.sql is not None and facts.sql.availability_groups is not None
    links = [link for link in facts.plan.links if link.link_mode == "MultiDatabase"]
    if not links:
        yield skipped("Not applicable: no link is planned in multiple-database mode")
        return
    groups = [g for g in facts.sql.availability_groups if not g.is_distributed]
    for link in links:
        planned = {db.lower() for db in link.databases}
        named = [g for g in groups if g.name.lower() == link.partner_ag_name.lower()]
        holding = named or [g for g in groups if planned & {d.lower() for d in g.databases}]
        yield _multidb_result(link.name, link.databases, holding, planned)


def _multidb_result(link: str, databases: tuple[str, ...], holding: list[AvailabilityGroup],
                    planned: set[str]) -> Result:
    evidence = [MULTIDB_UPDATE, MULTIDB_UNSEEN]
    observed = "; ".join(f"AG {g.name}: {', '.join(g.databases) or '(no database)'}" for g in holding) or "no AG"
    expected = f"every database of the linked AG planned ({', '.join(databases) or 'none planned'})"
    missing = [d for g in holding for d in g.databases if d.lower() not in planned]
    if missing:
        return failed(
            f"{', '.join(missing)}: in the linked availability group but not in the plan of {link}; a "
            "multiple-database link replicates the whole AG",
            target=link, observed=observed, expected=expected, evidence=evidence,
        )
    if not holding:
        return passed(f"No availability group holds the planned databases yet: the link's AG will hold exactly "
                      f"{', '.join(databases)}", target=link, observed=observed, expected=expected, evidence=evidence)
    return passed("Every database of the linked availability group is planned", target=link, observed=observed,
                  expected=expected, evidence=evidence)


@check(
    id="SVC-009",
    title="A failover cluster instance as the link's SQL Server is planned with its virtual network name",
    area=Area.SQL,
    severity=Severity.MEDIUM,
    rationale=(
        "The link's documentation does not list failover cluster instances (FCI) among its limitations, but "
        "the Azure Arc migration flow that builds on the link refuses an FCI source. On an FCI the availability "
        "group moves with the instance between nodes: the partner endpoint must name the FCI's virtual network "
        "name, the endpoint certificate and the master key move with it, and a cluster failover during seeding "
        "restarts the seeding."
    ),
    remediation=(
        "Use the FCI's virtual network name (SERVERPROPERTY('MachineName')) in the partner endpoint, keep the "
        "database mirroring endpoint's port open on every node, and avoid cluster failovers while the link "
        "seeds. Use the T-SQL or PowerShell scripts, not the Azure Arc migration flow."
    ),
    docs=DOCS_ARC_PREP,
    owner=Owner.DBA,
    requires=("sql.instance",),
    directions=SQL_SERVER_SETUP,
)
def failover_cluster_instance_is_planned(facts: Facts, settings: Settings) -> Iterator[Result]:
    instance = facts.sql.instance if facts.sql else None
    assert instance is not None
    observed = f"IsClustered = {int(instance.is_clustered)}"
    expected = "a standalone instance, or an FCI planned with its virtual network name"
    if not instance.is_clustered:
        yield passed("SQL Server is not a failover cluster instance", observed=observed, expected=expected)
        return
    name = instance.machine_name
    elsewhere = sorted({host for host in map(_endpoint_host, (link.partner_endpoint for link in facts.plan.links))
                        if host and host.split(".")[0].lower() != name.lower()})
    note = (f"; the partner endpoint names {', '.join(elsewhere)}, not the virtual network name {name}"
            if elsewhere else "")
    yield warned(
        f"SQL Server is a failover cluster instance ({name}): the Azure Arc migration flow refuses it, and the "
        f"link's documentation is silent on FCIs{note}",
        observed=observed, expected=expected,
    )


def _endpoint_host(endpoint: str) -> str:
    """The partner endpoint's host name; "" for an address (a cluster IP moves with the FCI too) or a bad value."""
    parts = split_endpoint(endpoint)
    if parts is None:
        return ""
    try:
        ipaddress.ip_address(parts[0])
    except ValueError:
        return parts[0]
    return ""
