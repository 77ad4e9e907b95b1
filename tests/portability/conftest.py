"""Built once per session: the sdist and wheel (``python -m build``), and a fresh venv with the sdist installed.

Building costs ~15 s and a fresh install ~1 min (dependencies come from the package index), so every test
in this directory shares these instead of building its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT


@dataclass(frozen=True)
class Dist:
    wheel: Path
    sdist: Path


def bin_dir(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without the checkout on the path: only what a venv installed may run."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "NO_COLOR": "1", **extra}


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    out = tmp_path_factory.mktemp("dist")
    # Default `python -m build` builds the sdist, then the wheel from the sdist: a file missing from
    # the sdist makes the wheel (and so the tests using it) incomplete.
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    [wheel] = out.glob("linkready-*.whl")
    [sdist] = out.glob("linkready-*.tar.gz")
    return Dist(wheel, sdist)


@pytest.fixture(scope="session")
def sdist_venv(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no access to the checkout) with linkready installed from the sdist."""
    venv = tmp_path_factory.mktemp("sdist-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    proc = subprocess.run([str(bin_dir(venv) / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                           str(dist.sdist)], capture_output=True, text=True, env=clean_env(), cwd=venv.parent,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return venv
