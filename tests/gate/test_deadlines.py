"""Deadlines bound the process, not just the report.

The real CLI in a subprocess against the ARM and Entra stand-ins (HTTPS on loopback) and a DNS
server that never answers; the clock is only read to bound the run (no speed is asserted: the
margin is generous, and the old behaviour took 60 s to an hour).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.standins.arm.server import ArmStandIn
from tests.standins.dns.server import SilentDnsServer
from tests.standins.entra.server import EntraStandIn

#: Seconds past probe_timeout the process may take to build and write the report and exit.
MARGIN = 6.0


@pytest.fixture
def azure() -> Iterator[tuple[ArmStandIn, EntraStandIn]]:
    arm = ArmStandIn().start()
    entra = EntraStandIn(arm.ca).start()
    yield arm, entra
    entra.stop()
    arm.stop()


def _target(tmp_path: Path, arm: ArmStandIn, entra: EntraStandIn, dns: SilentDnsServer, probe_timeout: float) -> Path:
    v = arm.variables
    path = tmp_path / "target.toml"
    path.write_text(f'''
[managed_instance]
resource_id = "{v["MI_ID"]}"
fqdn = "{v["MI_FQDN"]}"

[azure]
credential = "environment"
authority = "{entra.url}"
arm_endpoint = "{arm.url}"
verify_tls = "{arm.ca_bundle}"
timeout = 120
retries = 5

[network]
dns_servers = ["{dns.address}:{dns.port}"]
dns_timeout = 120

[options]
probe_timeout = {probe_timeout}
formats = ["json", "junit"]
output = "{tmp_path / "report"}"
''', encoding="utf-8")
    return path


def _run(tmp_path: Path, entra: EntraStandIn, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "MSAL_", "IDENTITY_"))}
    env |= {**entra.env(), "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "linkready", *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300, stdin=subprocess.DEVNULL)
    return done, time.monotonic() - started


def _errors(report: dict[str, Any]) -> dict[str, str]:
    return {f["check_id"]: f["message"] for f in report["findings"] if f["status"] == "ERROR"}


def test_throttled_arm_and_silent_dns_end_within_probe_timeout(tmp_path: Path,
                                                                azure: tuple[ArmStandIn, EntraStandIn]) -> None:
    arm, entra = azure
    arm.add_fault(path=".*", status=429, retry_after=3600)
    dns = SilentDnsServer()
    try:
        done, seconds = _run(tmp_path, entra, "check", "-c", str(_target(tmp_path, arm, entra, dns, 5)), "-q")
    finally:
        dns.stop()
    # 3, or 1 where the machine's own resolver answers NXDOMAIN for the instance name (DNS-001 FAIL).
    assert done.returncode in (1, 3), done.stderr
    assert "Traceback" not in done.stderr
    assert seconds < 5 + MARGIN, f"the process took {seconds:.1f} s with probe_timeout = 5"
    report = json.loads((tmp_path / "report" / "linkready-report.json").read_text())
    errors = _errors(report)
    assert "MI-001" in errors
    assert any("429" in m or "throttled" in m for m in errors.values()), errors
    assert (tmp_path / "report" / "linkready-junit.xml").is_file()


def test_one_slow_azure_read_costs_only_its_own_facts(tmp_path: Path, azure: tuple[ArmStandIn, EntraStandIn]) -> None:
    arm, entra = azure
    arm.add_fault(path="/distributedAvailabilityGroups", delay=120)
    dns = SilentDnsServer()
    try:
        done, seconds = _run(tmp_path, entra, "collect", "-c", str(_target(tmp_path, arm, entra, dns, 8)),
                             "-o", str(tmp_path / "s.json"), "-q")
    finally:
        dns.stop()
    assert done.returncode == 0, done.stderr
    assert seconds < 8 + MARGIN
    snapshot = json.loads((tmp_path / "s.json").read_text())
    azure_facts = snapshot["facts"]["azure"]
    assert azure_facts["managed_instance"]["name"], "the instance was read"
    assert azure_facts["databases"] is not None
    assert azure_facts["links"] is None
    errors = [e for e in snapshot["facts"]["errors"] if e["fact"] == "azure.links"]
    assert errors and errors[0]["kind"] == "timeout" and "not collected" in errors[0]["reason"]


def test_deadline_flag_bounds_the_run(tmp_path: Path, azure: tuple[ArmStandIn, EntraStandIn]) -> None:
    arm, entra = azure
    arm.add_fault(path=".*", delay=300)
    dns = SilentDnsServer()
    try:
        done, seconds = _run(tmp_path, entra, "check", "-c", str(_target(tmp_path, arm, entra, dns, 600)),
                             "--deadline", "6", "-q")
    finally:
        dns.stop()
    assert seconds < 6 + MARGIN, seconds
    assert done.returncode in (1, 3), done.stderr
    assert "Traceback" not in done.stderr
    assert (tmp_path / "report" / "linkready-report.json").is_file()
