"""Accessibility pass over the rendered HTML: heading order, contrast of status colours, status in text.

Contrast is computed (WCAG 2.x relative luminance) from the colours in the report's own CSS, so a
palette change that hurts readability fails here, not in a customer's meeting room.
"""

from __future__ import annotations

import itertools
import re
from html.parser import HTMLParser

import pytest
from linkready.reports import html
from linkready.reports.estate import render_html

from linkready.domain.flows import FlowState
from linkready.model import Status, Verdict
from linkready.report import Branding
from linkready.tools.diff import compare, side_from_report
from linkready.tools.estate import EstateReport, TargetOutcome
from tests.builders.reports import LOGO, NOW, VERSION, estate_report, make_report, rich_findings, rich_report

MIN_CONTRAST = 4.5


def luminance(colour: str) -> float:
    value = colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula_against_known_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast("#777777", "#ffffff") < MIN_CONTRAST


def stylesheet(text: str) -> str:
    return text.split("<style>", 1)[1].split("</style>", 1)[0]


def variables(css: str) -> dict[str, str]:
    root = css.split(":root {", 1)[1].split("}", 1)[0]
    return dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{3,6})\s*;", root))


def rule(css: str, selector: str) -> dict[str, str]:
    """Declarations of the first rule whose selector list contains ``selector`` (var() resolved)."""
    names = variables(css)
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        if selector in [s.strip() for s in selectors.split(",")]:
            declarations = dict(
                (k.strip(), v.strip()) for k, v in (d.split(":", 1) for d in body.split(";") if ":" in d)
            )
            return {k: re.sub(r"var\((--[\w-]+)\)", lambda m: names[m.group(1)], v) for k, v in declarations.items()}
    raise AssertionError(f"no CSS rule for {selector}")


CSS = stylesheet(html.render(rich_report()))


@pytest.mark.parametrize("status", list(Status))
def test_status_badges_reach_4_5_to_1(status: Status) -> None:
    declared = rule(CSS, f".badge.s-{status.value}")
    ratio = contrast(declared["color"], declared["background"])
    assert ratio >= MIN_CONTRAST, f"{status.value} badge: {ratio:.2f}:1"
    # the palette in code and the CSS in the file agree
    assert declared["background"] == html.STATUS_STYLE[status].background


@pytest.mark.parametrize("verdict", ["ready", "not-ready", "unknown"])
def test_verdict_banner_white_text_contrast(verdict: str) -> None:
    declared = rule(CSS, f".verdict.{verdict}")
    assert contrast("#ffffff", declared["background"]) >= MIN_CONTRAST


@pytest.mark.parametrize(
    ("foreground", "background"),
    [
        ("--muted", "--paper"), ("--muted", "--soft"), ("--link", "--paper"), ("--ink", "--soft"),
        ("#767676", "--paper"),  # zero counts in the per-area table
        ("--ink", "#f3ebf8"), ("--ink", "#e7f3f6"),  # callouts: could not check, waiver
    ],
)
def test_text_colours_reach_4_5_to_1(foreground: str, background: str) -> None:
    names = variables(CSS)
    fg, bg = names.get(foreground, foreground), names.get(background, background)
    assert contrast(fg, bg) >= MIN_CONTRAST, f"{foreground} on {background}"


def test_callout_backgrounds_are_the_ones_tested() -> None:
    assert rule(CSS, ".callout.unknown")["background"] == "#f3ebf8"
    assert rule(CSS, ".callout.waiver")["background"] == "#e7f3f6"
    assert rule(CSS, ".matrix td.z")["color"] == "#767676"


def test_nothing_dims_a_badge() -> None:
    """Opacity would blend a badge with the page and silently undo the contrast computed above."""
    assert "opacity" not in CSS.split("@media print", 1)[0].replace("opacity: .95", "")


class Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[int] = []
        self.badges: list[str] = []
        self.images: list[dict[str, str]] = []
        self.controls: list[tuple[str, bool]] = []
        self.lang = ""
        self._badge_depth = 0
        self._label_depth = 0
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang", "")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "img":
            self.images.append(a)
        if tag == "label":
            self._label_depth += 1
        if tag in ("input", "select"):
            self.controls.append((a.get("name", ""), self._label_depth > 0 or "aria-label" in a))
        if tag == "span" and "badge" in a.get("class", "").split():
            self._badge_depth = 1
            self._text = []
        elif self._badge_depth and tag == "span":
            self._badge_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_depth -= 1
        if tag == "span" and self._badge_depth:
            self._badge_depth -= 1
            if self._badge_depth == 0:
                self.badges.append("".join(self._text).strip())

    def handle_data(self, data: str) -> None:
        if self._badge_depth:
            self._text.append(data)


def outline(text: str) -> Outline:
    parser = Outline()
    parser.feed(text)
    return parser


def estate_page() -> str:
    """The estate page (``check --estate``): targets of every verdict, attention findings of every kind."""
    attention = tuple(f for f in rich_findings() if f.status in html.ATTENTION)

    def outcome(name: str, verdict: Verdict, statuses: tuple[Status, ...], reason: str = "") -> TargetOutcome:
        found = tuple(f for f in attention if f.status in statuses)
        counts = {s.value: sum(1 for f in found if f.status is s) for s in Status}
        html_file = f"targets/{name}/linkready-report.html"
        return TargetOutcome(name=name, slug=name, source=f"targets/{name}.toml", mode="live", verdict=verdict,
                             profile="preflight", reason=reason, counts=counts if not reason else {},
                             findings=found, target_summary={"SQL Server": f"{name}.museum.local"} if not reason
                             else {}, digest="sha256:" + "ab" * 32, seconds=1.25,
                             files=() if reason else (html_file, f"targets/{name}/linkready-report.json"))

    outcomes = (
        outcome("sqlprod01", Verdict.READY, (Status.WARN, Status.WAIVED)),
        outcome("sqlprod02", Verdict.NOT_READY, (Status.FAIL, Status.ERROR, Status.WARN)),
        outcome("sqlprod03", Verdict.UNKNOWN, (Status.ERROR,)),
        outcome("sqlprod04", Verdict.UNKNOWN, (), reason="source.password_env: LINKREADY_SQL_PASSWORD is not set"),
    )
    report = EstateReport(name="Museum <estate>", outcomes=outcomes, generated_at=NOW, tool_version=VERSION,
                          seconds=2.5, executor="thread pool of 4",
                          branding=Branding(customer="Museum", prepared_by="Consultant", logo_data_uri=LOGO))
    return render_html(report)


REPORTS = {
    "rich": lambda: html.render(rich_report()),
    "rich+changes": lambda: html.render(rich_report(), changes=compare(side_from_report(make_report([])),
                                                                       side_from_report(rich_report()))),
    "estate": lambda: html.render(estate_report(500)),
    "empty": lambda: html.render(make_report([])),
    "diff page": lambda: html.render_diff(compare(side_from_report(make_report([])),
                                                  side_from_report(rich_report()))),
    "estate page": estate_page,
}
#: Words a badge may carry: a finding's status, and on the estate page a target's verdict.
#: The network flows table's badges say the flow's state (open, blocked, undecided, not observed) in words.
BADGE_WORDS = {name: {s.value for s in Status} | {s.value for s in FlowState}
               | ({v.value for v in Verdict} if name == "estate page" else set())
               for name in REPORTS}


@pytest.mark.parametrize("name", list(REPORTS))
def test_headings_in_order(name: str) -> None:
    levels = outline(REPORTS[name]()).headings
    assert levels[0] == 1 and levels.count(1) == 1
    for previous, current in itertools.pairwise(levels):
        assert current <= previous + 1, f"heading jumps from h{previous} to h{current}"


@pytest.mark.parametrize("name", list(REPORTS))
def test_every_status_is_also_written_in_text(name: str) -> None:
    parsed = outline(REPORTS[name]())
    assert parsed.badges, "no status badge found"
    assert set(parsed.badges) <= BADGE_WORDS[name], set(parsed.badges) - BADGE_WORDS[name]


# --- the estate page: the same stylesheet, icons and expectations as the report -----------------

