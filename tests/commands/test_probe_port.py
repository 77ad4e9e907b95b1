"""`linkready probe-port` as a process, run from the client namespace against real kernel rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, run_cli
from tests.standins.dns.server import DnsTestServer, Zone
from tests.standins.netns.lab import SERVER_V4, NetnsLab


def probe_port(lab: NetnsLab, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.run(
        lab.client_cmd(sys.executable, "-m", "linkready", "probe-port", *args),
        capture_output=True, text=True, env=env, timeout=60, stdin=subprocess.DEVNULL,
    )


def test_all_open_exits_0(lab: NetnsLab) -> None:
    with lab.listening([5022, 11000, 11001, 11002]):
        proc = probe_port(lab, SERVER_V4, "5022,11000-11002", "--timeout", "0.5")
    assert proc.returncode == 0, proc.stderr
    assert "open" in proc.stdout and "5022,11000-11002" in proc.stdout
    assert "source address 198.51.100.10" in proc.stdout
    assert proc.stderr == ""


def test_mixed_prints_each_class_as_ranges_and_exits_1(lab: NetnsLab) -> None:
    lab.set_rules(drop=range(11000, 11500), unreachable=[11998, 11999])
    with lab.listening([5022]):
        proc = probe_port(lab, SERVER_V4, "5022,11000-11999", "--timeout", "0.5")
    assert proc.returncode == 1, proc.stderr
    lines = {line.split()[0]: line.split()[1] for line in proc.stdout.splitlines()[1:]}
    assert lines == {
        "open": "5022",
        "refused": "11500-11997",
        "filtered": "11000-11499",
        "unreachable": "11998-11999",
    }


def test_json_output_and_sampling(lab: NetnsLab) -> None:
    lab.set_rules(drop=range(11000, 12000))
    proc = probe_port(lab, SERVER_V4, "11000-11999", "--timeout", "0.3", "--sample", "10", "--json")
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert data["sampled"] is True and data["requested"] == "11000-11999"
    assert len(data["ports"]) == 10
    assert {p["state"] for p in data["ports"]} == {"filtered"}
    assert data["ports"][0]["port"] == 11000 and data["ports"][-1]["port"] == 11999


def test_host_name_through_a_dns_server(lab: NetnsLab) -> None:
    server = lab.in_client(DnsTestServer, Zone().add("mi.example", "A", SERVER_V4), "127.0.0.1", 0)
    try:
        with lab.listening([5022]):
            ok = probe_port(lab, "mi.example", "5022", "--dns-server", server.spec, "--timeout", "0.5")
            missing = probe_port(lab, "nope.example", "5022", "--dns-server", server.spec, "--timeout", "0.5")
    finally:
        server.stop()
    assert ok.returncode == 0, ok.stderr
    assert f"mi.example ({SERVER_V4})" in ok.stdout
    assert missing.returncode == 1
    assert "nope.example did not resolve" in missing.stderr and "nxdomain" in missing.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["127.0.0.1", "0-3"], "PORTS: port 0 out of range"),
        (["127.0.0.1", "11999-11000"], "runs backwards"),
        (["127.0.0.1", "http"], "not a port number"),
        (["127.0.0.1", "5022", "--timeout", "0"], "--timeout must be positive"),
        (["127.0.0.1", "5022", "--dns-server", "dns.example"], "--dns-server: bad DNS server"),
        (["127.0.0.1"], "Missing argument"),
    ],
)
def test_bad_arguments_exit_2(args: list[str], message: str) -> None:
    proc = run_cli("probe-port", *args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert proc.stdout == ""
