"""SVC-001..004 and SVC-020 on facts, and the service error code table they are listed in."""

from __future__ import annotations

from dataclasses import replace

import pytest
from linkready.checks import all_checks
from linkready.checks.service import SERVICE_CODES, SERVICE_ERRORS, checks_preventing, code_named

from linkready.facts import PlannedLink, ProbeError
from linkready.facts.sql import AvailabilityGroup
from tests.builders.checks import findings
from tests.builders.sql_facts import LINK, SALES, database, facts, instance, messages, statuses

CASES = [
    ("SVC-001", facts(), "PASS"),
    ("SVC-001", facts(plan={"links": (replace(LINK, databases=("MSDB",)),)}), "FAIL"),
    ("SVC-001", facts(plan={"links": (replace(LINK, databases=("tempdb",)),)}), "FAIL"),
    ("SVC-002", facts(), "PASS"),
    ("SVC-002", facts(databases=(replace(SALES, name="Sales "),),
                      plan={"links": (replace(LINK, databases=("Sales ",)),)}), "FAIL"),
    ("SVC-003", facts(databases=database(adr_enabled=True)), "PASS"),
    ("SVC-003", facts(databases=database(adr_enabled=False)), "PASS"),  # informational: nothing to do
    ("SVC-003", facts(databases=database(name="Other")), "ERROR"),
    ("SVC-004", facts(databases=database(broker_enabled=False)), "PASS"),
    ("SVC-004", facts(databases=database(broker_enabled=True)), "WARN"),
    ("SVC-009", facts(instance=instance(is_clustered=False)), "PASS"),
    ("SVC-009", facts(instance=instance(is_clustered=True)), "WARN"),
    ("SVC-009", facts(instance=None), "ERROR"),
]


def test_fci_names_a_partner_endpoint_that_is_not_its_virtual_network_name() -> None:
    node = facts(instance=instance(is_clustered=True, machine_name="SQLFCI01"),
                 plan={"links": (replace(LINK, partner_endpoint="TCP://sqlnode01.corp.example:5022"),)})
    assert "names sqlnode01.corp.example, not the virtual network name SQLFCI01" in messages("SVC-009", node)
    own = facts(instance=instance(is_clustered=True, machine_name="SQLFCI01"),
                plan={"links": (replace(LINK, partner_endpoint="TCP://sqlfci01.corp.example:5022"),)})
    assert "not the virtual network name" not in messages("SVC-009", own)


@pytest.mark.parametrize(("check_id", "f", "expected"), CASES)
def test_service_checks(check_id: str, f: object, expected: str) -> None:
    assert statuses(check_id, f) == [expected]  # type: ignore[arg-type]


def test_failures_name_the_service_error_code() -> None:
    text = messages("SVC-001", facts(plan={"links": (replace(LINK, databases=("master",)),)}))
    assert "CannotUseReservedDatabaseName" in text and "master" in text


def test_adr_off_says_what_changes_on_the_instance() -> None:
    assert "runs with ADR on" in messages("SVC-003", facts(databases=database(adr_enabled=False)))


def test_unread_databases_are_an_error_not_a_pass() -> None:
    assert statuses("SVC-003", facts(databases=None)) in (["ERROR"], ["SKIP"])


def test_table_names_only_known_codes_and_registered_checks() -> None:
    ids = {spec.id for spec in all_checks()}
    for check_id, codes in SERVICE_ERRORS.items():
        assert check_id in ids, check_id
        assert set(codes) <= set(SERVICE_CODES), codes


def test_codes_are_found_in_any_case() -> None:
    found = code_named("cannotusereserveddatabasename")
    assert found is not None and found.name == "CannotUseReservedDatabaseName"
    assert checks_preventing(found.name) == ["SVC-001"]
    assert code_named("NoSuchCode") is None


# -- SVC-020: multiple-database mode plans the whole availability group ---------------------------------

MULTI = replace(LINK, name="link-shop", databases=("Sales",), link_mode="MultiDatabase", partner_ag_name="AG_Shop")
SHOP = AvailabilityGroup("AG_Shop", is_distributed=False, basic_features=False, cluster_type="wsfc",
                         databases=("Sales", "Inventory"))


@pytest.mark.parametrize(("link", "groups", "expected"), [
    (LINK, (SHOP,), "SKIP"),  # single-database links are DB-008's
    (MULTI, (), "PASS"),  # no AG yet: the link's AG holds exactly the plan
    (MULTI, (SHOP,), "FAIL"),
    (replace(MULTI, databases=("Sales", "inventory")), (SHOP,), "PASS"),  # names compared without case
    # Not named like the plan, but holding a planned database: still the AG the link would take
    (replace(MULTI, partner_ag_name="AG_New"), (SHOP,), "FAIL"),
    # A distributed AG lists the local AG's databases too; it is not the AG being linked
    (MULTI, (replace(SHOP, is_distributed=True),), "PASS"),
])
def test_multidb_link_plans_whole_ag(link: PlannedLink, groups: tuple[AvailabilityGroup, ...], expected: str) -> None:
    assert statuses("SVC-020", facts(availability_groups=groups, plan={"links": (link,)})) == [expected]


def test_multidb_fail_names_the_missing_database_update_semantics_and_what_one_probe_cannot_see() -> None:
    [f] = findings("SVC-020", facts(availability_groups=(SHOP,), plan={"links": (MULTI,)}))
    assert f.message.startswith("Inventory: in the linked availability group but not in the plan of link-shop")
    assert f.observed == "AG AG_Shop: Sales, Inventory"
    assert any("replaces its membership" in e for e in f.evidence)
    assert any("SVC-024" in e and "SVC-025" in e and "other replicas" in e for e in f.evidence)


def test_multidb_unread_availability_groups_are_an_error() -> None:
    error = ProbeError("sql", "sql.availability_groups", "permission", "VIEW SERVER STATE denied")
    assert statuses("SVC-020", facts(availability_groups=None, plan={"links": (MULTI,)}, errors=(error,))) == ["ERROR"]
