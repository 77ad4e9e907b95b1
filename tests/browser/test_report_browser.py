"""The HTML report as a person sees it, in headless Chromium.

Asserted for the demo, a hand-made report with every status, and a 10,000-finding estate:
no console errors, no request leaves file://, the verdict and every FAIL title are visible,
filters and search change what is visible, copy buttons exist and copy; without JavaScript
everything still reads. PNG screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from linkready.reports import html

from linkready.model import Status

VISIBLE_FINDINGS = "() => Array.from(document.querySelectorAll('.f[data-s]')).filter(e => !e.closest('[hidden]'))" \
                   ".map(e => e.id)"


class Visit:
    """A page plus everything it asked the network for and every error it logged."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def external(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(("file://", "data:"))]


@pytest.fixture
def visit(browser: Any) -> Iterator[Any]:
    contexts = []

    def open_page(path: Path, *, javascript: bool = True, width: int = 1280, height: int = 900) -> Visit:
        context = browser.new_context(java_script_enabled=javascript, viewport={"width": width, "height": height})
        contexts.append(context)
        # Anything that is not the file itself is refused (and recorded by Visit): offline by construction.
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                      else route.abort())
        seen = Visit(context.new_page())
        seen.page.goto(path.as_uri(), wait_until="load")
        return seen

    yield open_page
    for context in contexts:
        context.close()


@pytest.mark.parametrize("name", ["demo", "rich", "estate"])
def test_no_console_errors_no_requests_verdict_and_fail_titles_visible(
    name: str, pages: dict[str, Any], visit: Any, artifacts: Path
) -> None:
    report, path = pages[name]
    seen = visit(path)
    page = seen.page
    verdict = page.locator("#verdict-title")
    assert verdict.is_visible() and verdict.inner_text() == report.verdict.value
    page.screenshot(path=str(artifacts / f"{name}-first-screen.png"))
    fails = [f for f in report.findings if f.status is Status.FAIL]
    anchors = {id(f): a for f, a in html.anchors_for(report)}
    # Real visibility (scrolled to, laid out, not covered by display:none) for up to 6 FAIL titles,
    # spread over the report; all of them by the browser's own checkVisibility() in one call.
    step = max(1, len(fails) // 6)
    for f in fails[::step]:
        title = page.locator(f"#{css_id(anchors[id(f)])} h4")
        title.scroll_into_view_if_needed()
        assert title.is_visible(), f.check_id
        assert f.title in (title.text_content() or "")
    hidden = page.evaluate(
        "(ids) => ids.filter(id => { const h = document.getElementById(id).querySelector('h4');"
        " return !h.checkVisibility({visibilityProperty: true, opacityProperty: true}); })",
        [anchors[id(f)] for f in fails],
    )
    assert hidden == []
    if name != "estate":
        page.screenshot(path=str(artifacts / f"{name}-full.png"), full_page=True)
    assert seen.errors == []
    assert seen.external() == []
    assert seen.requests and all(url.startswith("file://") for url in seen.requests[:1])


def css_id(anchor: str) -> str:
    return anchor.replace(".", "\\.")


def test_filters_and_search_change_visible_findings(pages: dict[str, Any], visit: Any, artifacts: Path) -> None:
    report, path = pages["rich"]
    page = visit(path).page
    everything = page.evaluate(VISIBLE_FINDINGS)
    assert len(everything) == len(report.findings)
    assert page.locator("#shown").inner_text() == f"Showing {len(report.findings)} of {len(report.findings)} findings"

    # Only FAIL (the count tile in the summary sets the status filter)
    page.locator('a.tile[data-only="FAIL"]').click()
    only_fail = page.evaluate(VISIBLE_FINDINGS)
    assert len(only_fail) == report.counts[Status.FAIL] and all(
        page.locator(f"#{css_id(i)}").get_attribute("data-s") == "FAIL" for i in only_fail)
    page.locator("#toolbar").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "rich-only-fail.png"))

    # Add WARN back with its checkbox, restrict to one area
    page.locator('#toolbar input[value="WARN"]').check()
    page.locator("#toolbar select[name=area]").select_option("sql")
    visible = page.evaluate(VISIBLE_FINDINGS)
    assert sorted(visible) == ["SQL-004", "SQL-006"]
    assert page.locator("#area-databases").is_hidden()

    # Show all, then search by an error number the link would fail with
    page.locator("#toolbar button[name=reset]").click()
    assert len(page.evaluate(VISIBLE_FINDINGS)) == len(report.findings)
    page.locator("#toolbar input[type=search]").fill("41973")
    wait_until_visible(page, ["CERT-003"])

    # ... or by the service's own error code name, in any case: MI-001 passed, so the match is in a folded row
    page.locator("#toolbar input[type=search]").fill("managedinstanceisbusy")
    wait_until_visible(page, ["MI-001"])

    # ... or by a link-specific code, which the page breaks between its words with <wbr> (no text added)
    page.locator("#toolbar input[type=search]").fill("ManagedInstanceLinkCertificateNotFoundOnManagedInstance")
    wait_until_visible(page, ["CERT-003"])

    # Search finds PASS findings inside their folded group and opens it
    page.locator("#toolbar input[type=search]").fill("10.30.4.12")
    wait_until_visible(page, ["DNS-001"])
    assert page.locator("#area-dns details.quiet").evaluate("d => d.open") is True
    assert page.locator("#DNS-001").is_visible()

    # Nothing matches: say so
    page.locator("#toolbar input[type=search]").fill("no such thing anywhere")
    page.wait_for_function("() => document.getElementById('shown').textContent.startsWith('Showing 0 ')")
    assert page.locator("#nomatch").is_visible()


