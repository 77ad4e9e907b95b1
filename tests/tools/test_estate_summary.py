"""Estate summaries: the estate's blockers are root causes only (a FAIL blocked by another check is
that check's consequence); ``--name-template`` names each target's files and the estate's own."""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources
from pathlib import Path

import pytest

from linkready.model import Status, Verdict
from linkready.tools.estate import RunOptions, TargetOutcome, load_estate, run_estate
from tests.builders.reports import finding
from tests.conftest import run_cli
from tests.tools.test_estate import NOW


@pytest.fixture
def demo_estate(tmp_path: Path) -> Path:
    """Two targets, each the demo snapshot: CERT-001 fails there *because* EP-003 fails (blocked by it)."""
    (tmp_path / "demo.json").write_text(
        resources.files("linkready.data").joinpath("demo_snapshot.json").read_text("utf-8"), encoding="utf-8")
    path = tmp_path / "estate.toml"
    path.write_text('[estate]\nname = "Contoso museums"\n' + "".join(
        f'[[target]]\nname = "sqlprod{i:02d}"\nsnapshot = "demo.json"\n' for i in (1, 2)), encoding="utf-8")
    return path


def test_estate_blockers_count_root_causes_only(demo_estate: Path, tmp_path: Path) -> None:
    report = run_estate(load_estate(demo_estate), RunOptions(output=tmp_path / "out", now=NOW))
    outcome = report.outcomes[0]
    consequences = [f for f in outcome.findings if f.status is Status.FAIL and f.blocked_by]
    # The demo's worst-first order puts CERT-001 (critical, blocked by EP-003) first: the old rule named it.
    assert consequences and outcome.findings[0] in consequences
    first = outcome.first_blocker
    assert first is not None and first.status is Status.FAIL and not first.blocked_by
    top = {b.check_id: b for b in report.top_blockers(50)}
    assert not set(top) & {f.check_id for f in consequences}
    assert {f.blocked_by for f in consequences} <= set(top)  # each counted once, at its root
    assert all(b.targets == ("sqlprod01", "sqlprod02") for b in top.values())
    assert len(top) == len(outcome.blockers) == len(outcome.failures) - len(consequences)
    # what readers see: the estate table, the console summary and estate.json name the root
    out = tmp_path / "cli"
    done = run_cli("evaluate", "--estate", str(demo_estate), "-o", str(out), "--no-color")
    assert done.returncode == 1
    assert "CERT-001" not in done.stdout.split("Most common blockers:")[1]
    fails, warns = len(outcome.failures), sum(f.status is Status.WARN for f in outcome.findings)
    assert f"sqlprod01 │ Not ready │ {fails:<4} │ {warns:<4} │ 0     │ {first.check_id} " in done.stdout
    data = json.loads((out / "estate.json").read_text("utf-8"))
    assert "CERT-001" not in {b["check_id"] for b in data["top_blockers"]}
    page = (out / "estate.html").read_text("utf-8")
    assert f'<span class="mono">{first.check_id}</span>' in page.split('id="targets"')[1].split("</table>")[0]


def test_first_blocker_without_a_root_fail() -> None:
    blocked = replace(finding("CERT-001", Status.FAIL, "Blocked by EP-003: no certificate"), blocked_by="EP-003")
    root = finding("EP-003", Status.FAIL, "NEGOTIATE only")
    warn = finding("SQL-006", Status.WARN, "trace flags")
    outcome = TargetOutcome("t", "t", "s", "snapshot", Verdict.NOT_READY, findings=(blocked, root, warn))
    assert outcome.blockers == [root] and outcome.first_blocker == root and outcome.failures == [blocked, root]
    warned = TargetOutcome("t", "t", "s", "snapshot", Verdict.READY, findings=(warn,))
    assert warned.blockers == [] and warned.first_blocker == warn
    assert TargetOutcome("t", "t", "s", "snapshot", Verdict.UNKNOWN).first_blocker is None


def test_name_template_names_target_files_and_the_estate_files(demo_estate: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run_cli("evaluate", "--estate", str(demo_estate), "-o", str(out), "-q", "--customer", "Contoso",
                   "--format", "json,html,csv", "--name-template", "{customer}-{server}-{verdict}")
    assert done.returncode == 1, done.stderr
    # the estate's own files: {server} reads the estate's name, the extension stays each format's
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == [
        "Contoso-Contoso-museums-not-ready.html", "Contoso-Contoso-museums-not-ready.json",
        "Contoso-Contoso-museums-not-ready.xml"]
    # each target's files: named from that target's report (its SQL Server), in its own folder
    for slug in ("sqlprod01", "sqlprod02"):
        assert sorted(p.name for p in (out / "targets" / slug).iterdir()) == [
            "Contoso-sqlprod01.museum.local-not-ready.csv", "Contoso-sqlprod01.museum.local-not-ready.html",
            "Contoso-sqlprod01.museum.local-not-ready.json"]
    data = json.loads((out / "Contoso-Contoso-museums-not-ready.json").read_text("utf-8"))
    assert data["targets"][0]["files"][1] == "targets/sqlprod01/Contoso-sqlprod01.museum.local-not-ready.html"
    # the drill-down link follows the new name, and the estate's customer is on each target's report
    page = (out / "Contoso-Contoso-museums-not-ready.html").read_text("utf-8")
    assert 'href="targets/sqlprod01/Contoso-sqlprod01.museum.local-not-ready.html"' in page
    target_page = (out / "targets" / "sqlprod01" / "Contoso-sqlprod01.museum.local-not-ready.html").read_text("utf-8")
    assert "For <strong>Contoso</strong>" in target_page


def test_without_a_template_the_estate_files_keep_their_names(demo_estate: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("evaluate", "--estate", str(demo_estate), "-o", str(out), "-q").returncode == 1
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == ["estate-junit.xml", "estate.html", "estate.json"]
    assert sorted(p.name for p in (out / "targets" / "sqlprod02").iterdir()) == [
        "linkready-junit.xml", "linkready-report.html", "linkready-report.json"]


@pytest.mark.parametrize(("template", "says"), [("{customer}-{estate}", "unknown field {estate}"),
                                                 ("{date", "expected '}'"), ("{date!r}", "no format spec")])
def test_an_unknown_field_is_a_usage_error_in_estate_mode_too(demo_estate: Path, tmp_path: Path, template: str,
                                                             says: str) -> None:
    for command in ("evaluate", "check"):
        done = run_cli(command, "--estate", str(demo_estate), "-o", str(tmp_path / "out"), "-q",
                       "--name-template", template)
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and says in done.stderr, (command, done.stderr)
        assert done.stderr.startswith("linkready: error: --name-template")
    assert not (tmp_path / "out").exists()
