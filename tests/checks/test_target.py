"""TGT-001..013 over hand-built facts: PASS, WARN/FAIL, boundary and fact-unavailable cases per check."""

from __future__ import annotations

from dataclasses import replace

import pytest
from linkready.checks import all_checks, load_profile

from linkready.facts import Facts, PlanFacts, PlannedLink, ProbeError, SqlFacts
from linkready.facts.sql import SqlDatabase, SqlInstance
from linkready.facts.target import BackupRetention, DiagnosticSetting, EntraAdmin, LtrPolicy, TargetFacts
from linkready.model import Status
from tests.builders.checks import findings as run
from tests.builders.checks import one
from tests.builders.manifest import not_asked

MI_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-data"
    "/providers/Microsoft.Sql/managedInstances/sqlmi-prod"
)
WORKSPACE = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ops/providers/" \
    "Microsoft.OperationalInsights/workspaces/la-ops"

#: A finished target: every audit check passes on it.
FINISHED = TargetFacts(
    instance_name="sqlmi-prod",
    location="westeurope",
    tier="GeneralPurpose",
    v_cores=16,
    memory_size_gb=81.6,
    storage_size_gb=1024,
    storage_used_gb=200.0,
    backup_storage_redundancy="Geo",
    requested_backup_storage_redundancy="Geo",
    backup_retention=(BackupRetention("Sales", 14),),
    ltr_policies=(LtrPolicy("Sales", "P4W", "P12M", "P5Y", 1),),
    databases=("Sales",),
    minimal_tls_version="1.2",
    entra_admins=(EntraAdmin("sql-admins", "11111111-1111-1111-1111-111111111111", "ActiveDirectory"),),
    entra_only_authentication=False,
    defender_state="Enabled",
    atp_state="Enabled",
    public_data_endpoint_enabled=False,
    diagnostic_settings=(
        DiagnosticSetting("to-la", workspace_id=WORKSPACE, logs=("SQLSecurityAuditEvents", "ResourceUsageStats"),
                          metrics=("AllMetrics",)),
    ),
    maintenance_configuration_id=(
        "/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Maintenance/"
        "publicMaintenanceConfigurations/SQL_WestEurope_MI_1"
    ),
    hybrid_secondary_usage="Passive",
    hybrid_secondary_usage_detected="Passive",
    license_type="LicenseIncluded",
)
SOURCE = SqlInstance(
    server_name="SQLPROD01", machine_name="SQLPROD01", instance_name=None, product_version="16.0.4135.4",
    product_level="RTM", product_update_level="CU15", product_update_reference="KB5038325",
    edition="Enterprise Edition (64-bit)", engine_edition=3, host_platform="Windows",
    host_distribution="Windows Server 2022 Datacenter", host_release="10.0", collation="SQL_Latin1_General_CP1_CI_AS",
    is_hadr_enabled=True, cpu_count=16, physical_memory_mb=65536,
)
SALES = SqlDatabase(
    name="Sales", database_id=5, state="ONLINE", recovery_model="FULL", is_system=False,
    collation="SQL_Latin1_General_CP1_CI_AS", data_size_mb=300 * 1024, log_size_mb=20 * 1024,
)
LINK = PlannedLink("link-sales", ("Sales",), "AG_Sales_MI", "AG_Sales", "TCP://10.1.0.4:5022")


def make(target: TargetFacts | None = FINISHED, *, source: SqlInstance | None = SOURCE,
         databases: tuple[SqlDatabase, ...] = (SALES,), links: tuple[PlannedLink, ...] = (LINK,),
         failback: bool = False, errors: tuple[ProbeError, ...] = ()) -> Facts:
    return Facts(
        plan=PlanFacts(links=links, mi_resource_id=MI_ID, failback=failback),
        sql=SqlFacts(instance=source, databases=databases),
        target=target,
        errors=errors,
    )




TGT_IDS = [f"TGT-{n:03d}" for n in range(1, 14)]


@pytest.mark.parametrize("check_id", TGT_IDS)
def test_finished_target_passes_every_check(check_id: str) -> None:
    for finding in run(check_id, make()):
        assert finding.status is Status.PASS, (finding.check_id, finding.message)


