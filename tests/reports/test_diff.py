"""linkready/tools/diff.py (pure comparison) and `linkready diff` / `--baseline` (real CLI, real files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from linkready.reports import Format, render
from linkready.reports.diff import to_markdown, to_text

from linkready.model import Status
from linkready.tools.diff import DiffError, Entry, Side, compare, side_from_data, side_from_report
from tests.builders.reports import NOW, demo_snapshot, finding, make_report, rich_report
from tests.conftest import run_cli


def side(*pairs: tuple[str, Status]) -> Side:
    entries = tuple(Entry(key, key.split(":")[0], key.partition(":")[2], f"title {key}", status, f"msg {key}")
                    for key, status in pairs)
    return Side("test", NOW, "", entries)


@pytest.mark.parametrize(
    ("old", "new", "bucket"),
    [
        (Status.FAIL, Status.PASS, "fixed"),
        (Status.ERROR, Status.PASS, "fixed"),
        (Status.WARN, Status.PASS, "fixed"),
        (Status.FAIL, Status.WAIVED, "fixed"),
        (Status.FAIL, Status.WARN, "fixed"),
        (Status.PASS, Status.FAIL, "regressed"),
        (Status.PASS, Status.ERROR, "regressed"),
        (Status.WARN, Status.FAIL, "regressed"),
        (Status.WAIVED, Status.FAIL, "regressed"),
        (Status.FAIL, Status.ERROR, "unchanged"),  # unknown is not an improvement on failed
        (Status.PASS, Status.SKIP, "unchanged"),
        (Status.FAIL, Status.FAIL, "unchanged"),
    ],
)
def test_status_transitions(old: Status, new: Status, bucket: str) -> None:
    diff = compare(side(("SQL-001", old)), side(("SQL-001", new)))
    for name in ("fixed", "regressed", "added", "removed", "unchanged"):
        assert len(getattr(diff, name)) == (1 if name == bucket else 0), name
    assert diff.exit_code == (1 if bucket == "regressed" else 0)


@pytest.mark.parametrize(("status", "regression"), [(Status.FAIL, True), (Status.ERROR, True), (Status.WARN, True),
                                                    (Status.PASS, False), (Status.SKIP, False)])
def test_new_findings_count_as_regressions_when_not_passing(status: Status, regression: bool) -> None:
    diff = compare(side(), side(("DB-003:Sales", status)))
    assert [c.key for c in diff.added] == ["DB-003:Sales"]
    assert diff.exit_code == (1 if regression else 0)


def test_removed_findings_are_listed_but_not_fixed() -> None:
    diff = compare(side(("DB-003:Sales", Status.FAIL)), side())
    assert [c.key for c in diff.removed] == ["DB-003:Sales"] and not diff.fixed and diff.exit_code == 0


def test_repeated_keys_are_told_apart() -> None:
    report = make_report([finding("DB-003", Status.FAIL, "a", target="x"), finding("DB-003", Status.PASS, "b",
                                                                                   target="x")])
    keys = [e.key for e in side_from_report(report).entries]
    assert keys == ["DB-003:x", "DB-003:x#2"]


def test_json_report_and_snapshot_inputs() -> None:
    report = rich_report()
    data = json.loads(render(Format.JSON, report))
    from_json = side_from_data(data, "r.json")
    assert [e.key for e in from_json.entries] == [e.key for e in side_from_report(report).entries]
    assert from_json.digest == report.digest and from_json.when == NOW
    from linkready.serde import to_data

    snap = side_from_data(to_data(demo_snapshot()), "s.json")
    assert snap.label.startswith("snapshot of ") and snap.digest == demo_snapshot().digest
    assert snap.entries, "a snapshot is evaluated into findings"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "top level is not an object"),
        ({"hello": 1}, "no 'schema' or 'schema_version'"),
        ({"schema": "other/9"}, "is not 'linkready-report/1'"),
        ({"schema": "linkready-report/1"}, "without a 'findings' list"),
        ({"schema": "linkready-report/1", "findings": [{"check_id": "A-001"}]}, "has no 'status'"),
        ({"schema": "linkready-report/1", "findings": [{"check_id": "A-001", "status": "MEH"}]}, "unknown status"),
        ({"schema_version": 99}, "newer than this linkready understands"),
        ({"schema_version": 1, "facts": {"plan": 3}}, "corrupt snapshot"),
    ],
)
def test_bad_inputs_are_one_line_errors(data: object, message: str) -> None:
    with pytest.raises(DiffError, match=message) as caught:
        side_from_data(data, "in.json")
    assert "\n" not in str(caught.value) and str(caught.value).startswith("in.json")


def test_text_and_markdown_renderings() -> None:
    diff = compare(side(("A-001", Status.FAIL), ("B-001", Status.PASS), ("C-001", Status.FAIL)),
                   side(("A-001", Status.PASS), ("B-001", Status.FAIL), ("D-001|x", Status.WARN)))
    text = to_text(diff)
    assert "1 fixed, 1 regressed, 1 new, 1 no longer reported, 0 unchanged" in text
    assert "FAIL → PASS" in text and "PASS → FAIL" in text and "Result: 2 regression(s)" in text
    md = to_markdown(diff)
    assert "### Regressed (1)" in md and "### Fixed or improved (1)" in md and "D-001\\|x" in md


# --- the command line --------------------------------------------------------------------------


def write_report(path: Path, statuses: dict[str, Status]) -> Path:
    report = make_report([finding(check, status, f"{check} is {status.value}") for check, status in statuses.items()])
    path.write_text(render(Format.JSON, report), encoding="utf-8")
    return path


def test_cli_diff_exit_codes_and_formats(tmp_path: Path) -> None:
    old = write_report(tmp_path / "old.json", {"SQL-004": Status.FAIL, "EP-002": Status.PASS})
    better = write_report(tmp_path / "better.json", {"SQL-004": Status.PASS, "EP-002": Status.PASS})
    worse = write_report(tmp_path / "worse.json", {"SQL-004": Status.FAIL, "EP-002": Status.FAIL})

    done = run_cli("diff", str(old), str(better))
    assert done.returncode == 0, done.stderr
    assert "1 fixed, 0 regressed" in done.stdout and "Result: no regressions" in done.stdout

    done = run_cli("diff", str(old), str(worse), "--format", "md")
    assert done.returncode == 1, done.stderr
    assert "### Regressed (1)" in done.stdout and "EP-002" in done.stdout

    page = tmp_path / "diff.html"
    done = run_cli("diff", str(old), str(worse), "--format", "html", "-o", str(page))
    assert done.returncode == 1 and done.stdout == ""
    text = page.read_text("utf-8")
    assert "Changes since 2026-11-20 10:00 UTC" in text and "Regressed (1)" in text

    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    for args in (("diff", str(old), str(tmp_path / "bad.json")), ("diff", str(old), str(tmp_path / "none.json"))):
        done = run_cli(*args)
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.startswith("linkready: error: ") and done.stderr.count("\n") == 1


def test_cli_baseline_embeds_changes_in_the_html_report(tmp_path: Path) -> None:
    first = run_cli("demo", "-o", str(tmp_path / "first"), "--format", "json", "-q")
    assert first.returncode in (0, 1, 3), first.stderr
    data = json.loads((tmp_path / "first" / "linkready-report.json").read_text("utf-8"))
    # Pretend the first run saw the first finding failing: the second run must report it fixed.
    data["findings"][0]["status"] = "FAIL" if data["findings"][0]["status"] != "FAIL" else "PASS"
    data["generated_at"] = "2026-11-13T08:00:00+00:00"
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(data), encoding="utf-8")

    second = run_cli("demo", "-o", str(tmp_path / "second"), "--format", "html", "-q", "--baseline", str(baseline))
    assert second.returncode in (0, 1, 3), second.stderr
    text = (tmp_path / "second" / "linkready-report.html").read_text("utf-8")
    assert "Changes since 2026-11-13 08:00 UTC" in text
    assert ("Fixed or improved (1)" in text) or ("Regressed (1)" in text)

    bad = tmp_path / "bad.json"
    bad.write_text("[]", encoding="utf-8")
    third = run_cli("demo", "-o", str(tmp_path / "third"), "-q", "--baseline", str(bad))
    assert third.returncode == 2
    assert third.stderr.startswith("linkready: error: --baseline:") and third.stderr.count("\n") == 1
