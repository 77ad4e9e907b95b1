"""The Azure probe against the local ARM stand-in, through the real azure-mgmt-sql/-network clients."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.credentials import AccessToken

from linkready.config import Config, parse_config
from linkready.facts import ProbeError
from linkready.facts.azure import AzureFacts
from linkready.probes import ProbeContext, ProbeOutcome, Secrets
from linkready.probes.azure import collect_azure, make_credential, probe
from linkready.serde import to_data
from tests.conftest import ROOT
from tests.standins.arm import TOKEN, ArmStandIn, StaticTokenCredential, scenario_names


@pytest.fixture(scope="module")
def server() -> Iterator[ArmStandIn]:
    with ArmStandIn() as srv:
        yield srv


def config_for(server: ArmStandIn, **azure: Any) -> Config:
    v = server.variables
    return parse_config({
        "managed_instance": {"resource_id": v["MI_ID"]},
        "azure": {"arm_endpoint": server.url, "verify_tls": server.ca_bundle, "retries": 1, "timeout": 2, **azure},
        "source": {"server": "10.10.2.4", "address": "10.10.2.4", "network_prefixes": ["10.10.2.0/24"]},
    })


def run(server: ArmStandIn, scenario: str, credential: Any = None, **azure: Any) -> ProbeOutcome:
    server.load(scenario)
    return collect_azure(config_for(server, **azure), credential or StaticTokenCredential())


def facts_of(outcome: ProbeOutcome) -> AzureFacts:
    assert isinstance(outcome.facts, AzureFacts)
    return outcome.facts


def test_healthy_reads_everything(server: ArmStandIn) -> None:
    outcome = run(server, "healthy")
    assert outcome.errors == ()
    f = facts_of(outcome)
    mi = f.managed_instance
    assert mi is not None
    assert (mi.state, mi.tier, mi.v_cores, mi.storage_size_gb, mi.database_format) == (
        "Ready", "GeneralPurpose", 8, 1024, "SQLServer2022")
    assert mi.fqdn == server.variables["MI_FQDN"] and mi.storage_used_gb == 384.0
    assert [d.name for d in f.databases or ()] == ["HR", "Inventory", "Reporting", "Staging"]  # two pages
    [link] = f.links or ()
    assert (link.name, link.partner_endpoint, link.instance_role) == ("link-inventory", "TCP://10.10.2.4:5022", "Secondary")
    assert link.databases[0].synchronization_health == "HEALTHY" and link.databases[0].partner_cert_expiry is not None
    [trust] = f.server_trust_certificates or ()
    assert trust.thumbprint == server.variables["SQL_CERT_THUMBPRINT"]
    assert f.endpoint_certificate_hex == server.variables["MI_CERT_HEX"]
    assert [o.state for o in f.operations or ()] == ["Succeeded"]
    assert [g.name for g in f.failover_groups or ()] == ["fg-finance"]
    assert f.subnet is not None and f.subnet.address_prefixes == ("10.20.1.0/24",)
    assert f.subnet.delegations == ("Microsoft.Sql/managedInstances",)
    assert f.nsg is not None and sum(r.is_default for r in f.nsg.rules) == 6 and len(f.nsg.rules) == 14
    assert f.route_table is not None and len(f.route_table.routes) == 3
    assert f.vnet is not None and f.vnet.peerings[0].remote_address_prefixes == ("10.10.0.0/16",)
    assert f.permissions is not None and "Microsoft.Sql/managedInstances/*" in f.permissions[1].actions
    assert f.source_vm_nic_id is not None and f.source_vm_nic_id.endswith("nic-sqlsrv01")
    assert [n.name for n in f.source_vm_nsgs or ()] == ["nsg-sqlvm"]
    assert f.source_vnet is not None and f.source_vnet.address_prefixes == ("10.10.0.0/16",)
    assert f.sql_api_version == "2025-01-01" and f.dns_suffix == "database.windows.net"


def test_probe_sends_only_authorised_gets(server: ArmStandIn) -> None:
    run(server, "healthy")
    assert server.methods() == {"GET"}
    assert all(r.authorized for r in server.requests)
    sql = {r.api_version for r in server.requests if "/Microsoft.Sql/" in r.path and "/providers/Microsoft.Insights" not in r.path
           and "/Microsoft.Authorization/" not in r.path}
    assert sql == {"2025-01-01"}
    assert len(server.requests) >= 18


@pytest.mark.parametrize("scenario", [s for s in scenario_names() if s != "slow-links"])
def test_every_scenario_is_read_with_gets_only(server: ArmStandIn, scenario: str) -> None:
    outcome = run(server, scenario, retries=0)
    assert server.methods() == {"GET"}
    assert outcome.facts is not None
    assert TOKEN not in json.dumps(to_data(outcome.facts)) + repr(outcome.errors)


def only(errors: tuple[ProbeError, ...]) -> ProbeError:
    assert len(errors) == 1, errors
    return errors[0]


def test_403_on_the_nsg_names_the_action_and_other_reads_go_on(server: ArmStandIn) -> None:
    outcome = run(server, "nsg-read-forbidden")
    err = only(outcome.errors)
    assert (err.fact, err.kind) == ("azure.nsg", "permission")
    assert "Microsoft.Network/networkSecurityGroups/read" in err.reason and err.resource.endswith("nsg-sqlmi")
    f = facts_of(outcome)
    assert f.nsg is None and f.route_table is not None and f.vnet is not None and f.managed_instance is not None


def test_429_once_is_retried_by_the_sdk(server: ArmStandIn) -> None:
    outcome = run(server, "throttled-once")
    assert outcome.errors == ()
    assert len(facts_of(outcome).databases or ()) == 4
    first_pages = [r for r in server.requests if r.path.endswith("/databases") and "skiptoken" not in r.query]
    assert len(first_pages) == 2  # throttled, then retried


def test_429_every_time_becomes_a_throttled_error(server: ArmStandIn) -> None:
    err = only(run(server, "throttled").errors)
    assert (err.fact, err.kind) == ("azure.links", "throttled") and "after 1 retry" in err.reason
    assert sum(p.endswith("/distributedAvailabilityGroups") for p in server.paths()) == 2


def test_5xx_after_retries_names_the_resource(server: ArmStandIn) -> None:
    err = only(run(server, "server-error").errors)
    assert (err.fact, err.kind) == ("azure.operations", "error")
    assert "500 GatewayInternalServerError" in err.reason and err.resource.endswith("/operations")


def test_slow_endpoint_times_out_alone(server: ArmStandIn) -> None:
    outcome = run(server, "slow-links", retries=0, timeout=1)
    err = only(outcome.errors)
    assert (err.fact, err.kind) == ("azure.links", "timeout")
    assert facts_of(outcome).databases is not None


def test_missing_instance_is_404_and_dependent_reads_say_why(server: ArmStandIn) -> None:
    outcome = run(server, "mi-not-found")
    by_fact = {e.fact: e for e in outcome.errors}
    assert by_fact["azure.managed_instance"].kind == "not_found"
    assert server.variables["MI_ID"] in by_fact["azure.managed_instance"].reason
    assert "needs the managed instance" in by_fact["azure.nsg"].reason and by_fact["azure.nsg"].kind == "not_found"
    assert facts_of(outcome).managed_instance is None


def test_rejected_token_is_an_auth_error(server: ArmStandIn) -> None:
    outcome = run(server, "healthy", credential=StaticTokenCredential("expired-token"))
    assert outcome.errors and {e.kind for e in outcome.errors} == {"auth"}
    assert "expired-token" not in repr(outcome.errors)


class BrokenCredential:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        raise RuntimeError("no managed identity endpoint")


def test_no_token_is_one_error_and_no_request(server: ArmStandIn) -> None:
    outcome = run(server, "healthy", credential=BrokenCredential())
    err = only(outcome.errors)
    assert (err.fact, err.kind) == ("azure", "auth") and "no managed identity endpoint" in err.reason
    assert outcome.facts is None and server.requests == []


def test_older_api_version_without_databaseformat(server: ArmStandIn) -> None:
    outcome = run(server, "api-2023-08-01", sql_api_version="2023-08-01")
    assert outcome.errors == ()
    f = facts_of(outcome)
    assert f.managed_instance is not None and f.managed_instance.database_format is None
    assert f.sql_api_version == "2023-08-01"
    [link] = f.links or ()
    assert link.partner_endpoint == "TCP://10.10.2.4:5022" and link.databases[0].name == "Inventory"
    assert link.link_state == "Catchup"


def test_newer_api_version_refused_by_the_cloud_is_a_config_error(server: ArmStandIn) -> None:
    outcome = run(server, "api-2023-08-01")
    err = next(e for e in outcome.errors if e.fact == "azure.managed_instance")
    assert err.kind == "config" and "azure.sql_api_version" in err.reason


def test_source_vm_found_by_configured_nic(server: ArmStandIn) -> None:
    nic = server.variables["APP_NET"] + "/networkInterfaces/nic-sqlsrv01"
    f = facts_of(run(server, "healthy", source_nic_id=nic))
    assert f.source_vm_nic_id == nic and [n.name for n in f.source_vm_nsgs or ()] == ["nsg-sqlvm"]
    # Configured: no subscription-wide NIC search.
    assert not any(p.split("/")[3] == "providers" and p.endswith("/networkInterfaces") for p in server.paths())


def test_source_outside_azure_is_not_an_error(server: ArmStandIn) -> None:
    server.load("healthy")
    v = server.variables
    config = parse_config({
        "managed_instance": {"resource_id": v["MI_ID"]},
        "azure": {"arm_endpoint": server.url, "verify_tls": server.ca_bundle, "retries": 0},
        "source": {"server": "sql01", "address": "192.168.50.10"},
    })
    outcome = collect_azure(config, StaticTokenCredential())
    assert outcome.errors == ()
    assert facts_of(outcome).source_vm_nic_id is None and facts_of(outcome).source_vm_nsgs is None


def test_tls_verification_is_on_by_default(server: ArmStandIn) -> None:
    server.load("healthy")
    v = server.variables
    config = parse_config({"managed_instance": {"resource_id": v["MI_ID"]},
                           "azure": {"arm_endpoint": server.url, "retries": 0, "timeout": 2}})
    outcome = collect_azure(config, StaticTokenCredential())
    assert outcome.errors and {e.kind for e in outcome.errors} <= {"unreachable", "error"}
    assert any("CERTIFICATE_VERIFY_FAILED" in e.reason or "certificate" in e.reason.lower() for e in outcome.errors)


@pytest.mark.parametrize(
    ("kind", "cls"),
    [("default", "DefaultAzureCredential"), ("cli", "AzureCliCredential"), ("environment", "EnvironmentCredential"),
     ("managed-identity", "ManagedIdentityCredential")],
)
def test_credential_types(kind: str, cls: str) -> None:
    config = parse_config({"managed_instance": {"resource_id": "/subscriptions/6f0b3a4e-2c1d-4f7a-9b8e-1a2b3c4d5e6f"
                                                "/resourceGroups/rg/providers/Microsoft.Sql/managedInstances/mi"},
                           "azure": {"credential": kind, "cloud": "usgov"}})
    assert type(make_credential(config.azure)).__name__ == cls


def test_probe_entry_point_reports_an_unusable_credential(server: ArmStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
                "AZURE_USERNAME", "AZURE_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    config = config_for(server, credential="environment")
    server.load("healthy")
    outcome = probe(ProbeContext(config, Secrets(), ["azure"]))
    err = only(outcome.errors)
    assert (err.fact, err.kind) == ("azure", "auth") and "environment" in err.reason
    assert server.requests == []


def test_cli_startup_does_not_import_the_azure_sdk() -> None:
    code = ("import sys, linkready.cli, linkready.probes.azure, linkready.checks; "
            "linkready.checks.load(); print(sorted(m for m in sys.modules if m.startswith('azure')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def _with_link(server: ArmStandIn, databases: list[str]) -> Config:
    config = config_for(server)
    return config.model_copy(update={"link": parse_config({
        "managed_instance": {"resource_id": server.variables["MI_ID"]},
        "link": [{"name": "link-sales", "databases": databases, "instance_ag_name": "mi-ag",
                  "partner_ag_name": "ag", "partner_endpoint": "TCP://10.10.2.4:5022"}]}).link})


def test_database_tde_is_read_for_the_planned_databases_on_the_instance(server: ArmStandIn) -> None:
    server.load("mi-primary-tde-disabled")
    outcome = collect_azure(_with_link(server, ["Sales", "Missing"]), StaticTokenCredential())
    assert outcome.errors == ()
    # Sales is on the instance (TDE turned off in the scenario); Missing is not, so it has no TDE resource to read.
    assert [(e.database, e.state) for e in facts_of(outcome).database_encryption or ()] == [("Sales", "Disabled")]
    tde = [r for r in server.requests if "transparentdataencryption" in r.path.lower()]
    assert [(r.method, r.path.rsplit("/databases/", 1)[1], r.api_version) for r in tde] == [
        ("GET", "Sales/transparentDataEncryption/current", "2025-01-01")]


def test_database_tde_defaults_to_enabled_as_new_managed_databases_are(server: ArmStandIn) -> None:
    server.load("healthy")
    outcome = collect_azure(_with_link(server, ["inventory"]), StaticTokenCredential())
    assert [(e.database, e.state) for e in facts_of(outcome).database_encryption or ()] == [("Inventory", "Enabled")]


def test_database_tde_denied_leaves_the_fact_unknown_and_names_the_action(server: ArmStandIn) -> None:
    server.load("mi-primary-tde-read-forbidden")
    outcome = collect_azure(_with_link(server, ["Sales", "Orders"]), StaticTokenCredential())
    assert facts_of(outcome).database_encryption is None
    [error] = [e for e in outcome.errors if e.fact == "azure.database_encryption"]
    assert "Orders/transparentDataEncryption/current" in error.resource and "transparentDataEncryption/read" in error.reason


def test_database_tde_needs_the_database_list(server: ArmStandIn) -> None:
    server.load("healthy")
    server.add_fault(path=r"/managedInstances/[^/]+/databases$", status=403,
                     action="Microsoft.Sql/managedInstances/databases/read")
    outcome = collect_azure(_with_link(server, ["Inventory"]), StaticTokenCredential())
    assert facts_of(outcome).database_encryption is None
    [error] = [e for e in outcome.errors if e.fact == "azure.database_encryption"]
    assert "database list" in error.reason and "databases/read" in error.reason


def test_the_stand_in_refuses_tde_resources_arm_does_not_have() -> None:
    from tests.standins.arm.server import _add_database_tde
    mi = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/managedInstances/mi"
    with pytest.raises(ValueError, match="no TDE resource"):
        _add_database_tde({f"{mi}/databases/Gone/transparentDataEncryption/current": {"properties": {"state": "Enabled"}}})
    with pytest.raises(ValueError, match="not one ARM returns"):
        _add_database_tde({f"{mi}/databases/A": {"type": "Microsoft.Sql/managedInstances/databases"},
                           f"{mi}/databases/A/transparentDataEncryption/current": {"properties": {"state": "On"}}})
