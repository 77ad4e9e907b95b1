"""The SQL Server probe: reads (never writes) what the checks judge, over pyodbc.

Every statement it can send is in :data:`STATEMENTS` (a test proves each is one SELECT). Each
statement is tagged with a leading comment (``/* linkready:<name> */``) so a DBA can recognise
it in a trace. A statement that fails becomes a :class:`ProbeError` naming the permission it
needs and the facts it blocks; the other statements still run.

Metadata visibility: without VIEW ANY DEFINITION SQL Server hides certificates, endpoints,
keys and files instead of failing, so an empty answer would look like "nothing there". The
probe therefore reports those facts as unreadable, never as empty, when the login lacks it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from linkready.domain.clouds import SQL_AUDIENCE
from linkready.domain.tsql import quote_name
from linkready.facts import ProbeError
from linkready.facts.sql import (
    AgReplica,
    AvailabilityGroup,
    MirroringEndpoint,
    SqlCertificate,
    SqlDatabase,
    SqlFacts,
    SqlInstance,
    TraceFlag,
)
from linkready.probes import ProbeContext, ProbeOutcome

if TYPE_CHECKING:
    from linkready.config import SourceConfig

PROBE = "sql"
VIEW_SERVER_STATE = "VIEW SERVER STATE"
VIEW_ANY_DEFINITION = "VIEW ANY DEFINITION"
MSDB_BACKUPSET = "SELECT ON msdb.dbo.backupset"
DATABASE_ACCESS = "access to the database (CONNECT ANY DATABASE or a user in it)"
SYSTEM_DATABASES = frozenset({"master", "model", "msdb", "tempdb"})
TRACE_FLAGS = (1800, 9567, 12381)
#: Preferred ODBC drivers, best first (auto choice).
DRIVER_PREFERENCE = ("ODBC Driver 18 for SQL Server", "ODBC Driver 17 for SQL Server", "FreeTDS")
#: Per-database statements are sent for at most this many databases when no link is planned.
MAX_UNPLANNED_DATABASES = 50


# ---------------------------------------------------------------------------------------------
# The statement catalogue


@dataclass(frozen=True)
class Statement:
    """One SELECT the probe may send.

    ``variants`` maps the lowest major version a text works on to the text (catalog views grow
    columns between versions); ``needs`` names the permission whose absence makes it fail or
    hide rows; ``fact`` is the fact path it fills; ``part`` marks per-database detail.
    """

    name: str
    variants: tuple[tuple[int, str], ...]
    fact: str
    needs: str = ""
    #: Rows silently hidden (not an error) without ``needs``.
    hides_rows: bool = False
    #: Per-database statement: the text holds {db}, a bracket-quoted database name.
    per_database: bool = False
    part: str = ""

    def text(self, major: int = 99, database: str | None = None) -> str | None:
        """The text for a server of ``major`` version, or None when it does not apply there."""
        chosen = None
        for lowest, sql in self.variants:
            if major >= lowest:
                chosen = sql
        if chosen is None:
            return None
        body = chosen.format(db=quote_name(database)) if self.per_database and database is not None else chosen
        return f"/* linkready:{self.name} */ {body}"

    def all_texts(self, database: str = "Sales") -> list[str]:
        """Every text this statement can take (for the read-only test)."""
        return [self.text(lowest, database) or "" for lowest, _ in self.variants]


def _s(name: str, sql: str, fact: str, needs: str = "", *, since: int = 13, hides_rows: bool = False,
       per_database: bool = False, part: str = "", variants: Sequence[tuple[int, str]] = ()) -> Statement:
    texts = ((since, " ".join(sql.split())), *((v, " ".join(t.split())) for v, t in variants))
    return Statement(name, texts, fact, needs, hides_rows, per_database, part)


STATEMENTS: tuple[Statement, ...] = (
    _s("server_properties", """
        SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS product_version,
               CAST(SERVERPROPERTY('ProductLevel') AS nvarchar(128)) AS product_level,
               CAST(SERVERPROPERTY('ProductUpdateLevel') AS nvarchar(128)) AS product_update_level,
               CAST(SERVERPROPERTY('ProductUpdateReference') AS nvarchar(128)) AS product_update_reference,
               CAST(SERVERPROPERTY('Edition') AS nvarchar(128)) AS edition,
               CAST(SERVERPROPERTY('EngineEdition') AS int) AS engine_edition,
               CAST(SERVERPROPERTY('MachineName') AS nvarchar(128)) AS machine_name,
               CAST(SERVERPROPERTY('InstanceName') AS nvarchar(128)) AS instance_name,
               CAST(SERVERPROPERTY('Collation') AS nvarchar(128)) AS collation,
               CAST(SERVERPROPERTY('IsHadrEnabled') AS int) AS is_hadr_enabled,
               CAST(SERVERPROPERTY('HadrManagerStatus') AS int) AS hadr_manager_status,
               CAST(SERVERPROPERTY('IsClustered') AS int) AS is_clustered,
               CAST(@@SERVERNAME AS nvarchar(128)) AS server_name,
               CAST(@@VERSION AS nvarchar(512)) AS version_text""", "sql.instance"),
    _s("host_info", "SELECT host_platform, host_distribution, host_release FROM sys.dm_os_host_info",
       "sql.instance.host_platform", since=14),
    _s("sys_info", """SELECT cpu_count, CAST(physical_memory_kb / 1024 AS bigint) AS physical_memory_mb
                      FROM sys.dm_os_sys_info""", "sql.instance.cpu_count", VIEW_SERVER_STATE),
    _s("login", """
        SELECT CAST(SUSER_SNAME() AS nvarchar(128)) AS login_name,
               CAST(IS_SRVROLEMEMBER(N'sysadmin') AS int) AS is_sysadmin,
               CAST(HAS_PERMS_BY_NAME(N'msdb.dbo.backupset', N'OBJECT', N'SELECT') AS int) AS can_read_backupset""",
       "sql.permissions"),
    _s("permissions", "SELECT permission_name FROM sys.fn_my_permissions(NULL, N'SERVER')", "sql.permissions"),
    _s("master_key", """SELECT COUNT(*) AS master_keys FROM master.sys.symmetric_keys
                        WHERE symmetric_key_id = 101""", "sql.master_key_present", VIEW_ANY_DEFINITION,
       hides_rows=True),
    _s("trace_flags", """SELECT value_name, CAST(value_data AS nvarchar(512)) AS value_data
                         FROM sys.dm_server_registry WHERE value_name LIKE N'SQLArg%'""",
       "sql.trace_flags", VIEW_SERVER_STATE),
    _s("procedures", """SELECT o.name FROM master.sys.all_objects AS o
                        WHERE o.schema_id = SCHEMA_ID(N'sys')
                          AND o.name IN (N'sp_certificate_add_issuer', N'sp_multidb_milink')""",
       "sql.has_sp_certificate_add_issuer"),
    _s("endpoints", """
        SELECT e.name, e.state_desc, e.role_desc, e.connection_auth_desc, e.encryption_algorithm_desc,
               e.is_encryption_enabled, e.certificate_id, c.name AS certificate_name, t.port,
               CAST(t.ip_address AS nvarchar(64)) AS ip_address
        FROM sys.database_mirroring_endpoints AS e
        JOIN sys.tcp_endpoints AS t ON t.endpoint_id = e.endpoint_id
        LEFT JOIN master.sys.certificates AS c ON c.certificate_id = e.certificate_id""",
       "sql.endpoints", VIEW_ANY_DEFINITION, hides_rows=True),
    _s("certificates", """
        SELECT c.name, c.certificate_id, c.thumbprint, c.subject, c.issuer_name, c.start_date, c.expiry_date,
               c.key_length, c.pvt_key_encryption_type, CERTENCODED(c.certificate_id) AS public_der
        FROM master.sys.certificates AS c WHERE c.name NOT LIKE N'##%'""",
       "sql.certificates", VIEW_ANY_DEFINITION, hides_rows=True),
    _s("availability_groups", """
        SELECT ag.group_id, ag.name, ag.is_distributed, ag.basic_features,
               CAST(N'WSFC' AS nvarchar(60)) AS cluster_type_desc
        FROM sys.availability_groups AS ag""", "sql.availability_groups", VIEW_ANY_DEFINITION,
       hides_rows=True, variants=((14, """
        SELECT ag.group_id, ag.name, ag.is_distributed, ag.basic_features, ag.cluster_type_desc
        FROM sys.availability_groups AS ag"""),)),
    _s("ag_databases", "SELECT group_id, database_name FROM sys.availability_databases_cluster",
       "sql.availability_groups", VIEW_ANY_DEFINITION, hides_rows=True),
    _s("ag_replicas", """
        SELECT r.group_id, r.replica_server_name, r.endpoint_url, r.availability_mode_desc, rs.role_desc,
               rs.synchronization_health_desc, rs.connected_state_desc
        FROM sys.availability_replicas AS r
        LEFT JOIN sys.dm_hadr_availability_replica_states AS rs ON rs.replica_id = r.replica_id""",
       "sql.availability_groups.replicas", VIEW_SERVER_STATE),
    _s("databases", """
        SELECT d.database_id, d.name, d.state_desc, d.recovery_model_desc, d.collation_name, d.is_encrypted,
               d.is_broker_enabled, CAST(0 AS bit) AS is_accelerated_database_recovery_on,
               CAST(CASE WHEN rs.database_id IS NULL THEN NULL WHEN rs.last_log_backup_lsn IS NULL THEN 0
                         ELSE 1 END AS bit) AS log_chain_started
        FROM sys.databases AS d
        LEFT JOIN sys.database_recovery_status AS rs ON rs.database_id = d.database_id""",
       "sql.databases", variants=((15, """
        SELECT d.database_id, d.name, d.state_desc, d.recovery_model_desc, d.collation_name, d.is_encrypted,
               d.is_broker_enabled, d.is_accelerated_database_recovery_on,
               CAST(CASE WHEN rs.database_id IS NULL THEN NULL WHEN rs.last_log_backup_lsn IS NULL THEN 0
                         ELSE 1 END AS bit) AS log_chain_started
        FROM sys.databases AS d
        LEFT JOIN sys.database_recovery_status AS rs ON rs.database_id = d.database_id"""),)),
    _s("database_files", """
        SELECT database_id, type, COUNT(*) AS files, SUM(CAST(size AS bigint)) * 8 / 1024 AS size_mb
        FROM sys.master_files GROUP BY database_id, type""",
       "sql.databases", VIEW_ANY_DEFINITION, hides_rows=True, part="files"),
    _s("log_space", """
        SELECT RTRIM(instance_name) AS database_name, RTRIM(counter_name) AS counter_name, cntr_value
        FROM sys.dm_os_performance_counters
        WHERE object_name LIKE N'%:Databases%'
          AND counter_name IN (N'Log File(s) Size (KB)', N'Log File(s) Used Size (KB)')""",
       "sql.databases", VIEW_SERVER_STATE, part="log_space"),
    _s("backups", """
        SELECT b.database_name,
               MAX(CASE WHEN b.is_copy_only = 0 THEN b.backup_finish_date END) AS last_full_backup,
               MAX(CASE WHEN b.is_copy_only = 1 THEN b.backup_finish_date END) AS last_copy_only_backup
        FROM msdb.dbo.backupset AS b WHERE b.type = 'D' GROUP BY b.database_name""",
       "sql.databases", MSDB_BACKUPSET, part="backups"),
    # Log backups of the last 7 days per database: how many, how much log they carried, and the median
    # gap between consecutive ones (the backup job's cadence; a median ignores a paused night or a
    # one-off extra backup). LAG and PERCENTILE_CONT are window functions that cannot nest, hence the
    # two derived tables. COPY_ONLY log backups do not truncate the log, so they are left out.
    _s("log_backups", """
        SELECT m.database_name, COUNT(*) AS log_backups,
               CAST(SUM(m.backup_size) / 1048576 AS bigint) AS backup_mb,
               DATEDIFF(minute, MIN(m.backup_finish_date), MAX(m.backup_finish_date)) AS span_minutes,
               CAST(MAX(m.median_gap_seconds) AS int) AS median_gap_seconds
        FROM (SELECT g.database_name, g.backup_size, g.backup_finish_date,
                     PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY g.gap_seconds)
                         OVER (PARTITION BY g.database_name) AS median_gap_seconds
              FROM (SELECT b.database_name, b.backup_size, b.backup_finish_date,
                           DATEDIFF(second, LAG(b.backup_finish_date) OVER (PARTITION BY b.database_name
                                                                           ORDER BY b.backup_finish_date),
                                    b.backup_finish_date) AS gap_seconds
                    FROM msdb.dbo.backupset AS b
                    WHERE b.type = 'L' AND b.is_copy_only = 0
                      AND b.backup_finish_date >= DATEADD(day, -7, GETDATE())) AS g) AS m
        GROUP BY m.database_name""",
       "sql.databases", MSDB_BACKUPSET, part="log_backups"),
    _s("tde", """SELECT database_id, encryption_state, encryptor_thumbprint, encryptor_type
                 FROM sys.dm_database_encryption_keys""", "sql.databases", VIEW_SERVER_STATE, part="tde"),
    _s("pvs", "SELECT database_id, pvs_filegroup_id FROM sys.dm_tran_persistent_version_store_stats",
       "sql.databases", VIEW_SERVER_STATE, since=15, part="pvs"),
    _s("db_filegroups", """
        SELECT fg.data_space_id, fg.name, fg.type, COUNT(f.file_id) AS files,
               (SELECT COUNT(*) FROM {db}.sys.tables AS t WHERE t.is_filetable = 1) AS filetables
        FROM {db}.sys.filegroups AS fg
        LEFT JOIN {db}.sys.database_files AS f ON f.data_space_id = fg.data_space_id
        GROUP BY fg.data_space_id, fg.name, fg.type""",
       "sql.databases", DATABASE_ACCESS, per_database=True, part="filegroups"),
)
BY_NAME = {s.name: s for s in STATEMENTS}


# ---------------------------------------------------------------------------------------------
# Connecting


class ConnectionProblem(Exception):
    """The probe could not connect; ``kind`` is a ProbeError kind."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def parse_server(server: str) -> tuple[str, int | None, str | None]:
    """``host``, ``host,port`` or ``host\\instance`` → (host, port, instance)."""
    text = server.strip().removeprefix("tcp:")
    if not text:
        raise ConnectionProblem("config", "source.server is empty")
    if "," in text:
        host, _, port_text = text.partition(",")
        if not port_text.strip().isdigit() or not 0 < int(port_text) < 65536:
            raise ConnectionProblem("config", f"source.server {server!r}: the port after ',' must be 1-65535")
        return host.strip(), int(port_text), None
    if "\\" in text:
        host, _, instance = text.partition("\\")
        return host.strip(), None, instance.strip() or None
    return text, None, None


