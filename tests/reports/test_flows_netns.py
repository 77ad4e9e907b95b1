"""A blocked flow end to end: `linkready collect` in the network-namespace lab, where the kernel drops part of
11000-11999 on the way to the "managed instance subnet", then `linkready evaluate --format flows-csv,html`.

The Azure facts are added to the snapshot as the Azure probe would have read them (the MI subnet and an
NSG on it that denies the redirect range from the SQL Server side), exactly as the network scenarios in
tests/probes/test_network_e2e.py do; the port states come from real sockets and real nftables rules.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.probes.test_network_e2e import MI_OPEN, Scenario, run_scenario
from tests.standins.dns.server import MI_SUBNET
from tests.standins.netns.lab import CLIENT_V4, NetnsLab

NSG_ID = "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-net/providers/" \
    "Microsoft.Network/networkSecurityGroups/nsg-mi"


def _rule(name: str, priority: int, access: str, ports: str) -> dict[str, object]:
    return {"name": name, "priority": priority, "direction": "Inbound", "access": access, "protocol": "Tcp",
            "source_prefixes": [f"{CLIENT_V4}/32"], "source_ports": ["*"], "destination_prefixes": ["*"],
            "destination_ports": [ports], "source_asgs": [], "destination_asgs": [], "is_default": False}


def test_a_dropped_range_and_a_denying_nsg_are_blocked_rows_with_the_command_that_opens_the_nsg(
        lab: NetnsLab, tmp_path: Path) -> None:
    found = run_scenario(lab, tmp_path, Scenario(dns="private", listen_mi=MI_OPEN, drop=range(11000, 11900)))
    assert found["NET-002"][0]["status"] == "FAIL"
    snapshot = tmp_path / "snapshot.json"
    data = json.loads(snapshot.read_text("utf-8"))
    data["facts"]["azure"]["subnet"]["nsg_id"] = NSG_ID
    data["facts"]["azure"]["nsg"] = {"id": NSG_ID, "name": "nsg-mi", "rules": [
        _rule("allow-5022", 200, "Allow", "5022"), _rule("deny-redirect", 210, "Deny", "11000-11999")]}
    snapshot.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "flows"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "linkready", "evaluate", str(snapshot), "--format", "flows-csv,html",
                           "-o", str(out), "-q"], capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 1, done.stderr
    rows = list(csv.DictReader(io.StringIO((out / "linkready-flows.csv").read_text("utf-8"))))
    by = {(r["where"], r["ports"], r["direction"]): r for r in rows}
    firewall = by[("On-premises firewall", "11000-11999", "Outbound")]
    assert firewall["state"] == "blocked", firewall
    assert "filtered 11000-11899" in firewall["observed"] and "open 11900-11999" in firewall["observed"], \
        firewall["observed"]
    assert by[("On-premises firewall", "5022", "Outbound")]["state"] == "open"
    nsg = by[("MI subnet NSG", "11000-11999", "Inbound")]
    assert nsg["state"] == "blocked" and "deny-redirect (210)" in nsg["observed"]
    assert f"--source-address-prefixes {CLIENT_V4}/32" in nsg["az_command"]
    assert f"--destination-address-prefixes {MI_SUBNET}" in nsg["az_command"]
    assert "--priority 200" not in nsg["az_command"] and "--priority 190" in nsg["az_command"]
    assert by[("MI subnet NSG", "5022", "Inbound")]["state"] == "open"
    page = (out / "linkready-report.html").read_text("utf-8")
    assert 'id="flows"' in page and "deny-redirect (210)" in page