def wait_until_visible(page: Any, expected: list[str]) -> None:
    """Search is debounced: wait until exactly ``expected`` is visible (fails on the timeout otherwise)."""
    page.wait_for_function(f"(want) => JSON.stringify(({VISIBLE_FINDINGS})()) === JSON.stringify(want)",
                           arg=expected, timeout=5000)


def test_search_in_ten_thousand_findings(pages: dict[str, Any], visit: Any, artifacts: Path) -> None:
    _, path = pages["estate"]
    page = visit(path).page
    page.locator("#toolbar input[type=search]").fill("sql00/db00200")
    page.wait_for_function("() => document.getElementById('shown').textContent === 'Showing 1 of 10000 findings'")
    assert page.evaluate(VISIBLE_FINDINGS) == ["CER-019-sql00_db00200"]
    page.locator('#toolbar input[value="FAIL"]').uncheck()
    page.wait_for_function("() => document.getElementById('shown').textContent === 'Showing 0 of 10000 findings'")
    page.locator("#toolbar button[name=reset]").click()
    assert page.locator("#shown").inner_text() == "Showing 10000 of 10000 findings"


def test_copy_buttons_exist_and_copy_the_code(pages: dict[str, Any], visit: Any) -> None:
    report, path = pages["rich"]
    page = visit(path).page
    buttons = page.locator("button.copy")
    blocks = [b for f in report.findings if f.status in html.ATTENTION for b in f.fix]
    assert buttons.count() == len(blocks) > 0
    assert all(buttons.nth(i).is_visible() for i in range(buttons.count()))
    first = buttons.first
    first.scroll_into_view_if_needed()
    # Capture what the page copies, whichever path it takes (Clipboard API or the execCommand fallback).
    page.evaluate("""() => {
        window.__copied = null;
        document.addEventListener('copy', e => { window.__copied = String(window.getSelection()); });
        if (navigator.clipboard) {
            navigator.clipboard.writeText = t => { window.__copied = t; return Promise.resolve(); };
        }
    }""")
    first.click()
    page.wait_for_function("() => window.__copied !== null")
    code_id = first.get_attribute("data-for")
    assert page.evaluate("() => window.__copied") == page.locator(f"#{code_id}").text_content()
    assert first.inner_text() == "Copied"


def test_reads_without_javascript(pages: dict[str, Any], visit: Any, artifacts: Path) -> None:
    report, path = pages["rich"]
    seen = visit(path, javascript=False)
    page = seen.page
    assert page.locator("#verdict-title").is_visible()
    assert page.locator("#toolbar").is_hidden(), "filters do nothing without script, so they are not shown"
    assert page.locator("button.copy").first.is_hidden()
    for f in report.findings:
        if f.status is Status.FAIL:
            title = page.locator(f"#{css_id(html.anchor(f))} h4")
            title.scroll_into_view_if_needed()
            assert title.is_visible()
    # code can still be selected and copied by hand
    assert page.locator("pre code").first.is_visible()
    page.screenshot(path=str(artifacts / "rich-no-javascript.png"), full_page=True)
    assert seen.external() == []


def test_narrow_screen_keeps_everything_readable(visit: Any, artifacts: Path, tmp_path: Path) -> None:
    from linkready.tools.diff import compare, side_from_report
    from tests.builders.reports import estate_report, rich_report

    report = rich_report()
    changes = compare(side_from_report(estate_report(40)), side_from_report(report))
    path = tmp_path / "phone.html"
    path.write_text(html.render(report, changes=changes), encoding="utf-8")
    page = visit(path, width=390, height=844).page
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page scrolls sideways by {overflow}px on a phone"
    assert page.locator("#verdict-title").is_visible()
    page.screenshot(path=str(artifacts / "rich-phone.png"))
    page.locator("#changes").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "rich-phone-changes.png"))
