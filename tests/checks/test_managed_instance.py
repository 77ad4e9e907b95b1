"""MI-001..009 over hand-built facts: PASS and FAIL (and the other statuses) per check."""

from __future__ import annotations

from dataclasses import replace

import pytest

from linkready.facts import Facts, ProbeError
from linkready.facts.azure import FailoverGroup, ManagedDatabase, ManagementOperation, Permission
from linkready.model import Status
from tests.builders.azure_facts import MI_ID, NOW, azure, facts, link, managed_instance, plan, sql
from tests.builders.checks import findings as run
from tests.builders.checks import one


@pytest.mark.parametrize(
    ("mi", "ops", "status", "words"),
    [
        ({}, (), Status.PASS, "Ready"),
        ({"state": "Stopped"}, (), Status.FAIL, "Stopped, not Ready"),
        ({"state": "Starting"}, (), Status.FAIL, "Starting"),
        ({"provisioning_state": "Updating"}, (ManagementOperation("op", "UPDATE MANAGED SERVER", "InProgress", NOW),),
         Status.FAIL, "in progress"),
        ({}, (ManagementOperation("op", "Failover", "Pending"),), Status.FAIL, "Failover (Pending)"),
        ({}, (ManagementOperation("op", "old", "Failed"),), Status.PASS, "Ready"),
    ],
)
def test_mi_001_state(mi: dict[str, str], ops: tuple[ManagementOperation, ...], status: Status, words: str) -> None:
    finding = one("MI-001", facts(azure_facts=azure(managed_instance=managed_instance(**mi), operations=ops)))
    assert finding.status is status and words in finding.message


def test_mi_001_stopped_suggests_start() -> None:
    finding = one("MI-001", facts(azure_facts=azure(managed_instance=managed_instance(state="Stopped"))))
    assert "az sql mi start --resource-group rg-data-weu --mi sqlmi-contoso-weu" in finding.fix[0].code


def test_mi_001_unreadable_or_absent_operations_are_error_not_pass() -> None:
    f = facts(azure_facts=azure(operations=None), errors=(ProbeError("azure", "azure.operations", "error", "500"),))
    assert one("MI-001", f).status is Status.ERROR and "500" in one("MI-001", f).message
    f = facts(azure_facts=azure(operations=None))
    assert one("MI-001", f).status is Status.ERROR and "azure.operations was not collected" in one("MI-001", f).message
    assert one("MI-001", facts(azure_facts=azure(operations=()))).status is Status.PASS


def test_mi_001_missing_instance_is_error() -> None:
    f = facts(azure_facts=azure(managed_instance=None),
              errors=(ProbeError("azure", "azure.managed_instance", "not_found", "404 mi"),))
    assert one("MI-001", f).status is Status.ERROR


def inmemory_sql() -> object:
    base = sql()
    dbs = tuple(replace(d, inmemory_filegroups=1, inmemory_files=1) if d.name == "Sales" else d
                for d in base.databases or ())
    return replace(base, databases=dbs)


@pytest.mark.parametrize(
    ("mi", "inmem", "status", "words"),
    [
        ({}, False, Status.PASS, "supports the link"),
        ({"tier": "BusinessCritical", "sku_name": "BC_Gen5"}, True, Status.PASS, "In-Memory"),
        ({}, True, Status.FAIL, "Sales use it"),
        ({"is_general_purpose_v2": True}, False, Status.PASS, "Next-gen"),
        ({"tier": "Hyperscale"}, False, Status.FAIL, "cannot host a link"),
    ],
)
def test_mi_002_tier(mi: dict[str, object], inmem: bool, status: Status, words: str) -> None:
    f = facts(azure_facts=azure(managed_instance=managed_instance(**mi)),
              sql_facts=inmemory_sql() if inmem else sql())  # type: ignore[arg-type]
    finding = one("MI-002", f)
    assert finding.status is status and words in finding.message


