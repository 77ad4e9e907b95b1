"""Issue 13: an emptied fact that no real system reports empty is unknown, so the check that reads it ERRORs
naming it (found by tests/verdict/test_fact_removal.py). Run on the demo snapshot, through snapshot.loads."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from linkready.snapshot import loads
from tests.builders.sql_facts import messages, statuses
from tests.verdict.removal import demo_data


def _empty_vnet_space(f: dict[str, Any]) -> None:
    f["azure"]["vnet"]["address_prefixes"] = []


def _empty_subnet_nsg(f: dict[str, Any]) -> None:
    f["azure"]["subnet"]["nsg_id"] = ""


def _lose_weekly_ltr(f: dict[str, Any]) -> None:
    f["target"]["ltr_policies"][0]["weekly_retention"] = ""


@pytest.mark.parametrize(("change", "check_id", "named"), [
    (_empty_vnet_space, "NSG-004", "azure.vnet.address_prefixes"),
    (_empty_vnet_space, "NSG-005", "azure.vnet.address_prefixes"),
    (_empty_subnet_nsg, "NSG-001", "azure.subnet.nsg_id"),
    (_empty_subnet_nsg, "NSG-002", "azure.subnet.nsg_id"),
    (_empty_subnet_nsg, "NSG-003", "azure.subnet.nsg_id"),
    (_lose_weekly_ltr, "TGT-003", "target.ltr_policies.weekly_retention"),
])
def test_an_emptied_fact_errors_naming_it(change: Callable[[dict[str, Any]], None], check_id: str,
                                          named: str) -> None:
    data = demo_data()
    assert "ERROR" not in statuses(check_id, loads(json.dumps(data)).facts)  # the change is what ERRORs
    change(data["facts"])
    facts = loads(json.dumps(data)).facts
    assert "ERROR" in statuses(check_id, facts)
    assert named in messages(check_id, facts)
