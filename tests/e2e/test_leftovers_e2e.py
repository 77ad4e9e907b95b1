"""Leftovers of an earlier attempt through the real stand-ins: `linkready check` against a SQL Server
that still holds the distributed availability group of a link the managed instance does not have.

SVC-021 needs both sides (the DAG from sys.availability_groups over FreeTDS, the instance's links over
HTTPS from the ARM stand-in), so it runs in the estate, not in the SQL-only scenarios.
"""

from __future__ import annotations

from dataclasses import replace

from tests.e2e.estate import Estate, paired_responder, worst_by_check
from tests.e2e.test_preflight_e2e import check_run
from tests.standins.tds.scenarios import AvailabilityGroup


def test_leftover_distributed_ag_warns_with_its_cleanup(fresh: Estate) -> None:
    # The plan's link is link-sales; the ARM stand-in's instance only has link-inventory.
    leftover = replace(fresh.sql_server, availability_groups=(
        AvailabilityGroup("link-sales", (), group_id="0A1B2C3D-0000-4000-8000-00C04FC964FF", distributed=True),))
    state = fresh.tds.state
    with state.lock:
        healthy, state.responder = state.responder, paired_responder(leftover, fresh.mi_fqdn)
    try:
        _, _, report, _ = check_run(fresh, "leftover-dag")
    finally:
        with state.lock:
            state.responder = healthy
    assert worst_by_check(report)["SVC-021"] == "WARN"
    [finding] = [f for f in report["findings"] if f["check_id"] == "SVC-021"]
    assert finding["target"] == "link-sales"
    assert "no link of that name on the managed instance" in finding["observed"]
    assert "DROP AVAILABILITY GROUP [link-sales];" in finding["fix"][0]["code"]
    assert worst_by_check(report)["SVC-022"] == "PASS"  # the planned instance's certificate is expected
