"""The network flows table as the network team gets it: ``--format flows-csv`` and the HTML/PDF section."""

from __future__ import annotations

import csv
import io
import re
import shlex
from dataclasses import replace
from html import unescape
from pathlib import Path

from linkready.reports import Format, flows, html, parse_formats

from linkready.domain.flows import FlowState, network_flows
from linkready.facts import Facts, PlanFacts
from tests.builders.reports import make_report, sample_snapshot
from tests.conftest import run_cli
from tests.domain.test_flows import DEMO


def report_for(facts: Facts):  # type: ignore[no-untyped-def]
    return make_report([], snapshot=replace(sample_snapshot(), facts=facts))


def demo_report():  # type: ignore[no-untyped-def]
    from tests.browser.conftest import demo_report as build

    return build()


def test_flows_csv_has_one_row_per_flow_and_place_with_a_runnable_command() -> None:
    report = demo_report()
    rows = list(csv.DictReader(io.StringIO(flows.render(report))))
    table = network_flows(report.snapshot.facts)
    assert list(rows[0]) == list(flows.COLUMNS)
    assert len(rows) == len(table.rows) == 9
    assert [r["number"] for r in rows] == [str(n) for n in range(1, 10)]
    blocked = [r for r in rows if r["state"] == "blocked"]
    assert {(r["where"], r["ports"]) for r in blocked} == {
        ("On-premises firewall", "11000-11999"), ("MI subnet NSG", "11000-11999"), ("DNS", "53")}
    nsg = next(r for r in blocked if r["where"] == "MI subnet NSG")
    assert (nsg["source_prefixes"], nsg["destination_prefixes"], nsg["direction"]) == (
        "10.20.1.0/24", "10.40.0.0/24", "Inbound")
    # The command is one line that a shell runs as is: the same arguments as the report's multi-line one.
    command = nsg["az_command"]
    assert "\n" not in command and "\\" not in command
    multi = next(r.command for r in table.rows if r.command)
    assert shlex.split(command) == shlex.split(multi.replace("\\\n", " "))
    assert nsg["docs"].startswith("https://learn.microsoft.com/azure/azure-sql/managed-instance/")
    assert all(r["az_command"] == "" for r in rows if r["state"] == "open")


def test_unknown_prefixes_say_why_and_cells_are_defused() -> None:
    facts = replace(DEMO, plan=replace(DEMO.plan, source_prefixes=(), source_address="", links=()), azure=None)
    text = flows.render(report_for(facts))
    rows = list(csv.DictReader(io.StringIO(text)))
    # Without prefixes or Azure facts NSGs and routes cannot be judged; the port scan still observes its rows.
    judged = [r for r in rows if r["where"] in ("MI subnet NSG", "Route (UDR)")]
    assert judged and all(r["state"] == "not observed" for r in judged)
    assert [r["state"] for r in rows if r["where"] == "On-premises firewall"][:2] == ["open", "blocked"]
    assert rows[0]["source_prefixes"].startswith("unknown: not configured")
    assert flows.cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"


def test_the_format_table_names_it_for_pipelines() -> None:
    assert parse_formats("flows-csv,csv") == [Format.FLOWS_CSV, Format.CSV]
    assert parse_formats("flows") == [Format.FLOWS_CSV]
    assert Format.FLOWS_CSV.filename == "linkready-flows.csv"


def test_cli_writes_the_flows_csv_and_a_name_template_keeps_both_csv_files(tmp_path: Path) -> None:
    done = run_cli("demo", "-o", str(tmp_path), "--format", "flows-csv,csv", "-q")
    assert done.returncode == 1, done.stderr
    assert (tmp_path / "linkready-flows.csv").read_text("utf-8").startswith(",".join(flows.COLUMNS))
    assert (tmp_path / "linkready-findings.csv").exists()
    named = tmp_path / "named"
    done = run_cli("demo", "-o", str(named), "--format", "flows-csv,csv", "-q", "--name-template", "{customer}-{date}")
    assert done.returncode == 1, done.stderr
    files = sorted(p.name for p in named.iterdir())
    assert len(files) == 2 and any(name.endswith("-flows.csv") for name in files), files


