"""The managed instance service's error codes for link operations: what each means and where it is documented.

Read from Azure/azure-rest-api-specs, ``specification/sql/resource-manager/Microsoft.Sql/<version>/
DistributedAvailabilityGroups.json``: each operation's ``default`` response description lists the codes it can
return ("*** Error Responses: *** ... 400 Name - message"). Read 2026-12-02: the lists of CreateOrUpdate, Failover
and SetRole in both versions and of the preview's AddDatabases and RemoveDatabases (the other operations carry the
generic instance-wide list only) — stable 2023-08-01 at commit f32731100203 (an older stored copy, 033b90238477,
predates most link codes and has no Failover/SetRole) and 2025-08-01-preview at commit 3578295a63a1. The link troubleshooting page (MicrosoftDocs/sql-docs
azure-sql/managed-instance/managed-instance-link-troubleshoot-how-to.md, ms.date 06/25/2026) names none of these
codes: it lists SQL Server error numbers (41962 ... 47521, 1408, 1412) and the link states LinkInitError and
LinkCreationError.

Which checks prevent a code is check metadata and lives with the checks (``linkready.checks.service``); a code no
readiness check can ever prevent says why in ``unpreventable``.
"""

from __future__ import annotations

from dataclasses import dataclass

SPEC_REPO = "Azure/azure-rest-api-specs"
SPEC_DIR = "specification/sql/resource-manager/Microsoft.Sql"
SPEC_FILE = "DistributedAvailabilityGroups.json"
STABLE = "stable/2023-08-01"
PREVIEW = "preview/2025-08-01-preview"
BOTH = (STABLE, PREVIEW)
#: The commits the two files were read at (the index holds more than one stored copy of the stable file).
READ_AT = {STABLE: "f32731100203345bb20e6110168c626f27b02c4e", PREVIEW: "3578295a63a19770acdefd998b369c07ece5ef5e"}
#: Codes issue 15 named as unverified (the first four) or with a prefix completed by hand (the last two);
#: each is now read in both files (docs/service-error-codes.md lists where).
CHECKED_FOR_ISSUE_15 = (
    "ManagedInstanceLinkSourceDbHasDefunctFiles", "ManagedInstanceLinkUnsupportedNumberOfFilesOnSourceDb",
    "DistributedAvailabilityGroupDbEncryptedWithSmk", "DistributedAvailabilityGroupMiPrimaryWithGeodr",
    "DistributedAvailabilityGroupFailoverLogSendQueueSizeTooBig", "DistributedAvailabilityGroupFailoverRedoQueueSizeTooBig",
)
TROUBLESHOOTING = "MicrosoftDocs/sql-docs azure-sql/managed-instance/managed-instance-link-troubleshoot-how-to.md"

# Operation IDs as the specs name them (DistributedAvailabilityGroups_<op>).
CREATE = ("CreateOrUpdate",)
#: The preview adds AddDatabases and RemoveDatabases with the same database-level list as CreateOrUpdate.
CREATE_ADD_REMOVE = ("CreateOrUpdate", "AddDatabases (preview)", "RemoveDatabases (preview)")
FAILOVER_SET_ROLE = ("Failover", "SetRole")
#: The generic list every DistributedAvailabilityGroups operation of both versions carries.
EVERY_OPERATION = ("every operation",)

#: The request body the Azure CLI sends: linkready prints it, and the real azure-cli parser validates every printed
#: command (tests/conformance); nothing on either system shows it beforehand.
REQUEST_SHAPE = ("a malformed request body, not a state of either system: linkready's az commands are built from the "
                 "plan that PLAN-001..003 validate and pass the real azure-cli parser")
RUNTIME = "a state reached while the link runs, after any preflight"


