"""Estate mode shares one socket budget across every target.

Fifty live targets, each scanning a managed instance whose redirect ports are silently dropped
(real nftables DROP in the lab's server namespace), run in one ``linkready check --estate`` in the
client namespace with its descriptor limit lowered to 512. Each target wants ~100 sockets at once
and eight run together: without one budget for the process they ask for ~800 descriptors, the
kernel refuses (Errno 24) and targets come back with port errors, or an ImportError. With it,
every target is judged the same way: 5022 open, the range filtered.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import ROOT
from tests.probes.test_network_e2e import config_toml
from tests.standins.dns.server import DnsTestServer, scenario_zone
from tests.standins.netns.lab import NetnsLab

TARGETS = 50
NOFILE = 512


def _lower_nofile() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))


def _estate(tmp_path: Path) -> Path:
    target = tmp_path / "target.toml"
    # 100 sampled redirect ports per target (plus 5022): enough that eight targets at once
    # exceed the lowered limit, few enough to finish quickly while dropped ports time out.
    target.write_text(config_toml(port_sample=100).replace("probe_timeout = 60", "probe_timeout = 120"),
                      encoding="utf-8")
    lines = ['[estate]\nname = "sockets"\nconcurrency = 8\n']
    lines += [f'[[target]]\nname = "t{i:02d}"\nconfig = "target.toml"\n' for i in range(TARGETS)]
    estate = tmp_path / "estate.toml"
    estate.write_text("\n".join(lines), encoding="utf-8")
    return estate


def _findings(out: Path, target: dict[str, Any], check_id: str) -> list[dict[str, Any]]:
    """The target's own JSON report (the estate file lists only what needs attention)."""
    report = json.loads((out / target["files"][0]).read_text(encoding="utf-8"))
    return [f for f in report["findings"] if f["check_id"] == check_id]


def test_fifty_live_targets_with_filtered_ports_under_512_descriptors(lab: NetnsLab, tmp_path: Path) -> None:
    lab.set_rules(drop=range(11000, 12000))
    lab.write_client_resolv_conf("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    dns = lab.in_client(DnsTestServer, scenario_zone("private"), "127.0.0.1", 53)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    try:
        with lab.listening([5022]):
            run = subprocess.run(
                lab.client_cmd(sys.executable, "-m", "linkready", "check", "--estate", str(_estate(tmp_path)),
                               "-o", str(out), "--format", "json", "-q"),
                capture_output=True, text=True, env=env, timeout=600, stdin=subprocess.DEVNULL,
                preexec_fn=_lower_nofile,
            )
    finally:
        dns.stop()
    assert "Traceback" not in run.stderr and "Too many open files" not in run.stderr, run.stderr
    assert run.returncode in (1, 3), run.stderr
    report = json.loads((out / "estate.json").read_text(encoding="utf-8"))
    targets = report["targets"]
    assert len(targets) == TARGETS
    text = json.dumps(report)
    assert "Errno 24" not in text and "Too many open files" not in text and "ImportError" not in text
    for target in targets:
        assert not target["reason"], (target["name"], target["reason"])
        (net1,) = _findings(out, target, "NET-001")
        (net2,) = _findings(out, target, "NET-002")
        assert net1["status"] == "PASS", (target["name"], net1["message"])
        assert net2["status"] == "FAIL", (target["name"], net2["message"])
        assert "filtered (no answer)" in net2["message"] and "untested" not in net2["message"], net2["message"]
