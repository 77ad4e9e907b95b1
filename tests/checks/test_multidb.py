"""SVC-024 (no contained AG) and SVC-025 (partner endpoint = listener IP + mirroring port) on facts."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from linkready.facts import Facts, PlannedLink, ProbeError
from linkready.facts.sql import AgListener, AgReplica, AvailabilityGroup, ListenerAddress
from tests.builders.checks import findings
from tests.builders.sql_facts import LINK, facts, instance, statuses

MULTI = replace(LINK, name="link-shop", databases=("Sales", "Inventory"), link_mode="MultiDatabase",
                partner_ag_name="AG_Shop", partner_endpoint="TCP://10.0.0.50:5022")
LISTENER = AgListener("ag-shop-lsn", 1433, (ListenerAddress("10.0.0.50", "ONLINE"),))


def replica(name: str, role: str = "PRIMARY") -> AgReplica:
    return AgReplica(name, f"TCP://{name.lower()}.corp.example:5022", role, "SYNCHRONOUS_COMMIT", "HEALTHY",
                     "CONNECTED")


TWO_NODES = (replica("SQL01"), replica("SQL02", "SECONDARY"))
SHOP = AvailabilityGroup("AG_Shop", is_distributed=False, basic_features=False, cluster_type="wsfc",
                         databases=("Inventory", "Sales"), replicas=TWO_NODES, is_contained=False,
                         listeners=(LISTENER,))
SQL2022 = instance(product_version="16.0.4255.2", product_update_level="CU27")


def on(group: AvailabilityGroup | None, link: PlannedLink = MULTI, **changes: Any) -> Facts:
    return facts(availability_groups=(group,) if group else (), instance=SQL2022, plan={"links": (link,)}, **changes)


# -- SVC-024 ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("group", "link", "expected"), [
    (SHOP, MULTI, "PASS"),
    (replace(SHOP, is_contained=True), MULTI, "FAIL"),
    (replace(SHOP, is_contained=True), LINK, "SKIP"),  # single-database links: not this mode's rule
    (None, MULTI, "PASS"),  # no AG yet: created without CONTAINED
    (replace(SHOP, is_contained=None), MULTI, "ERROR"),  # SQL Server 2022 but the column was not read
    # Found by a planned database although the plan names another AG
    (replace(SHOP, name="AG_Other", is_contained=True), MULTI, "FAIL"),
    (replace(SHOP, is_contained=True, is_distributed=True), MULTI, "PASS"),  # a DAG is not the linked AG
])
def test_multidb_ag_is_not_contained(group: AvailabilityGroup | None, link: PlannedLink, expected: str) -> None:
    assert statuses("SVC-024", on(group, link)) == [expected]


def test_contained_fail_says_the_mode_does_not_support_it_and_what_one_probe_cannot_see() -> None:
    [f] = findings("SVC-024", on(replace(SHOP, is_contained=True)))
    assert "does not support contained availability groups" in f.message and f.observed.endswith("is_contained = 1")
    assert any("every other replica" in e for e in f.evidence)


def test_before_sql_server_2022_no_ag_is_contained() -> None:
    f = facts(availability_groups=(replace(SHOP, is_contained=None),), plan={"links": (MULTI,)})  # 2019
    assert statuses("SVC-024", f) == ["PASS"]


def test_unread_availability_groups_are_an_error() -> None:
    f = facts(availability_groups=None, plan={"links": (MULTI,)},
              errors=(ProbeError("sql", "sql.availability_groups", "permission", "needs VIEW ANY DEFINITION"),))
    assert statuses("SVC-024", f) == ["ERROR"]


# -- SVC-025 ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("group", "endpoint", "expected", "words"), [
    (SHOP, "TCP://10.0.0.50:5022", "PASS", "listener address 10.0.0.50"),
    (SHOP, "TCP://10.0.0.4:5022", "FAIL", "not a listener address"),  # a replica's own address
    (SHOP, "TCP://10.0.0.50:1433", "FAIL", "listener's client connection port"),
    (SHOP, "TCP://10.0.0.50:5023", "FAIL", "listens on 5022"),
    (SHOP, "TCP://ag-shop-lsn:5022", "WARN", "network name"),
    (replace(SHOP, listeners=()), "TCP://10.0.0.4:5022", "FAIL", "no listener"),
    (replace(SHOP, listeners=(replace(LISTENER, addresses=(ListenerAddress("10.0.0.50", "OFFLINE"),)),)),
     "TCP://10.0.0.50:5022", "WARN", "OFFLINE"),
    (replace(SHOP, replicas=TWO_NODES[:1], listeners=()), "TCP://10.0.0.4:5022", "PASS", "single replica"),
    (None, "TCP://10.0.0.4:5022", "PASS", "single-node group"),
    (replace(SHOP, listeners=None), "TCP://10.0.0.50:5022", "ERROR", "listeners of AG_Shop were not read"),
])
def test_multidb_partner_endpoint_is_the_listener(group: AvailabilityGroup | None, endpoint: str, expected: str,
                                                  words: str) -> None:
    [f] = findings("SVC-025", on(group, replace(MULTI, partner_endpoint=endpoint)))
    assert (f.status.value, words in f.message) == (expected, True), f.message


def test_ipv6_listener_addresses_compare_canonically() -> None:
    group = replace(SHOP, listeners=(replace(LISTENER, addresses=(ListenerAddress("FD00:0:0::50", "ONLINE"),)),))
    assert statuses("SVC-025", on(group, replace(MULTI, partner_endpoint="TCP://[fd00::50]:5022"))) == ["PASS"]


def test_replicas_unread_is_an_error_naming_why() -> None:
    f = on(replace(SHOP, replicas=()), errors=(ProbeError("sql", "sql.availability_groups.replicas", "permission",
                                                          "ag_replicas needs VIEW SERVER STATE"),))
    [finding] = findings("SVC-025", f)
    assert finding.status.value == "ERROR" and "VIEW SERVER STATE" in finding.message


def test_single_database_links_are_not_judged() -> None:
    assert statuses("SVC-025", on(SHOP, LINK)) == ["SKIP"]


def test_every_finding_says_an_update_replaces_the_membership() -> None:
    [f] = findings("SVC-025", on(SHOP))
    assert any("replaces its membership" in e for e in f.evidence)
