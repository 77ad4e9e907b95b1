"""The build catalogue: data integrity, numeric classification, the generator and `linkready sql-build`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from linkready.domain import sql_builds
from tests.conftest import ROOT, run_cli

CATALOGUE = sql_builds.catalogue()


def test_generated_data_file_is_valid() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_sql_builds.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("version", "cus"), [("2017", range(1, 32)), ("2019", range(1, 33)), ("2022", range(1, 21))])
def test_every_cumulative_update_is_listed(version: str, cus: range) -> None:
    names = {e.name for e in CATALOGUE.entries if e.version == version}
    assert {f"CU{n}" for n in cus} <= names


@pytest.mark.parametrize(("build", "name", "kb"), [
    ("13.0.6300.2", "SP3", "KB5003279"), ("13.0.7000.253", "Azure Connect Pack", "KB5014242"),
    ("14.0.3456.2", "CU31", "KB5016884"), ("14.0.3490.10", "Azure Connect Pack", "KB5050533"),
    ("15.0.4312.2", "CU20", "KB5024276"), ("16.0.4095.4", "CU10", "KB5031778"), ("16.0.4125.3", "CU13", "KB5036432"),
    ("17.0.1000.7", "RTM", None),
])
def test_reference_builds(build: str, name: str, kb: str | None) -> None:
    entry = sql_builds.identify(sql_builds.parse_build(build)).exact
    assert entry is not None and (entry.name, entry.kb) == (name, kb)


@pytest.mark.parametrize(("build", "can_host", "flags"), [
    ("15.0.4312.2", True, {}), ("15.0.4298.1", False, {}),
    ("15.0.4280.7", False, {}),  # CU18 + GDR: released after CU20's predecessor, still below by number
    ("15.0.4326.1", True, {}),  # CU22 + GDR
    ("15.0.2130.3", False, {}),  # RTM-branch GDR from 2024
    ("14.0.3456.2", False, {}), ("14.0.3490.10", True, {}),
    ("13.0.6460.7", False, {}),  # SP3 + 2025 GDR: no Azure Connect pack
    ("13.0.7055.9", True, {}), ("12.0.6444.4", False, {}), ("11.0.7001.0", False, {}),
    ("16.0.1000.6", True, {}), ("16.0.4085.2", False, {"mi_initial_primary": True}),
    ("16.0.1135.2", False, {"mi_initial_primary": True}),  # 2024 RTM GDR < CU10 numerically
    ("16.0.4125.3", True, {"tsql_failover": True}), ("16.0.4115.5", False, {"tsql_failover": True}),
    ("16.0.4205.1", False, {"multidb": True}),  # CU20 < CU27
    ("16.0.4999.1", None, {"multidb": True}),  # newer than the catalogue, CU unknown
    ("17.0.1000.7", True, {}), ("17.0.4035.5", False, {"multidb": True}),
])
def test_assess(build: str, can_host: bool | None, flags: dict[str, bool]) -> None:
    assert sql_builds.assess(sql_builds.parse_build(build), **flags).can_host is can_host


def test_update_level_settles_cu_only_minimums() -> None:
    build = sql_builds.parse_build("16.0.4999.1")
    assert sql_builds.assess(build, multidb=True, update_level="CU28").can_host is True
    assert sql_builds.assess(build, multidb=True, update_level="CU26").can_host is False


def test_unknown_build_is_classified_by_position() -> None:
    identity = sql_builds.identify(sql_builds.parse_build("15.0.4323.1"))
    assert identity.exact is None and identity.before is not None and identity.before.name == "CU22"
    assert "by position" in identity.describe()


@pytest.mark.parametrize("text", ["", "banana", "1.2.3", "SQL Server 2019"])
def test_bad_input(text: str) -> None:
    with pytest.raises(ValueError):
        sql_builds.parse_build(text)


VERSION_TEXT = ("Microsoft SQL Server 2019 (RTM-CU22) (KB5027702) - 15.0.4322.2 (X64) \n\tJul 27 2023 18:11:00 "
                "\n\tCopyright (C) 2019 Microsoft Corporation\n\tStandard Edition (64-bit) on Windows Server 2022 "
                "Datacenter 10.0 <X64> (Build 20348: ) (Hypervisor)")


def test_version_text_is_parsed() -> None:
    parsed = sql_builds.parse_version_text(VERSION_TEXT)
    assert str(parsed.build) == "15.0.4322.2" and parsed.update_level == "CU22"
    assert parsed.edition == "Standard Edition (64-bit)" and parsed.host == "Windows Server 2022 Datacenter 10.0"


def test_generator_parses_microsoft_build_tables(tmp_path: Path) -> None:
    page = tmp_path / "build-versions.md"
    page.write_text(
        "---\ntitle: SQL Server 2019 build versions (KB4518398)\nms.date: 02/27/2025\n---\n"
        "| Cumulative update name | SQL Server build version | SQL Server (sqlservr.exe) file version | "
        "Analysis Services build version | Analysis Services (msmdsrv.exe) file version | Knowledge Base number | "
        "Release date |\n|---|---|---|---|---|---|---|\n"
        "| CU20 (Latest) | 15.0.4312.2 | 2019.150.4312.2 | 15.0.35.39 | 2018.150.35.39 | "
        "[KB5024276](cumulativeupdate20.md) | April 13, 2023 |\n"
        "| CU7 (Removed) | 15.0.4063.15 | 2019.150.4063.15 | 15.0.34.22 | 2018.150.34.22 | "
        "[KB4570012](cumulativeupdate7.md) | September 02, 2020 |\n", encoding="utf-8")
    out = tmp_path / "builds.json"
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_sql_builds.py"), str(page),
                             "--output", str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    rows = {r["build"]: r for r in json.loads(out.read_text())["builds"]}
    assert rows["15.0.4312.2"] == {"build": "15.0.4312.2", "version": "2019", "name": "CU20", "kind": "cu",
                                   "kb": "KB5024276", "released": "2023-04-13"}
    assert rows["15.0.4063.15"]["note"] == "withdrawn by Microsoft"
    assert "17.0.1000.7" in rows  # additional builds from minimums.json


@pytest.mark.parametrize(("args", "code", "needle"), [
    (["15.0.4335.1"], 0, "CAN host"),
    (["15.0.4261.1"], 1, "KB5024276"),
    (["14.0.3456.2"], 1, "Azure Connect Pack"),
    (["12.0.6024.0"], 1, "CANNOT"),
    ([VERSION_TEXT], 0, "Standard Edition"),
    (["not-a-build"], 2, ""),
])
def test_sql_build_command(args: list[str], code: int, needle: str) -> None:
    result = run_cli("sql-build", *args)
    assert result.returncode == code, result.stderr
    if code == 2:
        assert result.stdout == "" and result.stderr.startswith("linkready: error:")
    else:
        assert needle in result.stdout


def test_sql_build_json() -> None:
    result = run_cli("sql-build", "--json", "15.0.4261.1")
    data = json.loads(result.stdout)
    assert result.returncode == 1 and data["can_host_link"] is False and data["name"] == "CU18"
    assert data["install"] == ["SQL Server 2019 CU20, build 15.0.4312.2, KB5024276"]


def test_grant_script_is_read_only() -> None:
    result = run_cli("grant-script", "--login", "probe]x")
    assert result.returncode == 0
    lines = [line.strip().rstrip(";") for line in result.stdout.splitlines()
             if line.strip() and not line.strip().startswith("--")]
    allowed = ("USE ", "CREATE LOGIN ", "CREATE USER ", "GRANT VIEW SERVER STATE TO ", "GRANT VIEW ANY DEFINITION TO ",
               "GRANT CONNECT ANY DATABASE TO ", "GRANT SELECT ON dbo.backupset TO ")
    assert lines and all(line.startswith(allowed) for line in lines), lines
    for line in lines:
        for forbidden in ("CONTROL", "ALTER", "INSERT", "UPDATE", "DELETE", "EXECUTE", "DB_OWNER", "SYSADMIN"):
            assert forbidden not in line.upper(), line
    assert "[probe]]x]" in result.stdout
    assert run_cli("grant-script", "--login", "").returncode == 2
