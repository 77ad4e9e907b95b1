"""Facts read from the source SQL Server (owned by the SQL room).

A field that is ``None`` was not collected; the probe records a ProbeError naming its path
(for example ``sql.trace_flags``) when it could not be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from linkready.facts.consistency import always

#: SERVERPROPERTY values that are never NULL on SQL Server (NULL only for an invalid property name).
_PROPERTY = "SERVERPROPERTY returns it on every SQL Server"


@dataclass(frozen=True)
class SqlInstance:
    #: @@SERVERNAME; the probe falls back to MachineName[\\InstanceName] when it is NULL (after sp_dropserver).
    server_name: str = field(metadata=always("@@SERVERNAME, or SERVERPROPERTY's MachineName when it is NULL"))
    machine_name: str = field(metadata=always(_PROPERTY))
    instance_name: str | None
    product_version: str = field(metadata=always(_PROPERTY))
    #: Facts read from SQL Server carry EngineEdition (never 0 there); those linkready discover builds from an
    #: Azure inventory have no product level to give and leave engine_edition 0.
    product_level: str = field(metadata=always(_PROPERTY + " (RTM, SPn, CTPn)", when="engine_edition"))
    #: NULL (None) on a build without a CU: only a present value must say which.
    product_update_level: str | None = field(metadata=always("SERVERPROPERTY('ProductUpdateLevel') is NULL "
                                                                    "or a CU name, never empty"))
    product_update_reference: str | None
    edition: str = field(metadata=always(_PROPERTY))
    engine_edition: int
    host_platform: str
    host_distribution: str = field(metadata=always(
        "sys.dm_os_host_info (or @@VERSION before 2017) names the OS beside its platform", when="host_platform"))
    host_release: str
    collation: str
    is_hadr_enabled: bool
    hadr_manager_status: int | None = None
    is_clustered: bool = False
    cpu_count: int | None = None
    physical_memory_mb: int | None = None

    @property
    def major_version(self) -> int | None:
        """15 for "15.0.4335.1"; None when the version text is not a build number."""
        head = self.product_version.split(".")[0]
        return int(head) if head.isdigit() else None
    #: SELECT @@VERSION as returned (names the host OS on SQL Server 2016, which lacks dm_os_host_info).
    version_text: str = ""


@dataclass(frozen=True)
class TraceFlag:
    """A trace flag the checks care about, in both places it can be on.

    ``enabled``: set as a startup parameter (-T in sys.dm_server_registry), so on after every restart.
    ``running``: on globally right now (DBCC TRACESTATUS(-1)): a DBCC TRACEON(f, -1) shows here and
    not at startup; a -T added but not yet restarted shows at startup and not here. None: not read.
    """

    flag: int
    enabled: bool
    running: bool | None = None

    @property
    def on_now(self) -> bool:
        """On right now: the running state when it was read, else the startup parameter."""
        return self.enabled if self.running is None else self.running


@dataclass(frozen=True)
class SqlCertificate:
    name: str
    certificate_id: int
    thumbprint: str
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    key_length: int
    #: MK (master key), PW (password), NA (no private key), SK (service key).
    pvt_key_encryption_type: str
    #: CERTENCODED: the public certificate (DER, hex). Public material, safe to keep.
    public_der_hex: str = ""
    #: Issuer mappings from sp_certificate_add_issuer (e.g. "*.database.windows.net"). None: not readable —
    #: no catalog view exposes them to a SELECT, so the probe cannot know; () means known to have none.
    issuer_mappings: tuple[str, ...] | None = None


@dataclass(frozen=True)
class MirroringEndpoint:
    name: str
    state: str
    role: str
    port: int
    ip_address: str
    connection_auth: str
    encryption_algorithm: str
    is_encryption_enabled: bool
    certificate_name: str | None = None
    certificate_id: int | None = None


@dataclass(frozen=True)
class AgReplica:
    name: str
    endpoint_url: str
    role: str
    availability_mode: str
    synchronization_health: str
    connected_state: str


@dataclass(frozen=True)
class ListenerAddress:
    """One virtual IP of an AG listener (sys.availability_group_listener_ip_addresses)."""

    ip_address: str = field(metadata=always("sys.availability_group_listener_ip_addresses lists each virtual IP "
                                            "with its address"))
    #: ONLINE, OFFLINE, ONLINE_PENDING, FAILED (state_desc: the WSFC IP resource's state).
    state: str = field(metadata=always("each listener IP row carries its state_desc"))


@dataclass(frozen=True)
class AgListener:
    """An availability group listener (sys.availability_group_listeners)."""

    dns_name: str = field(metadata=always("sys.availability_group_listeners names each listener (dns_name)"))
    #: The listener's client connection port; None when it was configured outside SQL Server.
    port: int | None
    addresses: tuple[ListenerAddress, ...] = ()


@dataclass(frozen=True)
class AvailabilityGroup:
    name: str
    is_distributed: bool
    basic_features: bool
    cluster_type: str
    databases: tuple[str, ...]
    replicas: tuple[AgReplica, ...] = ()
    #: sys.availability_groups.is_contained (selected from SQL Server 2022 on, where contained AGs exist);
    #: None: not read (an older version, or the column could not be read: see "sql.availability_groups").
    is_contained: bool | None = None
    #: The AG's listeners; () an AG without one; None: not read (see "sql.availability_groups.listeners").
    listeners: tuple[AgListener, ...] | None = None


@dataclass(frozen=True)
class DatabaseFile:
    """One file of a database (a row of sys.master_files)."""

    file_id: int
    #: The logical name (what ALTER DATABASE ... REMOVE FILE takes).
    name: str
    #: ROWS, LOG, FILESTREAM, FULLTEXT (type_desc).
    type: str
    #: ONLINE, RESTORING, RECOVERING, RECOVERY_PENDING, SUSPECT, OFFLINE, DEFUNCT (state_desc).
    state: str
    size_mb: float
    #: None: unlimited growth (max_size -1); 0: no growth allowed.
    max_size_mb: float | None = None
    #: "64 MB", "10 %" or "none" (growth, is_percent_growth).
    growth: str = ""


@dataclass(frozen=True)
class SqlDatabase:
    name: str
    database_id: int
    state: str
    recovery_model: str
    is_system: bool
    collation: str = field(metadata=always("sys.databases.collation_name is NULL only for a database that is not "
                                           "online", when="state=ONLINE"))
    #: Newest full backup that is not COPY_ONLY (msdb.dbo.backupset), if any.
    last_full_backup: datetime | None = None
    last_copy_only_backup: datetime | None = None
    #: True when the newest non-COPY_ONLY full backup follows the last switch to FULL recovery.
    full_backup_after_recovery_change: bool | None = None
    log_file_count: int = 1
    has_filestream: bool = False
    has_filetable: bool = False
    inmemory_filegroups: int = 0
    inmemory_files: int = 0
    ag_name: str | None = None
    ag_database_count: int = 0
    is_encrypted: bool = False
    tde_encryptor_thumbprint: str | None = None
    tde_encryptor_type: str | None = None
    adr_enabled: bool = False
    pvs_filegroup: str | None = None
    broker_enabled: bool = False
    data_size_mb: float = 0.0
    log_size_mb: float = 0.0
    log_used_percent: float = 0.0
    #: Log backups (not COPY_ONLY) finished in the 7 days before collection (msdb.dbo.backupset, type 'L');
    #: 0 when there were none, None when backup history was not read.
    log_backups_7d: int | None = None
    #: Their total size (backup_size, uncompressed) in MB: the log the database generated meanwhile.
    log_backup_mb_7d: float | None = None
    #: Log generated per day, from those backups and the time they cover; None with fewer than two backups.
    log_generated_mb_per_day: float | None = None
    #: The median time between consecutive log backups (the cadence the backup job runs at), in minutes.
    log_backup_interval_minutes: float | None = None
    #: Every file of the database (sys.master_files); None when not collected (see the "master_files" part).
    files: tuple[DatabaseFile, ...] | None = None
    #: Parts the probe could not read for this database, each "part: reason". Parts: files, master_files,
    #: filegroups, backups, log_backups, recovery, tde, pvs, log_space. A check that needs a listed part is ERROR.
    unreadable: tuple[str, ...] = ()

    def unreadable_part(self, part: str) -> str | None:
        """Why ``part`` of this database could not be read, or None when it was read."""
        for entry in self.unreadable:
            name, _, reason = entry.partition(": ")
            if name == part:
                return reason or "not readable"
        return None

    def log_cadence_unknown(self) -> str | None:
        """Why the log backup interval / log generation is unknown, or None when it was measured."""
        if self.log_backup_interval_minutes is not None and self.log_generated_mb_per_day is not None:
            return None
        if self.log_backups_7d is None:
            reason = self.unreadable_part("log_backups")
            return f"backup history not read: {reason}" if reason else "backup history was not collected"
        if self.log_backups_7d == 0:
            return "no log backup in the last 7 days"
        if self.log_backups_7d == 1:
            return "only one log backup in the last 7 days"
        return "the log backups' timing could not be read"


@dataclass(frozen=True)
class SqlFacts:
    instance: SqlInstance | None = None
    master_key_present: bool | None = None
    trace_flags: tuple[TraceFlag, ...] | None = None
    has_sp_certificate_add_issuer: bool | None = None
    has_sp_multidb_milink: bool | None = None
    multidb_mode_enabled: bool | None = None
    endpoints: tuple[MirroringEndpoint, ...] | None = None
    certificates: tuple[SqlCertificate, ...] | None = None
    availability_groups: tuple[AvailabilityGroup, ...] | None = None
    databases: tuple[SqlDatabase, ...] | None = None
    #: The probe login's effective server permissions (fn_my_permissions), plus
    #: "SELECT ON msdb.dbo.backupset" when the login can read backup history.
    permissions: tuple[str, ...] | None = None
    #: The login the probe connected as (SUSER_SNAME()), for the grant script and evidence.
    login: str = ""
    is_sysadmin: bool | None = None
    #: How trace_flags was read ("startup parameters (sys.dm_server_registry)").
    trace_flags_source: str = ""
    #: The ODBC driver the probe used.
    driver: str = ""