@pytest.mark.parametrize("check_id", TGT_IDS)
def test_no_target_facts_is_error_and_not_asked_is_skipped(check_id: str) -> None:
    assert one(check_id, make(None)).status is Status.ERROR
    assert one(check_id, not_asked(make(None), "target")).status is Status.SKIP


@pytest.mark.parametrize(
    ("check_id", "path"),
    [
        ("TGT-001", "target.backup_retention"),
        ("TGT-002", "target.backup_storage_redundancy"),
        ("TGT-003", "target.ltr_policies"),
        ("TGT-004", "target.minimal_tls_version"),
        ("TGT-005", "target.entra_admins"),
        ("TGT-007", "target.diagnostic_settings"),
        ("TGT-009", "target.diagnostic_settings"),
        ("TGT-012", "target.maintenance_configuration_id"),
    ],
)
def test_unreadable_fact_is_an_error_naming_it(check_id: str, path: str) -> None:
    field = path.split(".")[1]
    action = "Microsoft.Sql/managedInstances/administrators/read"
    error = ProbeError("target", path, "permission", f"403 Forbidden: the caller lacks {action}")
    finding = one(check_id, make(replace(FINISHED, **{field: None}), errors=(error,)))
    assert finding.status is Status.ERROR
    assert path in finding.message and action in finding.message


def test_every_target_check_is_audit_only() -> None:
    preflight, audit = load_profile("preflight"), load_profile("audit")
    specs = [s for s in all_checks() if s.id.startswith("TGT-")]
    assert [s.id for s in specs] == TGT_IDS
    assert not any(preflight.selects(s) for s in specs)
    assert all(audit.selects(s) for s in specs)


# --- TGT-001 short-term retention -----------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "minimum", "status"),
    [(14, 7, Status.PASS), (7, 7, Status.PASS), (6, 7, Status.WARN), (1, 7, Status.WARN), (14, 35, Status.WARN)],
)
def test_tgt_001_retention_against_threshold(days: int, minimum: int, status: Status) -> None:
    facts = make(replace(FINISHED, backup_retention=(BackupRetention("Sales", days),)))
    finding = one("TGT-001", facts, backup_retention_days_min=minimum)
    assert finding.status is status
    assert finding.observed == f"{days} days" and finding.expected == f">= {minimum} days"
    if status is Status.WARN:
        assert "--retention-days" in finding.fix[0].code and "--mi sqlmi-prod" in finding.fix[0].code


def test_tgt_001_planned_database_not_yet_on_the_instance_gets_the_default() -> None:
    facts = make(replace(FINISHED, backup_retention=(), databases=()))
    assert one("TGT-001", facts).status is Status.PASS
    finding = one("TGT-001", facts, backup_retention_days_min=14)
    assert finding.status is Status.WARN and "default retention of 7 days" in finding.message


# --- TGT-002 redundancy ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "requested", "status", "words"),
    [
        ("Geo", "Geo", Status.PASS, "Geo-redundant"),
        ("Zone", "Zone", Status.PASS, "Zone-redundant"),
        ("Local", "Local", Status.WARN, "does not accept"),
        ("Local", "Geo", Status.WARN, "new backups only"),
    ],
)
def test_tgt_002_backup_redundancy(current: str, requested: str, status: Status, words: str) -> None:
    facts = make(replace(FINISHED, backup_storage_redundancy=current, requested_backup_storage_redundancy=requested))
    finding = one("TGT-002", facts)
    assert finding.status is status and words in finding.message


def test_tgt_002_profile_can_demand_geo_only() -> None:
    facts = make(replace(FINISHED, backup_storage_redundancy="Zone"))
    finding = one("TGT-002", facts, backup_storage_redundancy_allowed=["Geo", "GeoZone"])
    assert finding.status is Status.WARN and "--backup-storage-redundancy Geo" in finding.fix[0].code


