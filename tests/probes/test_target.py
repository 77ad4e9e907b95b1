"""The target probe against the real azure-mgmt-sql client over HTTPS to the ARM stand-in.

Each scenario in tests/standins/arm_target/ is read by the probe; the audit's TGT checks then judge
the facts together with SQL facts read by the real SQL probe (pyodbc + FreeTDS) from the TDS
stand-in, and every ``expect`` entry of the scenario must hold.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from typing import Any

import pytest
from linkready.checks import all_checks, load_profile

from linkready.config import Config, parse_config
from linkready.domain.resource_ids import name_of
from linkready.engine import run_check
from linkready.facts import Facts, PlanFacts, PlannedLink, ProbeError, SqlFacts
from linkready.model import Finding, Settings, Status
from linkready.probes import ProbeContext, Secrets
from tests.conftest import require_component

HAS_STAND_IN = importlib.util.find_spec("tests.standins.arm") is not None


@pytest.fixture(autouse=True)
def _stand_in_present() -> None:
    require_component("ARM stand-in (tests/standins/arm, from the Azure room)", HAS_STAND_IN)


def config_for(server: Any, **azure: Any) -> Config:
    return parse_config({
        "managed_instance": {"resource_id": server.variables["MI_ID"]},
        "azure": {"arm_endpoint": server.url, "verify_tls": server.ca_bundle, "retries": 1, "timeout": 10, **azure},
    })


def read_target(scenario: str) -> tuple[Any, Any]:
    """(ProbeOutcome, the stand-in after the run) for one target scenario."""
    from linkready.probes.target import collect_target
    from tests.standins.arm import StaticTokenCredential
    from tests.standins.arm_target import target_stand_in

    with target_stand_in(scenario) as server:
        outcome = collect_target(config_for(server), StaticTokenCredential())
    return outcome, server


# --- SQL facts from the TDS stand-in ----------------------------------------------------------


def sql_facts(cpu_count: int, memory_mb: int) -> SqlFacts:
    """SqlFacts read by the real SQL probe from the TDS stand-in, with the host's CPUs and memory set."""
    from linkready.config import SourceConfig
    from linkready.probes.sql import collect_sql
    from tests.standins.tds.conftest import LOGIN, PASSWORD, require_freetds
    from tests.standins.tds.protocol import Column, ResultSet, TdsServer
    from tests.standins.tds.scenarios import Database, Server, responder

    require_freetds()
    base = responder(Server(databases=(Database("HR", 5, data_mb=40960, log_mb=8192),)))

    def answer(sql: str) -> Any:
        # sys.dm_os_sys_info is the one statement whose answer this room needs to vary.
        if "/* linkready:sys_info */" in sql:
            return ResultSet((Column("cpu_count", "int"), Column("physical_memory_mb", "bigint")),
                             ((cpu_count, memory_mb),))
        return base(sql)

    with TdsServer(answer, login=LOGIN, password=PASSWORD) as tds:
        source = SourceConfig(server=f"127.0.0.1,{tds.port}", username=LOGIN, driver="FreeTDS", encrypt=False,
                              query_timeout=2, login_timeout=5)
        facts, errors = collect_sql(source, PASSWORD, ["HR"])
    assert facts is not None and facts.instance is not None, errors
    assert (facts.instance.cpu_count, facts.instance.physical_memory_mb) == (cpu_count, memory_mb)
    return facts


@pytest.fixture(scope="module")
def source_8_cores() -> Iterator[SqlFacts]:
    yield sql_facts(8, 65536)


def judge(outcome: Any, sql: SqlFacts, mi_id: str, failback: bool = False) -> list[Finding]:
    plan = PlanFacts(links=(PlannedLink("link-hr", ("HR",), "mi-ag-hr", "ag-hr", "TCP://10.10.2.4:5022"),),
                     mi_resource_id=mi_id, failback=failback)
    facts = Facts(plan=plan, sql=sql, target=outcome.facts, errors=outcome.errors)
    settings = Settings(load_profile("audit").thresholds)
    findings = []
    for spec in all_checks():
        if spec.id.startswith("TGT-"):
            findings.extend(run_check(spec, facts, settings))
    return findings


def assert_expectations(findings: list[Finding], expect: dict[str, str]) -> None:
    for key, status in expect.items():
        check_id, _, target = key.partition(":")
        matching = [f for f in findings if f.check_id == check_id and (not target or f.target == target)]
        assert matching, f"{key}: no finding"
        for finding in matching:
            assert finding.status == Status(status), f"{key}: {finding.status} {finding.message}"


