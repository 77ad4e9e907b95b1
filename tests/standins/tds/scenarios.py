"""Scripted SQL Servers for the TDS stand-in: what each catalog view answers, per scenario.

A :class:`Server` describes one SQL Server in the terms a DBA would use (version, edition,
endpoint, certificates, databases…). :func:`responder` turns it into the result sets the real
catalog views would return, with their column types, for each statement the probe sends; the
statement is recognised by its ``/* linkready:<name> */`` tag. :data:`SCENARIOS` lists the
named scenarios with the findings each must produce (check ID, optional target → status).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.standins.tds.protocol import Column, Responder, ResultSet, SqlError

#: Scenarios are judged as of this moment (the snapshot's collected_at is "now"; certificates are
#: made relative to the real clock so that "expired" and "valid" stay true whenever tests run).
NOW = datetime.now(UTC).replace(microsecond=0)

C = Column
NV = "nvarchar(128)"


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Endpoint:
    name: str = "Hadr_endpoint"
    state: str = "STARTED"
    role: str = "ALL"
    auth: str = "CERTIFICATE"
    encryption: str = "AES"
    encryption_enabled: bool = True
    certificate: str | None = "Cert_SQLSTANDIN_endpoint"
    port: int = 5022


@dataclass(frozen=True)
class Certificate:
    name: str = "Cert_SQLSTANDIN_endpoint"
    certificate_id: int = 256
    not_before: datetime = NOW - timedelta(days=30)
    not_after: datetime = NOW + timedelta(days=365)
    key_bits: int = 2048
    private_key: str = "MK"  # MK, PW, NA


@dataclass(frozen=True)
class Filegroup:
    name: str
    type: str = "FG"  # FG rows, FD FILESTREAM, FX memory-optimized
    files: int = 1


@dataclass(frozen=True)
class Database:
    name: str
    database_id: int
    state: str = "ONLINE"
    recovery: str = "FULL"
    log_chain_started: bool | None = True
    full_backup: datetime | None = NOW - timedelta(hours=20)
    copy_only_backup: datetime | None = None
    log_files: int = 1
    data_mb: int = 20480
    log_mb: int = 4096
    log_used_percent: float = 12.5
    filegroups: tuple[Filegroup, ...] = (Filegroup("PRIMARY"),)
    filetables: int = 0
    encrypted: bool = False
    adr: bool = False
    pvs_filegroup_id: int | None = None
    broker: bool = False
    collation: str = "SQL_Latin1_General_CP1_CI_AS"
    #: The log backup job's cadence over the last 7 days (None: no log backups), and the log it carries.
    log_backup_every_minutes: float | None = 30.0
    log_mb_per_day: float = 2048.0
    #: Sizes (MB) of the data files when not an even split of data_mb over the ROWS filegroups' files.
    data_files_mb: tuple[int, ...] | None = None
    #: Logical names of extra data files left DEFUNCT (removed while their filegroup was offline).
    defunct_files: tuple[str, ...] = ()


#: The IP resource states sys.availability_group_listener_ip_addresses.state_desc can take.
LISTENER_IP_STATES = ("ONLINE", "OFFLINE", "ONLINE_PENDING", "FAILED")


@dataclass(frozen=True)
class Listener:
    """An AG listener as the WSFC cluster holds it: a network name, a client port and virtual IPs."""

    dns_name: str
    ip_addresses: tuple[str, ...]
    port: int | None = 1433
    listener_id: str = "3C1E2A4B-5D6F-4A7B-8C9D-0E1F2A3B4C5D"
    state: str = "ONLINE"


@dataclass(frozen=True)
class AvailabilityGroup:
    name: str
    databases: tuple[str, ...]
    group_id: str = "6F9619FF-8B86-D011-B42D-00C04FC964FF"
    distributed: bool = False
    #: CREATE AVAILABILITY GROUP ... WITH (CONTAINED): SQL Server 2022 and later only.
    contained: bool = False
    listeners: tuple[Listener, ...] = ()
    #: Other replicas of the group (their server names); this server is the primary.
    secondaries: tuple[str, ...] = ()


ALL_PERMISSIONS = ("CONNECT SQL", "VIEW ANY DATABASE", "VIEW ANY DEFINITION", "VIEW SERVER STATE",
                   "CONNECT ANY DATABASE")


@dataclass(frozen=True)
class Server:
    version: str = "15.0.4322.2"
    level: str = "RTM"
    update_level: str | None = "CU22"
    update_reference: str | None = "KB5027702"
    edition: str = "Enterprise Edition: Core-based Licensing (64-bit)"
    engine_edition: int = 3
    host: tuple[str, str, str] = ("Windows", "Windows Server 2019 Datacenter", "10.0")
    hadr_enabled: bool = True
    hadr_manager_status: int = 1
    #: SERVERPROPERTY('IsClustered'): a failover cluster instance.
    clustered: bool = False
    server_name: str = "SQLSTANDIN"
    instance_name: str | None = None
    collation: str = "SQL_Latin1_General_CP1_CI_AS"
    login: str = "linkready"
    permissions: tuple[str, ...] = ALL_PERMISSIONS
    can_read_backupset: bool = True
    master_key: bool = True
    startup_args: tuple[str, ...] = ("-dC:\\SQLData\\master.mdf", "-eC:\\SQLLogs\\ERRORLOG", "-T1800", "-T9567")
    #: Trace flags on globally now (DBCC TRACESTATUS(-1)); None: exactly the -T startup ones.
    running_flags: tuple[int, ...] | None = None
    procedures: tuple[str, ...] = ("sp_certificate_add_issuer",)
    endpoints: tuple[Endpoint, ...] = (Endpoint(),)
    certificates: tuple[Certificate, ...] = (Certificate(),)
    availability_groups: tuple[AvailabilityGroup, ...] = ()
    databases: tuple[Database, ...] = (Database("Sales", 5),)

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    @property
    def version_text(self) -> str:
        year = {12: "2014", 13: "2016", 14: "2017", 15: "2019", 16: "2022", 17: "2025"}.get(self.major, "")
        tag = f"{self.level}-{self.update_level}" if self.update_level else self.level
        where = (f"on {self.host[1]} {self.host[2]} <X64> (Build 17763: ) (Hypervisor)"
                 if self.host[0] == "Windows" else f"on Linux ({self.host[1]}) <X64>")
        return (f"Microsoft SQL Server {year} ({tag}) ({self.update_reference or ''}) - {self.version} (X64) \n"
                f"\tJul 27 2023 18:11:00 \n\tCopyright (C) {year} Microsoft Corporation\n"
                f"\t{self.edition} {where}")


# --------------------------------------------------------------------------- certificates


@cache
def _key(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@cache
def certificate_der(cert: Certificate, server_name: str) -> bytes:
    """A real self-signed X.509 certificate, like CREATE CERTIFICATE makes."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Certificate for {server_name} endpoint")])
    built = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(_key(cert.key_bits).public_key())
        .serial_number(cert.certificate_id * 7919)
        .not_valid_before(cert.not_before).not_valid_after(cert.not_after)
        .sign(_key(cert.key_bits), hashes.SHA256())
    )
    return built.public_bytes(serialization.Encoding.DER)


