"""Facts builders for the SQL room's check tests: a healthy SQL Server, changed one field at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from linkready.facts import Collector, Facts, PlanFacts, PlannedLink, ProbeError
from linkready.facts.sql import (
    DatabaseFile,
    MirroringEndpoint,
    SqlCertificate,
    SqlDatabase,
    SqlFacts,
    SqlInstance,
    TraceFlag,
)
from tests.builders.checks import findings

AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
INSTANCE = SqlInstance(
    server_name="SQL01", machine_name="SQL01", instance_name=None, product_version="15.0.4322.2",
    product_level="RTM", product_update_level="CU22", product_update_reference="KB5027702",
    edition="Enterprise Edition: Core-based Licensing (64-bit)", engine_edition=3, host_platform="Windows",
    host_distribution="Windows Server 2019 Datacenter", host_release="10.0",
    collation="SQL_Latin1_General_CP1_CI_AS", is_hadr_enabled=True, hadr_manager_status=1,
)
CERT = SqlCertificate(name="Cert_SQL01_endpoint", certificate_id=256, thumbprint="0xAB", subject="s", issuer="s",
                      not_before=AS_OF - timedelta(days=30), not_after=AS_OF + timedelta(days=300), key_length=2048,
                      pvt_key_encryption_type="MK")
ENDPOINT = MirroringEndpoint(name="Hadr_endpoint", state="STARTED", role="ALL", port=5022, ip_address="ALL",
                             connection_auth="CERTIFICATE", encryption_algorithm="AES", is_encryption_enabled=True,
                             certificate_name=CERT.name, certificate_id=256)


def db_files(name: str, data_mb: float, log_mb: float, *extra: DatabaseFile) -> tuple[DatabaseFile, ...]:
    """A database's sys.master_files rows: one data file, one log file (64 MB growth, unlimited), then ``extra``."""
    return (DatabaseFile(1, f"{name}_data", "ROWS", "ONLINE", data_mb, None, "64 MB"),
            DatabaseFile(2, f"{name}_log", "LOG", "ONLINE", log_mb, None, "64 MB"), *extra)


SALES = SqlDatabase(name="Sales", database_id=5, state="ONLINE", recovery_model="FULL", is_system=False,
                    collation="SQL_Latin1_General_CP1_CI_AS", last_full_backup=AS_OF - timedelta(hours=5),
                    full_backup_after_recovery_change=True, log_file_count=1, data_size_mb=2048, log_size_mb=512,
                    log_used_percent=10.0, files=db_files("Sales", 2048, 512))
SQL = SqlFacts(
    instance=INSTANCE, master_key_present=True,
    trace_flags=(TraceFlag(1800, True, True), TraceFlag(9567, True, True), TraceFlag(12381, False, False)),
    has_sp_certificate_add_issuer=True, has_sp_multidb_milink=False, endpoints=(ENDPOINT,), certificates=(CERT,),
    availability_groups=(), databases=(SALES,),
    permissions=("CONNECT SQL", "VIEW ANY DEFINITION", "VIEW SERVER STATE", "SELECT ON msdb.dbo.backupset"),
    login="linkready",
)
LINK = PlannedLink(name="link-sales", databases=("Sales",), instance_ag_name="AG_MI", partner_ag_name="AG",
                   partner_endpoint="TCP://10.0.0.4:5022")


def facts(sql: SqlFacts = SQL, *, plan: dict[str, Any] | None = None, errors: tuple[ProbeError, ...] = (),
          azure: Any = None, **sql_changes: Any) -> Facts:
    return Facts(plan=PlanFacts(**{"links": (LINK,), **(plan or {})}), collector=Collector(collected_at=AS_OF),
                 sql=replace(sql, **sql_changes), azure=azure, errors=errors)


def instance(**changes: Any) -> SqlInstance:
    return replace(INSTANCE, **changes)


def database(**changes: Any) -> tuple[SqlDatabase, ...]:
    return (replace(SALES, **changes),)


def statuses(check_id: str, f: Facts, thresholds: dict[str, Any] | None = None) -> list[str]:
    return [finding.status.value for finding in findings(check_id, f, **(thresholds or {}))]


def messages(check_id: str, f: Facts) -> str:
    return " | ".join(f"{x.message} {x.observed} {' '.join(b.code for b in x.fix)}" for x in findings(check_id, f))
