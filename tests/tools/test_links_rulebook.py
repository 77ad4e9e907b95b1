"""The links inventory and the failover checks judge a link by one rulebook (FO-001/003/005/006).

Each property builds one link database from ranges of states, lags and certificate lifetimes, runs
the FO check through the engine with the inventory's targets as thresholds, and asserts that the
inventory flags the database exactly when the check fails it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from linkready.facts import Collector, Facts
from linkready.facts.azure import AzureFacts, ExistingLink
from linkready.facts.plan import PlanFacts, PlannedLink
from linkready.facts.sql import AgReplica, AvailabilityGroup, SqlFacts
from linkready.model import Status
from linkready.tools.links import (
    CERT_EXPIRED,
    CERT_EXPIRING,
    DISCONNECTED,
    LAG,
    SQL_SIDE,
    UNHEALTHY,
    LinkTargets,
    build_inventory,
)
from tests.builders.checks import findings
from tests.builders.links_data import HEALTHY, HEALTHY_DB, NOW

STATES = st.sampled_from(["CONNECTED", "DISCONNECTED", "connected", ""])
HEALTH = st.sampled_from(["HEALTHY", "NOT_HEALTHY", "PARTIALLY_HEALTHY", "healthy", ""])
LAGS = st.one_of(st.none(), st.floats(min_value=0, max_value=7200, allow_nan=False))
#: Certificate lifetimes around the 30-day threshold, in minutes (expired, at the boundary, well clear).
CERT_MINUTES = st.integers(min_value=-3 * 1440, max_value=90 * 1440)
#: The machine is shared: a wall-clock deadline per example would only make the properties flaky.
RELAXED = settings(deadline=None)
TARGETS = LinkTargets(max_lag_seconds=60, cert_expiry_warn_days=30)


def one_link(**db: object) -> ExistingLink:
    # Seeding finished and no error: only the FO-judged questions can flag it.
    return replace(HEALTHY, databases=(replace(HEALTHY_DB, seeding_progress="Completed", most_recent_error="", **db),))


def flag_codes(link: ExistingLink) -> set[str]:
    inv = build_inventory([link], instance="mi", as_of=NOW, targets=TARGETS, resolved={"sqlprod01.contoso.local": True})
    return {f.code for f in inv.links[0].flags}


def facts(link: ExistingLink) -> Facts:
    return Facts(collector=Collector(collected_at=NOW), azure=AzureFacts(links=(link,)))


@RELAXED
@given(connected=STATES, health=HEALTH)
def test_health_flags_follow_fo_001(connected: str, health: str) -> None:
    link = one_link(connected_state=connected, synchronization_health=health)
    [finding] = findings("FO-001", facts(link))
    flagged = bool(flag_codes(link) & {DISCONNECTED, UNHEALTHY})
    assert flagged is (finding.status is Status.FAIL), (connected, health, finding.message)


@RELAXED
@given(send=LAGS, redo=LAGS)
def test_lag_flag_follows_fo_003(send: float | None, redo: float | None) -> None:
    link = one_link(send_lag_seconds=send, redo_lag_seconds=redo)
    [finding] = findings("FO-003", facts(link), failover_max_lag_seconds=TARGETS.max_lag_seconds)
    assert (LAG in flag_codes(link)) is (finding.status is Status.FAIL), (send, redo, finding.message)


@RELAXED
@given(minutes=CERT_MINUTES)
def test_certificate_flags_follow_fo_005(minutes: int) -> None:
    link = one_link(partner_cert_expiry=NOW + timedelta(minutes=minutes))
    [finding] = findings("FO-005", facts(link), failback_window_days=TARGETS.cert_expiry_warn_days)
    codes = flag_codes(link) & {CERT_EXPIRED, CERT_EXPIRING}
    assert bool(codes) is (finding.status is Status.FAIL), (minutes, finding.message)
    if codes:
        assert codes == ({CERT_EXPIRED} if minutes <= 0 else {CERT_EXPIRING})


def test_an_unreported_connection_state_is_flagged() -> None:
    """Where the rulebooks disagreed: the old inventory let an empty state pass; FO-001 fails it."""
    link = one_link(connected_state="", synchronization_health="HEALTHY")
    inv = build_inventory([link], instance="mi", as_of=NOW, targets=TARGETS, resolved={"sqlprod01.contoso.local": True})
    [flag] = inv.links[0].flags
    assert flag.code == DISCONNECTED and "not reported as connected" in flag.message and inv.exit_code == 1


def test_two_links_trusting_different_certificates_of_one_name_are_judged_apart() -> None:
    fresh = one_link()
    expiring = replace(one_link(partner_cert_expiry=NOW + timedelta(days=5)), name="link-other")
    inv = build_inventory([fresh, expiring], instance="mi", as_of=NOW, targets=TARGETS,
                          resolved={"sqlprod01.contoso.local": True})
    assert [{f.code for f in row.flags} for row in inv.links] == [set(), {CERT_EXPIRING}]


REPLICA = st.tuples(STATES, HEALTH)


@RELAXED
@given(replicas=st.lists(REPLICA, max_size=3), distributed=st.booleans(), named=st.booleans())
def test_sql_server_view_follows_fo_006(replicas: list[tuple[str, str]], distributed: bool, named: bool) -> None:
    link = one_link()
    dag = AvailabilityGroup(
        name=link.name.upper() if named else "some-other-dag", is_distributed=distributed, basic_features=False,
        cluster_type="NONE", databases=("Sales",),
        replicas=tuple(AgReplica(f"r{i}", "TCP://h:5022", "PRIMARY", "ASYNCHRONOUS_COMMIT", health, state)
                       for i, (state, health) in enumerate(replicas)))
    inv = build_inventory([link], instance="mi", as_of=NOW, targets=TARGETS, sql_groups=[dag], sql_hosts=["sqlprod01"],
                          resolved={"sqlprod01.contoso.local": True})
    sql = SqlFacts(availability_groups=(dag,))
    statuses = {f.status for f in findings("FO-006", Facts(
        sql=sql, plan=PlanFacts(links=(PlannedLink(link.name, (), "", "", ""),))))}
    row = inv.links[0]
    assert (SQL_SIDE in {f.code for f in row.flags}) is (Status.FAIL in statuses), (replicas, statuses)
    assert bool(row.unknown) is (Status.ERROR in statuses), (replicas, statuses)
