"""Shared test helpers.

Under CI (CI=true) a missing system component fails the test run instead of skipping: a green CI
must mean every real component was exercised.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_component(name: str, available: bool, hint: str = "") -> None:
    """Skip locally, fail under CI, when a real component (driver, binary, kernel feature) is missing."""
    if available:
        return
    message = f"required component missing: {name}" + (f" ({hint})" if hint else "")
    if IN_CI:
        pytest.fail(message + " — under CI=true this is a failure, install it via the README's test command")
    pytest.skip(message)


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess (stdout and stderr kept apart, exit code kept)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "linkready", *args],
        capture_output=True, text=True, env=full_env, cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def cli_run():  # type: ignore[no-untyped-def]
    return run_cli


# Fixtures of the real local components: DNS test servers on loopback, the network-namespace lab.
pytest_plugins = ["tests.standins.dns.fixtures", "tests.standins.netns.fixtures"]