# --- TGT-003 LTR ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policies", "present", "status"),
    [
        ((LtrPolicy("Sales", "P4W", "PT0S", "PT0S"),), ("Sales",), Status.PASS),
        # One duration lost beside set ones (ARM returns all three): unknown, not "off".
        ((LtrPolicy("Sales", "P4W", "", "PT0S"),), ("Sales",), Status.ERROR),
        ((LtrPolicy("Sales", "PT0S", "PT0S", "PT0S"),), ("Sales",), Status.WARN),
        ((), ("Sales",), Status.WARN),
        ((), (), Status.SKIP),
    ],
)
def test_tgt_003_long_term_retention(policies: tuple[LtrPolicy, ...], present: tuple[str, ...],
                                     status: Status) -> None:
    retention = tuple(BackupRetention(d, 14) for d in present)  # one short-term policy per database, as ARM has
    finding = one("TGT-003", make(replace(FINISHED, ltr_policies=policies, databases=present,
                                          backup_retention=retention)))
    assert finding.status is status
    if status in (Status.WARN, Status.SKIP):
        assert "az sql midb ltr-policy set --resource-group rg-data --mi sqlmi-prod --name Sales" in finding.fix[0].code


def test_tgt_003_existing_unplanned_database_is_judged_too() -> None:
    facts = make(replace(FINISHED, databases=("Sales", "HR"), backup_retention=(BackupRetention("Sales", 14),
                                                                                 BackupRetention("HR", 14))))
    findings = run("TGT-003", facts)
    assert [(f.target, f.status) for f in findings] == [("Sales", Status.PASS), ("HR", Status.WARN)]


# --- TGT-004 TLS ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "status"),
    [("1.3", Status.PASS), ("1.2", Status.PASS), ("1.1", Status.FAIL), ("1.0", Status.FAIL), ("None", Status.FAIL)],
)
def test_tgt_004_minimal_tls(version: str, status: Status) -> None:
    finding = one("TGT-004", make(replace(FINISHED, minimal_tls_version=version)))
    assert finding.status is status and finding.observed == version
    if status is Status.FAIL:
        assert finding.fix[0].code.endswith("--name sqlmi-prod --minimal-tls-version 1.2")


# --- TGT-005 Entra admin --------------------------------------------------------------------


def test_tgt_005_no_entra_admin_warns() -> None:
    finding = one("TGT-005", make(replace(FINISHED, entra_admins=())))
    assert finding.status is Status.WARN and "az sql mi ad-admin create" in finding.fix[0].code


def test_tgt_005_entra_admin_passes_with_its_login() -> None:
    finding = one("TGT-005", make(replace(FINISHED, entra_only_authentication=True)))
    assert finding.status is Status.PASS and "sql-admins" in finding.message and "Entra-only" in finding.message


# --- TGT-006 Defender -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "atp", "status"),
    [
        ("Enabled", "Enabled", Status.PASS),
        ("Disabled", "Enabled", Status.PASS),
        ("Disabled", None, Status.WARN),
        ("New", "Disabled", Status.WARN),
    ],
)
def test_tgt_006_defender(policy: str, atp: str | None, status: Status) -> None:
    finding = one("TGT-006", make(replace(FINISHED, defender_state=policy, atp_state=atp)))
    assert finding.status is status


def test_tgt_006_both_settings_unreadable_is_an_error() -> None:
    error = ProbeError("target", "target.defender_state", "permission",
                       "lacks Microsoft.Sql/managedInstances/securityAlertPolicies/read")
    facts = make(replace(FINISHED, defender_state=None, atp_state=None), errors=(error,))
    finding = one("TGT-006", facts)
    assert finding.status is Status.ERROR and "securityAlertPolicies/read" in finding.message


# --- TGT-007 auditing / TGT-009 diagnostic settings ----------------------------------------


@pytest.mark.parametrize(
    ("logs", "status"),
    [
        (("SQLSecurityAuditEvents",), Status.PASS),
        (("audit",), Status.PASS),
        (("allLogs",), Status.PASS),
        (("ResourceUsageStats", "Errors"), Status.WARN),
    ],
)
def test_tgt_007_auditing(logs: tuple[str, ...], status: Status) -> None:
    setting = DiagnosticSetting("to-la", workspace_id=WORKSPACE, logs=logs)
    finding = one("TGT-007", make(replace(FINISHED, diagnostic_settings=(setting,))))
    assert finding.status is status
    if status is Status.WARN:
        assert "SQLSecurityAuditEvents" in finding.fix[0].code and MI_ID in finding.fix[0].code
        assert "TO EXTERNAL_MONITOR" in finding.fix[1].code


