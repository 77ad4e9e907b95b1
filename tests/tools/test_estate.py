"""Estate mode: file validation, per-target isolation, verdict tally, exit codes, reports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from linkready.reports.estate import render_html, write_estate, write_target_files

from linkready.facts import Facts, PlanFacts, PlannedLink, ProbeError
from linkready.model import Verdict
from linkready.snapshot import SCHEMA_VERSION, Snapshot, dumps
from linkready.tools.estate import Estate, EstateError, EstateTarget, RunOptions, load_estate, run_estate
from tests.builders.manifest import not_asked
from tests.conftest import ROOT, run_cli

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
GOOD = PlannedLink("link-sales", ("Sales",), "AG_Sales_MI", "AG_Sales", "TCP://10.1.0.4:5022")
BAD = PlannedLink("link-bad", ("Sales",), "AG_Same", "AG_Same", "sqlbox:5022")
SCHEMA = json.loads((ROOT / "reports" / "report.schema.json").read_text())


def snapshot_file(folder: Path, name: str, *links: PlannedLink, errors: tuple[ProbeError, ...] = ()) -> Path:
    """A plan-only snapshot: its manifest says no SQL/Azure/network/target facts were asked for, so only
    the plan (and errors) decide (without the manifest, the missing facts would be "not collected")."""
    facts = not_asked(Facts(plan=PlanFacts(links=links), errors=errors), "sql", "azure", "network", "target")
    path = folder / f"{name}.json"
    path.write_text(dumps(Snapshot(SCHEMA_VERSION, "0.1.0", NOW, facts)), encoding="utf-8")
    return path


def estate_file(folder: Path, body: str) -> Path:
    path = folder / "estate.toml"
    path.write_text(body, encoding="utf-8")
    return path


#: An unreadable fact that the plan checks need: they become ERROR, so the target is unknown.
SQL_TIMEOUT = (ProbeError("sql", "plan", "timeout", "the sql probe did not finish within 5 s"),)


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """One target per outcome: ready, not ready, unknown (probe error), and four broken ones."""
    snapshot_file(tmp_path, "ready", GOOD)
    snapshot_file(tmp_path, "blocked", GOOD, BAD)
    snapshot_file(tmp_path, "blocked2", BAD)
    snapshot_file(tmp_path, "timeout", GOOD, errors=SQL_TIMEOUT)
    (tmp_path / "corrupt.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "broken.toml").write_text('[source]\nserver = "x"\nbogus = 1\n', encoding="utf-8")
    (tmp_path / "good.toml").write_text(
        '[[link]]\nname = "l"\ndatabases = ["Sales"]\ninstance_ag_name = "A_MI"\npartner_ag_name = "A"\n'
        'partner_endpoint = "TCP://10.1.0.4:5022"\n', encoding="utf-8")
    return estate_file(tmp_path, """
[estate]
name = "Contoso <estate>"
concurrency = 3