def choose_driver(configured: str, available: Iterable[str]) -> str:
    """The configured driver, or the best installed one ("auto")."""
    installed = list(available)
    if configured and configured != "auto":
        if configured not in installed:
            raise ConnectionProblem(
                "config",
                f"source.driver {configured!r} is not installed (installed ODBC drivers: "
                f"{', '.join(installed) or 'none'})",
            )
        return configured
    for name in DRIVER_PREFERENCE:
        if name in installed:
            return name
    raise ConnectionProblem(
        "config",
        "no SQL Server ODBC driver installed (install 'ODBC Driver 18 for SQL Server', or FreeTDS's tdsodbc); "
        f"installed: {', '.join(installed) or 'none'}",
    )


def _odbc_value(value: str) -> str:
    """An ODBC connection-string value, braced when it holds characters that would split the string."""
    if any(ch in value for ch in ";{}=") or value != value.strip():
        return "{" + value.replace("}", "}}") + "}"
    return value


@dataclass(frozen=True)
class ConnectionPlan:
    """A connection string and its redacted twin; only ``redacted`` may be shown or stored."""

    connection_string: str = field(repr=False)
    redacted: str
    driver: str
    attrs_before: dict[int, Any] = field(default_factory=dict, repr=False)


def build_connection(source: SourceConfig, driver: str, password: str | None,
                     token: bytes | None = None) -> ConnectionPlan:
    """The ODBC connection string for ``source``; the password appears only in the real string."""
    host, port, instance = parse_server(source.server)
    freetds = driver.lower().startswith("freetds")
    parts: list[tuple[str, str]] = [("DRIVER", "{" + driver + "}")]
    if freetds:
        parts.append(("SERVER", f"{host}\\{instance}" if instance else host))
        if port is not None:
            parts.append(("PORT", str(port)))
        # FreeTDS ignores Encrypt=; its own keyword is Encryption (off/request/require).
        parts += [("TDS_Version", "7.4"), ("Encryption", "require" if source.encrypt else "off")]
    else:
        server = f"{host},{port}" if port is not None else (f"{host}\\{instance}" if instance else host)
        parts += [("SERVER", server), ("Encrypt", "yes" if source.encrypt else "no"),
                  ("TrustServerCertificate", "yes" if source.trust_server_certificate else "no")]
    parts += [("DATABASE", "master"), ("APP", "linkready")]
    attrs: dict[int, Any] = {}
    secret: list[tuple[str, str]] = []
    auth = source.auth
    if auth == "sql":
        if not source.username:
            raise ConnectionProblem("config", "source.username is required for auth = \"sql\"")
        parts.append(("UID", source.username))
        secret.append(("PWD", password or ""))
    elif auth == "windows":
        parts.append(("Trusted_Connection", "yes"))
    else:
        if freetds:
            raise ConnectionProblem("config", f"auth = {auth!r} needs the Microsoft ODBC driver; FreeTDS has no "
                                              "Microsoft Entra ID authentication")
        if auth == "entra-password":
            parts += [("Authentication", "ActiveDirectoryPassword"), ("UID", source.username)]
            secret.append(("PWD", password or ""))
        elif auth == "entra-integrated":
            parts.append(("Authentication", "ActiveDirectoryIntegrated"))
        elif token is not None:  # entra-default: an access token from azure-identity
            attrs[1256] = token  # SQL_COPT_SS_ACCESS_TOKEN
    shown = ";".join(f"{k}={_odbc_value(v) if k != 'DRIVER' else v}" for k, v in parts)
    real = ";".join([shown, *(f"{k}={_odbc_value(v)}" for k, v in secret)])
    redacted = ";".join([shown, *(f"{k}=***" for k, _ in secret)])
    return ConnectionPlan(real, redacted, driver, attrs)