@pytest.mark.parametrize(
    ("settings", "status"),
    [
        ((), Status.WARN),
        ((DiagnosticSetting("empty", workspace_id=WORKSPACE),), Status.WARN),
        ((DiagnosticSetting("nowhere", metrics=("AllMetrics",)),), Status.WARN),
        ((DiagnosticSetting("metrics", workspace_id=WORKSPACE, metrics=("AllMetrics",)),), Status.PASS),
    ],
)
def test_tgt_009_diagnostic_settings(settings: tuple[DiagnosticSetting, ...], status: Status) -> None:
    finding = one("TGT-009", make(replace(FINISHED, diagnostic_settings=settings)))
    assert finding.status is status
    if status is Status.WARN:
        assert "az monitor diagnostic-settings create" in finding.fix[0].code


def test_tgt_007_no_diagnostic_settings_warns_about_auditing() -> None:
    assert one("TGT-007", make(replace(FINISHED, diagnostic_settings=()))).status is Status.WARN


# --- TGT-008 public endpoint ----------------------------------------------------------------


def test_tgt_008_public_endpoint() -> None:
    assert one("TGT-008", make()).status is Status.PASS
    finding = one("TGT-008", make(replace(FINISHED, public_data_endpoint_enabled=True)))
    assert finding.status is Status.WARN and "never uses it" in finding.message
    assert "--public-data-endpoint-enabled false" in finding.fix[0].code


# --- TGT-010 compute ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("v_cores", "memory", "cpus", "source_mb", "status", "words"),
    [
        (16, 81.6, 16, 65536, Status.PASS, ""),
        (4, 20.4, 32, 262144, Status.WARN, "4 vCores for 32 logical CPUs"),
        (32, 163.2, 32, 262144, Status.WARN, "163.2 GB of memory for 256 GB"),
        (16, None, 16, 65536, Status.PASS, ""),
        (16, 81.6, 17, None, Status.WARN, "16 vCores for 17 logical CPUs"),
    ],
)
def test_tgt_010_compute(v_cores: int, memory: float | None, cpus: int, source_mb: int | None, status: Status,
                         words: str) -> None:
    facts = make(replace(FINISHED, v_cores=v_cores, memory_size_gb=memory),
                 source=replace(SOURCE, cpu_count=cpus, physical_memory_mb=source_mb))
    finding = one("TGT-010", facts)
    assert finding.status is status and words in finding.message
    assert f"managed instance {v_cores} vCores" in finding.observed and f"SQL Server {cpus} logical CPUs" in \
        finding.observed


def test_tgt_010_scale_command_names_an_offered_size() -> None:
    facts = make(replace(FINISHED, v_cores=4, memory_size_gb=20.4), source=replace(SOURCE, cpu_count=30))
    assert one("TGT-010", facts).fix[0].code.endswith("--capacity 32")


def test_tgt_010_without_source_facts_is_error() -> None:
    assert one("TGT-010", make(source=None)).status is Status.ERROR
    assert one("TGT-010", not_asked(replace(make(), sql=None), "sql")).status is Status.SKIP


@pytest.mark.parametrize("v_cores", [16, 4])  # PASS and WARN both show it
def test_tgt_010_shows_the_sources_recent_log_generation_beside_the_instance(v_cores: int) -> None:
    busy = replace(SALES, log_backups_7d=2016, log_backup_mb_7d=43008.0, log_generated_mb_per_day=6144.0,
                   log_backup_interval_minutes=5.0)
    finding = one("TGT-010", make(replace(FINISHED, v_cores=v_cores), databases=(busy,)))
    assert "planned databases' recent log generation 6.0 GB/day (average 0.07 MB/s" in finding.observed
    assert f"managed instance {v_cores} vCores" in finding.observed
    assert any(line.startswith("Sales: 6.0 GB of log per day over the last 7 days (2016 log backups, log backups "
                               "every 5 min)") for line in finding.evidence)


def test_tgt_010_says_why_log_generation_is_unknown() -> None:
    quiet = replace(SALES, log_backups_7d=0, log_backup_mb_7d=0.0)
    unread = replace(SALES, unreadable=("log_backups: log_backups needs SELECT ON msdb.dbo.backupset: denied",))
    assert "no log backup in the last 7 days" in " ".join(one("TGT-010", make(databases=(quiet,))).evidence)
    finding = one("TGT-010", make(databases=(unread,)))
    assert "log generation" not in finding.observed and finding.status is Status.PASS
    assert "backup history not read: log_backups needs SELECT ON msdb.dbo.backupset" in " ".join(finding.evidence)


