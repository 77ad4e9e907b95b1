"""Rows to facts: the SqlFacts the checks judge, built from what was gathered."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from linkready.facts.sql import (
    AgListener,
    AgReplica,
    AvailabilityGroup,
    DatabaseFile,
    ListenerAddress,
    MirroringEndpoint,
    SqlCertificate,
    SqlDatabase,
    SqlFacts,
    SqlInstance,
    TraceFlag,
)
from linkready.probes.sql.connection import Row
from linkready.probes.sql.gather import Gathered
from linkready.probes.sql.statements import MSDB_BACKUPSET, SYSTEM_DATABASES, TRACE_FLAGS, VIEW_ANY_DEFINITION

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
    machine, instance = p.get("machine_name") or "", p.get("instance_name")
    return SqlInstance(
        # @@SERVERNAME is NULL after sp_dropserver without sp_addserver: name the server as SERVERPROPERTY
        # ('ServerName') would (MachineName[\\InstanceName]) rather than record an empty name.
        server_name=p.get("server_name") or (f"{machine}\\{instance}" if instance and machine else machine),
        machine_name=machine,
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


def parse_trace_flags(rows: list[Row], status: list[Row] | None = None) -> tuple[TraceFlag, ...]:
    """Startup parameters (-T1800;-T9567 or one per SQLArgN value) and, when read, DBCC TRACESTATUS(-1)
    rows (TraceFlag, Status, Global, Session) → the flags the checks watch, in both states."""
    found: set[int] = set()
    for row in rows:
        for flag in re.findall(r"-T\s*(\d+)", str(row.get("value_data") or ""), re.IGNORECASE):
            found.add(int(flag))
    running = None if status is None else {int(r["TraceFlag"]) for r in status
                                           if int(r.get("Global") or 0) == 1 and int(r.get("Status") or 0) == 1}
    return tuple(TraceFlag(flag, flag in found, None if running is None else flag in running)
                 for flag in TRACE_FLAGS)


def _trace_source(g: Gathered) -> str:
    if "trace_flags" not in g.rows:
        return ""
    if "trace_status" in g.rows:
        return "startup parameters (sys.dm_server_registry) and running now (DBCC TRACESTATUS(-1))"
    return "startup parameters (sys.dm_server_registry); running state not read"


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
        trace_flags=(parse_trace_flags(g.rows["trace_flags"], g.rows.get("trace_status"))
                     if "trace_flags" in g.rows else None),
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
        trace_flags_source=_trace_source(g),
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


def _key_bits(der: bytes | None) -> int:
    """The public key's size, read from the certificate itself: sys.certificates documents no key
    length column (tests/conformance/schema_contract.json), so the probe does not ask for one."""
    if not der:
        return 0
    from cryptography import x509  # lazy: only when certificates were read

    try:
        key = x509.load_der_x509_certificate(bytes(der)).public_key()
    except ValueError:
        return 0
    return int(getattr(key, "key_size", 0))


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
            key_length=_key_bits(der), pvt_key_encryption_type=(r["pvt_key_encryption_type"] or "").strip(),
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
    listeners = _listeners(g)
    return tuple(
        AvailabilityGroup(
            name=r["name"], is_distributed=bool(r["is_distributed"]), basic_features=bool(r["basic_features"]),
            cluster_type=r["cluster_type_desc"] or "", databases=tuple(sorted(databases.get(r["group_id"], []))),
            replicas=tuple(replicas.get(r["group_id"], [])),
            # The column is selected from SQL Server 2022 on only: absent from the row means not read.
            is_contained=bool(r["is_contained"]) if r.get("is_contained") is not None else None,
            listeners=None if listeners is None else tuple(listeners.get(r["group_id"], [])),
        )
        for r in g.rows["availability_groups"]
    )


def _listeners(g: Gathered) -> dict[Any, list[AgListener]] | None:
    """Listeners per group_id; None when either listener view was not read."""
    if "ag_listeners" not in g.rows or "ag_listener_ips" not in g.rows:
        return None
    addresses: dict[str, list[ListenerAddress]] = {}
    for r in g.rows["ag_listener_ips"]:
        addresses.setdefault(str(r["listener_id"]).lower(), []).append(
            ListenerAddress(ip_address=r["ip_address"] or "", state=r["state_desc"] or ""))
    out: dict[Any, list[AgListener]] = {}
    for r in g.rows["ag_listeners"]:
        out.setdefault(r["group_id"], []).append(AgListener(
            dns_name=r["dns_name"] or "", port=int(r["port"]) if r["port"] is not None else None,
            addresses=tuple(addresses.get(str(r["listener_id"]).lower(), [])),
        ))
    return out


PAGE_MB = 8 / 1024


def _pages_mb(pages: Any) -> float:
    return round(int(pages or 0) * PAGE_MB, 3)


def database_file(r: Row) -> DatabaseFile:
    """A sys.master_files row → the file as the checks see it (sizes in MB)."""
    max_size = int(r["max_size"] if r["max_size"] is not None else -1)
    growth = int(r["growth"] or 0)
    if growth == 0:
        growth_text = "none"
    elif r["is_percent_growth"]:
        growth_text = f"{growth} %"
    else:
        growth_text = f"{_pages_mb(growth):g} MB"
    return DatabaseFile(
        file_id=int(r["file_id"]), name=r["name"] or "", type=(r["type_desc"] or "").strip(),
        state=(r["state_desc"] or "").strip(), size_mb=_pages_mb(r["size"]),
        max_size_mb=None if max_size == -1 else _pages_mb(max_size), growth=growth_text,
    )


def _files_by_database(g: Gathered) -> dict[int, list[DatabaseFile]] | None:
    if "master_files" not in g.rows:
        return None
    out: dict[int, list[DatabaseFile]] = {}
    for r in g.rows["master_files"]:
        out.setdefault(int(r["database_id"]), []).append(database_file(r))
    return out


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
    per_file = _files_by_database(g)
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
            files=None if per_file is None else tuple(sorted(per_file.get(db_id, []), key=lambda f: f.file_id)),
            unreadable=tuple(unreadable),
        ))
    # Planned databases first, then the others, so a report reads in plan order.
    out.sort(key=lambda d: (d.name.lower() not in wanted, d.database_id))
    return tuple(out)