def entra_token() -> bytes:
    """An access token for Azure SQL from DefaultAzureCredential, packed as the ODBC driver wants it."""
    import struct

    from azure.identity import DefaultAzureCredential

    raw = DefaultAzureCredential().get_token(SQL_AUDIENCE).token.encode("utf-16-le")
    return struct.pack("<I", len(raw)) + raw


# ---------------------------------------------------------------------------------------------
# Errors: a driver message becomes a ProbeError kind and a reason that names the blocker


_SQL_ERROR = re.compile(r"\((\d{3,6})\)")


def classify(exc: BaseException) -> tuple[str, str]:
    """(kind, message) for a pyodbc error, without the ODBC noise around it."""
    state = str(exc.args[0]) if exc.args else ""
    text = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
    message = re.sub(r"\[[^\]]*\]", "", text).replace("(SQLExecDirectW)", "").replace("(SQLDriverConnect)", "")
    message = " ".join(message.split())
    numbers = {int(n) for n in _SQL_ERROR.findall(text)}
    if state == "HYT00" or "timeout expired" in text.lower():
        return "timeout", message
    if numbers & {18456, 18452, 18470, 4060}:
        return "auth", message
    if numbers & {229, 230, 297, 300, 916, 15247}:
        return "permission", message
    if numbers & {208, 2812}:
        return "not_found", message
    if state.startswith("08") or numbers & {20009, 20017, 20002}:
        return "unreachable", message
    return "error", message


