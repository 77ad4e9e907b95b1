"""`--format pdf` printed by headless Chromium, checked page by page as a reader would.

Every page is rendered to PNG with pdftoppm (saved in test-artifacts/pdf/) and to greyscale pixels:
no page is blank. pdftotext proves that every code block sits whole on one page (not cut by a page
break, not clipped at the right margin) and that each page carries the customer and its number.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from linkready.reports import html, pdf

from linkready.model import Status
from tests.browser.conftest import ARTIFACTS, chromium_available
from tests.builders.reports import rich_report
from tests.conftest import require_component, run_cli

#: Fraction of a page (top and bottom) that holds the running header/footer, ignored for "blank".
MARGIN = 0.09
#: A page whose body has fewer dark pixels than this is blank.
MIN_INK = 0.002


def tools() -> None:
    require_component("chromium", chromium_available(), "apt-get install chromium")
    for tool in ("pdftoppm", "pdftotext", "pdfinfo"):
        require_component(tool, shutil.which(tool) is not None, "apt-get install poppler-utils")


def run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=120).stdout


def pgm(path: Path) -> tuple[int, int, bytes]:
    """Width, height and pixels of a binary greyscale PGM (pdftoppm -gray)."""
    data = path.read_bytes()
    fields = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert fields, f"{path} is not a binary PGM"
    width, height = int(fields.group(1)), int(fields.group(2))
    return width, height, data[fields.end():fields.end() + width * height]


def ink(path: Path) -> float:
    width, height, pixels = pgm(path)
    top, bottom = int(height * MARGIN), int(height * (1 - MARGIN))
    body = pixels[top * width:bottom * width]
    return sum(1 for value in body if value < 200) / max(1, len(body))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    tools()
    report = rich_report()
    folder = tmp_path_factory.mktemp("pdf")
    path = folder / "rich.pdf"
    path.write_bytes(pdf.render(report))
    pages = int(re.search(r"Pages:\s+(\d+)", run("pdfinfo", str(path))).group(1))  # type: ignore[union-attr]
    return path, pages


def test_pdf_pages_are_a4_numbered_and_carry_the_customer(printed: tuple[Path, int]) -> None:
    path, pages = printed
    info = run("pdfinfo", str(path))
    assert "(A4)" in info or re.search(r"Page size:\s+59[45]\.\d+ x 84[12]\.\d+", info), info
    for number in range(1, pages + 1):
        text = run("pdftotext", "-layout", "-f", str(number), "-l", str(number), str(path), "-")
        assert "Contoso Museums · Managed Instance link readiness" in text, f"page {number} header"
        assert f"Page {number} of {pages}" in text, f"page {number} footer"


def test_no_blank_pages_and_png_of_every_page(printed: tuple[Path, int]) -> None:
    path, pages = printed
    out = ARTIFACTS / "pdf"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    run("pdftoppm", "-r", "60", "-png", str(path), str(out / "rich-page"))
    run("pdftoppm", "-r", "30", "-gray", str(path), str(out / "gray"))
    pngs = sorted(out.glob("rich-page-*.png"))
    greys = sorted(out.glob("gray-*.pgm"))
    assert len(pngs) == len(greys) == pages
    blank = [n for n, grey in enumerate(greys, 1) if ink(grey) < MIN_INK]
    assert blank == [], f"blank pages: {blank}"
    for grey in greys:
        grey.unlink()


def test_every_code_block_is_whole_on_one_page(printed: tuple[Path, int]) -> None:
    path, pages = printed
    # -layout keeps a "--" at a wrapped line end (the default mode would de-hyphenate it away)
    per_page = [squash(run("pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"))
                for n in range(1, pages + 1)]
    report = rich_report()
    blocks = [b for f in report.findings if f.status in html.ATTENTION for b in f.fix]
    assert blocks
    for block in blocks:
        code = squash(block.code)
        assert any(code in page for page in per_page), f"code block cut or clipped: {block.code[:60]!r}"
    # the fail titles are on paper too
    whole = "".join(per_page)
    for f in report.findings:
        if f.status is Status.FAIL:
            assert squash(f.title) in whole


def test_letter_paper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tools()
    monkeypatch.setenv("LINKREADY_PAPER", "Letter")
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf.render(rich_report()))
    assert re.search(r"Page size:\s+612(\.\d+)? x 792", run("pdfinfo", str(path)))


def test_cli_writes_a_pdf_and_fails_cleanly_without_an_engine(tmp_path: Path) -> None:
    tools()
    done = run_cli("demo", "-o", str(tmp_path / "ok"), "--format", "pdf", "-q")
    assert done.returncode in (0, 1, 3), done.stderr
    assert (tmp_path / "ok" / "linkready-report.pdf").read_bytes().startswith(b"%PDF-")
    try:
        import weasyprint  # type: ignore[import-not-found]  # noqa: F401
    except Exception:
        pass
    else:
        pytest.skip("WeasyPrint is installed: there is always an engine")
    done = run_cli("demo", "-o", str(tmp_path / "none"), "--format", "pdf", "-q",
                   env={"LINKREADY_CHROMIUM": "/nonexistent/chromium", "PATH": os.environ.get("PATH", "")})
    assert done.returncode == 2
    assert done.stderr.startswith("linkready: error: --format pdf needs WeasyPrint") and done.stderr.count("\n") == 1


#: The demo (10 FAIL, 4 WARN, 58 PASS) on paper: areas flow on, no forced page per area. Measured
#: 10 pages on A4 and Letter (from 18, with SVC-001..004 added since); SVC-005..007 (five findings more)
#: take Letter to 11. The issue's goal is 8 (see the closing note of issue 19).
DEMO_MAX_PAGES = {"A4": 10, "Letter": 11}
#: A page whose body has less ink than this is "mostly blank" (the last page may be short).
MOSTLY_BLANK = 0.02


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_demo_pdf_is_compact_and_keeps_the_first_page_whole(tmp_path: Path, paper: str) -> None:
    tools()
    done = run_cli("demo", "-o", str(tmp_path), "--format", "pdf", "-q", env={"LINKREADY_PAPER": paper})
    assert done.returncode in (0, 1), done.stderr
    path = tmp_path / "linkready-report.pdf"
    pages = int(re.search(r"Pages:\s+(\d+)", run("pdfinfo", str(path))).group(1))  # type: ignore[union-attr]
    assert pages <= DEMO_MAX_PAGES[paper], f"{pages} pages on {paper}"
    first = squash(run("pdftotext", "-layout", "-f", "1", "-l", "1", str(path), "-"))
    # Cover, executive summary and the whole top-blocker list on page 1.
    for words in ("Notready", "Executivesummary", "Topblockers"):
        assert words in first, words
    assert run_cli("demo", "-q", "-o", str(tmp_path / "j"), "--format", "json").returncode == 1
    report = json.loads((tmp_path / "j" / "linkready-report.json").read_text("utf-8"))
    top = [f for f in report["findings"] if f["status"] == "FAIL" and not f.get("blocked_by")][:8]
    assert top and all(squash(f["check_id"]) in first for f in top), "a top blocker is not on page 1"
    out = tmp_path / "grey"
    out.mkdir()
    run("pdftoppm", "-r", "30", "-gray", str(path), str(out / "p"))
    greys = sorted(out.glob("p-*.pgm"))
    sparse = [n for n, grey in enumerate(greys[:-1], 1) if ink(grey) < MOSTLY_BLANK]
    assert sparse == [], f"mostly blank pages: {sparse}"
    text = run("pdftotext", str(path), "-")
    assert "▶" not in text and "►" not in text