@pytest.mark.parametrize(
    ("version", "policy", "failback", "status", "words"),
    [
        ("16.0.4125.3", "SQLServer2022", False, Status.PASS, "supports"),
        ("16.0.4125.3", "SQLServer2022", True, Status.PASS, "failback"),
        ("16.0.4125.3", "AlwaysUpToDate", False, Status.PASS, "one-way"),
        ("16.0.4125.3", "AlwaysUpToDate", True, Status.FAIL, "cannot be changed back"),
        ("16.0.4125.3", "SQLServer2025", True, Status.FAIL, "needs the SQL Server 2022 update policy"),
        ("17.0.1000.7", "SQLServer2022", False, Status.FAIL, "SQL Server 2025 cannot link"),
        ("17.0.1000.7", "SQLServer2025", True, Status.PASS, "supports"),
        ("17.0.1000.7", "AlwaysUpToDate", False, Status.PASS, "supports"),
        ("15.0.4312.2", "SQLServer2022", True, Status.FAIL, "one-way"),
        ("15.0.4312.2", "AlwaysUpToDate", False, Status.PASS, "supports"),
        ("16.0.4125.3", None, False, Status.WARN, "not reported"),
    ],
)
def test_mi_003_update_policy(version: str, policy: str | None, failback: bool, status: Status, words: str) -> None:
    f = facts(azure_facts=azure(managed_instance=managed_instance(database_format=policy)),
              sql_facts=sql(version), plan_facts=plan(failback=failback))
    finding = one("MI-003", f)
    assert finding.status is status and words in finding.message, finding.message


def test_mi_003_mi_as_initial_primary_counts_as_two_way() -> None:
    f = facts(azure_facts=azure(managed_instance=managed_instance(database_format="AlwaysUpToDate")),
              plan_facts=plan(initial_primary="ManagedInstance"))
    assert one("MI-003", f).status is Status.FAIL


def test_mi_003_unknown_sql_version_warns() -> None:
    f = Facts(plan=plan(), azure=azure())
    assert one("MI-003", f).status is Status.WARN


@pytest.mark.parametrize(
    ("size", "used", "status", "words"),
    [
        (1024, 384.0, Status.PASS, "fit with"),
        (512, 500.0, Status.FAIL, "do not fit"),
        (1024, 780.0, Status.WARN, "less than 10%"),
        (1024, None, Status.WARN, "could not be read"),
    ],
)
def test_mi_004_storage(size: int, used: float | None, status: Status, words: str) -> None:
    f = facts(azure_facts=azure(managed_instance=managed_instance(storage_size_gb=size, storage_used_gb=used)))
    finding = one("MI-004", f)
    assert finding.status is status and words in finding.message
    if status is Status.FAIL:
        assert "--storage" in finding.fix[0].code


def test_mi_004_headroom_is_a_profile_threshold() -> None:
    f = facts(azure_facts=azure(managed_instance=managed_instance(storage_used_gb=780.0)))
    assert one("MI-004", f, mi_storage_headroom_percent=0).status is Status.PASS


def test_mi_005_counts() -> None:
    full = tuple(ManagedDatabase(f"Db{i:03d}", "Online", "SQL_Latin1_General_CP1_CI_AS") for i in range(100))
    assert one("MI-005", facts(azure_facts=azure(databases=full))).status is Status.FAIL
    assert one("MI-005", facts(azure_facts=azure(databases=full[:98]))).status is Status.PASS
    links = tuple(link(f"l{i}", f"Db{i:03d}") for i in range(99))
    assert one("MI-005", facts(azure_facts=azure(links=links))).status is Status.FAIL
    nextgen = azure(databases=full, managed_instance=managed_instance(is_general_purpose_v2=True))
    assert one("MI-005", facts(azure_facts=nextgen)).status is Status.PASS


def test_mi_005_a_planned_database_already_there_is_not_counted_twice() -> None:
    # 98 others + Sales already there + Orders new = 100: fits exactly (Sales is not counted twice).
    dbs = (*tuple(ManagedDatabase(f"Db{i:03d}", "Online", "SQL_Latin1_General_CP1_CI_AS") for i in range(98)), ManagedDatabase("Sales", "Online", "SQL_Latin1_General_CP1_CI_AS"))
    assert one("MI-005", facts(azure_facts=azure(databases=dbs))).status is Status.PASS
    dbs = (ManagedDatabase("Db999", "Online", "SQL_Latin1_General_CP1_CI_AS"), *dbs)
    assert one("MI-005", facts(azure_facts=azure(databases=dbs))).status is Status.FAIL


def test_mi_006_failover_group() -> None:
    assert one("MI-006", facts()).status is Status.PASS
    groups = (FailoverGroup("fg-contoso", (MI_ID, "/subscriptions/x/.../managedInstances/sqlmi-contoso-neu")),)
    finding = one("MI-006", facts(azure_facts=azure(failover_groups=groups)))
    assert finding.status is Status.FAIL and "fg-contoso" in finding.message
    assert "az sql instance-failover-group delete" in finding.fix[0].code


