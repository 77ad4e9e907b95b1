"""The HTML report: golden files, self-containment, escaping, and what each reader must find."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest
from linkready.reports import Format, html, render
from syrupy.assertion import SnapshotAssertion

from linkready.model import Area, CodeBlock, Status, Verdict
from linkready.report import Branding, Report
from linkready.tools.diff import Side as DiffSide
from linkready.tools.diff import compare, entries_from_findings, side_from_report
from tests.builders.reports import (
    NOW,
    estate_report,
    finding,
    make_report,
    rich_findings,
    rich_report,
)


def normalised(report: Report, text: str) -> str:
    """Golden files must not change when the sample snapshot's digest does (e.g. a new facts field)."""
    return text.replace(report.digest, "sha256:DIGEST")


class Page(HTMLParser):
    """Collects what the tests look at: tags with attributes, ids, headings, text per element class."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.ids: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if "id" in attributes:
            self.ids.append(attributes["id"])

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    return page


# --- golden files -----------------------------------------------------------------------------


def test_golden_rich_report(html_snapshot: SnapshotAssertion) -> None:
    report = rich_report()
    assert normalised(report, html.render(report)) == html_snapshot


def test_golden_single_passing_finding(html_snapshot: SnapshotAssertion) -> None:
    report = make_report([finding("SQL-005", Status.PASS, "A database master key exists in master")])
    assert report.verdict is Verdict.READY
    assert normalised(report, html.render(report)) == html_snapshot


def test_golden_changes_since_baseline(html_snapshot: SnapshotAssertion) -> None:
    report = rich_report()
    old_findings = [replace(f, status=Status.PASS) if f.check_id == "NET-002" else f for f in rich_findings()]
    old_findings = [f for f in old_findings if f.check_id != "NSG-001"]
    old_findings.append(finding("DB-009", Status.FAIL, "Sales has two log files", area=Area.DATABASES,
                                target="Sales"))
    old_findings = [replace(f, status=Status.FAIL) if f.check_id == "SQL-006" else f for f in old_findings]
    old = DiffSide("report of 2026-11-13 10:00 UTC", NOW.replace(day=13), "sha256:" + "0" * 64,
                   entries_from_findings(old_findings))
    changes = compare(old, side_from_report(report))
    assert [c.key for c in changes.regressed] == ["NET-002"]
    assert [c.key for c in changes.added] == ["NSG-001"]
    assert {c.key for c in changes.fixed} == {"SQL-006"}
    assert [c.key for c in changes.removed] == ["DB-009:Sales"]
    text = html.render(report, changes=changes)
    assert "Changes since 2026-11-13 10:00 UTC" in text
    assert normalised(report, text) == html_snapshot


# --- one self-contained file --------------------------------------------------------------------


@pytest.mark.parametrize("build", [rich_report, lambda: estate_report(300)], ids=["rich", "estate"])
def test_nothing_is_fetched_from_anywhere(build: object) -> None:
    report = build()  # type: ignore[operator]
    text = html.render(report)
    page = parse(text)
    for tag, attrs in page.tags:
        assert tag not in ("link", "iframe", "object", "embed", "base"), f"<{tag}> would load or redirect"
        if tag == "script":
            assert "src" not in attrs, "scripts are inline"
        if "src" in attrs:
            assert attrs["src"].startswith("data:"), f"<{tag} src={attrs['src'][:40]}> is not embedded"
        if tag == "use":
            assert attrs["href"].startswith("#"), "icons reference inline symbols only"
    styles = "".join(re.findall(r"<style>(.*?)</style>", text, flags=re.S))
    assert "@import" not in styles and "url(" not in styles and "@font-face" not in styles
    assert not re.search(r"\b(fetch|XMLHttpRequest|import\()", text), "no script talks to the network"


def test_hostile_text_is_escaped_everywhere() -> None:
    report = rich_report(branding=Branding(
        customer='Evil </style><script>alert(1)</script> "Corp"', prepared_by="<img src=x onerror=alert(2)>",
        summary="<b>bold</b> & more",
    ))
    text = html.render(report)
    assert "<script>alert" not in text
    assert "<img src=x" not in text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text  # PLAN-003's message, escaped
    assert "&lt;b&gt;evil&lt;/b&gt;" in text  # its target
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in text
    # The customer also appears inside the print CSS (page header): as an escaped CSS string.
    style = text.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "</" not in style and "<script" not in style
    assert len(re.findall(r"<script>", text)) == 1  # only our own inline script


def test_css_string_cannot_break_out() -> None:
    value = str(html.css_string('a"b\\c</style>\nd'))
    assert value.startswith('"') and value.endswith('"')
    inner = value[1:-1]
    assert '"' not in inner and "<" not in inner and "\n" not in inner and "\\5c " in inner


# --- what each reader finds ---------------------------------------------------------------------


def test_first_screen_has_verdict_target_counts_blockers_date_version_digest() -> None:
    report = rich_report()
    text = html.render(report)
    page = parse(text)
    words = page.all_text
    summary = words.split("Findings by area")[0]
    assert "Not ready" in summary
    assert "5 blocking findings must be fixed" in summary
    for key, value in report.target_summary.items():
        assert key.upper() in summary.upper() and value in summary
    assert "2026-11-20 10:00 UTC" in summary and "linkready 0.1.0-test" in summary
    assert report.digest in summary
    for status, count in report.counts.items():
        assert re.search(rf"\b{count}\s+{status.value}\b", summary)
    for blocker in report.blockers():
        assert blocker.message in summary
    assert "Contoso Museums" in summary and "Fabrikam Data Consulting" in summary
    assert "Two of the three databases" in summary  # executive summary
    assert re.search(r"DBA\s*: 4 to fix or unblock, 2 warnings", summary)
    assert re.search(r"Network team\s*: 2 to fix or unblock", summary)
    # every area with findings appears in the per-area table, linking to its section
    ids = set(page.ids)
    for tag, attrs in page.tags:
        if tag == "a" and attrs.get("href", "").startswith("#"):
            assert attrs["href"][1:] in ids, f"dangling link {attrs['href']}"


@pytest.mark.parametrize(
    ("statuses", "verdict", "sentence", "icon"),
    [
        ((Status.PASS,), "Ready", "Every selected check passed or was waived.", "i-pass"),
        ((Status.PASS, Status.WAIVED), "Ready", "(1 accepted by waiver)", "i-pass"),
        ((Status.PASS, Status.WARN), "Ready", "Nothing blocks the link; 1 warning is worth a look", "i-pass"),
        ((Status.PASS, Status.FAIL), "Not ready", "1 blocking finding must be fixed", "i-fail"),
        ((Status.PASS, Status.ERROR), "Could not evaluate", "unknown is not passed", "i-error"),
    ],
)
def test_verdict_in_words_colour_and_shape(statuses: tuple[Status, ...], verdict: str, sentence: str,
                                           icon: str) -> None:
    findings = [finding(f"SQL-{i:03d}", s, f"message {i}") for i, s in enumerate(statuses, 1)]
    text = html.render(make_report(findings))
    block = text.split('<section class="verdict', 1)[1].split("</section>", 1)[0]
    assert f'<h2 id="verdict-title">{verdict}</h2>' in block
    assert sentence in block
    assert f'href="#{icon}"' in block


def test_every_finding_shows_id_title_status_severity_evidence_fix_docs_owner() -> None:
    report = rich_report()
    text = html.render(report)
    for f in report.findings:
        body = text.split(f'id="{html.anchor(f)}"', 1)[1].split("</article>" if f.status in html.ATTENTION
                                                                 else "</tr>", 1)[0]
        assert f.check_id in body
        assert f.status.value in body
        assert f.severity.value in body and f.owner.value in body
        assert f'href="{f.docs}"' in body
        if f.status in html.ATTENTION:
            assert "Why it matters" in body
            for block in f.fix:
                assert html_escape(block.code) in body
            if f.observed:
                assert html_escape(f.observed) in body
            if f.expected:
                assert html_escape(f.expected) in body


def html_escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def test_error_findings_say_what_and_why_and_never_look_passed() -> None:
    text = html.render(rich_report())
    card = text.split('id="SQL-007"', 1)[1].split("</article>", 1)[0]
    assert "Not verified — unknown, not passed." in card
    assert "could not check that the probe login holds the permissions the checks need" in card
    assert "Why: sql.permissions could not be read: The SELECT permission was denied" in card
    section = text.split('id="unknown-title"', 1)[1].split("</section>", 1)[0]
    # The summary names the cause in plain words once (root causes, reports/causes.py); the
    # driver's own words stay on the card and under "Facts that could not be read".
    assert "SQL-007" in section and "the login lacks SELECT" in section and "grant-script" in section
    facts = text.split('id="collection-title"', 1)[1].split("</section>", 1)[0]
    assert "sql.permissions" in facts and "azure.source_vm_nsgs" in facts and "not found" in facts


def test_probe_errors_alone_do_not_raise_the_could_not_check_alarm() -> None:
    from linkready.facts import ProbeError
    from tests.builders.reports import sample_snapshot

    snapshot = sample_snapshot((ProbeError("azure", "azure.source_vm_nsgs", "not_found", "not an Azure VM"),))
    text = html.render(make_report([finding("SQL-005", Status.PASS, "ok")], snapshot=snapshot))
    assert 'id="unknown-title"' not in text
    assert "Facts that could not be read" in text and "not an Azure VM" in text


def test_waived_findings_show_reason_owner_expiry() -> None:
    text = html.render(rich_report())
    card = text.split('id="CERT-003"', 1)[1].split("</article>", 1)[0]
    assert "Waived until 2026-12-15" in card
    assert "Dana Whitfield (DBA lead)" in card
    assert "Imported during the change window on 2026-11-24" in card


def test_copy_button_for_every_fix_block_and_hidden_without_script() -> None:
    report = rich_report()
    text = html.render(report)
    page = parse(text)
    buttons = [a for t, a in page.tags if t == "button" and "copy" in a.get("class", "")]
    expected = sum(len(f.fix) for f in report.findings if f.status in html.ATTENTION)
    assert len(buttons) == expected == 7
    ids = set(page.ids)
    assert all(b["data-for"] in ids for b in buttons)
    # Without JavaScript the toolbar stays hidden and copy buttons are not displayed (CSS: .js .copy).
    toolbar = next(a for t, a in page.tags if a.get("id") == "toolbar")
    assert "hidden" in toolbar
    assert ".copy { display: none;" in text and ".js .copy { display: inline-block; }" in text


def test_passed_findings_fold_and_attention_findings_stay_open() -> None:
    report = rich_report()
    page = parse(html.render(report))
    cards = {a["id"]: t for t, a in page.tags if "data-s" in a}
    for f in report.findings:
        # Passed and not-applicable findings are rows of one table per area (issue 20: 10,000 findings).
        assert cards[html.anchor(f)] == ("article" if f.status in html.ATTENTION else "tr")
    assert len(cards) == len(report.findings)


def test_anchors_are_unique_even_for_repeated_keys() -> None:
    twice = [finding("DB-003", Status.FAIL, "one", target="Sales"), finding("DB-003", Status.FAIL, "two",
                                                                            target="Sales")]
    page = parse(html.render(make_report(twice)))
    assert len(page.ids) == len(set(page.ids))
    assert {"DB-003-Sales", "DB-003-Sales-2"} <= set(page.ids)


def test_no_findings_at_all() -> None:
    text = html.render(make_report([]))
    # Zero checks judged is never "Ready" (issue 13): the verdict says it could not evaluate.
    assert "No check was selected" in text and "Could not evaluate" in text
    assert '<h2 id="verdict-title">Ready</h2>' not in text and "0 checks selected, 0 ran" in text


def test_estate_of_ten_thousand_findings_is_complete() -> None:
    report = estate_report(10_000)
    text = html.render(report)
    assert text.count(' data-s="') == 10_000
    page = parse(text)
    assert len(page.ids) == len(set(page.ids))
    assert "500 blocking findings must be fixed" in text
    assert '<span class="n">8,500</span>' in text


def test_paper_size_only_when_printing_to_pdf() -> None:
    report = make_report([finding("SQL-005", Status.PASS, "ok")])
    assert "size: A4" not in html.render(report)
    assert "size: Letter;" in html.render(report, paper="Letter")


def test_render_through_the_format_registry_and_code_languages() -> None:
    report = make_report([finding("SQL-004", Status.FAIL, "off", fix=(CodeBlock("azcli", "az x"),
                                                                       CodeBlock("tsql", "SELECT 1;")))])
    text = render(Format.HTML, report)
    assert "Azure CLI" in text and "T-SQL" in text


@pytest.mark.parametrize(
    ("message", "target", "repeated"),
    [
        ("Ticketing uses SIMPLE", "Ticketing", False),
        ("1000 ports on mi.example.net are filtered", "mi.example.net:11000-11999", False),
        ("sqlprod01.museum.local does not resolve", "link-ticketing: sqlprod01.museum.local", False),
        ("The endpoint is stopped", "Sales", True),
        ("Port 5022 is closed", "5022", False),
        ("Something", "", False),
    ],
)
def test_blockers_do_not_repeat_a_target_the_message_names(message: str, target: str, repeated: bool) -> None:
    assert html.mentions(message, target) is not repeated
    # A check without a plain title (not in the catalogue): the message is the blocker's text.
    text = html.render(make_report([finding("XYZ-002", Status.FAIL, message, target=target)]))
    blockers = text.split('id="blockers-title"', 1)[1].split("</section>", 1)[0]
    assert (f"({target})" in blockers) is repeated


def test_a_blocker_reads_in_plain_words_first_and_keeps_the_technical_message() -> None:
    """The CIO reads the plain title and who acts; the DBA still finds the exact message (the
    print CSS hides it: page 1 of the PDF is the plain page, the card has the message)."""
    from linkready.reports.html import plain_title

    text = html.render(make_report([finding("DB-004", Status.FAIL, "Ticketing has no full backup", target="Ticketing")]))
    blockers = text.split('id="blockers-title"', 1)[1].split("</section>", 1)[0]
    plain = plain_title("DB-004").rstrip(".")
    assert f">{plain}</a> (Ticketing)" in blockers
    assert '<span class="tech">Not met: Ticketing has no full backup</span>' in blockers
    assert ".blockers .tech { display: none; }" in text.split("@media print", 1)[1]


def test_a_finding_names_the_service_codes_its_check_prevents() -> None:
    # The search box matches a finding's text, so a code the service returned finds the check that prevents it.
    page = html.render(make_report([finding("SVC-007", Status.FAIL, "Sales has 1 DEFUNCT file(s): Sales_2019"),
                                    finding("SQL-005", Status.PASS, "A database master key exists in master")]))
    cards = re.findall(r'<article class="f.*?</article>', page, re.S)
    defunct = next(c for c in cards if "SVC-007" in c)
    # Line-break opportunities between the code's words, and no text added: the search finds the code as typed.
    assert "Prevents service error <b>Managed<wbr>Instance<wbr>Link<wbr>Source<wbr>Db<wbr>Has<wbr>" in defunct
    assert "Prevents service error <b>ManagedInstanceLinkSourceDbHasDefunctFiles</b>" in defunct.replace("<wbr>", "")
    assert all("Prevents service error" not in c for c in cards if "SQL-005" in c)