def scenarios() -> list[str]:
    if not HAS_STAND_IN:
        return ["finished"]
    from tests.standins.arm_target import scenario_names

    return [name for name in scenario_names() if name != "three-links"]


@pytest.mark.parametrize("scenario", scenarios())
def test_scenario_gives_the_expected_findings(scenario: str, source_8_cores: SqlFacts) -> None:
    from tests.standins.arm_target import read_scenario, variables

    spec = read_scenario(scenario, {"SUB": "s", "MI_ID": "m", "TENANT": "t", **variables()})
    sql = source_8_cores
    if "source" in spec:
        sql = sql_facts(spec["source"]["cpu_count"], spec["source"]["physical_memory_mb"])
    outcome, server = read_target(scenario)
    findings = judge(outcome, sql, server.variables["MI_ID"], failback=spec.get("plan", {}).get("failback", False))
    assert_expectations(findings, spec["expect"])


def test_finished_target_reads_every_fact_with_gets_only() -> None:
    outcome, server = read_target("finished")
    facts = outcome.facts
    assert outcome.errors == ()
    assert server.methods() == {"GET"} and all(r.authorized for r in server.requests)
    assert facts.instance_name == server.variables["MI"] and facts.location == "westeurope"
    assert (facts.v_cores, facts.memory_size_gb, facts.storage_size_gb) == (16, 81, 1024)
    assert facts.minimal_tls_version == "1.2" and facts.backup_storage_redundancy == "Geo"
    assert [a.login for a in facts.entra_admins] == ["grp-sql-admins"] and facts.entra_only_authentication is False
    assert (facts.defender_state, facts.atp_state) == ("Enabled", "Enabled")
    assert facts.databases == ("HR", "Inventory", "Reporting", "Staging")
    assert {r.database: r.retention_days for r in facts.backup_retention} == {
        "HR": 14, "Inventory": 14, "Reporting": 7, "Staging": 7}
    assert {p.database: p.describe() for p in facts.ltr_policies}["HR"] == "weekly P4W, monthly P12M, yearly P7Y"
    [setting] = facts.diagnostic_settings
    assert setting.logs == ("SQLSecurityAuditEvents", "ResourceUsageStats") and setting.metrics == ("AllMetrics",)
    assert setting.destinations == ("Log Analytics",)
    assert name_of(facts.maintenance_configuration_id or "") == "SQL_WestEurope_MI_1"
    assert facts.hybrid_secondary_usage == "Active"
    insights = [r for r in server.requests if "/providers/Microsoft.Insights/diagnosticSettings" in r.path]
    assert [r.api_version for r in insights] == ["2021-05-01-preview"]
    # The alert policy carries a storage key; nothing of it reaches the facts (or a snapshot).
    from linkready.serde import to_data

    assert "CANARY" not in json.dumps(to_data(facts))


def test_each_missing_permission_names_its_action_and_the_fact_it_blocks() -> None:
    outcome, server = read_target("permissions-missing")
    by_fact = {e.fact: e for e in outcome.errors}
    assert len(outcome.errors) == len(by_fact)  # one error per blocked fact, not one per database
    expected = {
        "target.entra_admins": "Microsoft.Sql/managedInstances/administrators/read",
        "target.defender_state": "Microsoft.Sql/managedInstances/securityAlertPolicies/read",
        "target.atp_state": "Microsoft.Sql/managedInstances/advancedThreatProtectionSettings/read",
        "target.diagnostic_settings": "Microsoft.Insights/diagnosticSettings/read",
        "target.ltr_policies": "Microsoft.Sql/managedInstances/databases/backupLongTermRetentionPolicies/read",
    }
    assert set(by_fact) == set(expected)
    for fact, action in expected.items():
        error = by_fact[fact]
        assert error.kind == "permission" and action in error.reason and fact in error.reason
        assert error.resource == server.variables["MI_ID"]
    # Every other read still answered.
    assert outcome.facts.minimal_tls_version == "1.2" and outcome.facts.backup_retention is not None
    assert outcome.facts.entra_admins is None and outcome.facts.ltr_policies is None