# ---------------------------------------------------------------------------------------------
# Running the statements


Row = dict[str, Any]


class Session:
    """Runs catalogue statements on one connection with a per-statement timeout."""

    #: After this many timeouts in a row the server is taken as not answering; the rest is skipped.
    MAX_CONSECUTIVE_TIMEOUTS = 2

    def __init__(self, connection: Any, query_timeout: float) -> None:
        self.connection = connection
        self.query_timeout = query_timeout
        self.timeouts_in_a_row = 0
        self.sent: list[str] = []

    @property
    def stopped(self) -> bool:
        return self.timeouts_in_a_row >= self.MAX_CONSECUTIVE_TIMEOUTS

    def run(self, sql: str) -> list[Row]:
        # The driver reads conn.timeout when a cursor is created, so set it before each cursor.
        self.connection.timeout = max(1, round(self.query_timeout))
        self.sent.append(sql)
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql)
            columns = [d[0] for d in cursor.description or ()]
            rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()
        self.timeouts_in_a_row = 0
        return rows


@dataclass
class Gathered:
    """Rows per statement name (per database for per-database statements) and the errors met."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    per_db: dict[tuple[str, str], list[Row]] = field(default_factory=dict)
    errors: list[ProbeError] = field(default_factory=list)
    #: part → reason, for database-level detail that could not be read
    unreadable: dict[str, str] = field(default_factory=dict)
    unreadable_db: dict[tuple[str, str], str] = field(default_factory=dict)


def _reason(statement: Statement, kind: str, message: str, database: str | None = None) -> str:
    where = f" for database {database}" if database else ""
    if kind == "permission" and statement.needs:
        return f"{statement.name}{where} needs {statement.needs}: {message}"
    if kind == "timeout":
        return f"{statement.name}{where} did not answer within the query timeout: {message}"
    return f"{statement.name}{where} failed: {message}"


def gather(session: Session, planned: Sequence[str]) -> Gathered:
    """Send every applicable statement once; failures are recorded, never raised.

    What was read decides what comes next: the version picks statement variants, the
    login's permissions say whether an empty answer can be trusted, and sys.databases names
    the databases whose detail is read (the planned ones, or every user database).
    """
    out = Gathered()
    for statement in STATEMENTS:
        targets: list[str | None] = list(_detail_databases(out, planned)) if statement.per_database else [None]
        for database in targets:
            if session.stopped:
                _record(out, statement, "timeout",
                        f"{statement.name} was not sent: the server stopped answering "
                        f"({session.MAX_CONSECUTIVE_TIMEOUTS} statements in a row timed out)", database)
                continue
            sql = statement.text(_major(out), database)
            if sql is None:
                continue
            granted = _granted(out)
            if statement.hides_rows and granted is not None and not _has(granted, statement.needs):
                _record(out, statement, "permission",
                        f"{statement.name} needs {statement.needs}: without it SQL Server hides rows "
                        "instead of failing, so an empty answer would prove nothing", database)
                continue
            try:
                rows = session.run(sql)
            except Exception as exc:  # pyodbc.Error and friends: errors are values here
                kind, message = classify(exc)
                if kind == "timeout":
                    session.timeouts_in_a_row += 1
                _record(out, statement, kind, _reason(statement, kind, message, database), database)
                continue
            if database is None:
                out.rows[statement.name] = rows
            else:
                out.per_db[(statement.name, database)] = rows
    return out


def _major(g: Gathered) -> int:
    version = str((g.rows.get("server_properties") or [{}])[0].get("product_version") or "")
    head = version.split(".")[0]
    return int(head) if head.isdigit() else 99


def _granted(g: Gathered) -> set[str] | None:
    rows = g.rows.get("permissions")
    return None if rows is None else {str(r["permission_name"]) for r in rows}


def _detail_databases(g: Gathered, planned: Sequence[str]) -> list[str]:
    online = [str(r["name"]) for r in g.rows.get("databases") or [] if r["state_desc"] == "ONLINE"]
    wanted = {p.lower() for p in planned}
    if wanted:
        return [n for n in online if n.lower() in wanted]
    return [n for n in online if n.lower() not in SYSTEM_DATABASES][:MAX_UNPLANNED_DATABASES]


def _has(granted: set[str], permission: str) -> bool:
    return permission in granted or "CONTROL SERVER" in granted


def _record(out: Gathered, statement: Statement, kind: str, reason: str, database: str | None) -> None:
    if statement.part and database is not None:
        out.unreadable_db[(statement.part, database)] = reason
    elif statement.part:
        out.unreadable[statement.part] = reason
    else:
        out.errors.append(ProbeError(PROBE, statement.fact, kind, reason))


# ---------------------------------------------------------------------------------------------
# Rows → facts


def _hex(value: Any) -> str:
    if value is None:
        return ""
    return "0x" + bytes(value).hex().upper() if isinstance(value, bytes | bytearray) else str(value)


def _utc(value: Any) -> datetime | None:
    """catalog datetimes are server-local; sys.certificates dates are UTC. Tag them UTC for serialisation."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _host_from_version_text(text: str) -> tuple[str, str, str]:
    match = re.search(r"\bon (Windows[^<\n]*?)\s+(\d+\.\d+)\s*<", text)
    if match:
        return "Windows", match.group(1).strip(), match.group(2)
    match = re.search(r"\bon Linux \(([^)]*)\)", text)
    if match:
        return "Linux", match.group(1).strip(), ""
    return "", "", ""


