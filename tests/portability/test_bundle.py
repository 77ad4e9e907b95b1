"""scripts/build_bundle.py: the offline bundle installs with no index and runs; the Windows one is all wheels.

Both download wheels from the package index (pip's HTTP cache makes a second run fast): marked registry.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.portability.conftest import Dist, bin_dir, clean_env

pytestmark = [pytest.mark.slow, pytest.mark.registry]
SCRIPT = ROOT / "scripts" / "build_bundle.py"
PY = f"{sys.version_info.major}.{sys.version_info.minor}"


def build(dist: Dist, out: Path, platform_tag: str) -> Path:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--platform", platform_tag, "--python-version", PY,
                           "--wheel", str(dist.wheel), "--output", str(out)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    zip_path = Path(proc.stdout.strip())
    assert zip_path.parent == out and zip_path.is_file()
    return zip_path


def wheel_names(zip_path: Path) -> list[str]:
    with zipfile.ZipFile(zip_path) as zf:
        return [n.removeprefix("wheels/") for n in zf.namelist() if n.startswith("wheels/")]


def test_windows_bundle_has_a_win_amd64_pyodbc_wheel_and_no_sdist(dist: Dist, tmp_path: Path) -> None:
    zip_path = build(dist, tmp_path, "win_amd64")
    names = wheel_names(zip_path)
    assert all(n.endswith(".whl") for n in names), names
    assert any(n.startswith("pyodbc-") and n.endswith("-win_amd64.whl") for n in names), names
    assert dist.wheel.name in names
    # Every compiled wheel is for Windows: nothing for Linux or macOS slipped in.
    assert all(n.endswith(("-any.whl", "-win_amd64.whl")) for n in names), names
    with zipfile.ZipFile(zip_path) as zf:
        install = zf.read("INSTALL.txt").decode("utf-8")
    assert r"py -m pip install --user --no-index --find-links .\wheels linkready" in install
    assert "ODBC Driver 18 for SQL Server" in install


@pytest.mark.skipif(sys.platform != "linux" or platform.machine() != "x86_64", reason="Linux x86_64 bundle")
def test_linux_bundle_installs_offline_and_runs_the_demo(dist: Dist, tmp_path: Path) -> None:
    zip_path = build(dist, tmp_path / "out", "manylinux_2_28_x86_64")
    unpacked = tmp_path / "jumpbox"
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(unpacked)
    venv = unpacked / ".venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    # Air-gapped: no index, and no pip configuration (this machine's find-links would be a second source).
    env = {k: v for k, v in clean_env().items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    install = subprocess.run([str(bin_dir(venv) / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                              "--no-index", "--find-links", str(unpacked / "wheels"), "linkready"],
                             capture_output=True, text=True, env=env, cwd=unpacked, timeout=600)
    assert install.returncode == 0, install.stderr
    demo = subprocess.run([str(bin_dir(venv) / "linkready"), "demo", "--no-color"], capture_output=True, text=True,
                          env=env, cwd=unpacked, timeout=120)
    assert demo.returncode == 1, demo.stderr
    assert "linkready: Not ready" in demo.stdout


def test_a_bad_platform_is_a_usage_error() -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--platform", "windows"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and "is not a wheel platform tag" in proc.stderr
    assert "Traceback" not in proc.stderr
