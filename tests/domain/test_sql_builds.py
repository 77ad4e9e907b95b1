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


@pytest.fixture(autouse=True)
def _no_user_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI subprocesses must never read a real user's downloaded catalogue."""
    monkeypatch.setenv(sql_builds.CACHE_ENV, str(tmp_path_factory.mktemp("cache")))
    sql_builds.catalogue.cache_clear()


def test_generated_data_file_is_valid() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_sql_builds.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("version", "cus"), [("2017", range(1, 32)), ("2019", range(1, 33)), ("2022", range(1, 27)), ("2025", range(1, 9))])
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


def _checkout(tmp_path: Path) -> Path:
    """A folder of saved pages laid out like MicrosoftDocs/SupportArticles-docs, with a COMMITS file."""
    releases = tmp_path / "docs" / "support" / "sql" / "releases"
    folder = releases / "sqlserver-2019"
    folder.mkdir(parents=True)
    (folder / "build-versions.md").write_text(
        "---\ntitle: SQL Server 2019 build versions (KB4518398)\nms.date: 02/27/2025\n---\n"
        "| Cumulative update name | SQL Server build version | SQL Server (sqlservr.exe) file version | "
        "Analysis Services build version | Analysis Services (msmdsrv.exe) file version | Knowledge Base number | "
        "Release date |\n|---|---|---|---|---|---|---|\n"
        "| CU20 (Latest) | 15.0.4312.2 | 2019.150.4312.2 | 15.0.35.39 | 2018.150.35.39 | "
        "[KB5024276](cumulativeupdate20.md) | April 13, 2023 |\n"
        "| CU8 | 15.0.4073.23 | 2019.150.4073.23 | 15.0.34.27 | 2018.150.34.27 | "
        "[KB4577194](cumulativeupdate8.md) | October 01, 2020 |\n"
        "| CU7 (Removed) | 15.0.4063.15 | 2019.150.4063.15 | 15.0.34.22 | 2018.150.34.22 | "
        "[KB4570012](cumulativeupdate7.md) | September 02, 2020 |\n", encoding="utf-8")
    # An update page newer than the table: the generator must take it (the tables lag).
    (folder / "cumulativeupdate21.md").write_text(
        "---\ntitle: Cumulative update 21 for SQL Server 2019 (KB5025808)\nms.date: 06/15/2023\n---\n\n"
        "_Release Date:_ &nbsp; June 15, 2023\n_Version:_ &nbsp; 15.0.4316.3\n", encoding="utf-8")
    # The Linux version list: newest, but the Windows table's name and date win for a build both list.
    (releases / "linux").mkdir()
    (releases / "linux" / "download-and-install-latest-updates-linux.md").write_text(
        "---\ntitle: Latest Updates and Version History for SQL Server on Linux\nms.date: 08/10/2026\n---\n"
        "| Build number or version | Update | Knowledge Base number | Release date |\n| --- | --- | --- | --- |\n"
        "| 16.0.4265.3 | CU26 | [KB5093420](https://support.microsoft.com/help/5093420) | July 16, 2026 |\n"
        "| 16.0.4262.2 | CU25 + GDR <sup>1</sup> | [KB5101347](https://support.microsoft.com/help/5101347) "
        "| July 14, 2026 |\n| 16.0.4236.2 | CU23 | [KB5078297](https://support.microsoft.com/help/5078297) "
        "| January 29, 2026 |\n| 15.0.4312.2 | CU20 | [KB5024276](https://support.microsoft.com/help/5024276) "
        "| April 14, 2023 |\n| 14.0.3490.10 | Azure Connect feature pack <sup>3</sup> | "
        "[KB5050533](https://support.microsoft.com/help/5050533) | March 06, 2025 |\n", encoding="utf-8")
    # KB321185, every version's complete list: 2014 rows are ignored, a service pack's RTW/PCU row is named SPn.
    (releases / "download-and-install-latest-updates.md").write_text(
        "---\ntitle: Latest updates and version history for SQL Server\nms.date: 04/16/2026\n---\n"
        "| Build number or version | Service pack | Update | Knowledge Base number | Release date |\n"
        "| --- | --- | --- | --- | --- |\n"
        "| 13.0.6485.1 | None | SP3 + GDR | [KB5084821](https://support.microsoft.com/help/5084821) | April 14, 2026 |\n"
        "| 13.0.5153.0 | SP2 | CU2 | [KB4340355](sqlserver-2016/servicepack2-cumulativeupdate2.md) | July 16 2018 |\n"
        "| 13.0.5026.0 | SP2 | RTW/PCU2 | [KB4052908](sqlserver-2016/servicepack2.md) | April 24, 2018 |\n"
        "| 13.0.1601.5 | None | RTM | NA | June 01, 2016 |\n"
        "| 12.0.6449.1 | None | SQL Server 2014 SP3 CU4 + GDR | [KB5029185](https://support.microsoft.com/help/5029185) "
        "| October 10, 2023 |\n", encoding="utf-8")
    (tmp_path / "docs" / "COMMITS").write_text(
        "support/sql/releases/sqlserver-2019/build-versions.md " + "a" * 40 + "\n"
        "support/sql/releases/sqlserver-2019/cumulativeupdate21.md " + "b" * 40 + "\n"
        "support/sql/releases/linux/download-and-install-latest-updates-linux.md " + "c" * 40 + "\n"
        "support/sql/releases/download-and-install-latest-updates.md " + "f" * 40 + "\n", encoding="utf-8")
    return tmp_path / "docs"


