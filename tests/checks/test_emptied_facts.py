"""Issue 13: an emptied fact that no real system reports empty is unknown, so the check that reads it ERRORs
naming it (found by tests/verdict/test_fact_removal.py). Run on the demo snapshot, through snapshot.loads."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from linkready.snapshot import loads
from tests.builders.sql_facts import messages, statuses
from tests.verdict.removal import demo_data, sound_certificates


def _empty_vnet_space(f: dict[str, Any]) -> None:
    f["azure"]["vnet"]["address_prefixes"] = []


def _empty_subnet_nsg(f: dict[str, Any]) -> None:
    f["azure"]["subnet"]["nsg_id"] = ""


def _lose_weekly_ltr(f: dict[str, Any]) -> None:
    f["target"]["ltr_policies"][0]["weekly_retention"] = ""


def _empty_provisioning_state(f: dict[str, Any]) -> None:
    f["azure"]["managed_instance"]["provisioning_state"] = ""


def _lose_next_hop(f: dict[str, Any]) -> None:
    f["azure"]["route_table"]["routes"][0]["next_hop_type"] = ""


@pytest.mark.parametrize(("change", "check_id", "named"), [
    (_empty_vnet_space, "NSG-004", "azure.vnet.address_prefixes"),
    (_empty_vnet_space, "NSG-005", "azure.vnet.address_prefixes"),
    (_empty_subnet_nsg, "NSG-001", "azure.subnet.nsg_id"),
    (_empty_subnet_nsg, "NSG-002", "azure.subnet.nsg_id"),
    (_empty_subnet_nsg, "NSG-003", "azure.subnet.nsg_id"),
    (_lose_weekly_ltr, "TGT-003", "target.ltr_policies.weekly_retention"),
    (_empty_provisioning_state, "MI-001", "azure.managed_instance.provisioning_state"),
    (_lose_next_hop, "NSG-004", "azure.route_table.routes.next_hop_type"),
])
def test_an_emptied_fact_errors_naming_it(change: Callable[[dict[str, Any]], None], check_id: str,
                                          named: str) -> None:
    data = demo_data()
    assert "ERROR" not in statuses(check_id, loads(json.dumps(data)).facts)  # the change is what ERRORs
    change(data["facts"])
    facts = loads(json.dumps(data)).facts
    assert "ERROR" in statuses(check_id, facts)
    assert named in messages(check_id, facts)


def _lose_endpoint_cert_thumbprint(f: dict[str, Any]) -> None:
    f["sql"]["certificates"][0]["thumbprint"] = ""


def _lose_endpoint_cert_subject(f: dict[str, Any]) -> None:
    f["sql"]["certificates"][0]["subject"] = ""


def _lose_endpoint_name(f: dict[str, Any]) -> None:
    f["sql"]["endpoints"][0]["name"] = ""


def _lose_trusted_keys(f: dict[str, Any]) -> None:
    f["azure"]["server_trust_certificates"][0].update(thumbprint="", public_blob_hex="")


@pytest.mark.parametrize(("change", "check_id", "named"), [
    (_lose_endpoint_cert_thumbprint, "CERT-001", "sql.certificates.thumbprint"),
    (_lose_endpoint_cert_subject, "CERT-001", "sql.certificates.subject"),
    (_lose_endpoint_name, "EP-001", "sql.endpoints.name"),
    (_lose_trusted_keys, "CERT-003", "azure.server_trust_certificates.thumbprint and public_blob_hex"),
])
def test_a_lost_certificate_fact_errors_on_a_sound_endpoint(change: Callable[[dict[str, Any]], None],
                                                           check_id: str, named: str) -> None:
    # On the demo with its certificate faults repaired (tests/verdict/removal.py::sound_certificates), where
    # every certificate check passes: the demo's own Windows-auth FAILs would hide these.
    data = sound_certificates(demo_data())
    assert statuses(check_id, loads(json.dumps(data)).facts) == ["PASS"]
    change(data["facts"])
    facts = loads(json.dumps(data)).facts
    assert statuses(check_id, facts) == ["ERROR"]
    assert named in messages(check_id, facts)
