"""linkready.tools.links over hand-built link facts: each flag, its boundary, and the exit code."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from linkready.reports.links import to_json

from linkready.facts import ProbeError
from linkready.facts.azure import ExistingLink
from linkready.facts.sql import AgReplica, AvailabilityGroup
from linkready.tools.links import (
    CERT_EXPIRED,
    CERT_EXPIRING,
    DISCONNECTED,
    ENDPOINT_UNRESOLVED,
    LAG,
    SEEDING_STUCK,
    SEEDING_TOO_LONG,
    SQL_SIDE,
    UNHEALTHY,
    Inventory,
    LinkTargets,
    build_inventory,
    hosts_to_resolve,
    partner_host,
    same_server,
)
from tests.builders.links_data import DISCONNECTED_LINK, HEALTHY, HEALTHY_DB, LAGGING, NOW

TARGETS = LinkTargets(max_lag_seconds=60, cert_expiry_warn_days=30)


def inventory(*links: ExistingLink, targets: LinkTargets = TARGETS, **kw: object) -> Inventory:
    kw.setdefault("resolved", {"sqlprod01.contoso.local": True})
    return build_inventory(links, instance="sqlmi-prod", as_of=NOW, targets=targets, **kw)  # type: ignore[arg-type]


def codes(inv: Inventory, name: str) -> set[str]:
    return {f.code for link in inv.links if link.name == name for f in link.flags}


def test_the_three_links_of_the_issue() -> None:
    inv = inventory(HEALTHY, LAGGING, DISCONNECTED_LINK)
    assert codes(inv, "link-sales") == set()
    assert codes(inv, "link-hr") == {LAG}
    assert codes(inv, "link-finance") == {DISCONNECTED, UNHEALTHY, CERT_EXPIRING}
    assert inv.exit_code == 1
    assert [link.name for link in inv.flagged] == ["link-hr", "link-finance"]


def test_all_links_meeting_targets_exit_zero() -> None:
    assert inventory(HEALTHY).exit_code == 0
    assert inventory().exit_code == 0  # no links at all meets every target


@pytest.mark.parametrize(("lag", "max_lag", "flagged"), [(60, 60, False), (61, 60, True), (900, None, False)])
def test_lag_boundary(lag: float, max_lag: float | None, flagged: bool) -> None:
    link = replace(HEALTHY, databases=(replace(HEALTHY_DB, redo_lag_seconds=lag),))
    inv = inventory(link, targets=LinkTargets(max_lag_seconds=max_lag))
    assert (LAG in codes(inv, "link-sales")) is flagged


def test_lag_uses_the_larger_of_send_and_redo() -> None:
    link = replace(HEALTHY, databases=(replace(HEALTHY_DB, send_lag_seconds=120, redo_lag_seconds=1),))
    [flag] = inventory(link).links[0].flags
    assert flag.code == LAG and "120 s" in flag.message and flag.database == "Sales"


@pytest.mark.parametrize(
    ("days", "expected"),
    [(29, {CERT_EXPIRING}), (30, set()), (-1, {CERT_EXPIRED})],
)
def test_certificate_expiry_threshold(days: int, expected: set[str]) -> None:
    link = replace(HEALTHY, databases=(replace(HEALTHY_DB, partner_cert_expiry=NOW + timedelta(days=days, hours=1)),))
    assert codes(inventory(link), "link-sales") == expected


def test_partner_host_no_longer_resolving_is_flagged() -> None:
    inv = inventory(HEALTHY, resolved={"sqlprod01.contoso.local": False})
    assert codes(inv, "link-sales") == {ENDPOINT_UNRESOLVED}
    assert inv.links[0].partner_resolves is False


def test_resolution_not_checked_is_a_note_not_a_flag() -> None:
    inv = inventory(HEALTHY, resolved=None)
    assert inv.exit_code == 0 and inv.links[0].partner_resolves is None
    assert any("not checked" in note for note in inv.notes)


def test_ip_partner_endpoint_needs_no_dns() -> None:
    inv = inventory(replace(HEALTHY, partner_endpoint="TCP://[fd00::4]:5022"), resolved={})
    assert inv.links[0].partner_resolves is True and inv.exit_code == 0
    assert hosts_to_resolve([HEALTHY, DISCONNECTED_LINK, HEALTHY]) == ["sqlprod01.contoso.local"]
    assert partner_host("TCP://[fd00::4]:5022") == "fd00::4" and partner_host("sqlprod01:5022") == ""


def test_seeding_older_than_the_limit_and_stuck_seeding() -> None:
    seeding = replace(HEALTHY_DB, replica_state="SEEDING", seeding_progress="42%")
    link = replace(HEALTHY, databases=(seeding,))
    young = inventory(link, created={"link-sales": NOW - timedelta(days=5)})
    assert codes(young, "link-sales") == set()
    old = inventory(link, created={"link-sales": NOW - timedelta(days=6, hours=1)})
    assert codes(old, "link-sales") == {SEEDING_TOO_LONG}
    stuck = inventory(replace(link, databases=(replace(seeding, most_recent_error="1412: log truncated"),)))
    assert codes(stuck, "link-sales") == {SEEDING_STUCK}
    assert any("seeding age was not judged" in note for note in stuck.notes)


def test_sql_server_view_joins_the_distributed_ag() -> None:
    dag = AvailabilityGroup(
        name="LINK-SALES", is_distributed=True, basic_features=False, cluster_type="NONE", databases=("Sales",),
        replicas=(
            AgReplica("AG_Sales", "TCP://sqlprod01:5022", "PRIMARY", "ASYNCHRONOUS_COMMIT", "HEALTHY", "CONNECTED"),
            AgReplica("AG_Sales_MI", "TCP://mi:5022", "SECONDARY", "ASYNCHRONOUS_COMMIT", "NOT_HEALTHY",
                      "DISCONNECTED"),
        ),
    )
    inv = inventory(HEALTHY, sql_groups=[dag], sql_hosts=["SQLPROD01"])  # machine name matches the FQDN's label
    assert codes(inv, "link-sales") == {SQL_SIDE}
    assert "AG_Sales_MI: DISCONNECTED/NOT_HEALTHY" in inv.links[0].sql_server_view
    missing = inventory(HEALTHY, sql_groups=[], sql_hosts=["sqlprod01.contoso.local"])
    assert "not found on SQL Server" in missing.links[0].sql_server_view and missing.exit_code == 1


def test_a_link_to_another_sql_server_is_not_joined() -> None:
    inv = inventory(DISCONNECTED_LINK, sql_groups=[], sql_hosts=["10.10.1.4", "sqlprod01"])
    assert SQL_SIDE not in codes(inv, "link-finance")
    assert inv.links[0].sql_server_view == "partner is another SQL Server (not joined)"


@pytest.mark.parametrize(
    ("partner", "hosts", "same"),
    [
        ("sqlprod01.corp.local", ["SQLPROD01"], True),
        ("SQLPROD01", ["sqlprod01.corp.local"], True),
        ("10.1.0.4", ["10.1.0.4"], True),
        ("10.1.0.4", ["10.1.0.5", "10"], False),
        ("sqlprod02.corp.local", ["sqlprod01.corp.local", ""], False),
    ],
)
def test_same_server(partner: str, hosts: list[str], same: bool) -> None:
    assert same_server(partner, hosts) is same


def test_links_that_could_not_be_read_exit_three_with_the_reason() -> None:
    error = ProbeError("azure", "azure.links", "permission",
                       "lacks Microsoft.Sql/managedInstances/distributedAvailabilityGroups/read")
    inv = build_inventory(None, instance="sqlmi-prod", as_of=NOW, targets=TARGETS, errors=[error])
    assert inv.exit_code == 3 and "distributedAvailabilityGroups/read" in inv.error


def test_json_form_is_structured() -> None:
    data = to_json(inventory(HEALTHY, LAGGING, DISCONNECTED_LINK))
    # link-finance's lag is not reported: unknown under the 60 s target, on top of its flags.
    assert data["summary"] == {"links": 3, "flagged": 2, "unknown": 1} and data["exit_code"] == 1
    finance = data["links"][2]
    assert finance["ok"] is False and finance["databases"][0]["cert_days_left"] == 12
    assert {f["code"] for f in finance["flags"]} == {DISCONNECTED, UNHEALTHY, CERT_EXPIRING}
    assert data["targets"]["max_lag_seconds"] == 60


UNREPORTED_LAG = replace(HEALTHY, databases=(replace(HEALTHY_DB, send_lag_seconds=None, redo_lag_seconds=None),))


def test_unknown_lag_under_a_lag_target_is_exit_three_naming_it() -> None:
    inv = inventory(UNREPORTED_LAG)
    assert inv.links[0].ok and inv.exit_code == 3
    [(link, reason)] = inv.unknown
    assert link.name == "link-sales" and "lag of Sales is not reported" in reason and "--max-lag" in reason


def test_unknown_lag_without_a_lag_target_is_not_judged() -> None:
    assert inventory(UNREPORTED_LAG, targets=LinkTargets(max_lag_seconds=None)).exit_code == 0


def test_a_failing_link_outranks_an_unknown_one() -> None:
    assert inventory(UNREPORTED_LAG, DISCONNECTED_LINK).exit_code == 1


def test_sql_server_view_without_replica_states_is_unknown_not_healthy() -> None:
    dag = AvailabilityGroup(name="link-sales", is_distributed=True, basic_features=False, cluster_type="NONE",
                            databases=("Sales",))
    inv = inventory(HEALTHY, sql_groups=[dag], sql_hosts=["sqlprod01"])
    assert inv.links[0].sql_server_view == "no replicas" and inv.links[0].ok
    assert inv.exit_code == 3 and any("no replica states for link-sales" in r for _, r in inv.unknown)