def _generate(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Generate from the pages under tmp_path/docs (made by _checkout unless a test made them)."""
    docs = tmp_path / "docs" if (tmp_path / "docs").exists() else _checkout(tmp_path)
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_sql_builds.py"), "--docs",
                           str(docs), "--output", str(tmp_path / "builds.json"),
                           "--inputs", str(tmp_path / "inputs.txt"), *extra], capture_output=True, text=True)


def _gen_check(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_sql_builds.py"), "--check", "--docs",
                           str(tmp_path / "docs"), "--output", str(tmp_path / "builds.json"),
                           "--inputs", str(tmp_path / "inputs.txt"), *extra], capture_output=True, text=True)


def test_generator_reads_tables_and_update_pages_with_their_commit(tmp_path: Path) -> None:
    result = _generate(tmp_path, "--discover")
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "builds.json").read_text())
    rows = {r["build"]: r for r in data["builds"]}
    assert rows["15.0.4312.2"] == {"build": "15.0.4312.2", "version": "2019", "name": "CU20", "kind": "cu",
                                   "kb": "KB5024276", "released": "2023-04-13",
                                   "page": "support/sql/releases/sqlserver-2019/build-versions.md",
                                   "commit": "a" * 40}
    assert rows["15.0.4316.3"]["name"] == "CU21" and rows["15.0.4316.3"]["commit"] == "b" * 40
    assert rows["15.0.4063.15"]["retired"] is True
    assert rows["15.0.4063.15"]["replaced_by"] == "15.0.4073.23"  # annotated in minimums.json
    assert (rows["13.0.6485.1"]["name"], rows["13.0.6485.1"]["kind"], rows["13.0.6485.1"]["commit"]) == \
        ("SP3 + GDR", "gdr", "f" * 40)
    assert rows["13.0.5153.0"]["name"] == "SP2 CU2" and rows["13.0.5153.0"]["released"] == "2018-07-16"
    assert rows["13.0.5026.0"]["name"] == "SP2" and rows["13.0.1601.5"]["name"] == "RTM"
    assert not any(build.startswith("12.") for build in rows)
    linux = "support/sql/releases/linux/download-and-install-latest-updates-linux.md"
    assert rows["16.0.4265.3"] == {"build": "16.0.4265.3", "version": "2022", "name": "CU26", "kind": "cu",
                                   "kb": "KB5093420", "released": "2026-07-16", "page": linux, "commit": "c" * 40}
    assert rows["16.0.4262.2"]["name"] == "CU25 + GDR" and rows["16.0.4262.2"]["kind"] == "cu+gdr"
    assert rows["14.0.3490.10"]["name"] == "Azure Connect Pack" and rows["14.0.3490.10"]["kind"] == "azure-connect"
    assert rows["16.0.4236.2"]["replaces"] == "16.0.4235.2"  # a page's build, annotated by minimums.json
    assert data["schema"] == 2 and data["catalogue_date"] == "2026-08-10"  # the newest page date
    assert (tmp_path / "inputs.txt").read_text().count(" ") >= 3  # every saved page pinned with its commit


def test_check_regenerates_from_the_pinned_pages_and_fails_on_any_edit(tmp_path: Path) -> None:
    assert _generate(tmp_path, "--discover").returncode == 0
    assert _gen_check(tmp_path).returncode == 0
    original = (tmp_path / "builds.json").read_text()
    # An entry edited by hand (a KB) is not what the pinned pages say.
    (tmp_path / "builds.json").write_text(original.replace("KB5093420", "KB5093999"))
    result = _gen_check(tmp_path)
    assert result.returncode == 1 and "16.0.4265.3: builds.json has" in result.stderr
    # An entry whose commit is altered is not a pinned input (caught without the pages, too).
    edited = json.loads(original)
    next(row for row in edited["builds"] if row["build"] == "15.0.4312.2")["commit"] = "d" * 40
    (tmp_path / "builds.json").write_text(json.dumps(edited))
    check_only = [sys.executable, str(ROOT / "scripts" / "gen_sql_builds.py"), "--check", "--output",
                  str(tmp_path / "builds.json"), "--inputs", str(tmp_path / "inputs.txt")]
    result = subprocess.run(check_only, capture_output=True, text=True)
    assert result.returncode == 1
    assert f"15.0.4312.2: support/sql/releases/sqlserver-2019/build-versions.md@{'d' * 40} is not a pinned input" \
        in result.stderr
    # A pinned commit that the saved copy is not of: refused, with one line naming both.
    (tmp_path / "builds.json").write_text(original)
    pinned = (tmp_path / "inputs.txt").read_text()
    (tmp_path / "inputs.txt").write_text(pinned.replace("b" * 40, "e" * 40))
    result = _gen_check(tmp_path)
    assert result.returncode == 1
    assert f"the saved copy is of commit {'b' * 40}, the pinned input is {'e' * 40}" in result.stderr


def _dbatools(tmp_path: Path, *items: dict[str, object]) -> Path:
    path = tmp_path / "dbatools-buildref-index.json"
    path.write_text(json.dumps({"LastUpdated": "2025-03-01T00:00:00", "Data": list(items)}), encoding="utf-8")
    return path


def test_cross_check_prints_disagreements_and_check_fails_unless_explained(tmp_path: Path) -> None:
    assert _generate(tmp_path, "--discover").returncode == 0
    # Agreement on CU20; a KB that differs on CU21; a build dbatools has and we lack; one after the catalogue date.
    ref = _dbatools(tmp_path, {"CU": "CU20", "Version": "15.0.4312", "KBList": "5024276"},
                    {"CU": "CU7", "Version": "15.0.4063", "KBList": "4570012", "Retired": True},
                    {"CU": "CU8", "Version": "15.0.4073", "KBList": "4577194"},
                    {"SP": "SP2", "Version": "13.0.5026", "KBList": "4052908"},
                    {"CU": "CU2", "Version": "13.0.5153", "KBList": "4340355"},
                    {"CU": "CU21", "Version": "15.0.4316", "KBList": "5099999"},
                    {"Version": "15.0.4314", "KBList": "5098765", "ReleaseDate": "2023-05-01"},
                    {"CU": "CU22", "Version": "15.0.4322", "KBList": "5027702", "ReleaseDate": "2026-09-14"})
    empty = tmp_path / "none.toml"
    empty.write_text("", encoding="utf-8")
    check = [sys.executable, str(ROOT / "scripts" / "gen_sql_builds.py"), "--check", "--output",
             str(tmp_path / "builds.json"), "--inputs", str(tmp_path / "inputs.txt"), "--dbatools", str(ref),
             "--exceptions"]
    result = subprocess.run([*check, str(empty)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "15.0.4316: KB differs: catalogue KB5025808, dbatools KB5099999  [UNEXPLAINED]" in result.stdout
    assert "15.0.4314: dbatools lists 15.0.4314" in result.stdout
    assert "15.0.4312:" not in result.stdout and "15.0.4322" not in result.stdout  # agrees / newer than catalogue
    assert "16.0.4265" not in result.stdout  # released after dbatools' LastUpdated: not held against it
    explained = tmp_path / "exceptions.toml"
    explained.write_text('[[exception]]\nbuild = "15.0.4316"\nreason = "reviewed"\n'
                         '[[exception]]\nbuild = "15.0.4314"\nreason = "reviewed"\n', encoding="utf-8")
    result = subprocess.run([*check, str(explained)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 unexplained, 0 stale" in result.stdout
    # A reviewed explanation that no longer matches a disagreement is stale and fails the check.
    explained.write_text(explained.read_text() + '[[exception]]\nbuild = "15.0.4000"\nreason = "old"\n')
    result = subprocess.run([*check, str(explained)], capture_output=True, text=True)
    assert result.returncode == 1 and "15.0.4000: listed in exceptions.toml but no longer a disagreement" in result.stdout


def test_packaged_catalogue_carries_its_sources() -> None:
    data = json.loads((ROOT / "linkready" / "domain" / "sql_builds" / "builds.json").read_text())
    assert data["catalogue_date"] == CATALOGUE.date == "2026-08-13"
    assert all(row["page"] for row in data["builds"])
    # Every entry carries a Microsoft page and the commit it was read at (no hand entries left).
    assert all(row["page"].startswith("support/sql/releases/") and row["commit"] for row in data["builds"])
    names = {(e.version, e.name) for e in CATALOGUE.entries}
    assert {("2022", f"CU{n}") for n in range(21, 27)} <= names and {("2025", f"CU{n}") for n in range(5, 9)} <= names
    gdrs = {str(e.build) for e in CATALOGUE.entries if e.released and e.released >= "2025-07-01" and "GDR" in e.name}
    assert {"16.0.1190.2", "16.0.4262.2", "15.0.4480.2", "14.0.3540.1", "17.0.1125.2"} <= gdrs


@pytest.mark.parametrize(("retired", "replacement"), [("16.0.4235.2", "16.0.4236.2"), ("17.0.4005.7", "17.0.4006.2")])
def test_january_2026_re_releases_retire_the_first_build(retired: str, replacement: str) -> None:
    verdict = sql_builds.assess(sql_builds.parse_build(retired))
    assert verdict.retired is not None and replacement in verdict.retired and "RETIRED" in verdict.identity
    assert sql_builds.assess(sql_builds.parse_build(replacement)).retired is None
    result = run_cli("sql-build", retired)
    assert "retired by Microsoft" in result.stdout and replacement in result.stdout


def test_build_newer_than_the_catalogue_says_so_with_the_update_command() -> None:
    verdict = sql_builds.assess(sql_builds.parse_build("17.0.4099.1"))
    assert verdict.can_host is True  # judged by number, as before
    assert verdict.stale_catalogue is not None and "linkready sql-build --update" in verdict.stale_catalogue
    assert "2026-08-13" in verdict.stale_catalogue
    assert sql_builds.assess(sql_builds.parse_build("17.0.4075.5")).stale_catalogue is None


def test_unknown_multidb_minimum_names_its_reason() -> None:
    verdict = sql_builds.assess(sql_builds.parse_build("16.0.4300.1"), multidb=True)
    assert verdict.can_host is None
    assert any("CU27 is not on Microsoft's pages" in reason for reason in verdict.reasons)


def test_version_and_catalogue_info_show_the_date() -> None:
    assert "SQL Server build catalogue of 2026-08-13" in run_cli("--version").stdout
    info = run_cli("sql-build", "--catalogue-info", "--json")
    assert info.returncode == 0 and json.loads(info.stdout)["origin"] == "bundled"
    assert "2026-08-13" in run_cli("sql-build", "15.0.4335.1").stdout


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


def test_generator_reads_pinned_pages_from_a_git_clone(tmp_path: Path) -> None:
    """With a real git repository the pinned commit is what `git show` reads, whatever the work tree says."""
    docs = _checkout(tmp_path)
    (docs / "COMMITS").unlink()
    git = ["git", "-C", str(docs), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "pages"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    result = _generate(tmp_path, "--discover")
    assert result.returncode == 0, result.stderr
    assert all(line.endswith(head) for line in (tmp_path / "inputs.txt").read_text().splitlines()
               if not line.startswith("#"))
    # A later edit of the work tree does not change what the pinned commit says.
    table = docs / "support" / "sql" / "releases" / "sqlserver-2019" / "build-versions.md"
    table.write_text(table.read_text().replace("KB5024276", "KB5000001"))
    assert _gen_check(tmp_path).returncode == 0
    # A pinned commit the clone does not have is one line naming it.
    (tmp_path / "inputs.txt").write_text((tmp_path / "inputs.txt").read_text().replace(head, "0" * 40))
    result = _gen_check(tmp_path)
    assert result.returncode == 1 and "not in the clone" in result.stderr and len(result.stderr.splitlines()) == 1