ESTATE = estate_page()
#: Every <style> block of the estate page: the shared stylesheet, then the estate page's own rules.
ESTATE_CSS = "\n".join(part.split("</style>", 1)[0] for part in ESTATE.split("<style>")[1:])
ESTATE_OWN_CSS = ESTATE.split("<style>")[2].split("</style>", 1)[0]


def test_estate_page_uses_the_report_stylesheet_and_icons() -> None:
    def shared(css: str) -> str:  # the running page header names the estate instead of the customer
        return re.sub(r"@top-left \{[^}]*\}", "", css)

    assert shared(stylesheet(ESTATE)) == shared(CSS), "the estate page's first stylesheet is the report's"
    assert html.render(rich_report()).split('<svg class="defs"', 1)[1].split("</svg>", 1)[0] == \
        ESTATE.split('<svg class="defs"', 1)[1].split("</svg>", 1)[0], "same status shapes"
    assert all('aria-hidden="true"' in svg for svg in re.findall(r"<svg[^>]*>", ESTATE))


@pytest.mark.parametrize("status", list(Status))
def test_estate_page_badges_reach_4_5_to_1(status: Status) -> None:
    declared = rule(ESTATE_CSS, f".badge.s-{status.value}")
    assert contrast(declared["color"], declared["background"]) >= MIN_CONTRAST
    assert declared["background"] == html.STATUS_STYLE[status].background


@pytest.mark.parametrize("verdict", ["ready", "not-ready", "unknown"])
def test_estate_verdict_banner_white_text_contrast(verdict: str) -> None:
    assert contrast("#ffffff", rule(ESTATE_CSS, f".verdict.{verdict}")["background"]) >= MIN_CONTRAST


def test_estate_page_own_text_colours_reach_4_5_to_1() -> None:
    """Every text colour the estate page adds, on the page's (white) paper; it adds no background of its own."""
    names = variables(ESTATE_CSS)
    coloured = 0
    for selectors, body in re.findall(r"([^{}@]+)\{([^{}]*)\}", ESTATE_OWN_CSS):
        declarations = dict((k.strip(), v.strip()) for k, v in (d.split(":", 1) for d in body.split(";") if ":" in d))
        resolved = {k: re.sub(r"var\((--[\w-]+)\)", lambda m: names[m.group(1)], v) for k, v in declarations.items()}
        assert resolved.get("background", names["--paper"]) == names["--paper"], selectors
        if "color" in resolved:
            coloured += 1
            ratio = contrast(resolved["color"], names["--paper"])
            assert ratio >= MIN_CONTRAST, f"{selectors.strip()}: {ratio:.2f}:1"
    assert coloured >= 3


def test_estate_page_verdicts_are_words_colours_and_shapes() -> None:
    parsed = outline(ESTATE)
    assert {v.value for v in Verdict} <= set(parsed.badges)
    for verdict, status in ((Verdict.READY, Status.PASS), (Verdict.NOT_READY, Status.FAIL),
                            (Verdict.UNKNOWN, Status.ERROR)):
        icon = html.STATUS_STYLE[status].icon
        assert f'<span class="badge s-{status.value}"><svg aria-hidden="true"><use href="#i-{icon}"/></svg>' \
               f"{verdict.value}</span>" in ESTATE
    assert parsed.lang == "en"
    assert parsed.images and all(img.get("alt") for img in parsed.images)
    assert "Museum &lt;estate&gt;" in ESTATE and "<script" not in ESTATE


def test_images_have_alt_controls_have_labels_page_has_language() -> None:
    parsed = outline(html.render(rich_report()))
    assert parsed.lang == "en"
    assert parsed.images and all(img.get("alt") for img in parsed.images)
    assert parsed.controls and all(labelled for _, labelled in parsed.controls), parsed.controls


def test_icons_are_decorative_and_shapes_differ_per_status() -> None:
    text = html.render(rich_report())
    assert all('aria-hidden="true"' in svg for svg in re.findall(r"<svg[^>]*>", text))
    icons = {html.STATUS_STYLE[s].icon for s in Status}
    assert len(icons) == len(Status)
    borders = {html.STATUS_STYLE[s].border for s in Status}
    assert len(borders) == len(Status), "each status has its own border style, for greyscale print"
