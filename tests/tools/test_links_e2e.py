"""`linkready links` end to end: the Azure room's probe reads the three-links scenario from the ARM stand-in
through the real engine, and the inventory flags the lagging and the disconnected link.

The probe runs exactly as in production except for the credential: the Azure room's probe shim hands
the real ``collect_azure`` the stand-in's token credential instead of azure-identity's.
"""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import pytest
from linkready.reports.links import to_json

from linkready.config import parse_config
from linkready.probes import ProbeSpec
from linkready.tools.links import LinkTargets
from tests.conftest import require_component

READY = all(importlib.util.find_spec(m) is not None for m in ("tests.standins.arm", "linkready.probes.azure"))


#: The real Azure probe with the stand-in's credential (the Azure room's shim).
TEST_PROBES = (ProbeSpec("azure", "azure", "tests.standins.arm.probe_shim:probe"),)


def inventory(scenario: str, max_lag: float | None) -> tuple[Any, Any]:
    from linkready.commands.links import _collect
    from tests.standins.arm_target import target_stand_in

    with target_stand_in(scenario) as server:
        config = parse_config({
            "managed_instance": {"resource_id": server.variables["MI_ID"]},
            "azure": {"arm_endpoint": server.url, "verify_tls": server.ca_bundle, "retries": 1, "timeout": 10},
            "network": {"dns_servers": [], "dns_timeout": 1},
        })
        inv = _collect(config, LinkTargets(max_lag_seconds=max_lag, cert_expiry_warn_days=30), True, True,
                       probes=TEST_PROBES)
    return inv, server


@pytest.fixture(autouse=True)
def _components() -> None:
    require_component("ARM stand-in and Azure probe (Azure room)", READY)


def test_three_links_healthy_lagging_disconnected() -> None:
    from tests.standins.arm_target import read_scenario, variables

    expected = read_scenario("three-links", {"SUB": "s", "MI_ID": "m", "TENANT": "t", **variables()})["links"]
    inv, server = inventory("three-links", expected["max_lag"])
    assert server.methods() == {"GET"}
    got = {link.name: sorted(f.code for f in link.flags) for link in inv.links}
    assert got == {name: sorted(codes) for name, codes in expected["flagged"].items()}, got
    assert inv.exit_code == 1
    data = to_json(inv)
    finance = next(link for link in data["links"] if link["name"] == "link-finance")
    db = finance["databases"][0]
    assert db["partner_cert_name"] == "Cert_SQLFIN01_endpoint" and db["cert_days_left"] == 12
    assert "41986" in db["most_recent_error"] and db["connected_state"] == "DISCONNECTED"
    hr = next(link for link in data["links"] if link["name"] == "link-hr")
    assert hr["databases"][0]["redo_lag_seconds"] == 900
    assert json.dumps(data)  # JSON-serialisable as the --format json output


def test_finished_target_has_one_healthy_link_within_lag() -> None:
    inv, _ = inventory("finished", 60)
    assert [(link.name, link.ok) for link in inv.links] == [("link-inventory", True)]
    assert inv.exit_code == 0