[[target]]
name = "ready-01"
snapshot = "ready.json"
[[target]]
name = "blocked-02"
snapshot = "blocked.json"
[[target]]
name = "blocked-03"
snapshot = "blocked2.json"
[[target]]
name = "timeout-04"
snapshot = "timeout.json"
[[target]]
name = "corrupt-05"
snapshot = "corrupt.json"
[[target]]
name = "missing-06"
snapshot = "nowhere.json"
[[target]]
name = "broken-config-07"
config = "broken.toml"
[[target]]
name = "live-08"
config = "good.toml"
""")


# --- the estate file --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[estate\n", "not valid TOML"),
        ('[estate]\nname = "x"\n', "no targets"),
        ('[[target]]\nname = "a"\n', "exactly one of 'config'"),
        ('[[target]]\nname = "a"\nconfig = "a.toml"\nsnapshot = "a.json"\n', "exactly one of 'config'"),
        ('[[target]]\nsnapshot = "a.json"\n', "missing required key 'name'"),
        ('[[target]]\nname = "a"\nsnapshot = "a.json"\nhost = "x"\n', "unknown key 'host'"),
        ('[[target]]\nname = "a b"\nsnapshot = "a.json"\n[[target]]\nname = "a_b"\nsnapshot = "b.json"\n',
         "clashes with 'a b'"),
        ('[estate]\nconcurrency = 0\n[[target]]\nname = "a"\nsnapshot = "a.json"\n', "estate.concurrency"),
        ('[estate]\nthreads = 4\n[[target]]\nname = "a"\nsnapshot = "a.json"\n', "unknown key 'estate.threads'"),
        ('[[targets]]\nname = "a"\n', "unknown key 'targets'"),
    ],
)
def test_bad_estate_file_is_one_line_error(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(EstateError, match=message) as info:
        load_estate(estate_file(tmp_path, body))
    assert "\n" not in str(info.value)


def test_missing_estate_file(tmp_path: Path) -> None:
    with pytest.raises(EstateError, match="no such estate file"):
        load_estate(tmp_path / "nope.toml")


def test_paths_are_relative_to_the_estate_file(mixed: Path) -> None:
    estate = load_estate(mixed)
    assert estate.name == "Contoso <estate>" and estate.concurrency == 3
    assert estate.targets[0].snapshot == mixed.parent / "ready.json"
    assert estate.targets[6].config == mixed.parent / "broken.toml"


# --- isolation and verdicts -------------------------------------------------------------------


def test_each_target_is_isolated_and_judged(mixed: Path, tmp_path: Path) -> None:
    report = run_estate(load_estate(mixed), RunOptions(writer=write_target_files, output=tmp_path / "out", now=NOW))
    verdicts = {o.name: o.verdict for o in report.outcomes}
    assert [o.name for o in report.outcomes] == [t.name for t in load_estate(mixed).targets]  # file order
    assert verdicts == {
        "ready-01": Verdict.READY,
        "blocked-02": Verdict.NOT_READY,
        "blocked-03": Verdict.NOT_READY,
        "timeout-04": Verdict.UNKNOWN,
        "corrupt-05": Verdict.UNKNOWN,
        "missing-06": Verdict.UNKNOWN,
        "broken-config-07": Verdict.UNKNOWN,
        "live-08": Verdict.UNKNOWN,  # evaluate never probes: a target file alone cannot be evaluated
    }
    reasons = {o.name: o.reason for o in report.outcomes}
    assert "not valid JSON" in reasons["corrupt-05"]
    assert "no such file" in reasons["missing-06"]
    assert "unknown key 'source.bogus'" in reasons["broken-config-07"]
    assert "never probes" in reasons["live-08"]
    assert reasons["timeout-04"] == ""  # evaluated: its unknown comes from ERROR findings
    assert report.tally == {Verdict.READY: 1, Verdict.NOT_READY: 2, Verdict.UNKNOWN: 5}
    assert report.verdict is Verdict.NOT_READY and report.exit_code == 1


def test_live_check_collects_config_targets(mixed: Path, tmp_path: Path) -> None:
    report = run_estate(load_estate(mixed), RunOptions(writer=write_target_files, output=tmp_path / "out", live=True, now=NOW))
    live = next(o for o in report.outcomes if o.name == "live-08")
    assert live.verdict is Verdict.READY and live.mode == "live"
    assert report.executor.startswith("thread")


def test_most_common_blockers_rank_by_targets_affected(mixed: Path, tmp_path: Path) -> None:
    report = run_estate(load_estate(mixed), RunOptions(writer=write_target_files, output=tmp_path / "out", now=NOW))
    top = report.top_blockers()
    assert top[0].targets == ("blocked-02", "blocked-03")
    assert {b.check_id for b in top} >= {"PLAN-001", "PLAN-002"}
    counts = [len(b.targets) for b in top]
    assert counts == sorted(counts, reverse=True)
    # The same database in two links of one target: PLAN-003 blocks only blocked-02.
    assert next(b for b in top if b.check_id == "PLAN-003").targets == ("blocked-02",)


def test_process_pool_gives_the_same_outcomes(mixed: Path, tmp_path: Path) -> None:
    estate = load_estate(mixed)
    threads = run_estate(estate, RunOptions(writer=write_target_files, output=tmp_path / "t", now=NOW), executor="thread")
    processes = run_estate(estate, RunOptions(writer=write_target_files, output=tmp_path / "p", now=NOW), executor="process")
    assert processes.executor.startswith("process")
    strip = [(o.name, o.verdict, o.reason, o.findings) for o in threads.outcomes]
    assert strip == [(o.name, o.verdict, o.reason, o.findings) for o in processes.outcomes]


@pytest.mark.parametrize(
    ("names", "verdict"),
    [(("ready",), Verdict.READY), (("ready", "timeout"), Verdict.UNKNOWN),
     (("ready", "timeout", "blocked"), Verdict.NOT_READY)],
)
def test_estate_verdict(tmp_path: Path, names: tuple[str, ...], verdict: Verdict) -> None:
    made = {
        "ready": lambda: snapshot_file(tmp_path, "ready", GOOD),
        "timeout": lambda: snapshot_file(tmp_path, "timeout", GOOD, errors=SQL_TIMEOUT),
        "blocked": lambda: snapshot_file(tmp_path, "blocked", BAD),
    }
    targets = tuple(EstateTarget(name=n, slug=n, snapshot=made[n]()) for n in names)
    report = run_estate(Estate("e", tmp_path / "e.toml", targets), RunOptions(writer=write_target_files, output=tmp_path / "out", now=NOW))
    assert report.verdict is verdict and report.exit_code == verdict.exit_code


# --- reports ----------------------------------------------------------------------------------


def test_files_per_target_and_for_the_estate(mixed: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = run_estate(load_estate(mixed), RunOptions(writer=write_target_files, output=out, now=NOW))
    written = write_estate(report, out)
    assert sorted(p.name for p in written) == ["estate-junit.xml", "estate.html", "estate.json"]
    blocked = out / "targets" / "blocked-02"
    per_target = json.loads((blocked / "linkready-report.json").read_text())
    jsonschema.validate(per_target, SCHEMA)
    assert per_target["verdict"] == "Not ready"
    assert ET.parse(blocked / "linkready-junit.xml").getroot().get("failures") != "0"
    assert not (out / "targets" / "corrupt-05").exists()  # nothing to report for an unreadable target

    data = json.loads((out / "estate.json").read_text())
    assert data["summary"] == {"targets": 8, "ready": 1, "not_ready": 2, "unknown": 5}
    assert data["exit_code"] == 1
    assert data["top_blockers"][0]["target_count"] == 2
    by_name = {t["name"]: t for t in data["targets"]}
    assert by_name["blocked-02"]["files"] == [
        "targets/blocked-02/linkready-report.json", "targets/blocked-02/linkready-junit.xml",
        "targets/blocked-02/linkready-report.html",
    ]
    assert by_name["broken-config-07"]["reason"].startswith("target file:")

    junit = ET.parse(out / "estate-junit.xml").getroot()
    assert (junit.get("tests"), junit.get("failures"), junit.get("errors")) == ("8", "2", "5")
    cases = {case.get("name"): case for case in junit.iter("testcase")}
    assert cases["blocked-02"].find("failure") is not None
    assert cases["missing-06"].find("error") is not None
    assert cases["ready-01"].find("failure") is None and cases["ready-01"].find("error") is None


def test_estate_html_escapes_and_links_drill_down(mixed: Path, tmp_path: Path) -> None:
    report = run_estate(load_estate(mixed), RunOptions(writer=write_target_files, output=tmp_path / "out", now=NOW))
    html = render_html(report)
    assert "Contoso &lt;estate&gt;" in html and "Contoso <estate>" not in html
    assert 'href="#target-blocked-02"' in html and 'id="target-blocked-02"' in html
    assert 'href="targets/blocked-02/linkready-report.html"' in html
    assert "Most common blockers" in html and "PLAN-001" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "<script" not in html


# --- command line -----------------------------------------------------------------------------


def _estate_of(tmp_path: Path, *names: str) -> Path:
    makers = {"ready": (GOOD,), "blocked": (BAD,)}
    body = ""
    for name in names:
        if name == "timeout":
            snapshot_file(tmp_path, name, GOOD, errors=SQL_TIMEOUT)
        else:
            snapshot_file(tmp_path, name, *makers[name])
        body += f'[[target]]\nname = "{name}"\nsnapshot = "{name}.json"\n'
    return estate_file(tmp_path, body)


@pytest.mark.parametrize(
    ("names", "code"),
    [(("ready",), 0), (("ready", "blocked"), 1), (("ready", "timeout"), 3), (("timeout", "blocked"), 1)],
)
def test_exit_codes(tmp_path: Path, names: tuple[str, ...], code: int) -> None:
    result = run_cli("evaluate", "--estate", str(_estate_of(tmp_path, *names)), "-o", str(tmp_path / "o"))
    assert result.returncode == code, result.stderr
    assert "targets:" in result.stdout and (tmp_path / "o" / "estate.html").is_file()


def test_check_estate_runs_too(mixed: Path, tmp_path: Path) -> None:
    result = run_cli("check", "--estate", str(mixed), "-o", str(tmp_path / "o"), "--quiet", "--format", "json")
    assert result.returncode == 1 and result.stdout == ""
    assert (tmp_path / "o" / "targets" / "live-08" / "linkready-report.json").is_file()
    assert not (tmp_path / "o" / "targets" / "live-08" / "linkready-report.html").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["evaluate", "--estate", "{dir}/none.toml"],
        ["evaluate", "--estate", "{estate}", "{dir}/x.json"],
        ["check", "--estate", "{estate}", "--server", "sql01"],
        ["evaluate", "--estate", "{estate}", "--profile", "no-such-profile"],
        ["evaluate", "--estate", "{estate}", "--concurrency", "0"],
        ["evaluate"],
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    estate = _estate_of(tmp_path, "ready")
    argv = [a.format(dir=tmp_path, estate=estate) for a in args]
    result = run_cli(*argv, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("linkready: error: ") and result.stderr.count("\n") == 1


def test_estate_pdf_without_an_engine_is_one_line_and_keeps_the_other_files(tmp_path: Path) -> None:
    """--format pdf prints the estate page once (estate.pdf, never a PDF per target); with no engine
    the estate HTML/JSON/JUnit are still written and the error is one line (exit 2)."""
    estate = _estate_of(tmp_path, "ready")
    result = run_cli("evaluate", "--estate", str(estate), "-o", str(tmp_path / "o"), "-q", "--format", "html,pdf",
                     env={"LINKREADY_CHROMIUM": str(tmp_path / "no-chromium")}, cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "estate.pdf" in result.stderr and "Chromium" in result.stderr
    assert {p.name for p in (tmp_path / "o").iterdir()} >= {"estate.html", "estate.json", "estate-junit.xml"}
    assert not list((tmp_path / "o").rglob("*.pdf"))
