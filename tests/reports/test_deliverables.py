"""Deliverables a consultant hands over: executive summary, CSV export, logo checks, estate template."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from linkready.reports import csv_export
from linkready.reports.summary import Effort, effort_of, summarize

from linkready.report import MAX_NAME, Branding, output_name
from linkready.tools.estate import load_estate
from tests.builders.reports import rich_report
from tests.conftest import run_cli

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def test_generated_summary_names_owners_and_effort_in_plain_words() -> None:
    report = rich_report()
    summary = summarize(report)
    fails = sum(1 for f in report.findings if f.status.value == "FAIL")
    assert summary.headline.startswith("The link cannot be created yet")
    assert str(fails) in summary.headline
    owners = {f.owner.value for f in report.findings if f.status.value in ("FAIL", "ERROR")}
    assert {line.split(":")[0] for line in summary.actions} == owners
    # No DBA jargon in the plain-language part.
    text = " ".join((summary.headline, *summary.actions, summary.closing))
    for jargon in ("Hadr_endpoint", "COPY_ONLY", "NXDOMAIN", "NSG-", "SQL-0"):
        assert jargon not in text
    assert all(effort_of(f) in Effort for f in report.findings)


def test_demo_html_has_the_generated_summary_and_summary_flag_overrides(tmp_path: Path) -> None:
    done = run_cli("demo", "-o", str(tmp_path / "a"), "--format", "html", "-q")
    html = (tmp_path / "a" / "linkready-report.html").read_text("utf-8")
    assert done.returncode == 1 and "Executive summary" in html and "The link cannot be created yet" in html
    text = tmp_path / "summary.txt"
    text.write_text("Two weeks of work <b>before</b> the cutover.\n", encoding="utf-8")
    done = run_cli("demo", "-o", str(tmp_path / "b"), "--format", "html", "-q", "--summary", f"@{text}")
    html = (tmp_path / "b" / "linkready-report.html").read_text("utf-8")
    assert done.returncode == 1, done.stderr
    assert "Two weeks of work &lt;b&gt;before&lt;/b&gt; the cutover." in html
    assert "The link cannot be created yet" not in html
    missing = run_cli("demo", "-o", str(tmp_path / "c"), "-q", "--summary", "@/nonexistent/summary.txt")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "--summary" in missing.stderr


def test_csv_has_one_row_per_finding_and_defuses_formulas(tmp_path: Path) -> None:
    report = rich_report()
    rows = list(csv.DictReader(io.StringIO(csv_export.render(report))))
    assert len(rows) == len(report.findings)
    assert list(rows[0]) == list(csv_export.COLUMNS)
    assert {r["id"] for r in rows} == {f.check_id for f in report.findings}
    assert csv_export.cell("=HYPERLINK(\"x\")").startswith("'=")
    assert csv_export.cell("-1") == "'-1"
    done = run_cli("demo", "-o", str(tmp_path), "--format", "csv,json", "-q")
    assert done.returncode == 1, done.stderr
    data = (tmp_path / "linkready-findings.csv").read_text("utf-8")
    assert data.splitlines()[0] == ",".join(csv_export.COLUMNS)
    findings = json.loads((tmp_path / "linkready-report.json").read_text("utf-8"))["findings"]
    assert len(list(csv.reader(io.StringIO(data)))) == 1 + len(findings)


def test_logo_is_checked_by_content_and_size(tmp_path: Path) -> None:
    fake = tmp_path / "logo.png"
    fake.write_text("not an image", encoding="utf-8")
    done = run_cli("demo", "-o", str(tmp_path / "a"), "-q", "--logo", str(fake))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "not a PNG, JPEG or SVG" in done.stderr
    huge = tmp_path / "huge.png"
    huge.write_bytes(PNG + b"\0" * 600_000)
    done = run_cli("demo", "-o", str(tmp_path / "b"), "-q", "--logo", str(huge))
    assert done.returncode == 2 and "at most" in done.stderr
    real = tmp_path / "real.svg.txt"  # named oddly on purpose: the content decides
    real.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', encoding="utf-8")
    done = run_cli("demo", "-o", str(tmp_path / "c"), "-q", "--format", "html", "--logo", str(real))
    assert done.returncode == 1, done.stderr
    assert "data:image/svg+xml;base64," in (tmp_path / "c" / "linkready-report.html").read_text("utf-8")
    png = tmp_path / "p.png"
    png.write_bytes(PNG)
    assert run_cli("demo", "-o", str(tmp_path / "d"), "-q", "--logo", str(png)).returncode == 1


def test_init_estate_writes_a_template_the_estate_loader_accepts(tmp_path: Path) -> None:
    path = tmp_path / "estate.toml"
    done = run_cli("init", "--estate", str(path))
    assert done.returncode == 0, done.stderr
    (tmp_path / "targets").mkdir()
    estate = load_estate(path)
    assert [t.name for t in estate.targets] == ["sqlprod01", "sqlprod02"]
    assert estate.concurrency == 4
    again = run_cli("init", "--estate", str(path))
    assert again.returncode == 2


def test_name_template_names_every_file_and_refuses_unknown_fields(tmp_path: Path) -> None:
    done = run_cli("demo", "-o", str(tmp_path / "a"), "--format", "html,json,csv", "-q",
                   "--name-template", "{customer}-{server}-{date}")
    assert done.returncode == 1, done.stderr
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert len(names) == 3 and all(n.startswith("Contoso-Museums-demo-sqlprod01.museum.local-20") for n in names)
    assert {Path(n).suffix for n in names} == {".html", ".json", ".csv"}
    default = run_cli("demo", "-o", str(tmp_path / "b"), "--format", "html", "-q")
    assert default.returncode == 1 and [p.name for p in (tmp_path / "b").iterdir()] == ["linkready-report.html"]
    for bad, says in (("{client}-{date}", "unknown field {client}"), ("{date", "expected '}'"),
                      ("{date:>99999}", "no format spec"), ("{}", "unknown field {}")):
        refused = run_cli("demo", "-o", str(tmp_path / "c"), "-q", "--name-template", bad)
        assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and says in refused.stderr, bad
    assert not (tmp_path / "c").exists()


@settings(max_examples=200, deadline=None)
@given(customer=st.text(max_size=300), template=st.sampled_from(["{customer}", "{customer}/{server}", "..{customer}"]))
def test_a_name_from_any_customer_is_one_safe_file_name(customer: str, template: str) -> None:
    report = replace(rich_report(), branding=Branding(customer=customer))
    name = output_name(report, template)
    assert name and len(name) <= MAX_NAME and re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]*", name), name
