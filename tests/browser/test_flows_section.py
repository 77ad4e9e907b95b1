"""The "Network flows" section as the network team sees it: on screens of 375, 1,024 and 1,440 px, and on paper.

Measured in headless Chromium: the section never makes the page scroll sideways and nothing in it sticks
out of its box; each row is readable (its state in words); under print emulation at A4 width the section
is at most one A4 page high; in the demo PDF the table, its notes and every az command are printed whole.
Screenshots of the section go to test-artifacts/browser/flows-*.png.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from linkready.domain.flows import network_flows
from tests.browser.conftest import demo_report
from tests.browser.test_layout import MISFITS, WIDTHS
from tests.conftest import require_component, run_cli

#: A4's printable height with the report's 15 mm top and bottom margins, in CSS pixels (96 per inch).
A4_BODY_PX = (297 - 30) / 25.4 * 96
#: A4's printable width with the 12 mm side margins.
A4_WIDTH_PX = round((210 - 24) / 25.4 * 96)


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from linkready.reports import html

    path = tmp_path_factory.mktemp("flows") / "demo.html"
    path.write_text(html.render(demo_report()), encoding="utf-8")
    return path


@pytest.fixture
def page_at(browser: Any) -> Iterator[Any]:
    contexts = []

    def open_page(path: Path, width: int) -> Any:
        context = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.goto(path.as_uri(), wait_until="load")
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_section_fits_every_screen(width: int, demo_page: Path, page_at: Any, artifacts: Path) -> None:
    page = page_at(demo_page, width)
    section = page.locator("#flows")
    section.scroll_into_view_if_needed()
    assert section.is_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    misfits = [m for m in page.evaluate(MISFITS)]
    assert misfits == [], misfits
    rows = page.locator("#flows tbody tr")
    assert rows.count() == 9
    for i in range(rows.count()):
        box = rows.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (i, box)
        assert re.search(r"\b(open|blocked|undecided|not observed)\b", rows.nth(i).inner_text())
    section.screenshot(path=str(artifacts / f"flows-{width}.png"))


def test_on_paper_the_section_is_at_most_one_a4_page(demo_page: Path, page_at: Any) -> None:
    page = page_at(demo_page, A4_WIDTH_PX)
    page.emulate_media(media="print")
    height = page.evaluate("() => document.querySelector('#flows').getBoundingClientRect().height")
    assert 0 < height <= A4_BODY_PX, f"{height:.0f}px of {A4_BODY_PX:.0f}px"
    cmd = page.evaluate("""() => { const pre = document.querySelector('#flows pre');
        return [pre.scrollWidth - pre.clientWidth, getComputedStyle(pre).whiteSpace]; }""")
    assert cmd[0] <= 0 and cmd[1] == "pre-wrap", cmd


def test_the_demo_pdf_prints_the_table_and_each_command_whole(tmp_path: Path) -> None:
    for tool in ("pdftotext", "pdfinfo"):
        require_component(tool, shutil.which(tool) is not None, "apt-get install poppler-utils")
    done = run_cli("demo", "-o", str(tmp_path), "--format", "pdf", "-q")
    assert done.returncode == 1, done.stderr
    path = tmp_path / "linkready-report.pdf"
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info)[1])  # type: ignore[index]
    texts = [re.sub(r"\s+", "", subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"],
                                               capture_output=True, text=True, check=True).stdout)
             for n in range(1, pages + 1)]
    with_heading = [n for n, text in enumerate(texts, 1) if "Networkflows" in text and "Flow(source" in text]
    assert len(with_heading) == 1, with_heading
    first = with_heading[0]
    # The whole table is on the page of its heading and the next one at most (one page of height).
    tail = "".join(texts[first - 1:first + 1])
    assert "Thenodelegisprovenonlybythedocumented" in tail
    table = network_flows(demo_report().snapshot.facts)
    commands = [re.sub(r"\s+", "", row.command.replace("\\\n", " ")) for row in table.rows if row.command]
    assert commands and all(any(c in text for text in texts) for c in commands), "an az command is cut"
