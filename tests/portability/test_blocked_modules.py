"""Windows has no resource, fcntl, termios, pwd or grp: linkready must import and run without them.

Each test runs a fresh interpreter in which those modules are blocked (tests/portability/blocked_run.py),
so an import anywhere in the package, at module level or on the code path of a command, fails the test.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

RUNNER = Path(__file__).with_name("blocked_run.py")


def blocked(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, str(RUNNER), *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture
def listener() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


def test_the_blocker_really_blocks() -> None:
    # If `import resource` still worked after block(), every other test here would prove nothing.
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import blocked_run; blocked_run.block(); "
            "import resource")
    probe = subprocess.run([sys.executable, "-c", code, str(RUNNER.parent)], capture_output=True, text=True,
                           timeout=60)
    assert probe.returncode != 0 and "ModuleNotFoundError: import of resource halted" in probe.stderr, probe.stderr


def test_every_module_imports_without_unix_only_modules() -> None:
    proc = blocked("--import-all")
    assert proc.returncode == 0, proc.stderr
    count = int(proc.stdout.split()[1])
    # Every module of every subpackage, including the mapped checks/reports/profiles: dozens, not a handful.
    assert count >= 60, proc.stdout


def test_probe_port_against_a_loopback_listener(listener: int) -> None:
    proc = blocked("probe-port", "127.0.0.1", f"{listener},{listener + 1 if listener < 65535 else listener - 1}",
                   "--timeout", "1", "--json")
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    states = {p["port"]: p["state"] for p in json.loads(proc.stdout)["ports"]}
    assert states[listener] == "open"


def test_demo_runs_and_writes_reports(tmp_path: Path) -> None:
    proc = blocked("demo", "--format", "console,json,junit,md,html", "--output", str(tmp_path), "--no-color")
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stderr  # the bundled estate is not ready
    assert "NOT READY" in proc.stdout.upper()
    assert {p.suffix for p in tmp_path.iterdir()} >= {".json", ".xml", ".md", ".html"}