@dataclass(frozen=True)
class ServiceCode:
    """One service error code: what it means, where it is documented, and whether a preflight can see it coming."""

    name: str
    meaning: str
    #: HTTP status the specs list it under.
    status: int = 400
    #: DistributedAvailabilityGroups operations whose error list names it.
    operations: tuple[str, ...] = CREATE
    #: Spec versions (under SPEC_DIR) whose DistributedAvailabilityGroups.json lists it; () = not in either.
    versions: tuple[str, ...] = BOTH
    #: Named specifically for the link (ManagedInstanceLink*, DistributedAvailabilityGroup*, CloudLifterChimera*,
    #: the request validations and OperationCanNotStartDueToMiLink), not one of the generic instance codes.
    link_specific: bool = True
    #: Why no readiness check can prevent it ("" = a check can: the checks table says which).
    unpreventable: str = ""
    #: For a code a check could prevent but none does yet: what such a check would read.
    gap: str = ""
    #: The spec file under SPEC_DIR/<version>/ whose operations list it.
    file: str = SPEC_FILE

    @property
    def source(self) -> str:
        """Where the code is documented, as one line."""
        if not self.versions:
            return f"not in {self.file} of {STABLE} or {PREVIEW}"
        versions = self.versions[0] if len(self.versions) == 1 else "{" + ", ".join(self.versions) + "}"
        return f"{SPEC_REPO} {SPEC_DIR}/{versions}/{self.file} ({', '.join(self.operations)})"


_c = ServiceCode


def _generic(name: str, meaning: str, status: int = 400) -> ServiceCode:
    """A code of the generic list every operation carries, not named for the link."""
    return ServiceCode(name, meaning, status=status, operations=EVERY_OPERATION, link_specific=False)