def build_instance(g: Gathered) -> SqlInstance | None:
    rows = g.rows.get("server_properties")
    if not rows:
        return None
    p = rows[0]
    host = (g.rows.get("host_info") or [{}])[0]
    platform, distribution, release = _host_from_version_text(p.get("version_text") or "")
    info = (g.rows.get("sys_info") or [{}])[0]
    return SqlInstance(
        server_name=p.get("server_name") or "",
        machine_name=p.get("machine_name") or "",
        instance_name=p.get("instance_name"),
        product_version=p.get("product_version") or "",
        product_level=p.get("product_level") or "",
        product_update_level=p.get("product_update_level"),
        product_update_reference=p.get("product_update_reference"),
        edition=p.get("edition") or "",
        engine_edition=int(p.get("engine_edition") or 0),
        host_platform=host.get("host_platform") or platform,
        host_distribution=host.get("host_distribution") or distribution,
        host_release=host.get("host_release") or release,
        collation=p.get("collation") or "",
        is_hadr_enabled=bool(p.get("is_hadr_enabled")),
        hadr_manager_status=p.get("hadr_manager_status"),
        is_clustered=bool(p.get("is_clustered")),
        cpu_count=info.get("cpu_count"),
        physical_memory_mb=info.get("physical_memory_mb"),
        version_text=p.get("version_text") or "",
    )