def test_mi_006_unreadable_groups_are_error() -> None:
    f = facts(azure_facts=azure(failover_groups=None),
              errors=(ProbeError("azure", "azure.failover_groups", "permission", "403"),))
    assert one("MI-006", f).status is Status.ERROR


def test_mi_007_conflicts() -> None:
    findings = run("MI-007", facts(azure_facts=azure(links=(link("link-sales", "Legacy"), link("old", "Orders")))))
    by = {x.target: x for x in findings}
    assert by["link-sales"].status is Status.FAIL and "already exists" in by["link-sales"].message
    assert by["link-orders"].status is Status.FAIL and "Orders is already linked by old" in by["link-orders"].message


def test_mi_007_instance_ag_name_in_use() -> None:
    """CloudLifterChimeraMIAgNameIsAlreadyUsed: another link already has the planned instance AG name (any case)."""
    taken = replace(link("link-reporting", "Reporting"), instance_ag_name="MI-AG-Sales")
    by = {x.target: x for x in run("MI-007", facts(azure_facts=azure(links=(taken,))))}
    assert by["link-sales"].status is Status.FAIL
    assert "instance AG name MI-AG-Sales is already used by link link-reporting" in by["link-sales"].message
    assert by["link-sales"].fix[0].code.endswith("--name link-reporting")
    assert by["link-orders"].status is Status.PASS and "mi-ag-orders" in by["link-orders"].evidence[0]


def test_mi_007_instance_ag_name_planned_twice() -> None:
    twice = plan()
    twice = replace(twice, links=(twice.links[0], replace(twice.links[1], instance_ag_name="mi-ag-SALES")))
    by = {x.target: x for x in run("MI-007", facts(azure_facts=azure(links=()), plan_facts=twice))}
    assert by["link-sales"].status is Status.FAIL and "also planned for link link-orders" in by["link-sales"].message
    assert by["link-orders"].status is Status.FAIL and "also planned for link link-sales" in by["link-orders"].message
    assert not by["link-sales"].fix  # nothing to delete: the plan is what changes


def test_mi_008_stale_link() -> None:
    assert one("MI-008", facts()).status is Status.PASS
    stale = link(connected_state="DISCONNECTED", synchronization_health="NOT_HEALTHY", most_recent_error="41986")
    finding = one("MI-008", facts(azure_facts=azure(links=(stale,))))
    assert finding.status is Status.FAIL and "disconnected" in finding.message
    assert "az sql mi link delete" in finding.fix[0].code
    other = link(endpoint="TCP://10.99.0.4:5022", connected_state="DISCONNECTED")
    assert one("MI-008", facts(azure_facts=azure(links=(other,)))).status is Status.WARN
    assert one("MI-008", facts(azure_facts=azure(links=()))).status is Status.SKIP


def test_mi_008_legacy_link_state() -> None:
    legacy = replace(link(), databases=(), link_state="Disconnected")
    assert one("MI-008", facts(azure_facts=azure(links=(legacy,)))).status is Status.FAIL


@pytest.mark.parametrize(
    ("permissions", "status", "missing"),
    [
        ((Permission(("*",)),), Status.PASS, ""),
        ((Permission(("Microsoft.Sql/*",)),), Status.PASS, ""),
        ((Permission(("*/read",)),), Status.FAIL, "Microsoft.Sql/managedInstances/write"),
        ((Permission(("Microsoft.Sql/managedInstances/*",),
                     ("Microsoft.Sql/managedInstances/distributedAvailabilityGroups/setRole/action",)),),
         Status.FAIL, "setRole/action"),
        ((Permission(("Microsoft.Sql/managedInstances/*",), ("Microsoft.Sql/managedInstances/serverTrustCertificates/write",)),
          Permission(("Microsoft.Sql/managedInstances/serverTrustCertificates/*",))), Status.PASS, ""),
        ((), Status.FAIL, "Microsoft.Sql/managedInstances/write"),  # no role at all
    ],
)
def test_mi_009_rbac(permissions: tuple[Permission, ...], status: Status, missing: str) -> None:
    finding = one("MI-009", facts(azure_facts=azure(permissions=permissions)))
    assert finding.status is status
    if missing:
        assert missing in finding.message and "SQL Managed Instance Contributor" in finding.fix[0].code


def test_mi_009_unreadable_permissions_are_error() -> None:
    f = facts(azure_facts=azure(permissions=None),
              errors=(ProbeError("azure", "azure.permissions", "permission", "403 lacks Microsoft.Authorization/permissions/read"),))
    assert one("MI-009", f).status is Status.ERROR