def test_html_section_lists_every_row_with_its_state_in_words_and_copyable_commands() -> None:
    report = demo_report()
    text = html.render(report)
    section = text.split('<section class="flows" id="flows"', 1)[1].split("</section>", 1)[0]
    assert ">Network flows</h2>" in section
    assert len(re.findall(r'<tr class="s-\w+" id="flow-\d+">', section)) == 9
    words = re.findall(r'</svg>(open|blocked|undecided|not observed)</span>', section)
    assert words.count("blocked") == 3 and words.count("open") == 5 and words.count("not observed") == 1
    assert 'data-for="flow-cmd-4"' in section and 'id="flow-cmd-4"' in section
    # What the copy button copies (the code element's text) is the command as one line.
    code = re.search(r'<code id="flow-cmd-4"[^>]*>(.*?)</code>', section)[1]  # type: ignore[index]
    command = next(r.command for r in network_flows(report.snapshot.facts).rows if r.command)
    assert unescape(re.sub(r"<[^>]+>", "", code)) == flows.one_line(command)
    assert code.count('<span class="arg">') == 13  # the wrap points: between options, never inside one
    assert "linkready network-test" in section and "whole MI subnet 10.40.0.0/24" in section
    assert "managed-instance-link-preparation" in section  # the sources of the table
    # The section follows the findings (it is the network team's page) and precedes the evidence appendix.
    assert text.index('id="findings"') < text.index('id="flows"')
    assert 'id="appendix-title"' not in text or text.index('id="flows"') < text.index('id="appendix-title"')


def test_no_plan_and_no_network_facts_means_no_section() -> None:
    report = report_for(Facts(plan=PlanFacts()))
    assert 'id="flows"' not in html.render(report)
    assert flows.section(report).rows == ()


def test_unknown_is_never_shown_as_open() -> None:
    report = report_for(replace(DEMO, azure=None, network=None, errors=()))
    section = flows.section(report)
    assert section.rows and all(v.row.state is FlowState.NOT_OBSERVED for v in section.rows)
    assert all(v.status.value == "ERROR" for v in section.rows)


def test_the_json_report_carries_the_same_rows_and_matches_its_schema() -> None:
    import json

    from linkready.reports import json_report

    from tests.reports.minischema import problems
    from tests.reports.test_json_junit import SCHEMA

    report = demo_report()
    data = json.loads(json_report.render(report))
    assert problems(data, SCHEMA) == []
    rows = data["network_flows"]["rows"]
    csv_rows = list(csv.DictReader(io.StringIO(flows.render(report))))
    assert [(r["number"], r["where"], r["state"], r["az_command"]) for r in rows] == [
        (int(c["number"]), c["where"], c["state"], c["az_command"]) for c in csv_rows]
    assert rows[3]["source_prefixes"] == ["10.20.1.0/24"] and rows[3]["state"] == "blocked"
    bad = {**data, "network_flows": {**data["network_flows"], "rows": [{**rows[0], "state": "probably open"}]}}
    assert problems(bad, SCHEMA), "the schema refuses a state that is not one of the four"


def test_a_table_with_nothing_observed_is_folded_on_screen_and_left_off_paper() -> None:
    text = html.render(report_for(replace(DEMO, azure=None, network=None, errors=())))
    section = text.split('<section class="flows unobserved" id="flows"', 1)[1].split("</section>", 1)[0]
    assert re.search(r'<details class="unseen"><summary>None of the \d+ flows could be observed', section)
    assert ".flows.unobserved { display: none; }" in text  # in the print block: the findings say what is missing
    observed = html.render(demo_report())
    assert '<section class="flows" id="flows"' in observed and 'class="unseen"' not in observed