def parse_trace_flags(rows: list[Row]) -> tuple[TraceFlag, ...]:
    """Startup parameters (-T1800;-T9567 or one per SQLArgN value) → the flags the checks watch."""
    found: set[int] = set()
    for row in rows:
        for flag in re.findall(r"-T\s*(\d+)", str(row.get("value_data") or ""), re.IGNORECASE):
            found.add(int(flag))
    return tuple(TraceFlag(flag, flag in found) for flag in TRACE_FLAGS)


def build_facts(g: Gathered, planned: Sequence[str], driver: str) -> SqlFacts:
    instance = build_instance(g)
    login = (g.rows.get("login") or [{}])[0]
    permissions: tuple[str, ...] | None = None
    if "permissions" in g.rows:
        names = sorted({str(r["permission_name"]) for r in g.rows["permissions"]})
        if login.get("can_read_backupset"):
            names.append(MSDB_BACKUPSET)
        permissions = tuple(names)
    procedures = {r["name"] for r in g.rows.get("procedures", [])} if "procedures" in g.rows else None
    master_key = g.rows.get("master_key")
    return SqlFacts(
        instance=instance,
        master_key_present=bool(master_key[0]["master_keys"]) if master_key else None,
        trace_flags=parse_trace_flags(g.rows["trace_flags"]) if "trace_flags" in g.rows else None,
        has_sp_certificate_add_issuer=None if procedures is None else "sp_certificate_add_issuer" in procedures,
        has_sp_multidb_milink=None if procedures is None else "sp_multidb_milink" in procedures,
        # sys.sp_multidb_milink reports the mode only when executed; the probe sends SELECTs only.
        multidb_mode_enabled=None,
        endpoints=_endpoints(g),
        certificates=_certificates(g),
        availability_groups=_availability_groups(g),
        databases=_databases(g, planned),
        permissions=permissions,
        login=login.get("login_name") or "",
        is_sysadmin=None if not login else bool(login.get("is_sysadmin")),
        trace_flags_source="startup parameters (sys.dm_server_registry)" if "trace_flags" in g.rows else "",
        driver=driver,
    )


def _endpoints(g: Gathered) -> tuple[MirroringEndpoint, ...] | None:
    if "endpoints" not in g.rows:
        return None
    return tuple(
        MirroringEndpoint(
            name=r["name"], state=r["state_desc"] or "", role=r["role_desc"] or "", port=int(r["port"] or 0),
            ip_address=r["ip_address"] or "ALL", connection_auth=r["connection_auth_desc"] or "",
            encryption_algorithm=r["encryption_algorithm_desc"] or "NONE",
            is_encryption_enabled=bool(r["is_encryption_enabled"]),
            certificate_name=r["certificate_name"], certificate_id=r["certificate_id"] or None,
        )
        for r in g.rows["endpoints"]
    )


def _certificates(g: Gathered) -> tuple[SqlCertificate, ...] | None:
    if "certificates" not in g.rows:
        return None
    certs = []
    for r in g.rows["certificates"]:
        der = r.get("public_der")
        certs.append(SqlCertificate(
            name=r["name"], certificate_id=int(r["certificate_id"]), thumbprint=_hex(r["thumbprint"]),
            subject=r["subject"] or "", issuer=r["issuer_name"] or "",
            not_before=_utc(r["start_date"]) or datetime.min.replace(tzinfo=UTC),
            not_after=_utc(r["expiry_date"]) or datetime.min.replace(tzinfo=UTC),
            key_length=int(r["key_length"] or 0), pvt_key_encryption_type=(r["pvt_key_encryption_type"] or "").strip(),
            public_der_hex=bytes(der).hex().upper() if der else "",
        ))
    return tuple(certs)