def test_instance_not_found_is_one_error_on_the_whole_target() -> None:
    from linkready.probes.target import collect_target
    from tests.standins.arm import StaticTokenCredential
    from tests.standins.arm_target import target_stand_in

    with target_stand_in("finished") as server:
        server.add_fault(path=r"/managedInstances/[^/]+$", status=404)
        outcome = collect_target(config_for(server), StaticTokenCredential())
    assert outcome.facts is None
    [error] = outcome.errors
    assert (error.fact, error.kind) == ("target", "not_found") and "404" in error.reason
    assert len(server.requests) == 1  # nothing else was attempted against a missing instance


def test_throttling_is_retried_by_the_sdk_policy() -> None:
    from linkready.probes.target import collect_target
    from tests.standins.arm import StaticTokenCredential
    from tests.standins.arm_target import target_stand_in

    with target_stand_in("finished") as server:
        server.add_fault(path=r"/securityAlertPolicies/Default$", status=429, retry_after=0, times=1)
        outcome = collect_target(config_for(server), StaticTokenCredential())
    assert outcome.errors == () and outcome.facts.defender_state == "Enabled"
    assert server.paths().count(f"{server.variables['MI_ID']}/securityAlertPolicies/Default") == 2


def test_engine_entry_point_reports_a_credential_failure_as_an_error_value(monkeypatch: pytest.MonkeyPatch) -> None:
    from linkready.probes.target import probe
    from tests.standins.arm_target import target_stand_in

    for name in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
                 "AZURE_USERNAME", "AZURE_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    with target_stand_in("finished") as server:
        config = config_for(server, credential="environment")
        outcome = probe(ProbeContext(config, Secrets(), ["target"]))
    assert outcome.facts is None
    [error] = outcome.errors
    assert isinstance(error, ProbeError) and error.fact == "target" and error.kind == "auth"
    assert server.requests == []  # no token, no request


def test_small_managed_instance_for_a_32_core_source_shows_numbers_side_by_side() -> None:
    outcome, server = read_target("small-mi")
    [finding] = [f for f in judge(outcome, sql_facts(32, 262144), server.variables["MI_ID"])
                 if f.check_id == "TGT-010"]
    assert finding.status is Status.WARN
    assert "4 vCores for 32 logical CPUs" in finding.message and "20 GB of memory for 256 GB" in finding.message
    # The source's recent log generation (read by the SQL probe from msdb.dbo.backupset) sits beside the numbers.
    assert finding.observed == ("managed instance 4 vCores / 20 GB; SQL Server 32 logical CPUs / 256 GB; planned "
                                "databases' recent log generation 2.0 GB/day (average 0.02 MB/s, from SQL Server's "
                                "log backups)")
    assert "HR: 2.0 GB of log per day over the last 7 days (336 log backups, log backups every 30 min)" in \
        finding.evidence
    assert finding.fix[0].code.endswith("--capacity 32")


def test_engine_runs_the_target_probe_beside_the_azure_probe() -> None:
    """engine.collect with both probes (each with the stand-in's credential) fills Facts.target and
    Facts.azure concurrently; the audit then judges them together."""
    from linkready.engine import collect, evaluate
    from linkready.probes import ProbeSpec
    from tests.standins.arm_target import target_stand_in

    shims = [ProbeSpec("azure", "azure", "tests.standins.arm.probe_shim:probe"),
             ProbeSpec("target", "target", "tests.standins.arm_target.probe_shim:probe")]
    with target_stand_in("tls-1.0") as server:
        config = parse_config({
            "managed_instance": {"resource_id": server.variables["MI_ID"]},
            "azure": {"arm_endpoint": server.url, "verify_tls": server.ca_bundle, "retries": 1, "timeout": 10},
            "link": {"name": "link-hr", "databases": ["HR"], "instance_ag_name": "mi-ag-hr",
                     "partner_ag_name": "ag-hr", "partner_endpoint": "TCP://10.10.2.4:5022"},
        })
        snapshot = collect(config, Secrets(), probes=shims)
    assert server.methods() == {"GET"}
    facts = snapshot.facts
    assert facts.target is not None and facts.azure is not None and facts.azure.managed_instance is not None
    assert not [e for e in facts.errors if e.probe == "target"]
    findings = {f.check_id: f for f in evaluate(facts, load_profile("audit")) if f.check_id.startswith("TGT-")}
    assert findings["TGT-004"].status is Status.FAIL and findings["TGT-004"].observed == "1.0"
    assert findings["TGT-010"].status is Status.SKIP  # no [source]: the SQL Server side was not collected
    # Both probes read the instance itself; the target probe adds its own resources.
    assert any(p.endswith("/providers/Microsoft.Insights/diagnosticSettings") for p in server.paths())