# --------------------------------------------------------------------------- result sets


TAG = re.compile(r"/\*\s*linkready:(\w+)\s*\*/")
DB_IN_TEXT = re.compile(r"FROM\s+\[((?:[^\]]|\]\])+)\]\.sys\.filegroups", re.IGNORECASE)


def _rs(columns: list[Column], rows: list[tuple[object, ...]]) -> ResultSet:
    return ResultSet(tuple(columns), tuple(rows))


def _invalid_object(name: str) -> SqlError:
    return SqlError(208, f"Invalid object name '{name}'.")


def _denied(permission: str) -> SqlError:
    return SqlError(300, f"{permission} permission was denied on object 'server', database 'master'.", 14)


def result_for(server: Server, name: str, sql: str) -> ResultSet | SqlError:
    s = server
    has = set(s.permissions) | ({"VIEW SERVER STATE", "VIEW ANY DEFINITION"} if "CONTROL SERVER" in s.permissions
                                else set())
    server_state = "VIEW SERVER STATE" in has
    definitions = "VIEW ANY DEFINITION" in has
    if name == "server_properties":
        return _rs(
            [C("product_version", NV), C("product_level", NV), C("product_update_level", NV),
             C("product_update_reference", NV), C("edition", NV), C("engine_edition", "int"),
             C("machine_name", NV), C("instance_name", NV), C("collation", NV), C("is_hadr_enabled", "int"),
             C("hadr_manager_status", "int"), C("is_clustered", "int"), C("server_name", NV),
             C("version_text", "nvarchar(512)")],
            [(s.version, s.level, s.update_level, s.update_reference, s.edition, s.engine_edition,
              s.server_name.split("\\")[0], s.instance_name, s.collation, int(s.hadr_enabled),
              s.hadr_manager_status if s.hadr_enabled else 0, int(s.clustered), s.server_name, s.version_text)],
        )
    if name == "host_info":
        if s.major < 14:
            return _invalid_object("sys.dm_os_host_info")
        return _rs([C("host_platform", "nvarchar(256)"), C("host_distribution", "nvarchar(256)"),
                    C("host_release", "nvarchar(256)")], [s.host])
    if name == "sys_info":
        if not server_state:
            return _denied("VIEW SERVER STATE")
        return _rs([C("cpu_count", "int"), C("physical_memory_mb", "bigint")], [(8, 65536)])
    if name == "login":
        return _rs([C("login_name", NV), C("is_sysadmin", "int"), C("can_read_backupset", "int")],
                   [(s.login, 0, int(s.can_read_backupset))])
    if name == "permissions":
        return _rs([C("permission_name", "nvarchar(60)")], [(p,) for p in s.permissions])
    if name == "master_key":
        visible = s.master_key and definitions
        return _rs([C("master_keys", "int")], [(1 if visible else 0,)])
    if name == "trace_flags":
        if not server_state:
            return _denied("VIEW SERVER STATE")
        return _rs([C("value_name", "nvarchar(256)"), C("value_data", "nvarchar(512)")],
                   [(f"SQLArg{i}", arg) for i, arg in enumerate(s.startup_args)])
    if name == "trace_status":
        # DBCC TRACESTATUS(-1): one row per flag on globally, in SQL Server's own column shape.
        running = s.running_flags if s.running_flags is not None else tuple(
            int(a[2:]) for a in s.startup_args if a.upper().startswith("-T") and a[2:].isdigit())
        return _rs([C("TraceFlag", "smallint"), C("Status", "smallint"), C("Global", "smallint"),
                    C("Session", "smallint")], [(f, 1, 1, 0) for f in running])
    if name == "procedures":
        return _rs([C("name", NV)], [(p,) for p in s.procedures])
    if name == "endpoints":
        certs = {c.name: c for c in s.certificates}
        rows = []
        for e in s.endpoints if definitions else ():
            cert = certs.get(e.certificate or "")
            rows.append((e.name, e.state, e.role, e.auth, e.encryption, e.encryption_enabled,
                         cert.certificate_id if cert and "CERTIFICATE" in e.auth else 0,
                         cert.name if cert and "CERTIFICATE" in e.auth else None, e.port, None))
        return _rs([C("name", NV), C("state_desc", "nvarchar(60)"), C("role_desc", "nvarchar(60)"),
                    C("connection_auth_desc", "nvarchar(60)"), C("encryption_algorithm_desc", "nvarchar(60)"),
                    C("is_encryption_enabled", "bit"), C("certificate_id", "int"), C("certificate_name", NV),
                    C("port", "int"), C("ip_address", "nvarchar(64)")], rows)
    if name == "certificates":
        rows = []
        for c in s.certificates if definitions else ():
            der = certificate_der(c, s.server_name)
            subject = f"Certificate for {s.server_name} endpoint"
            rows.append((c.name, c.certificate_id, hashlib.sha1(der).digest(), subject, subject,
                         c.not_before.replace(tzinfo=None), c.not_after.replace(tzinfo=None),
                         c.private_key, der))
        return _rs([C("name", NV), C("certificate_id", "int"), C("thumbprint", "varbinary(32)"),
                    C("subject", "nvarchar(4000)"), C("issuer_name", "nvarchar(442)"), C("start_date", "datetime"),
                    C("expiry_date", "datetime"), C("pvt_key_encryption_type", "char(2)"),
                    C("public_der", "varbinary(max)")], rows)
    if name == "availability_groups":
        if any(g.contained for g in s.availability_groups) and s.major < 16:
            raise ValueError("scenario error: contained availability groups exist from SQL Server 2022 on")
        # The row has is_contained when the text selects it (the schema check refuses it where undocumented).
        contained = "is_contained" in sql.lower()
        return _rs([C("group_id", "uniqueidentifier"), C("name", NV), C("is_distributed", "bit"),
                    C("basic_features", "bit"), C("cluster_type_desc", "nvarchar(60)"),
                    *([C("is_contained", "bit")] if contained else [])],
                   [(g.group_id, g.name, g.distributed, False, "WSFC", *([g.contained] if contained else []))
                    for g in s.availability_groups if definitions])
    if name in ("ag_listeners", "ag_listener_ips"):
        return _listener_rows(s, name, definitions)
    if name == "ag_databases":
        return _rs([C("group_id", "uniqueidentifier"), C("database_name", NV)],
                   [(g.group_id, d) for g in s.availability_groups for d in g.databases])
    if name == "ag_replicas":
        if not server_state:
            return _denied("VIEW SERVER STATE")
        return _rs([C("group_id", "uniqueidentifier"), C("replica_server_name", "nvarchar(256)"),
                    C("endpoint_url", NV), C("availability_mode_desc", "nvarchar(60)"), C("role_desc", "nvarchar(60)"),
                    C("synchronization_health_desc", "nvarchar(60)"), C("connected_state_desc", "nvarchar(60)")],
                   [(g.group_id, name, f"TCP://{name.lower()}:5022", "SYNCHRONOUS_COMMIT", role, "HEALTHY",
                     "CONNECTED") for g in s.availability_groups
                    for name, role in ((s.server_name, "PRIMARY"), *((n, "SECONDARY") for n in g.secondaries))])
    if name == "databases":
        system = [Database("master", 1, recovery="SIMPLE"), Database("tempdb", 2, recovery="SIMPLE"),
                  Database("model", 3), Database("msdb", 4, recovery="SIMPLE")]
        return _rs([C("database_id", "int"), C("name", NV), C("state_desc", "nvarchar(60)"),
                    C("recovery_model_desc", "nvarchar(60)"), C("collation_name", NV), C("is_encrypted", "bit"),
                    C("is_broker_enabled", "bit"), C("is_accelerated_database_recovery_on", "bit"),
                    C("log_chain_started", "bit")],
                   [(d.database_id, d.name, d.state, d.recovery, d.collation, d.encrypted, d.broker, d.adr,
                     (d.log_chain_started if d.recovery == "FULL" else False) if definitions else None)
                    for d in (*system, *s.databases)])
    if name == "database_files":
        rows = []
        for d in s.databases if definitions else ():
            rows.append((d.database_id, 0, sum(f.files for f in d.filegroups if f.type == "FG"), d.data_mb))
            rows.append((d.database_id, 1, d.log_files, d.log_mb))
            streams = sum(f.files for f in d.filegroups if f.type in ("FD", "FX"))
            if streams:
                rows.append((d.database_id, 2, streams, 100))
        return _rs([C("database_id", "int"), C("type", "tinyint"), C("files", "int"), C("size_mb", "bigint")], rows)
    if name == "master_files":
        return _rs([C("database_id", "int"), C("file_id", "int"), C("name", NV), C("type_desc", "nvarchar(60)"),
                    C("state_desc", "nvarchar(60)"), C("size", "int"), C("max_size", "int"), C("growth", "int"),
                    C("is_percent_growth", "bit")],
                   [row for d in s.databases if definitions for row in _master_files(d)])
    if name == "log_space":
        if not server_state:
            return _denied("VIEW SERVER STATE")
        rows = []
        for d in s.databases:
            rows.append((d.name, "Log File(s) Size (KB)", d.log_mb * 1024))
            rows.append((d.name, "Log File(s) Used Size (KB)", round(d.log_mb * 1024 * d.log_used_percent / 100)))
        return _rs([C("database_name", NV), C("counter_name", NV), C("cntr_value", "bigint")], rows)
    if name == "backups":
        if not s.can_read_backupset:
            return SqlError(229, "The SELECT permission was denied on the object 'backupset', database 'msdb', "
                                 "schema 'dbo'.", 14)
        return _rs([C("database_name", NV), C("last_full_backup", "datetime"), C("last_copy_only_backup", "datetime")],
                   [(d.name, d.full_backup and d.full_backup.replace(tzinfo=None),
                     d.copy_only_backup and d.copy_only_backup.replace(tzinfo=None))
                    for d in s.databases if d.full_backup or d.copy_only_backup])
    if name == "log_backups":
        if not s.can_read_backupset:
            return SqlError(229, "The SELECT permission was denied on the object 'backupset', database 'msdb', "
                                 "schema 'dbo'.", 14)
        rows = []
        for d in s.databases:
            if d.log_backup_every_minutes:
                # A backup every N minutes for 7 days, each carrying N minutes of the day's log.
                count = int(7 * 24 * 60 // d.log_backup_every_minutes)
                rows.append((d.name, count, round(d.log_mb_per_day * 7), int((count - 1) * d.log_backup_every_minutes),
                             round(d.log_backup_every_minutes * 60)))
        return _rs([C("database_name", NV), C("log_backups", "int"), C("backup_mb", "bigint"),
                    C("span_minutes", "int"), C("median_gap_seconds", "int")], rows)
    if name == "tde":
        if not server_state:
            return _denied("VIEW SERVER STATE")
        return _rs([C("database_id", "int"), C("encryption_state", "int"), C("encryptor_thumbprint", "varbinary(32)"),
                    C("encryptor_type", "nvarchar(32)")],
                   [(d.database_id, 3, hashlib.sha1(d.name.encode()).digest(), "CERTIFICATE")
                    for d in s.databases if d.encrypted])
    if name == "pvs":
        if s.major < 15:
            return _invalid_object("sys.dm_tran_persistent_version_store_stats")
        if not server_state:
            return _denied("VIEW SERVER STATE")
        return _rs([C("database_id", "int"), C("pvs_filegroup_id", "int")],
                   [(d.database_id, d.pvs_filegroup_id) for d in s.databases if d.adr and d.pvs_filegroup_id])
    if name == "db_filegroups":
        match = DB_IN_TEXT.search(sql)
        db_name = match.group(1).replace("]]", "]") if match else ""
        db = next((d for d in s.databases if d.name == db_name), None)
        if db is None:
            return SqlError(911, f"Database '{db_name}' does not exist. Make sure that the name is entered correctly.")
        if "CONNECT ANY DATABASE" not in has and "CONTROL SERVER" not in has:
            return SqlError(916, f"The server principal \"{s.login}\" is not able to access the database "
                                 f"\"{db_name}\" under the current security context.", 14)
        return _rs([C("data_space_id", "int"), C("name", NV), C("type", "char(2)"), C("files", "int"),
                    C("filetables", "int")],
                   [(i, fg.name, fg.type, fg.files, db.filetables) for i, fg in enumerate(db.filegroups, start=1)])
    return _invalid_object(name)


def _master_files(d: Database) -> list[tuple[object, ...]]:
    """sys.master_files rows of one database: sizes in 8 KB pages, max_size -1 (unlimited), 64 MB growth.

    The primary data file is file 1 and the first log file file 2, as SQL Server numbers them.
    """
    data_count = sum(f.files for f in d.filegroups if f.type == "FG")
    data = d.data_files_mb or tuple(d.data_mb // max(data_count, 1) for _ in range(data_count))
    rows = [(f"{d.name}_data{i or ''}", "ROWS", "ONLINE", mb) for i, mb in enumerate(data)]
    logs = [(f"{d.name}_log{i or ''}", "LOG", "ONLINE", d.log_mb // d.log_files) for i in range(d.log_files)]
    files = [*rows[:1], *logs[:1], *rows[1:], *logs[1:], *((n, "ROWS", "DEFUNCT", 0) for n in d.defunct_files)]
    return [(d.database_id, file_id, name, kind, state, mb * 128, -1, 8192, False)
            for file_id, (name, kind, state, mb) in enumerate(files, start=1)]


def _listener_rows(s: Server, name: str, definitions: bool) -> ResultSet:
    """sys.availability_group_listeners / ..._ip_addresses: rows hidden without VIEW ANY DEFINITION."""
    listeners = [(g, lst) for g in s.availability_groups if definitions for lst in g.listeners]
    for _, lst in listeners:
        if lst.state not in LISTENER_IP_STATES or len(lst.dns_name) > 63:
            raise ValueError(f"scenario error: SQL Server cannot return listener {lst!r}")
    if name == "ag_listeners":
        return _rs([C("group_id", "uniqueidentifier"), C("listener_id", "nvarchar(36)"), C("dns_name", "nvarchar(63)"),
                    C("port", "int")], [(g.group_id, lst.listener_id, lst.dns_name, lst.port) for g, lst in listeners])
    return _rs([C("listener_id", "nvarchar(36)"), C("ip_address", "nvarchar(48)"), C("state_desc", "nvarchar(60)")],
               [(lst.listener_id, ip, lst.state) for _, lst in listeners for ip in lst.ip_addresses])


def responder(server: Server) -> Responder:
    """The stand-in's answer to each statement: the scripted result set for its tag."""

    def answer(sql: str) -> ResultSet | SqlError:
        match = TAG.search(sql)
        if match is None:
            return SqlError(208, "Invalid object name (the stand-in answers only the probe's tagged statements).")
        return result_for(server, match.group(1), sql)

    return answer


# --------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class Scenario:
    """A server, the plan's databases, and the findings it must produce ("ID" or "ID:target" → status)."""

    name: str
    server: Server
    expected: dict[str, str]
    databases: tuple[str, ...] = ("Sales",)
    hang_after: int | None = None
    description: str = ""
    #: [network] seeding_throughput_gb_per_hour for the run (None: not configured).
    throughput: float | None = None
    #: The planned link's link_mode.
    link_mode: str = "SingleDatabase"
    #: The planned link's partner endpoint (loopback only: the network probe may try to reach it).
    partner_endpoint: str = "TCP://127.0.0.1:5022"


HEALTHY = Server()
_SALES = HEALTHY.databases[0]


def _db(**changes: object) -> tuple[Database, ...]:
    return (replace(_SALES, **changes),)  # type: ignore[arg-type]


#: SQL Server 2022 with the multiple-database mode's procedure, holding Sales and Inventory. The build is CU26,
#: the newest 2022 build Microsoft's pages in the catalogue name (CU27's number is unknown; SVC-024/025 do not
#: depend on the build, SQL-002 judges it).
MULTIDB_2022 = replace(HEALTHY, version="16.0.4265.3", update_level="CU26", update_reference="KB5093420",
                       procedures=("sp_certificate_add_issuer", "sp_multidb_milink"),
                       databases=(_SALES, Database("Inventory", 6)))
_SHOP_TWO_NODES = AvailabilityGroup("AG_Sales", ("Inventory", "Sales"), secondaries=("SQLSTANDIN2",),
                                    listeners=(Listener("ag-sales-lsn", ("127.0.0.50",)),))

SCENARIOS: dict[str, Scenario] = {s.name: s for s in [
    Scenario("healthy_2019_cu22_enterprise", HEALTHY, {
        "SQL-001": "PASS", "SQL-002": "PASS", "SQL-003": "PASS", "SQL-004": "PASS", "SQL-005": "PASS",
        "SQL-006": "PASS", "SQL-007": "PASS", "SQL-008": "PASS", "EP-001": "PASS", "EP-002": "PASS",
        "EP-003": "PASS", "EP-004": "PASS", "EP-005": "PASS", "CERT-001": "PASS", "CERT-002": "PASS",
        "DB-001:Sales": "PASS", "DB-002:Sales": "PASS", "DB-003:Sales": "PASS", "DB-004:Sales": "PASS",
        "DB-005:Sales": "PASS", "DB-006:Sales": "PASS", "DB-007:Sales": "PASS", "DB-008:Sales": "PASS",
        "DB-009:Sales": "PASS", "DB-010:Sales": "PASS", "SEED-001": "SKIP", "SEED-002": "PASS",
    }, description="SQL Server 2019 CU22 Enterprise on Windows Server 2019, ready for a link"),
    Scenario("sql2022_cu15_standard", replace(
        HEALTHY, version="16.0.4145.4", update_level="CU15", update_reference="KB5041321",
        edition="Standard Edition (64-bit)", engine_edition=2,
        host=("Linux", "Ubuntu 22.04.4 LTS", "22.04"), server_name="SQLSTD22",
        certificates=(Certificate(name="Cert_SQLSTD22_endpoint"),),
        endpoints=(Endpoint(certificate="Cert_SQLSTD22_endpoint"),),
        procedures=("sp_certificate_add_issuer",)),
        {"SQL-001": "PASS", "SQL-002": "PASS", "SQL-003": "PASS", "SQL-008": "PASS", "DB-010:Sales": "PASS"},
        description="SQL Server 2022 CU15 Standard on Linux: supported for a single-database link"),
    Scenario("sql2017_cu31_without_azure_connect_pack", replace(
        HEALTHY, version="14.0.3456.2", update_level="CU31", update_reference="KB5016884", procedures=()),
        {"SQL-001": "PASS", "SQL-002": "FAIL", "SQL-008": "FAIL"},
        description="CU31 alone: the Azure Connect pack (14.0.3490.10) and sp_certificate_add_issuer are missing"),
    Scenario("sql2019_cu18_too_old", replace(
        HEALTHY, version="15.0.4261.1", update_level="CU18", update_reference="KB5017593", procedures=()),
        {"SQL-001": "PASS", "SQL-002": "FAIL", "SQL-008": "FAIL"}),
    Scenario("sql2014", replace(
        HEALTHY, version="12.0.6444.4", level="SP3", update_level="CU4", update_reference="KB4583462",
        procedures=()),
        {"SQL-001": "FAIL", "SQL-002": "FAIL"},
        description="SQL Server 2014 has no distributed availability groups"),
    Scenario("express_edition", replace(HEALTHY, edition="Express Edition (64-bit)", engine_edition=4),
             {"SQL-003": "FAIL"}),
    Scenario("windows10_host", replace(HEALTHY, host=("Windows", "Windows 10 Enterprise", "10.0")),
             {"SQL-003": "FAIL"}),
    Scenario("hadr_disabled", replace(HEALTHY, hadr_enabled=False), {"SQL-004": "FAIL"}),
    Scenario("no_master_key", replace(HEALTHY, master_key=False), {"SQL-005": "FAIL"}),
    Scenario("trace_flags_missing", replace(HEALTHY, startup_args=("-dC:\\SQLData\\master.mdf",)),
             {"SQL-006": "WARN"}),
    # DBCC TRACEON(12381, -1) (Microsoft's procedure, SEED-002's fix): on now without a startup parameter.
    Scenario("trace_flag_12381_by_traceon", replace(HEALTHY, running_flags=(1800, 9567, 12381)),
             {"SQL-006": "PASS", "SEED-002": "PASS"}),
    # -T9567 added at startup but SQL Server not restarted: not on now.
    Scenario("startup_flag_not_restarted", replace(HEALTHY, running_flags=(1800,)), {"SQL-006": "WARN"}),
    Scenario("endpoint_missing", replace(HEALTHY, endpoints=()),
             {"EP-001": "FAIL", "EP-002": "SKIP", "CERT-001": "SKIP"}),
    Scenario("endpoint_stopped", replace(HEALTHY, endpoints=(Endpoint(state="STOPPED"),)),
             {"EP-001": "PASS", "EP-002": "FAIL"}),
    Scenario("endpoint_rc4_only", replace(HEALTHY, endpoints=(Endpoint(encryption="RC4"),)),
             {"EP-004": "FAIL", "EP-003": "PASS"}),
    Scenario("endpoint_windows_auth_only", replace(
        HEALTHY, endpoints=(Endpoint(auth="NEGOTIATE", certificate=None),)),
        {"EP-003": "FAIL", "CERT-001": "FAIL"}),
    # connection_auth_desc and encryption_algorithm_desc as SQL Server spells combinations.
    Scenario("endpoint_kerberos_only", replace(HEALTHY, endpoints=(Endpoint(auth="KERBEROS", certificate=None),)),
             {"EP-003": "FAIL"}),
    Scenario("endpoint_negotiate_and_certificate", replace(
        HEALTHY, endpoints=(Endpoint(auth="NEGOTIATE, CERTIFICATE"),)), {"EP-003": "PASS"}),
    Scenario("endpoint_certificate_then_ntlm", replace(
        HEALTHY, endpoints=(Endpoint(auth="CERTIFICATE, NTLM", encryption="AES, RC4"),)),
        {"EP-003": "PASS", "EP-004": "WARN"}),
    Scenario("certificate_expired", replace(
        HEALTHY, certificates=(Certificate(not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=2)),)),
        {"CERT-001": "FAIL", "CERT-002": "PASS"}),
    Scenario("certificate_without_private_key", replace(HEALTHY, certificates=(Certificate(private_key="NA"),)),
             {"CERT-001": "FAIL"}),
    Scenario("certificate_1024_bit", replace(HEALTHY, certificates=(Certificate(key_bits=1024),)),
             {"CERT-001": "PASS", "CERT-002": "WARN"}),
    Scenario("database_simple_recovery", replace(HEALTHY, databases=_db(recovery="SIMPLE", log_chain_started=False)),
             {"DB-003:Sales": "FAIL", "DB-004:Sales": "FAIL"}),
    Scenario("database_copy_only_backups", replace(
        HEALTHY, databases=_db(full_backup=None, copy_only_backup=NOW - timedelta(hours=3), log_chain_started=False)),
        {"DB-003:Sales": "PASS", "DB-004:Sales": "FAIL"}),
    Scenario("database_two_log_files", replace(HEALTHY, databases=_db(log_files=2)), {"DB-005:Sales": "FAIL"}),
    Scenario("database_filestream", replace(
        HEALTHY, databases=_db(filegroups=(Filegroup("PRIMARY"), Filegroup("Documents", "FD")), filetables=1)),
        {"DB-006:Sales": "FAIL"}),
    Scenario("database_in_ag_with_another", replace(
        HEALTHY, databases=(_SALES, Database("Inventory", 6)),
        availability_groups=(AvailabilityGroup("AG_Shop", ("Inventory", "Sales")),)),
        {"DB-008:Sales": "FAIL"}),
    # Multiple-database mode links AG_Shop as a whole: Inventory is in it but not planned.
    Scenario("multidb_ag_database_not_planned", replace(
        HEALTHY, databases=(_SALES, Database("Inventory", 6)),
        availability_groups=(AvailabilityGroup("AG_Shop", ("Inventory", "Sales")),)),
        {"SVC-020:link-sales": "FAIL", "DB-008:Sales": "PASS"}, link_mode="MultiDatabase",
        description="multiple-database link planning one of the two databases of its availability group"),
    # Multiple-database mode on SQL Server 2022: a contained AG is not supported (SVC-024); a two-replica
    # AG must be reached through its listener's IP (SVC-025), here the plan names the primary's own address.
    Scenario("multidb_contained_ag", replace(
        MULTIDB_2022, availability_groups=(AvailabilityGroup("AG_Sales", ("Inventory", "Sales"), contained=True),)),
        {"SVC-024:link-sales": "FAIL", "SVC-020:link-sales": "PASS", "SVC-025:link-sales": "PASS"},
        databases=("Sales", "Inventory"), link_mode="MultiDatabase",
        description="multiple-database link of a contained availability group (SQL Server 2022)"),
    Scenario("multidb_partner_endpoint_is_a_replica", replace(
        MULTIDB_2022, availability_groups=(_SHOP_TWO_NODES,)),
        {"SVC-025:link-sales": "FAIL", "SVC-024:link-sales": "PASS"},
        databases=("Sales", "Inventory"), link_mode="MultiDatabase",
        description="two-replica AG with a listener, but the partner endpoint names the primary replica"),
    Scenario("multidb_partner_endpoint_is_the_listener", replace(
        MULTIDB_2022, availability_groups=(_SHOP_TWO_NODES,)),
        {"SVC-025:link-sales": "PASS", "SVC-024:link-sales": "PASS", "SVC-020:link-sales": "PASS"},
        databases=("Sales", "Inventory"), link_mode="MultiDatabase", partner_endpoint="TCP://127.0.0.50:5022",
        description="two-replica AG linked through its listener's IP and the mirroring endpoint's port"),
    # The tier comes from the Azure facts; without them In-Memory OLTP is a WARN (FAIL towards
    # General Purpose is proven in tests/checks/test_databases.py on facts with a GP instance).
    Scenario("database_inmemory_oltp", replace(
        HEALTHY, databases=_db(filegroups=(Filegroup("PRIMARY"), Filegroup("IMOLTP", "FX", files=1)))),
        {"DB-007:Sales": "WARN"}),
    Scenario("failover_cluster_instance", replace(HEALTHY, clustered=True), {"SVC-009": "WARN", "SQL-004": "PASS"},
             description="SQL Server is a failover cluster instance (IsClustered = 1)"),
    Scenario("database_defunct_file", replace(HEALTHY, databases=_db(defunct_files=("Sales_2019",))),
             {"SVC-007:Sales": "FAIL", "SVC-005:Sales": "PASS"},
             description="a file removed while its filegroup was offline stays DEFUNCT"),
    # 2.5 TiB of log: over the 2 TB every tier allows, whatever the target (no Azure side in this run).
    Scenario("database_log_over_2tb", replace(HEALTHY, databases=_db(log_mb=2_621_440)),
             {"SVC-005:Sales": "FAIL", "SVC-007:Sales": "PASS"},
             description="a 2.5 TiB log file: no managed instance tier holds it"),
    # 300 files of 1 GB: within every size limit, but more than a General Purpose instance holds.
    Scenario("database_300_small_files", replace(
        HEALTHY, databases=_db(filegroups=(Filegroup("PRIMARY", files=300),), data_files_mb=(1024,) * 300)),
        {"SVC-006": "WARN", "SVC-005:Sales": "PASS"},
        description="300 small data files: too many for General Purpose (the tier was not read in this run)"),
    Scenario("login_without_view_any_definition", replace(
        HEALTHY, permissions=tuple(p for p in ALL_PERMISSIONS if p != "VIEW ANY DEFINITION")),
        {"SVC-005:Sales": "ERROR", "SVC-007:Sales": "ERROR", "SVC-006": "ERROR"},
        description="sys.master_files hides other databases' rows without VIEW ANY DEFINITION: files unknown"),
    Scenario("login_without_view_server_state", replace(
        HEALTHY, permissions=tuple(p for p in ALL_PERMISSIONS if p != "VIEW SERVER STATE")),
        {"SQL-007": "ERROR", "SQL-006": "ERROR", "SQL-001": "PASS", "EP-001": "PASS", "DB-010:Sales": "ERROR",
         "DB-003:Sales": "PASS"}),
    # Sales (24 GB) seeds in about 17 minutes at 84 GB/h; log backups run every 5 minutes.
    Scenario("frequent_log_backups", replace(HEALTHY, databases=_db(log_backup_every_minutes=5, log_mb_per_day=6144)),
             {"SEED-002": "WARN", "SEED-001": "PASS"}, throughput=84,
             description="a log backup every 5 minutes: one will run while Sales seeds (errors 1408/1412)"),
    # 24 GB at 10 GB/h = 2.4 h of seeding; 48,000 MB of log a day = 4,800 MB meanwhile, in a 4 GB log 12.5% used.
    Scenario("log_fills_during_seeding", replace(HEALTHY, databases=_db(log_mb_per_day=48000)),
             {"SEED-001": "WARN", "SEED-002": "WARN"}, throughput=10,
             description="the log written during seeding outgrows the log file (error 9002)"),
    Scenario("backup_history_denied", replace(HEALTHY, can_read_backupset=False),
             {"SEED-002": "WARN", "DB-001:Sales": "PASS"},
             description="no SELECT on msdb.dbo.backupset: SEED-002 falls back to the profile's 15-minute interval"),
    Scenario("server_stops_answering", HEALTHY,
             {"SQL-001": "PASS", "SQL-005": "PASS", "EP-001": "ERROR", "CERT-001": "ERROR", "DB-001": "ERROR"},
             hang_after=6,
             description="answers six statements, then never again (timeouts)"),
]}
