"""PLAN-001..003 over hand-built plans: PASS, FAIL and boundary cases."""

from __future__ import annotations

from dataclasses import replace

import pytest

from linkready.facts import Facts, PlanFacts, PlannedLink
from linkready.model import Status
from tests.builders.checks import findings, one

LINK = PlannedLink("link-sales", ("Sales",), "AG_Sales_MI", "AG_Sales", "TCP://10.1.0.4:5022")


def statuses(check_id: str, *links: PlannedLink) -> list[tuple[str, Status, str]]:
    return [(f.target, f.status, f.message) for f in findings(check_id, Facts(plan=PlanFacts(links=links)))]


@pytest.mark.parametrize(
    ("link", "status", "words"),
    [
        (LINK, Status.PASS, "valid"),
        (replace(LINK, partner_ag_name="ag_sales_mi"), Status.FAIL, "same name"),
        (replace(LINK, name=""), Status.FAIL, "link name is empty"),
        (replace(LINK, instance_ag_name="AG]; DROP"), Status.FAIL, "bracket"),
        (replace(LINK, replication_mode="Synchronous"), Status.FAIL, "not Async or Sync"),
        (replace(LINK, name="Link_Sales", link_mode="MultiDatabase"), Status.FAIL, "lowercase"),
        (replace(LINK, name="x" * 128), Status.PASS, "valid"),
        (replace(LINK, name="x" * 129), Status.FAIL, "longer than 128"),
    ],
)
def test_plan_001_names(link: PlannedLink, status: Status, words: str) -> None:
    [(_, got, message)] = statuses("PLAN-001", link)
    assert got is status and words in message


def test_plan_001_duplicate_link_names() -> None:
    results = statuses("PLAN-001", LINK, replace(LINK, name="LINK-SALES", databases=("HR",)))
    assert all(s is Status.FAIL and "planned 2 times" in m for _, s, m in results)


@pytest.mark.parametrize(
    ("endpoint", "status", "words"),
    [
        ("TCP://10.1.0.4:5022", Status.PASS, "well formed"),
        ("TCP://sqlprod01.contoso.local:5022", Status.PASS, "well formed"),
        ("TCP://[fd00::4]:5022", Status.PASS, "well formed"),
        ("TCP://10.1.0.4:5023", Status.WARN, "not 5022"),
        ("tcp://10.1.0.4:5022", Status.PASS, ""),  # the CLI sends tcp://; the scheme is case-insensitive
        ("10.1.0.4:5022", Status.FAIL, "not of the form"),
        ("TCP://10.1.0.4", Status.FAIL, "not of the form"),
        ("TCP://10.1.0.4:5022/", Status.FAIL, "not of the form"),
        ("TCP://10.1.0.4:70000", Status.FAIL, "out of range"),
        ("TCP://127.0.0.1:5022", Status.FAIL, "cannot be reached"),
        ("TCP://mi.abc123.database.windows.net:5022", Status.FAIL, "Azure SQL host"),
        ("", Status.FAIL, "not of the form"),
    ],
)
def test_plan_002_partner_endpoint(endpoint: str, status: Status, words: str) -> None:
    [(_, got, message)] = statuses("PLAN-002", replace(LINK, partner_endpoint=endpoint))
    assert got is status and words in message


@pytest.mark.parametrize(
    ("databases", "mode", "status", "words"),
    [
        (("Sales",), "SingleDatabase", Status.PASS, "valid"),
        (("Sales", "HR"), "SingleDatabase", Status.FAIL, "2 databases in a single-database link"),
        (("Sales", "HR"), "MultiDatabase", Status.PASS, "valid"),
        (("master",), "SingleDatabase", Status.FAIL, "system database"),
        ((), "SingleDatabase", Status.FAIL, "empty"),
        (("Sales", "SALES"), "MultiDatabase", Status.FAIL, "listed twice"),
    ],
)
def test_plan_003_database_list(databases: tuple[str, ...], mode: str, status: Status, words: str) -> None:
    [(_, got, message)] = statuses("PLAN-003", replace(LINK, databases=databases, link_mode=mode))
    assert got is status and words in message


def test_plan_003_same_database_in_two_links() -> None:
    results = statuses("PLAN-003", LINK, replace(LINK, name="link-sales-2"))
    assert [s for _, s, _ in results] == [Status.FAIL, Status.FAIL]
    assert "also planned in link link-sales-2" in results[0][2]


def test_no_plan_is_skipped_with_the_reason() -> None:
    finding = one("PLAN-001", Facts())
    assert finding.status is Status.SKIP and "no [[link]]" in finding.message