# --- TGT-011 storage ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "used", "status"),
    [(1024, 200.0, Status.PASS), (512, 200.0, Status.WARN), (576, 192.0, Status.PASS), (576, 193.0, Status.WARN)],
)
def test_tgt_011_storage(size: int, used: float, status: Status) -> None:
    # Sales is 320 GB; +20% growth = 384 GB needed.
    finding = one("TGT-011", make(replace(FINISHED, storage_size_gb=size, storage_used_gb=used)))
    assert finding.status is status, finding.observed
    assert "planned 320.0 GB" in finding.observed and f"managed instance {size} GB" in finding.observed
    if status is Status.WARN:
        assert finding.fix[0].code.endswith("GB") and "--storage" in finding.fix[0].code


def test_tgt_011_unknown_database_is_named_in_evidence() -> None:
    facts = make(links=(replace(LINK, databases=("Sales", "Ghost"), link_mode="MultiDatabase"),))
    finding = one("TGT-011", facts)
    assert any("Ghost" in line for line in finding.evidence)


# --- TGT-012 maintenance --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "status"),
    [
        ("SQL_WestEurope_MI_1", Status.PASS),
        ("SQL_WestEurope_MI_2", Status.PASS),
        ("SQL_Default", Status.WARN),
        ("", Status.WARN),
    ],
)
def test_tgt_012_maintenance_window(config: str, status: Status) -> None:
    config_id = f"/subscriptions/x/providers/Microsoft.Maintenance/publicMaintenanceConfigurations/{config}"
    finding = one("TGT-012", make(replace(FINISHED, maintenance_configuration_id=config_id if config else "")))
    assert finding.status is status
    if status is Status.WARN:
        assert "SQL_westeurope_MI_1" in finding.fix[0].code


# --- TGT-013 hybrid secondary usage ---------------------------------------------------------


@pytest.mark.parametrize(
    ("usage", "failback", "purpose", "status"),
    [
        ("Passive", True, "", Status.PASS),
        ("Active", True, "", Status.WARN),
        ("Active", False, "", Status.PASS),
        ("Active", False, "dr", Status.WARN),
        ("Active", True, "readonly", Status.PASS),
    ],
)
def test_tgt_013_hybrid_secondary_usage(usage: str, failback: bool, purpose: str, status: Status) -> None:
    facts = make(replace(FINISHED, hybrid_secondary_usage=usage), failback=failback)
    finding = one("TGT-013", facts, **({"link_purpose": purpose} if purpose else {}))
    assert finding.status is status and usage in finding.observed
    if status is Status.WARN:
        assert "hybridSecondaryUsage=Passive" in finding.fix[0].code


def test_tgt_011_uses_the_azure_probe_usage_when_the_target_has_none() -> None:
    from linkready.facts.azure import AzureFacts, ManagedInstance

    mi = ManagedInstance(id=MI_ID, name="sqlmi-prod", location="westeurope", state="Ready",
                         provisioning_state="Succeeded", sku_name="GP_Gen5", tier="GeneralPurpose", v_cores=16,
                         storage_size_gb=512, fqdn="", dns_zone="", subnet_id="", collation="",
                         storage_used_gb=200.0)
    facts = replace(make(replace(FINISHED, storage_size_gb=512, storage_used_gb=None)), azure=AzureFacts(mi))
    finding = one("TGT-011", facts)
    assert finding.status is Status.WARN and "200.0 GB used" in finding.observed


def test_tgt_012_never_recommends_a_custom_window_on_next_gen_general_purpose() -> None:
    from linkready.facts.azure import AzureFacts
    from tests.builders.azure_facts import managed_instance

    facts = replace(make(replace(FINISHED, maintenance_configuration_id="")),
                    azure=AzureFacts(managed_instance=managed_instance(is_general_purpose_v2=True)))
    finding = one("TGT-012", facts)
    assert finding.status is Status.SKIP and "NextGenGPNotSupportedForCmwCustomers" in finding.message
    assert not finding.fix
