"""SVC-001..004 on facts, and the service error code table they are listed in."""

from __future__ import annotations

from dataclasses import replace

import pytest
from linkready.checks.service import SERVICE_CODES, SERVICE_ERRORS, checks_preventing, code_named

from linkready.registry import all_checks
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
