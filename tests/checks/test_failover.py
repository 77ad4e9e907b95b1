"""Failover checks FO-001..006 on facts: healthy, lagging, disconnected, failback impossible, expiring certs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from linkready.checks import get, load_profile

from linkready.engine import evaluate
from linkready.facts import Collector, Facts, PlanFacts, PlannedLink, ProbeError
from linkready.facts.azure import AzureFacts, ExistingLink, LinkDatabase, ManagedInstance
from linkready.facts.sql import AgReplica, AvailabilityGroup, MirroringEndpoint, SqlCertificate, SqlFacts, SqlInstance
from linkready.model import Status
from tests.builders.checks import findings
from tests.builders.manifest import not_asked

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
MI_ID = "/subscriptions/6d1f0c9e-3b7a-4c1e-9a55-0f2b8e4d7c11/resourceGroups/rg/providers/Microsoft.Sql/managedInstances/mi1"


def link_db(**kw: object) -> LinkDatabase:
    values: dict[str, object] = {
        "name": "Sales", "synchronization_health": "HEALTHY", "connected_state": "CONNECTED",
        "replica_state": "SYNCHRONIZED", "send_lag_seconds": 0.0, "redo_lag_seconds": 0.5,
        "partner_cert_name": "Cert_SQL01_endpoint", "partner_cert_expiry": NOW + timedelta(days=400),
    }
    values.update(kw)
    return LinkDatabase(**values)  # type: ignore[arg-type]


def existing(mode: str = "Sync", *dbs: LinkDatabase) -> ExistingLink:
    return ExistingLink("link-sales", "TCP://10.1.0.4:5022", mode, "Secondary", "Primary", "AG_Sales_MI", "AG_Sales",
                        databases=dbs or (link_db(),))


def cert(name: str, days: int) -> SqlCertificate:
    return SqlCertificate(name, 256, "0xAA", name, name, NOW - timedelta(days=10), NOW + timedelta(days=days), 2048,
                          "MK")


def facts(
    *, links: tuple[ExistingLink, ...] | None = None, version: str = "16.0.4125.3",
    policy: str | None = "SQLServer2022", failback: bool = True, endpoint_cert_days: int = 400,
    replicas: tuple[AgReplica, ...] | None = None, errors: tuple[ProbeError, ...] = (),
) -> Facts:
    mi = ManagedInstance(MI_ID, "mi1", "westeurope", "Ready", "Succeeded", "GP_Gen5", "GeneralPurpose", 8, 1024,
                         "mi1.abc123.database.windows.net", "abc123", "subnet", "SQL_Latin1_General_CP1_CI_AS",
                         database_format=policy)
    instance = SqlInstance("SQL01", "SQL01", None, version, "RTM", "CU13", None, "Enterprise Edition", 3, "Windows",
                           "Windows Server 2022", "10.0", "SQL_Latin1_General_CP1_CI_AS", True)
    endpoint = MirroringEndpoint("Hadr_endpoint", "STARTED", "ALL", 5022, "ALL", "CERTIFICATE", "AES", True,
                                 "Cert_SQL01_endpoint", 256)
    dag = AvailabilityGroup("link-sales", True, False, "NONE", ("Sales",), replicas if replicas is not None else (
        AgReplica("AG_Sales", "TCP://10.1.0.4:5022", "PRIMARY", "ASYNCHRONOUS_COMMIT", "HEALTHY", "CONNECTED"),
        AgReplica("AG_Sales_MI", "tcp://mi1.abc123.database.windows.net:5022", "SECONDARY", "ASYNCHRONOUS_COMMIT",
                  "HEALTHY", "CONNECTED"),
    ))
    return Facts(
        plan=PlanFacts(links=(PlannedLink("link-sales", ("Sales",), "AG_Sales_MI", "AG_Sales",
                                          "TCP://10.1.0.4:5022"),), failback=failback, mi_resource_id=MI_ID),
        collector=Collector(collected_at=NOW),
        sql=SqlFacts(instance=instance, endpoints=(endpoint,), availability_groups=(dag,),
                     certificates=(cert("Cert_SQL01_endpoint", endpoint_cert_days),)),
        azure=AzureFacts(managed_instance=mi, links=links if links is not None else (existing(),)),
        errors=errors,
    )


def statuses(check_id: str, f: Facts, **thresholds: object) -> list[Status]:
    return [finding.status for finding in findings(check_id, f, **thresholds)]


def messages(check_id: str, f: Facts) -> str:
    return " | ".join(finding.message for finding in findings(check_id, f))


HEALTHY = facts()
LAGGING = facts(links=(existing("Sync", link_db(replica_state="SYNCHRONIZING", send_lag_seconds=240.0,
                                                 redo_lag_seconds=30.0)),))
DISCONNECTED = facts(links=(existing("Async", link_db(connected_state="DISCONNECTED",
                                                       synchronization_health="NOT_HEALTHY",
                                                       replica_state="NOT_SYNCHRONIZING",
                                                       most_recent_error="41986")),),
                     replicas=(AgReplica("AG_Sales_MI", "tcp://mi1", "SECONDARY", "ASYNCHRONOUS_COMMIT",
                                         "NOT_HEALTHY", "DISCONNECTED"),))
ALWAYS_UP_TO_DATE = facts(policy="AlwaysUpToDate")


@pytest.mark.parametrize(
    ("check_id", "scenario", "expected"),
    [
        ("FO-001", HEALTHY, [Status.PASS]),
        ("FO-001", DISCONNECTED, [Status.FAIL]),
        ("FO-001", facts(links=(existing("Sync", link_db(synchronization_health="PARTIALLY_HEALTHY")),)),
         [Status.FAIL]),
        ("FO-001", facts(links=()), [Status.FAIL]),  # planned link not on the MI
        ("FO-001", facts(errors=(ProbeError("azure", "azure.links", "permission", "403 on DAGs"),)), [Status.ERROR]),
        ("FO-002", HEALTHY, [Status.PASS]),
        ("FO-002", DISCONNECTED, [Status.WARN]),  # Async: what switching to Sync needs
        ("FO-002", LAGGING, [Status.WARN]),  # Sync but still synchronizing
        ("FO-003", HEALTHY, [Status.PASS]),
        ("FO-003", LAGGING, [Status.FAIL]),
        ("FO-003", facts(links=(existing("Sync", link_db(send_lag_seconds=40.0)),)), [Status.WARN]),
        ("FO-003", facts(links=(existing("Sync", link_db(send_lag_seconds=None, redo_lag_seconds=None)),)),
         [Status.ERROR]),
        ("FO-004", HEALTHY, [Status.PASS]),
        ("FO-004", ALWAYS_UP_TO_DATE, [Status.FAIL]),
        ("FO-004", facts(policy="AlwaysUpToDate", failback=False), [Status.WARN]),
        ("FO-004", facts(version="15.0.4312.2"), [Status.FAIL]),  # SQL 2019: one-way only
        ("FO-004", facts(version="17.0.1000.7", policy="SQLServer2022"), [Status.FAIL]),
        ("FO-004", facts(version="17.0.1000.7", policy="SQLServer2025"), [Status.PASS]),
        ("FO-004", facts(policy=None), [Status.ERROR]),
        ("FO-005", HEALTHY, [Status.PASS]),  # the partner certificate is the endpoint certificate: judged once
        ("FO-005", facts(endpoint_cert_days=20), [Status.FAIL]),
        ("FO-005", facts(endpoint_cert_days=45), [Status.WARN]),
        ("FO-005", facts(links=(existing("Sync", link_db(partner_cert_name="Cert_old",
                                                         partner_cert_expiry=NOW - timedelta(days=1))),)),
         [Status.PASS, Status.FAIL]),
        ("FO-006", HEALTHY, [Status.PASS]),
        ("FO-006", DISCONNECTED, [Status.FAIL]),
    ],
)
def test_failover_checks(check_id: str, scenario: Facts, expected: list[Status]) -> None:
    assert statuses(check_id, scenario) == expected


def test_lag_threshold_comes_from_the_profile() -> None:
    assert statuses("FO-003", LAGGING, failover_max_lag_seconds=600) == [Status.PASS]


def test_failback_window_comes_from_the_profile() -> None:
    assert statuses("FO-005", facts(endpoint_cert_days=45), failback_window_days=60) == [Status.FAIL]


def test_messages_name_the_data_loss() -> None:
    assert "forced failover now would lose up to 240 s" in messages("FO-003", LAGGING)
    assert "cannot fail back to SQL Server 2022" in messages("FO-004", ALWAYS_UP_TO_DATE)
    spec = get("FO-001")
    assert spec is not None and "planned failover" in spec.rationale and "forced failover" in spec.rationale.lower()


def test_async_link_gets_the_switch_commands() -> None:
    finding = findings("FO-002", DISCONNECTED)[0]
    codes = "\n".join(block.code for block in finding.fix)
    assert "AVAILABILITY_MODE = SYNCHRONOUS_COMMIT" in codes
    assert "az sql mi link update --resource-group rg --instance-name mi1 --name link-sales --replication-mode Sync" \
        in codes


def test_only_the_failover_profile_runs_them() -> None:
    failover = {f.check_id for f in evaluate(HEALTHY, load_profile("failover")) if f.check_id.startswith("FO-")}
    assert failover == {f"FO-00{n}" for n in range(1, 9)}
    for name in ("preflight", "audit", "pipeline"):
        assert not [f for f in evaluate(HEALTHY, load_profile(name)) if f.check_id.startswith("FO-")], name


def test_healthy_link_has_no_failover_blocker() -> None:
    findings = [f for f in evaluate(HEALTHY, load_profile("failover")) if f.check_id.startswith("FO-")]
    assert {f.status for f in findings} == {Status.PASS}


def test_sql_facts_missing_error_only_what_needs_them() -> None:
    bare = replace(HEALTHY, sql=None)
    assert statuses("FO-006", bare) == [Status.ERROR] and statuses("FO-001", bare) == [Status.PASS]
    unasked = not_asked(bare, "sql")
    assert statuses("FO-006", unasked) == [Status.SKIP] and statuses("FO-001", unasked) == [Status.PASS]


def roles(instance: str, partner: str) -> Facts:
    return facts(links=(replace(existing(), instance_role=instance, partner_role=partner),))


def sql_roles(local: str, mi: str = "SECONDARY", partner: str = "Primary") -> Facts:
    return replace(roles("Secondary", partner), sql=replace(HEALTHY.sql, availability_groups=(
        AvailabilityGroup("link-sales", True, False, "NONE", ("Sales",), (
            AgReplica("AG_Sales", "TCP://10.1.0.4:5022", local, "SYNCHRONOUS_COMMIT", "HEALTHY", "CONNECTED"),
            AgReplica("AG_Sales_MI", "tcp://mi1.abc123.database.windows.net:5022", mi, "SYNCHRONOUS_COMMIT",
                      "HEALTHY", "CONNECTED"))),)))


@pytest.mark.parametrize(("instance", "partner", "status", "words"), [
    ("Secondary", "Primary", Status.PASS, "started on SQL Server"),
    ("Primary", "Secondary", Status.PASS, "started on the instance"),
    ("Primary", "Primary", Status.FAIL, "split brain"),
    ("Secondary", "Secondary", Status.FAIL, "Neither side"),
    ("", "", Status.ERROR, "does not report both roles"),
    ("Primary", "Resolving", Status.ERROR, "does not report both roles"),  # not a LinkRole ARM returns
])
def test_fo_007_roles(instance: str, partner: str, status: Status, words: str) -> None:
    [finding] = findings("FO-007", roles(instance, partner))
    assert finding.status is status and words in finding.message, finding.message


def test_fo_007_says_where_to_start_and_names_the_service_codes() -> None:
    [sql_primary] = findings("FO-007", roles("Secondary", "Primary"))
    assert any("ALTER AVAILABILITY GROUP [link-sales] FAILOVER;" in e for e in sql_primary.evidence)
    assert any("InvalidDistributedAvailabilityGroupFailoverInstanceRole" in e for e in sql_primary.evidence)
    [mi_primary] = findings("FO-007", roles("Primary", "Secondary"))
    assert any("az sql mi link failover --resource-group rg --instance-name mi1 --name link-sales "
               "--failover-type Planned" in e for e in mi_primary.evidence)
    [split] = findings("FO-007", roles("Primary", "Primary"))
    assert split.fix[0].code == "ALTER AVAILABILITY GROUP [link-sales] SET (ROLE = SECONDARY);"
    assert "DistributedAvailabilityGroupSetRoleInstanceAlreadyInRequestedRole" in split.message
    spec = get("FO-007")
    assert spec is not None and "InvalidDistributedAvailabilityGroupFailoverInstanceRole" in spec.service_errors


@pytest.mark.parametrize(("scenario", "status", "words"), [
    (sql_roles("PRIMARY"), Status.PASS, "agree"),
    (sql_roles("RESOLVING"), Status.FAIL, "RESOLVING"),
    (sql_roles("PRIMARY", mi="RESOLVING"), Status.FAIL, "AG_Sales_MI as RESOLVING"),
    (sql_roles("SECONDARY"), Status.FAIL, "has not reached both sides"),  # SQL Server already demoted itself
    (sql_roles("PRIMARY", mi=""), Status.PASS, "agree"),  # SQL Server need not see the remote member's role
    (sql_roles(""), Status.ERROR, "does not report the roles"),
    (sql_roles("PRIMARY", partner=""), Status.ERROR, "does not report SQL Server's role"),
    (replace(HEALTHY, sql=replace(HEALTHY.sql, availability_groups=())), Status.FAIL, "no distributed availability group"),
])
def test_fo_008_role_change_in_progress(scenario: Facts, status: Status, words: str) -> None:
    [finding] = findings("FO-008", scenario)
    assert finding.status is status and words in finding.message, finding.message


def test_fo_008_unread_replicas_are_an_error_naming_why() -> None:
    f = replace(sql_roles(""), errors=(ProbeError("sql", "sql.availability_groups.replicas", "permission",
                                                  "VIEW SERVER STATE denied"),))
    [finding] = findings("FO-008", f)
    assert finding.status is Status.ERROR and "VIEW SERVER STATE denied" in finding.message
