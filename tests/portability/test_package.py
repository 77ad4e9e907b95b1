"""The releasable package: sdist and wheel build, carry complete metadata, and the sdist installs and runs."""

from __future__ import annotations

import subprocess
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from linkready import __version__
from tests.conftest import ROOT
from tests.portability.conftest import Dist, bin_dir, clean_env

pytestmark = [pytest.mark.slow, pytest.mark.registry]


def metadata(wheel: Path) -> dict[str, list[str]]:
    with zipfile.ZipFile(wheel) as zf:
        [name] = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        message = Parser().parsestr(zf.read(name).decode("utf-8"))
    fields: dict[str, list[str]] = {}
    for key, value in message.items():
        fields.setdefault(key, []).append(value)
    return fields


def test_both_carry_the_one_version(dist: Dist) -> None:
    assert dist.wheel.name == f"linkready-{__version__}-py3-none-any.whl"
    assert dist.sdist.name == f"linkready-{__version__}.tar.gz"
    assert metadata(dist.wheel)["Version"] == [__version__]


def test_wheel_metadata_is_complete(dist: Dist) -> None:
    meta = metadata(dist.wheel)
    assert meta["Requires-Python"] == [">=3.11"]
    assert meta["License-Expression"] == ["MIT"]
    classifiers = set(meta["Classifier"])
    assert {"Operating System :: Microsoft :: Windows", "Operating System :: POSIX :: Linux",
            "Programming Language :: Python :: 3.11", "Environment :: Console"} <= classifiers
    urls = dict(u.split(", ", 1) for u in meta["Project-URL"])
    assert {"Homepage", "Source", "Issues", "Changelog"} <= {k.title() for k in urls}
    assert all(u.startswith("https://") for u in urls.values())
    assert any(r.startswith("pyodbc") for r in meta["Requires-Dist"])


def test_sdist_carries_everything_a_build_needs(dist: Dist) -> None:
    with tarfile.open(dist.sdist) as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md", "linkready/data/demo_snapshot.json",
            "linkready/data/demo_multidb_snapshot.json", "checks/__init__.py",
            "reports/templates/report.html", "profiles/pipeline.toml"} <= names


def test_changelog_names_the_current_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text("utf-8")
    assert f"## [{__version__}]" in text and "## [Unreleased]" in text


def test_sdist_installed_in_a_fresh_venv_runs(sdist_venv: Path, tmp_path: Path) -> None:
    linkready = str(bin_dir(sdist_venv) / "linkready")
    version = subprocess.run([linkready, "--version"], capture_output=True, text=True, env=clean_env(),
                             cwd=tmp_path, timeout=60)
    assert version.stdout.strip().startswith(f"linkready, version {__version__} (SQL Server build catalogue of ")
    demo = subprocess.run([linkready, "demo", "--format", "json,md", "--output", str(tmp_path), "-q"],
                          capture_output=True, text=True, env=clean_env(), cwd=tmp_path, timeout=120)
    assert demo.returncode == 1, demo.stderr
    # The installed copy, not the checkout, ran: and the report shows its version.
    assert f'"tool_version": "{__version__}"' in (tmp_path / "linkready-report.json").read_text("utf-8")
    assert f"linkready {__version__}" in (tmp_path / "linkready-report.md").read_text("utf-8")
    other = tmp_path / "multidb"
    multidb = subprocess.run([linkready, "demo", "--scenario", "multidb", "--format", "json", "--output", str(other),
                              "-q"], capture_output=True, text=True, env=clean_env(), cwd=tmp_path, timeout=120)
    assert multidb.returncode == 1, multidb.stderr  # the scenario's snapshot is in the installed package
