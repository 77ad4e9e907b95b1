"""The real azure-cli, installed by scripts/test.sh in its own cached venv (LINKREADY_AZ)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_component

DRIVER = Path(__file__).with_name("az_driver.py")


def az_python() -> Path | None:
    az = os.environ.get("LINKREADY_AZ", "")
    if not az:
        return None
    python = Path(az).parent / "python"
    return python if python.exists() else None


@pytest.fixture(scope="session")
def az_parse(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Parse argument lists with the real az, signed out (empty AZURE_CONFIG_DIR): valid → exit 1
    "Please run 'az login'", invalid → exit 2."""
    python = az_python()
    require_component("azure-cli", python is not None,
                      "scripts/test.sh installs it and sets LINKREADY_AZ to its bin/az")
    assert python is not None
    config = tmp_path_factory.mktemp("azure-config")

    def parse(commands: list[list[str]]) -> list[dict[str, object]]:
        env = {**os.environ, "AZURE_CONFIG_DIR": str(config), "AZURE_CORE_COLLECT_TELEMETRY": "false",
               "AZURE_CORE_NO_COLOR": "true"}
        done = subprocess.run([str(python), str(DRIVER)], input=json.dumps(commands), capture_output=True,
                              text=True, env=env, timeout=900, check=True)
        result: list[dict[str, object]] = json.loads(done.stdout)
        return result

    return parse
