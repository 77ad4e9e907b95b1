"""Layout as a person sees it at 375, 1,024 and 1,440 px, for the single-target and the estate report.

Measured in headless Chromium, not assumed from the CSS: the page never scrolls sideways, no element
sticks out of the element that contains it (nor out of the viewport), no box grows its own
horizontal scrollbar, the verdict and every FAIL title (single target) or failing check (estate)
can be seen; under print emulation every code block stays whole (no scrollbar, nothing cut, kept on
one page). Full-page screenshots go to test-artifacts/browser/layout-*.png for a human to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from linkready.model import Status
from tests.browser.conftest import demo_report
from tests.conftest import ROOT, run_cli

WIDTHS = (375, 1024, 1440)
ESTATE_TARGETS = 20

#: Elements wider than their containing block, or poking out of the viewport, or with a horizontal
#: scrollbar of their own. Hidden elements and screen-reader-only text (1 px, clipped) do not count.
MISFITS = """() => {
  const out = [];
  const vw = document.documentElement.clientWidth;
  // The skip link waits off-screen until it has focus (that is its job); sr-only text is 1 px.
  const shown = e => e.checkVisibility() && !e.closest('.sr-only, .skip-link');
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                    (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : '');
  for (const e of document.body.querySelectorAll('*')) {
    if (!shown(e) || e.tagName === 'svg' || e.closest('svg')) continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0) continue;
    if (r.right > vw + 1 || r.left < -1) { out.push(name(e) + ' outside the viewport: ' + Math.round(r.left) + '..' + Math.round(r.right)); continue; }
    const parent = e.offsetParent || e.parentElement;
    if (parent && parent !== document.body) {
      const p = parent.getBoundingClientRect();
      if (r.right > p.right + 1 && getComputedStyle(parent).overflowX === 'visible')
        out.push(name(e) + ' wider than ' + name(parent) + ' by ' + Math.round(r.right - p.right) + 'px');
    }
    if (e.scrollWidth > e.clientWidth + 1 && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX))
      out.push(name(e) + ' scrolls sideways by ' + (e.scrollWidth - e.clientWidth) + 'px');
  }
  return out.slice(0, 12);
}"""


@pytest.fixture(scope="module")
def estate_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An estate of 20 targets, each the demo snapshot (10 FAIL, long FQDNs and resource names)."""
    folder = tmp_path_factory.mktemp("estate")
    snapshot = folder / "demo.json"
    snapshot.write_text((ROOT / "linkready" / "data" / "demo_snapshot.json").read_text("utf-8"), encoding="utf-8")
    body = '[estate]\nname = "Contoso museums"\n' + "".join(
        f'[[target]]\nname = "sqlprod{i:02d}.museum.local"\nsnapshot = "demo.json"\n' for i in range(1, ESTATE_TARGETS + 1))
    (folder / "estate.toml").write_text(body, encoding="utf-8")
    done = run_cli("evaluate", "--estate", str(folder / "estate.toml"), "-o", str(folder / "out"), "-q",
                   "--format", "html", timeout=300)
    assert done.returncode == 1, done.stderr
    return folder / "out" / "estate.html"


@pytest.fixture(scope="module")
def single_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    from linkready.reports import html

    report = demo_report()
    path = tmp_path_factory.mktemp("single") / "demo.html"
    path.write_text(html.render(report), encoding="utf-8")
    return report, path


@pytest.fixture
def opened(browser: Any) -> Iterator[Any]:
    contexts = []

    def open_page(path: Path, width: int) -> Any:
        context = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                      else route.abort())
        page = context.new_page()
        page.goto(path.as_uri(), wait_until="load")
        return page

    yield open_page
    for context in contexts:
        context.close()


def fits(page: Any) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
    assert page.evaluate(MISFITS) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_single_target_report_fits_and_shows_the_verdict_and_every_fail(
    width: int, single_page: tuple[Any, Path], opened: Any, artifacts: Path
) -> None:
    report, path = single_page
    page = opened(path, width)
    assert page.locator("#verdict-title").is_visible()
    fits(page)
    titles = page.locator("article.f.s-FAIL h4")
    assert titles.count() == sum(1 for f in report.findings if f.status is Status.FAIL)
    for i in range(titles.count()):
        titles.nth(i).scroll_into_view_if_needed()
        assert titles.nth(i).is_visible()
    page.screenshot(path=str(artifacts / f"layout-single-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_estate_report_fits_and_shows_the_verdict_and_every_failing_check(
    width: int, estate_page: Path, opened: Any, artifacts: Path
) -> None:
    page = opened(estate_page, width)
    assert page.locator("#verdict-title").is_visible()
    fits(page)
    assert page.locator("table.bmatrix tbody tr").count() == ESTATE_TARGETS
    cells = page.locator("table.findings-table td.check")
    assert cells.count() >= ESTATE_TARGETS * 10
    for i in (0, cells.count() // 2, cells.count() - 1):
        cells.nth(i).scroll_into_view_if_needed()
        assert cells.nth(i).is_visible()
    page.screenshot(path=str(artifacts / f"layout-estate-{width}.png"), full_page=True)


def test_the_fit_rule_can_fail(single_page: tuple[Any, Path], opened: Any) -> None:
    """A too-wide box is seen: the rule is not vacuous."""
    page = opened(single_page[1], 375)
    fits(page)
    page.evaluate("() => { const d = document.createElement('div'); d.style.minWidth = '900px';"
                  " d.textContent = 'x'; document.querySelector('.blockers').appendChild(d); }")
    with pytest.raises(AssertionError, match="scrolls sideways"):
        fits(page)
    misfits = page.evaluate(MISFITS)
    assert misfits == ["div outside the viewport: 16..916"], misfits


@pytest.mark.parametrize("width", (375, 1024))
def test_print_emulation_keeps_code_blocks_whole(width: int, single_page: tuple[Any, Path], opened: Any) -> None:
    page = opened(single_page[1], width)
    page.emulate_media(media="print")
    blocks = page.evaluate("""() => Array.from(document.querySelectorAll('figure.code')).map(f => {
        const pre = f.querySelector('pre'); const s = getComputedStyle(f);
        return [s.breakInside, pre.scrollWidth - pre.clientWidth, getComputedStyle(pre).whiteSpace]; })""")
    assert blocks, "the demo has code blocks"
    for brk, overflow, space in blocks:
        assert brk == "avoid" and overflow <= 0 and space == "pre-wrap", (brk, overflow, space)
