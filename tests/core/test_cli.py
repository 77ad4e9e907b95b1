"""The CLI end to end: exit codes, formats, waivers, secrets, catalogue commands, lazy imports."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from linkready.facts import ProbeError
from linkready.snapshot import dumps, loads
from tests.conftest import ROOT, run_cli
from tests.core.conftest import BAD_LINK, GOOD_LINK

DEMO = ROOT / "linkready" / "data" / "demo_snapshot.json"
SCHEMA = json.loads((ROOT / "reports" / "report.schema.json").read_text())


def demo_variant(tmp_path: Path, **changes) -> Path:  # type: ignore[no-untyped-def]
    """The demo snapshot with some facts replaced, written to a file."""
    from dataclasses import replace

    snapshot = loads(DEMO.read_text())
    path = tmp_path / "variant.json"
    path.write_text(dumps(replace(snapshot, facts=replace(snapshot.facts, **changes))))
    return path


def test_exit_0_when_ready(write_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("check", "--config", str(write_config(GOOD_LINK)), "-o", str(tmp_path), "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads((tmp_path / "linkready-report.json").read_text())["verdict"] == "Ready"


def test_exit_1_when_not_ready(write_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("check", "--config", str(write_config(BAD_LINK)), "-o", str(tmp_path))
    assert result.returncode == 1
    assert "Not ready" in result.stdout and "PLAN-002" in result.stdout


def test_exit_2_on_usage_error() -> None:
    result = run_cli("evaluate", "/nonexistent/snapshot.json")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("linkready: error: ")


def test_exit_3_when_something_could_not_be_evaluated_and_nothing_failed(tmp_path: Path) -> None:
    from linkready.facts.plan import PlanFacts

    snapshot = loads(DEMO.read_text())
    path = demo_variant(
        tmp_path,
        plan=PlanFacts(links=snapshot.facts.plan.links[:1], mi_resource_id=snapshot.facts.plan.mi_resource_id),
        sql=None, azure=None, network=None,
        errors=(ProbeError("sql", "sql", "timeout", "the sql probe did not finish within 5 s"),),
    )
    profile = tmp_path / "p.toml"
    profile.write_text('name = "sql-and-plan"\ninclude = ["area:plan", "area:sql"]\n')
    result = run_cli("evaluate", str(path), "--profile", str(profile), "-o", str(tmp_path / "out"),
                     "--format", "json")
    report = json.loads((tmp_path / "out" / "linkready-report.json").read_text())
    statuses = {f["status"] for f in report["findings"]}
    assert "FAIL" not in statuses and "ERROR" in statuses, statuses
    assert result.returncode == 3
    assert report["verdict"] == "Could not evaluate"


def test_all_file_formats_are_written_and_valid(tmp_path: Path) -> None:
    result = run_cli("demo", "--format", "json,junit,md,html", "-o", str(tmp_path))
    assert result.returncode in (0, 1), result.stderr
    report = json.loads((tmp_path / "linkready-report.json").read_text())
    jsonschema.validate(report, SCHEMA)
    junit = ET.parse(tmp_path / "linkready-junit.xml").getroot()
    fails = sum(1 for f in report["findings"] if f["status"] == "FAIL")
    assert int(junit.get("failures", "-1")) == fails == len(junit.findall(".//failure"))
    assert int(junit.get("tests", "-1")) == len(report["findings"]) == len(junit.findall(".//testcase"))
    assert (tmp_path / "linkready-report.md").read_text().startswith("## linkready: ")
    html = (tmp_path / "linkready-report.html").read_text()
    assert report["verdict"] in html and report["snapshot"]["digest"] in html


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("demo", "--format", "json,docx", "-o", str(tmp_path))
    assert result.returncode == 2 and "unknown format 'docx'" in result.stderr


def test_waivers_file_through_the_cli(write_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(
        '[[waiver]]\ncheck = "PLAN-001"\nreason = "AG names fixed in change CHG-1"\nowner = "dba"\n'
        "expires = 2099-12-31\n\n"
        '[[waiver]]\ncheck = "PLAN-002"\nreason = "old"\nowner = "dba"\nexpires = 2020-01-01\n'
    )
    result = run_cli("check", "--config", str(write_config(BAD_LINK)), "--waivers", str(waivers),
                     "--format", "json", "-o", str(tmp_path / "out"))
    findings = json.loads((tmp_path / "out" / "linkready-report.json").read_text())["findings"]
    status = {f["check_id"]: f["status"] for f in findings}
    assert status["PLAN-001"] == "WAIVED" and status["PLAN-002"] == "FAIL" and status["WAIVER-001"] == "WARN"
    assert result.returncode == 1


def test_malformed_waivers_file_is_a_usage_error(write_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    waivers = tmp_path / "waivers.toml"
    waivers.write_text('[[waiver]]\ncheck = "PLAN-001"\nreason = "x"\nowner = "o"\nexpires = "soon"\n')
    result = run_cli("check", "--config", str(write_config(GOOD_LINK)), "--waivers", str(waivers))
    assert result.returncode == 2 and "'expires' must be a date" in result.stderr


def test_no_secret_reaches_any_output(write_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    secret = "Tr0ub4dor&3-linkready"
    config = write_config(
        "[source]\nserver = '127.0.0.1,1'\nusername = 'probe'\nlogin_timeout = 2\n"
        "[options]\nprobe_timeout = 20\n" + GOOD_LINK
    )
    out = tmp_path / "out"
    result = run_cli("check", "--config", str(config), "-o", str(out), "--format", "json,junit,md,html",
                     "--save-snapshot", str(out / "snap.json"), env={"LINKREADY_SQL_PASSWORD": secret})
    assert result.returncode in (0, 1, 3), result.stderr
    files = list(out.iterdir())
    assert len(files) == 5
    for text in [result.stdout, result.stderr, *(p.read_text() for p in files)]:
        assert secret not in text


def test_checks_and_explain() -> None:
    table = run_cli("checks", "--format", "json")
    assert table.returncode == 0
    ids = [c["id"] for c in json.loads(table.stdout)]
    assert "PLAN-002" in ids and len(ids) == len(set(ids))
    explained = run_cli("explain", "plan-002")
    assert explained.returncode == 0 and "Documentation: https://" in explained.stdout
    assert "41962" in explained.stdout
    assert run_cli("explain", "NOPE-001").returncode == 2


def test_profiles_select_checks_and_custom_profile_files_work(tmp_path: Path) -> None:
    custom = tmp_path / "only-plan.toml"
    custom.write_text('name = "only-plan"\nextends = "preflight"\ninclude = ["PLAN-*"]\n')
    result = run_cli("checks", "--format", "json", "--profile", str(custom))
    assert {c["area"] for c in json.loads(result.stdout)} == {"plan"}
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nincludes = ["*"]\n')
    result = run_cli("checks", "--profile", str(bad))
    assert result.returncode == 2 and "unknown key 'includes'" in result.stderr
    for name in ("preflight", "audit", "pipeline", "failover"):
        assert run_cli("checks", "--profile", name).returncode == 0


def test_demo_saves_its_snapshot_for_evaluate(tmp_path: Path) -> None:
    snap = tmp_path / "demo.json"
    demo = run_cli("demo", "--save-snapshot", str(snap), "-o", str(tmp_path / "a"), "--format", "json")
    again = run_cli("evaluate", str(snap), "-o", str(tmp_path / "b"), "--format", "json")
    assert demo.returncode == again.returncode
    a = json.loads((tmp_path / "a" / "linkready-report.json").read_text())
    b = json.loads((tmp_path / "b" / "linkready-report.json").read_text())
    assert a["findings"] == b["findings"] and a["snapshot"]["digest"] == b["snapshot"]["digest"]


def test_help_does_not_import_the_azure_sdk_or_pyodbc() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from linkready.cli import cli\n"
        "for args in (['--help'], ['checks']):\n"
        "    assert CliRunner().invoke(cli, args).exit_code == 0\n"
        "heavy = sorted(m for m in sys.modules if m.startswith(('azure', 'pyodbc', 'dns', 'pydantic')))\n"
        "print(heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.slow
def test_built_wheel_runs_the_demo_in_a_fresh_venv(tmp_path: Path) -> None:
    import os

    # Nothing from the checkout may leak in: the wheel alone must carry checks, profiles, templates, data.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True, env=env)
    [wheel] = dist.glob("linkready-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", str(wheel)],
                   check=True, capture_output=True, env=env)
    result = subprocess.run([str(venv / "bin" / "linkready"), "demo", "-o", str(tmp_path / "out")],
                            capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode in (0, 1), result.stderr
    assert (tmp_path / "out" / "linkready-report.html").is_file()
    assert "linkready: " in result.stdout


def test_every_lazy_command_imports_and_lists_its_help() -> None:
    from click.testing import CliRunner

    from linkready.cli import LAZY_COMMANDS, LazyGroup, cli

    listing = CliRunner().invoke(cli, ["--help"]).output
    for name in LazyGroup._available():
        short_help = LAZY_COMMANDS[name][1]
        assert f"{name}  " in listing and short_help[:30] in listing
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
