"""``--format xlsx``: the CSV's columns as a workbook, read back with openpyxl (the ``[xlsx]`` extra)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from linkready.reports import csv_export, xlsx_export

from linkready.model import Status
from tests.builders.reports import finding, make_report, rich_report
from tests.conftest import ROOT, run_cli

openpyxl = pytest.importorskip("openpyxl", reason="pip install 'linkready[xlsx]' (the [test] extra has it)")


def read_back(data: bytes) -> tuple[object, list[list[str]]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = [["" if cell.value is None else str(cell.value) for cell in row] for row in sheet.iter_rows()]
    return sheet, rows


def test_one_row_per_finding_with_the_csv_columns_frozen_header_and_filter() -> None:
    report = rich_report()
    sheet, rows = read_back(xlsx_export.render(report))
    assert sheet.title == "Findings"
    assert tuple(rows[0]) == csv_export.COLUMNS
    assert len(rows) == len(report.findings) + 1
    # the same cells as the CSV, apart from the CSV's formula apostrophe (a workbook cell is text)
    from_csv = list(csv.reader(io.StringIO(csv_export.render(report))))
    assert [[v.removeprefix("'") for v in r] for r in from_csv] == [[v.removeprefix("'") for v in r] for r in rows]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:L{len(rows)}"
    widths = {letter: dim.width for letter, dim in sheet.column_dimensions.items()}
    assert len(widths) == len(csv_export.COLUMNS)
    assert all(xlsx_export.MIN_WIDTH <= w <= xlsx_export.MAX_WIDTH for w in widths.values())
    assert widths["A"] < widths["G"]  # an ID column is narrower than the titles'
    assert all(cell.font.bold for cell in sheet[1])


def test_a_value_that_looks_like_a_formula_stays_text_and_control_characters_go() -> None:
    hostile = finding("SQL-001", Status.FAIL, '=HYPERLINK("http://evil","x")', observed="+1\x01-2", expected="@SUM(A1)")
    sheet, rows = read_back(xlsx_export.render(make_report([hostile])))
    cells = dict(zip(rows[0], rows[1], strict=True))
    assert cells["message"] == '=HYPERLINK("http://evil","x")' and cells["observed"] == "+1-2"
    assert all(cell.data_type == "s" for cell in sheet[2] if cell.value is not None)


def test_cli_writes_the_workbook_beside_the_other_formats(tmp_path: Path) -> None:
    done = run_cli("demo", "-o", str(tmp_path), "--format", "xlsx,json", "-q", "--name-template", "{server}")
    assert done.returncode == 1, done.stderr
    findings = json.loads((tmp_path / "sqlprod01.museum.local.json").read_text("utf-8"))["findings"]
    _, rows = read_back((tmp_path / "sqlprod01.museum.local.xlsx").read_bytes())
    assert [r[0] for r in rows[1:]] == [f["check_id"] for f in findings]
    assert {r[1] for r in rows[1:]} == {f["status"] for f in findings}


#: Runs the CLI with openpyxl made unimportable (``sys.modules[name] = None`` is Python's own switch
#: for "this module cannot be imported"), as on an install without the ``[xlsx]`` extra.
WITHOUT_OPENPYXL = ("import sys; sys.modules['openpyxl'] = None; sys.argv[0] = 'linkready'; "
                    "from linkready.cli import main; main()")


def run_without_openpyxl(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-c", WITHOUT_OPENPYXL, *args], capture_output=True, text=True,
                          env=env, timeout=120, stdin=subprocess.DEVNULL, check=False)


def test_without_openpyxl_xlsx_is_a_usage_error_naming_the_extra(tmp_path: Path) -> None:
    done = run_without_openpyxl("demo", "-o", str(tmp_path / "one"), "--format", "csv,xlsx", "-q")
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("linkready: error: --format xlsx needs openpyxl")
    assert "linkready[xlsx]" in done.stderr
    assert [p.name for p in (tmp_path / "one").iterdir()] == ["linkready-findings.csv"]  # the others are written
    # a run without xlsx does not need it
    assert run_without_openpyxl("demo", "-o", str(tmp_path / "two"), "--format", "csv", "-q").returncode == 1


@pytest.fixture
def two_targets(tmp_path: Path) -> Path:
    (tmp_path / "demo.json").write_text(
        resources.files("linkready.data").joinpath("demo_snapshot.json").read_text("utf-8"), encoding="utf-8")
    path = tmp_path / "estate.toml"
    path.write_text('[estate]\nname = "e"\n[[target]]\nname = "a"\nsnapshot = "demo.json"\n'
                    '[[target]]\nname = "b"\nsnapshot = "demo.json"\n', encoding="utf-8")
    return path


def test_estate_writes_a_workbook_per_target_and_one_for_the_estate(two_targets: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run_cli("evaluate", "--estate", str(two_targets), "-o", str(out), "-q", "--format", "json,xlsx")
    assert done.returncode == 1, done.stderr
    estate = json.loads((out / "estate.json").read_text("utf-8"))
    _, rows = read_back((out / "estate.xlsx").read_bytes())
    assert tuple(rows[0]) == (xlsx_export.ESTATE_COLUMN, *csv_export.COLUMNS)
    expected = [(t["name"], f["check_id"]) for t in estate["targets"] for f in t["findings"]]
    assert expected and [(r[0], r[1]) for r in rows[1:]] == expected
    for target in ("a", "b"):
        per_target = json.loads((out / "targets" / target / "linkready-report.json").read_text("utf-8"))
        _, target_rows = read_back((out / "targets" / target / "linkready-findings.xlsx").read_bytes())
        assert len(target_rows) == len(per_target["findings"]) + 1  # every finding, PASS too


def test_estate_without_openpyxl_stops_before_any_target(two_targets: Path, tmp_path: Path) -> None:
    done = run_without_openpyxl("evaluate", "--estate", str(two_targets), "-o", str(tmp_path / "out"), "-q",
                                "--format", "json,xlsx")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "linkready[xlsx]" in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()


def test_the_extra_names_openpyxl() -> None:
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["optional-dependencies"]
    assert any(req.startswith("openpyxl") for req in extras["xlsx"])
    assert any(req.startswith("openpyxl") for req in extras["test"])