def _availability_groups(g: Gathered) -> tuple[AvailabilityGroup, ...] | None:
    if "availability_groups" not in g.rows or "ag_databases" not in g.rows:
        return None
    databases: dict[Any, list[str]] = {}
    for r in g.rows["ag_databases"]:
        databases.setdefault(r["group_id"], []).append(r["database_name"])
    replicas: dict[Any, list[AgReplica]] = {}
    for r in g.rows.get("ag_replicas", []):
        replicas.setdefault(r["group_id"], []).append(AgReplica(
            name=r["replica_server_name"] or "", endpoint_url=r["endpoint_url"] or "",
            role=r["role_desc"] or "", availability_mode=r["availability_mode_desc"] or "",
            synchronization_health=r["synchronization_health_desc"] or "",
            connected_state=r["connected_state_desc"] or "",
        ))
    return tuple(
        AvailabilityGroup(
            name=r["name"], is_distributed=bool(r["is_distributed"]), basic_features=bool(r["basic_features"]),
            cluster_type=r["cluster_type_desc"] or "", databases=tuple(sorted(databases.get(r["group_id"], []))),
            replicas=tuple(replicas.get(r["group_id"], [])),
        )
        for r in g.rows["availability_groups"]
    )


@dataclass(frozen=True)
class LogCadence:
    """What a week of log backups says about a database's log: how often, and how much."""

    backups: int
    total_mb: float | None
    mb_per_day: float | None
    interval_minutes: float | None


def log_cadence(row: Row | None) -> LogCadence:
    """A ``log_backups`` row (or None: no log backup in the window) → the cadence facts.

    N consecutive log backups carry the log written from the backup before the first one to the
    last one: the span between the first and the last plus one interval. With fewer than two
    backups neither the interval nor the time the log covers is known, so no rate is given.
    """
    if row is None:
        return LogCadence(0, 0.0, None, None)
    count = int(row.get("log_backups") or 0)
    total = float(row.get("backup_mb") or 0.0)
    gap = row.get("median_gap_seconds")
    if count < 2 or gap is None:
        return LogCadence(count, round(total, 1), None, None)
    interval = float(gap) / 60
    covered_minutes = float(row.get("span_minutes") or 0) + interval
    per_day = total / covered_minutes * 1440 if covered_minutes > 0 else None
    return LogCadence(count, round(total, 1), None if per_day is None else round(per_day, 1), round(interval, 1))