#: Every link-specific code of both spec versions, and the generic codes a readiness check can see coming.
SERVICE_CODES: dict[str, ServiceCode] = {c.name: c for c in (
    # -- The instance's state and capacity: the generic list every operation carries ----------------------------
    _c("OperationCanNotStartDueToMiLink",
       "a management operation cannot start while a database is being created through a link",
       operations=EVERY_OPERATION),
    _generic("ManagedInstanceExceedMaxAzureStorage", "total allocated storage of a General Purpose instance would exceed its limit"),
    _generic("ManagedInstanceFileExceededMaxAzureStorageFileSizeLimit", "a database file exceeds the General Purpose file size limit"),
    _generic("ManagedInstanceUpdateSloGPv2PerDatabaseFileLimitExceeded", "a database exceeds Next-gen General Purpose's per-database file limit"),
    _generic("NextGenGPNotSupportedForCmwCustomers", "Next-gen General Purpose cannot use a custom maintenance window"),
    _generic("UnableToResolveRemoteServer", "the partner server name cannot be resolved"),
    # The server trust certificate upload (az sql mi partner-cert create) a link's setup makes.
    _c("CertificateAlreadyExists",
       "a server trust certificate of that name, or that certificate, is already on the instance",
       operations=("ServerTrustCertificates_CreateOrUpdate",), versions=("stable/2021-11-01",),
       file="ServerTrustCertificates.json", link_specific=False),
    _generic("ManagedInstanceOperationInProgress", "another operation is in progress on the instance"),
    _generic("ManagedInstanceUpdateSloInProgress", "a service tier change is in progress on the instance"),
    _generic("ManagedInstanceIsBusy", "the instance is busy", status=409),
    _generic("ConflictingServerOperation", "an operation is in progress for the server", status=409),
    _generic("ManagedInstanceStoppingOrStopped", "the instance is stopping or stopped"),
    _generic("ManagedInstanceStarting", "the instance is starting"),
    _generic("ManagedInstanceHasGeoReplica", "the instance has a geo-replicated secondary"),
    _generic("NameAlreadyExists", "the name already exists"),
    # -- Database-level codes of CreateOrUpdate (not named for the link) ----------------------------------------
    _c("CannotUseReservedDatabaseName", "a reserved database name was used", link_specific=False,
       operations=CREATE_ADD_REMOVE),
    _c("CannotUseTrailingWhitespacesInDatabaseName", "a database name ends with white space", link_specific=False,
       operations=CREATE_ADD_REMOVE),
    _c("ManagedDatabaseNameInUse", "a database of that name already exists on the instance", link_specific=False,
       operations=CREATE_ADD_REMOVE),
    _c("NoMoreSpaceInManagedInstance", "the instance has no storage left for the database", link_specific=False,
       operations=CREATE_ADD_REMOVE),
    _c("StorageAccountFull", "the instance's storage is full", link_specific=False, operations=CREATE_ADD_REMOVE),
    _c("DatabaseNumberLimitReached", "the instance holds as many databases as its tier allows", link_specific=False,
       operations=CREATE_ADD_REMOVE),
    _generic("InvalidCollation", "the collation is not valid for the operation"),
    # -- CreateOrUpdate: the request -----------------------------------------------------------------------------
    _c("InvalidDistributedAvailabilityGroupsCreateOrUpdateRequest", "the create request body is empty or invalid",
       unpreventable=REQUEST_SHAPE),
    _c("InvalidDistributedAvailabilityGroupsCreateOrUpdateRequestInstanceAvailabilityGroupName",
       "the instance availability group name is empty or invalid"),
    _c("InvalidDistributedAvailabilityGroupsCreateOrUpdateRequestPartnerAvailabilityGroupName",
       "the partner availability group name is empty or invalid"),
    _c("InvalidDistributedAvailabilityGroupsCreateOrUpdateRequestPartnerEndpoint",
       "the partner endpoint is empty or invalid"),
    _c("InvalidDistributedAvailabilityGroupsCreateOrUpdateRequestDatabases", "the database list is empty or invalid"),
    _c("InstanceAvailabilityGroupNamePartnerAvailabilityGroupNameMatch",
       "the instance and partner availability groups have the same name"),
    _c("InvalidDistributedAvailabilityGroupsCreateOrUpdateRequestSeedingMode",
       "the seeding mode is empty or not Automatic (the only mode accepted)",
       unpreventable="a request value: linkready's az sql mi link create never sets a seeding mode other than the "
                     "default Automatic"),
    # -- CreateOrUpdate (and the preview's AddDatabases/RemoveDatabases): the databases and the connection ------
    _c("ManagedInstanceLinkSourceDbHasHekatonFile",
       "the source database's memory-optimized filegroup is not empty and the target is General Purpose",
       operations=CREATE_ADD_REMOVE),
    _c("ManagedInstanceLinkSourceDbHasMultipleLogFiles", "the source database has more than one log file",
       operations=CREATE_ADD_REMOVE),
    _c("ManagedInstanceLinkUnsupportedNumberOfFilesOnSourceDb",
       "the source database has more files than the managed instance allows", operations=CREATE_ADD_REMOVE),
    _c("ManagedInstanceLinkSourceDbHasFilestream", "the source database uses FILESTREAM or FileTable",
       operations=CREATE_ADD_REMOVE),
    _c("ManagedInstanceLinkSourceDbHasDefunctFiles", "the source database has files in DEFUNCT state",
       operations=CREATE_ADD_REMOVE),
    _c("ManagedInstanceLinkTdeCertificateMissing",
       "the source database uses TDE and the managed instance lacks its encryption key",
       operations=CREATE_ADD_REMOVE),
    _c("ManagedInstanceLinkConnectivityIsNotEstablished",
       "replication did not start within the allowed minutes (network connectivity or firewall rules)",
       operations=CREATE_ADD_REMOVE),
    _c("ManagedInstanceLinkForProvidedAvailabilityGroupsAlreadyExists",
       "a link for the named availability groups already exists (one database per single-database link)",
       operations=CREATE_ADD_REMOVE),
    _c("ManagedInstanceLinkIsNotFound",
       "the link was not created, or was deleted, before the data copy completed", operations=CREATE_ADD_REMOVE,
       unpreventable=f"{RUNTIME}: the link failed or was deleted during seeding"),
    _c("ManagedInstanceLinkIsNotInTheCatchupState",
       "the link is not in the catch-up state after the data copy completed", operations=CREATE_ADD_REMOVE,
       unpreventable=f"{RUNTIME}: the state after the data copy"),
    _c("ManagedInstanceLinkCertificateNotFoundOnManagedInstance",
       "the connection cannot be made: a certificate is missing on the managed instance",
       operations=CREATE_ADD_REMOVE),
    _c("ManagedInstanceLinkCertificateNotFoundOnSqlServer",
       "the connection cannot be made: a certificate is missing on SQL Server", operations=CREATE_ADD_REMOVE),
    _c("CloudLifterChimeraAvailabilityGroupConnectionCannotBeEstablished",
       "the partner's availability group does not respond (missing AG or DAG, wrong names or parameters)",
       operations=CREATE_ADD_REMOVE),
    _c("CloudLifterChimeraEstablishDbConnectionNotEstablished",
       "the availability group answers but the target database does not (database creation on the partner, names "
       "or parameters)", operations=CREATE_ADD_REMOVE,
       unpreventable=f"{RUNTIME}: the partner failing to create or answer for the database. With the managed "
                     "instance as initial primary the runbook grants the SQL Server availability group CREATE ANY "
                     "DATABASE, which SQL Server needs to create it and which no query shows beforehand"),
    _c("CloudLifterChimeraMIAgNameIsAlreadyUsed",
       "the managed instance side availability group name is already used on the instance",
       operations=CREATE_ADD_REMOVE),
    _c("CloudLifterChimeraBoxAndMiOnDifferentDbVersionsFailoverModeManual",
       "a link for bi-directional failover needs matching database formats on SQL Server and the instance",
       operations=CREATE_ADD_REMOVE),
    # -- Failover and SetRole ------------------------------------------------------------------------------------
    _c("InvalidDistributedAvailabilityGroupFailoverRequest", "the failover request body is empty or invalid",
       operations=FAILOVER_SET_ROLE,
       unpreventable="a malformed request body, not a state of either system: linkready prints no failover "
                     "request of its own beyond the documented commands, which pass the real azure-cli parser"),
    _c("InvalidDistributedAvailabilityGroupFailoverInstanceRole",
       "a planned failover was asked on a link whose managed instance side is secondary (it runs from the primary only)",
       operations=FAILOVER_SET_ROLE),
    _c("DistributedAvailabilityGroupFailoverSecondariesNotSynchronizing",
       "a planned failover was asked while the secondary was not synchronizing", status=409,
       operations=FAILOVER_SET_ROLE),
    _c("DistributedAvailabilityGroupFailoverLogSendQueueSizeTooBig",
       "a planned failover was asked with too much log not yet sent", status=409, operations=FAILOVER_SET_ROLE),
    _c("DistributedAvailabilityGroupFailoverRedoQueueSizeTooBig",
       "a planned failover was asked with too much log not yet redone on the secondary", status=409,
       operations=FAILOVER_SET_ROLE),
    _c("DistributedAvailabilityGroupSetRoleInstanceAlreadyInRequestedRole",
       "setRole asked for the role the managed instance already has", status=409, operations=FAILOVER_SET_ROLE),
    _c("DistributedAvailabilityGroupSetRoleChangeRoleAlreadyInProgress",
       "a previous role change is still in progress on the managed instance", status=409,
       operations=FAILOVER_SET_ROLE),
    _c("DistributedAvailabilityGroupSetRoleFailed", "setting the role failed for an unknown reason", status=409,
       operations=FAILOVER_SET_ROLE,
       unpreventable="the specs give no cause (\"an unknown reason\": the error log and support are the way on)"),
    _c("DistributedAvailabilityGroupSetRolePrimaryPlannedNotSupported",
       "setRole to primary was asked as a planned change, which is not supported", status=409,
       operations=FAILOVER_SET_ROLE,
       unpreventable="a request value (setRole Primary must be Forced); linkready prints no setRole command"),
    _c("DistributedAvailabilityGroupDbEncryptedWithSmk",
       "a database encrypted with a service-managed key cannot replicate from the instance to SQL Server",
       status=409, operations=FAILOVER_SET_ROLE),
    _c("DistributedAvailabilityGroupDbCannotBeEncryptedWhenPrimaryInMiLink",
       "a database replicated from the instance to SQL Server cannot be encrypted with a service-managed key",
       status=409, operations=FAILOVER_SET_ROLE,
       unpreventable=f"{RUNTIME}: it refuses a change (encrypting with the service-managed key) made while the "
                     "managed instance replicates to SQL Server"),
    _c("DistributedAvailabilityGroupProtectorCannotBeUpdtedToSmk",
       "the TDE protector cannot switch to service-managed while the instance replicates to SQL Server",
       status=409, operations=FAILOVER_SET_ROLE,
       unpreventable=f"{RUNTIME}: it refuses a change of the TDE protector made while the managed instance "
                     "replicates to SQL Server"),
    _c("DistributedAvailabilityGroupMiPrimaryWithGeodr",
       "a database cannot replicate from the instance to SQL Server while the instance is in an auto-failover group",
       status=409, operations=FAILOVER_SET_ROLE),
)}


def code_named(text: str) -> ServiceCode | None:
    """The service code spelled ``text`` in any case, or None."""
    return {name.lower(): c for name, c in SERVICE_CODES.items()}.get(text.strip().lower())


def link_specific() -> list[ServiceCode]:
    """Every link-specific code of both spec versions, by name."""
    return sorted((c for c in SERVICE_CODES.values() if c.link_specific), key=lambda c: c.name)
