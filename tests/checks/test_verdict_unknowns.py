"""Issue 13: inconsistent or absent facts are ERROR (never PASS), and plan-shape fixes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from linkready.checks import get

from linkready.engine import run_check
from linkready.facts import Facts
from linkready.facts.azure import DatabaseEncryption, LinkDatabase
from linkready.facts.consistency import inconsistencies
from linkready.facts.sql import AgListener, ListenerAddress
from linkready.model import Finding, Settings, Status
from tests.builders.azure_facts import azure, facts, link, managed_instance, plan


def run(check_id: str, f: Facts) -> list[Finding]:
    spec = get(check_id)
    assert spec is not None
    return run_check(spec, f, Settings())


def test_mi_008_link_without_health_is_error_not_healthy() -> None:
    base = link()
    blank = replace(base, databases=tuple(replace(d, connected_state="", synchronization_health="")
                                          for d in base.databases) or (LinkDatabase("Inventory"),))
    [finding] = run("MI-008", facts(azure_facts=azure(links=(blank,))))
    assert finding.status is Status.ERROR and "not reported" in finding.message
    healthy = run("MI-008", facts(azure_facts=azure(links=(base,))))
    assert all(f.status is not Status.ERROR for f in healthy)


def test_subnet_names_an_nsg_that_was_not_collected_is_error() -> None:
    az = azure(nsg=None)
    assert az.subnet is not None and az.subnet.nsg_id
    findings = run("NSG-001", facts(azure_facts=az))
    assert Status.ERROR in {f.status for f in findings}
    assert not any("has no NSG" in f.message for f in findings)
    no_nsg = azure(nsg=None, subnet=replace(az.subnet, nsg_id=None))
    assert {f.status for f in run("NSG-001", facts(azure_facts=no_nsg))} == {Status.PASS}


def test_cert_004_without_an_fqdn_is_error_not_empty_brackets() -> None:
    az = azure(managed_instance=managed_instance(fqdn=""))
    [finding] = run("CERT-004", facts(azure_facts=az, plan_facts=plan(mi_fqdn="")))
    assert finding.status is Status.ERROR and "FQDN is unknown" in finding.message
    assert "[]" not in finding.message + finding.expected + finding.observed


@pytest.mark.parametrize("scheme", ["TCP", "tcp", "Tcp"])
def test_plan_002_scheme_is_case_insensitive(scheme: str) -> None:
    p = plan()
    links = tuple(replace(x, partner_endpoint=f"{scheme}://10.10.2.4:5022") for x in p.links)
    findings = run("PLAN-002", facts(plan_facts=replace(p, links=links)))
    assert findings and {f.status for f in findings} == {Status.PASS}, [f.message for f in findings]


# ---- DB-001 in both directions ---------------------------------------------------------------


def _db001(on_sql: tuple[str, ...], on_mi: tuple[str, ...] | None, initial_primary: str) -> list[str]:
    from linkready.facts.azure import AzureFacts, ManagedDatabase
    from tests.builders.sql_facts import SALES, statuses
    from tests.builders.sql_facts import facts as sql_facts

    databases = tuple(replace(SALES, name=n) for n in on_sql)
    mi = AzureFacts(databases=None if on_mi is None else tuple(ManagedDatabase(n, "Online", "SQL_Latin1_General_CP1_CI_AS") for n in on_mi))
    return statuses("DB-001", sql_facts(databases=databases, azure=mi, plan={"initial_primary": initial_primary}))


@pytest.mark.parametrize(
    ("on_sql", "on_mi", "initial_primary", "expected"),
    [
        (("Sales",), (), "SQLServer", ["PASS"]),
        ((), (), "SQLServer", ["FAIL"]),  # no user databases at all: the planned one is absent
        ((), ("Sales",), "ManagedInstance", ["PASS"]),  # MI first: absent on SQL Server is expected
        (("Sales",), ("Sales",), "ManagedInstance", ["FAIL"]),  # would collide with the seeded copy
        ((), (), "ManagedInstance", ["FAIL"]),  # not on the initial primary
        ((), None, "ManagedInstance", ["ERROR"]),  # MI databases not collected: unknown
    ],
)
def test_db_001_judges_the_initial_primary(on_sql: tuple[str, ...], on_mi: tuple[str, ...] | None,
                                           initial_primary: str, expected: list[str]) -> None:
    assert _db001(on_sql, on_mi, initial_primary) == expected


@pytest.mark.parametrize(("initial_primary", "expected"), [("SQLServer", Status.FAIL), ("ManagedInstance", Status.SKIP)])
def test_db_011_name_on_the_instance_depends_on_direction(initial_primary: str, expected: Status) -> None:
    from linkready.facts.azure import ManagedDatabase

    p = replace(plan(), initial_primary=initial_primary)
    names = p.databases
    az = azure(databases=tuple(ManagedDatabase(n, "Online", "SQL_Latin1_General_CP1_CI_AS") for n in names))
    findings = run("DB-011", facts(azure_facts=az, plan_facts=p))
    assert {f.status for f in findings} == {expected}
    if expected is Status.SKIP:
        assert "plan.initial_primary" in findings[0].message


def test_sql_2016_on_linux_is_not_a_supported_host() -> None:
    from tests.builders.sql_facts import facts as sql_facts
    from tests.builders.sql_facts import instance, statuses

    old = sql_facts(instance=instance(product_version="13.0.6300.2", host_platform="Linux",
                                      host_distribution="Ubuntu 20.04"))
    assert statuses("SQL-001", old) == ["FAIL"]
    assert statuses("SQL-003", old) == ["FAIL"]  # never "host OS supported" beside a version FAIL
    new = sql_facts(instance=instance(product_version="16.0.4125.3", host_platform="Linux",
                                      host_distribution="Ubuntu 22.04"))
    assert "FAIL" not in statuses("SQL-003", new)


def test_every_sql_side_database_check_knows_the_direction() -> None:
    # MI as initial primary: Sales is on the instance and absent on SQL Server. No SQL-side database
    # check may FAIL or ERROR that expected state; each says which fact makes it not applicable.
    from linkready.checks import all_checks

    from linkready.facts.azure import AzureFacts, ManagedDatabase
    from linkready.model import Area
    from tests.builders.sql_facts import facts as sql_facts

    mi = AzureFacts(databases=(ManagedDatabase("Sales", "Online", "SQL_Latin1_General_CP1_CI_AS"),))
    f = sql_facts(databases=(), azure=mi, plan={"initial_primary": "ManagedInstance"})
    for spec in all_checks():
        if spec.area is not Area.DATABASES or "sql.databases" not in spec.requires:
            continue
        for finding in run_check(spec, f, Settings()):
            assert finding.status in (Status.PASS, Status.SKIP), (spec.id, finding.status, finding.message)
            if finding.status is Status.SKIP:
                assert any(k in finding.message for k in ("initial_primary", "seeding_throughput_gb_per_hour")), (
                    spec.id, finding.message)


def test_the_multi_database_and_tde_facts_are_never_silently_empty() -> None:
    """The listener and per-database TDE facts (issue 15) follow the same rule as every other fact field:
    an emptied name, address or state is inconsistent, so the checks that need it ERROR naming it."""
    listener = AgListener(dns_name="", port=1433, addresses=(ListenerAddress(ip_address="10.0.0.9", state=""),))
    assert dict(inconsistencies(listener, "sql.listener")).keys() == {
        "sql.listener.dns_name", "sql.listener.addresses[0].state"}
    tde = DatabaseEncryption(database="Sales", state="")
    assert [path for path, _ in inconsistencies(tde, "azure.database_encryption[0]")] == [
        "azure.database_encryption[0].state"]
    assert not list(inconsistencies(DatabaseEncryption(database="Sales", state="Enabled"), "x"))