def _databases(g: Gathered, planned: Sequence[str]) -> tuple[SqlDatabase, ...] | None:
    if "databases" not in g.rows:
        return None
    files: dict[int, dict[int, Row]] = {}
    for r in g.rows.get("database_files", []):
        files.setdefault(int(r["database_id"]), {})[int(r["type"])] = r
    log_space: dict[str, dict[str, int]] = {}
    for r in g.rows.get("log_space", []):
        log_space.setdefault(r["database_name"], {})[r["counter_name"]] = int(r["cntr_value"] or 0)
    backups = {r["database_name"]: r for r in g.rows.get("backups", [])}
    log_backups = {r["database_name"]: r for r in g.rows.get("log_backups", [])}
    tde = {int(r["database_id"]): r for r in g.rows.get("tde", [])}
    pvs = {int(r["database_id"]): r["pvs_filegroup_id"] for r in g.rows.get("pvs", [])}
    ag_of: dict[str, tuple[str, int]] = {}
    group_names = {r["group_id"]: r["name"] for r in g.rows.get("availability_groups", [])}
    members: dict[Any, list[str]] = {}
    for r in g.rows.get("ag_databases", []):
        members.setdefault(r["group_id"], []).append(r["database_name"])
    for group_id, names in members.items():
        for name in names:
            ag_of[name.lower()] = (group_names.get(group_id, ""), len(names))
    wanted = {p.lower() for p in planned}
    out = []
    for r in g.rows["databases"]:
        name, db_id = r["name"], int(r["database_id"])
        if name.lower() in SYSTEM_DATABASES and name.lower() not in wanted:
            continue  # system databases are kept only when a plan names one (DB-001 then says no)
        unreadable = [f"{part}: {reason}" for part, reason in g.unreadable.items()]
        db_files = files.get(db_id, {})
        fgs = g.per_db.get(("db_filegroups", name))
        if fgs is None:
            reason = g.unreadable_db.get(("filegroups", name)) or (
                "not read: per-database detail is read for planned databases only")
            unreadable.append(f"filegroups: {reason}")
        fg_rows = fgs or []
        memory_groups = [f for f in fg_rows if (f["type"] or "").strip() == "FX"]
        stream_groups = [f for f in fg_rows if (f["type"] or "").strip() == "FD"]
        pvs_id = pvs.get(db_id)
        pvs_name = next((f["name"] for f in fg_rows if f["data_space_id"] == pvs_id), None) if pvs_id else None
        space = log_space.get(name, {})
        log_kb, used_kb = space.get("Log File(s) Size (KB)", 0), space.get("Log File(s) Used Size (KB)", 0)
        ag_name, ag_count = ag_of.get(name.lower(), (None, 0))
        key = tde.get(db_id)
        backup = backups.get(name, {})
        # No row means no log backup in 7 days (0), unless the statement itself could not be read.
        cadence = log_cadence(log_backups.get(name)) if "log_backups" in g.rows else None
        if r["log_chain_started"] is None and r["recovery_model_desc"] == "FULL":
            unreadable.append("recovery: sys.database_recovery_status is not visible to the login "
                              f"(needs {VIEW_ANY_DEFINITION})")
        out.append(SqlDatabase(
            name=name, database_id=db_id, state=r["state_desc"] or "", recovery_model=r["recovery_model_desc"] or "",
            is_system=name.lower() in SYSTEM_DATABASES, collation=r["collation_name"] or "",
            last_full_backup=_utc(backup.get("last_full_backup")),
            last_copy_only_backup=_utc(backup.get("last_copy_only_backup")),
            full_backup_after_recovery_change=None if r["log_chain_started"] is None else bool(r["log_chain_started"]),
            log_file_count=int(db_files.get(1, {}).get("files") or 0),
            has_filestream=bool(stream_groups) if fgs is not None else bool(db_files.get(2)),
            has_filetable=bool(fg_rows and fg_rows[0]["filetables"]),
            inmemory_filegroups=len(memory_groups),
            inmemory_files=sum(int(f["files"] or 0) for f in memory_groups),
            ag_name=ag_name or None, ag_database_count=ag_count,
            is_encrypted=bool(r["is_encrypted"]) or bool(key and key["encryption_state"] in (2, 3, 5, 6)),
            tde_encryptor_thumbprint=_hex(key["encryptor_thumbprint"]) if key else None,
            tde_encryptor_type=key["encryptor_type"] if key else None,
            adr_enabled=bool(r["is_accelerated_database_recovery_on"]), pvs_filegroup=pvs_name,
            broker_enabled=bool(r["is_broker_enabled"]),
            data_size_mb=float(db_files.get(0, {}).get("size_mb") or 0),
            log_size_mb=float(db_files.get(1, {}).get("size_mb") or 0) or log_kb / 1024,
            log_used_percent=round(100.0 * used_kb / log_kb, 1) if log_kb else 0.0,
            log_backups_7d=cadence.backups if cadence else None,
            log_backup_mb_7d=cadence.total_mb if cadence else None,
            log_generated_mb_per_day=cadence.mb_per_day if cadence else None,
            log_backup_interval_minutes=cadence.interval_minutes if cadence else None,
            unreadable=tuple(unreadable),
        ))
    # Planned databases first, then the others, so a report reads in plan order.
    out.sort(key=lambda d: (d.name.lower() not in wanted, d.database_id))
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# The probe


def collect_sql(source: SourceConfig, password: str | None, planned: Sequence[str],
                connect: Callable[..., Any] | None = None, drivers: Iterable[str] | None = None
                ) -> tuple[SqlFacts | None, list[ProbeError]]:
    """Connect, send the catalogue's statements, build the facts. Never raises for expected failures."""
    try:
        import pyodbc
    except ImportError as exc:  # pragma: no cover - pyodbc is a dependency
        return None, [ProbeError(PROBE, "sql", "config", f"pyodbc cannot be imported: {exc}")]
    try:
        driver = choose_driver(source.driver, drivers if drivers is not None else pyodbc.drivers())
        token = entra_token() if source.auth == "entra-default" and not driver.startswith("FreeTDS") else None
        plan = build_connection(source, driver, password, token)
    except ConnectionProblem as exc:
        return None, [ProbeError(PROBE, "sql", exc.kind, exc.reason)]
    except Exception as exc:  # azure-identity could not get a token
        return None, [ProbeError(PROBE, "sql", "auth", f"no Microsoft Entra token: {type(exc).__name__}: {exc}")]
    connect = connect or pyodbc.connect
    try:
        # autocommit: FreeTDS would otherwise open transactions, and a probe has nothing to commit.
        connection = connect(plan.connection_string, autocommit=True, timeout=max(1, round(source.login_timeout)),
                             attrs_before=plan.attrs_before or None)
    except Exception as exc:
        kind, message = classify(exc)
        kind = "unreachable" if kind in ("error", "timeout") else kind
        return None, [ProbeError(PROBE, "sql", kind, f"cannot connect to {source.server} with {driver}: {message}")]
    try:
        gathered = gather(Session(connection, source.query_timeout), planned)
        return build_facts(gathered, planned, driver), gathered.errors
    finally:
        with contextlib.suppress(Exception):
            connection.close()


def probe(ctx: ProbeContext) -> ProbeOutcome:
    """Entry point the engine calls (in a thread, under the probe timeout)."""
    source = ctx.config.source
    if source is None:
        return ProbeOutcome(None, (ProbeError(PROBE, "sql", "config", "no [source] in the config"),))
    facts, errors = collect_sql(source, ctx.secrets.sql_password, ctx.config.plan().databases)
    return ProbeOutcome(facts, tuple(errors))
