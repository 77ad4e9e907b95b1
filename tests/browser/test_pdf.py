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
from importlib import resources
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


def right_margin_ink(path: Path) -> float:
    """Dark pixels in the page's right margin (the outer 4% of the width, header/footer band
    excluded): text or a table cut at the right edge would print there."""
    width, height, pixels = pgm(path)
    top, bottom, left = int(height * MARGIN), int(height * (1 - MARGIN)), int(width * 0.96)
    dark = sum(1 for row in range(top, bottom) for value in pixels[row * width + left:(row + 1) * width] if value < 200)
    return dark / max(1, (bottom - top) * (width - left))


def pages_of(path: Path) -> int:
    return int(re.search(r"Pages:\s+(\d+)", run("pdfinfo", str(path))).group(1))  # type: ignore[union-attr]


def greys_of(path: Path, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    run("pdftoppm", "-r", "30", "-gray", str(path), str(folder / "p"))
    return sorted(folder.glob("p-*.pgm"))


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


#: The demo (10 FAIL, 5 WARN, 65 PASS) on paper: areas flow on, no forced page per area. Measured
#: 9 pages on A4 and 10 on Letter (from 18; plain titles added a line per card); the issue's goal is 8.
#: Then 10 A4 / 11 Letter once the demo's azure facts held azure.database_encryption: its NSG checks judge
#: again instead of ERROR (the snapshot was "incomplete" without the key) and SVC-023 adds a WARN card.
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
    cut = [n for n, grey in enumerate(greys, 1) if right_margin_ink(grey) > 0]
    assert cut == [], f"ink in the right margin (something cut) on pages {cut}"


def test_a_one_finding_report_is_one_clean_page(tmp_path: Path) -> None:
    tools()
    from tests.builders.reports import finding, make_report

    report = make_report([finding("SQL-004", Status.FAIL, "Always On availability groups are disabled on SQL01")])
    path = tmp_path / "one.pdf"
    path.write_bytes(pdf.render(report))
    # Page 1 holds cover, summary, blockers and the finding; the colophon may run onto a page 2.
    assert pages_of(path) <= 2
    for grey in greys_of(path, tmp_path / "g"):
        assert ink(grey) >= MIN_INK and right_margin_ink(grey) == 0, grey.name
    first = squash(run("pdftotext", "-f", "1", "-l", "1", str(path), "-"))
    assert "SQL-004" in first and "Howtofix" in first
    text = squash(run("pdftotext", str(path), "-"))
    assert squash("Always On availability groups are disabled on SQL01") in text


#: 20 targets, each the demo snapshot: measured 30 A4 pages with 10 FAIL and 5 WARN per target (the
#: summary, the blockers x targets matrix, then what needs attention per target, without the fix
#: column); 33 once the SVC-005..022 checks added a WARN per target. It was 85 before the print CSS.
ESTATE_MAX_PAGES = 35


def test_estate_of_twenty_targets_prints_to_a_pdf_that_fits(tmp_path: Path) -> None:
    tools()
    snapshot = tmp_path / "demo.json"
    snapshot.write_text(resources.files("linkready.data").joinpath("demo_snapshot.json").read_text("utf-8"),
                        encoding="utf-8")
    (tmp_path / "estate.toml").write_text('[estate]\nname = "Contoso museums"\n' + "".join(
        f'[[target]]\nname = "sqlprod{i:02d}.museum.local"\nsnapshot = "demo.json"\n' for i in range(1, 21)),
        encoding="utf-8")
    done = run_cli("evaluate", "--estate", str(tmp_path / "estate.toml"), "-o", str(tmp_path / "out"), "-q",
                   "--format", "json,pdf", timeout=600)
    assert done.returncode == 1, done.stderr
    path = tmp_path / "out" / "estate.pdf"
    assert not list((tmp_path / "out" / "targets").rglob("*.pdf")), "one PDF for the estate, none per target"
    pages = pages_of(path)
    assert 2 <= pages <= ESTATE_MAX_PAGES, pages
    first = squash(run("pdftotext", "-layout", "-f", "1", "-l", "1", str(path), "-"))
    assert "Notready" in first and "Mostcommonblockers" in first and "20of20targets" in first
    whole = squash(run("pdftotext", str(path), "-"))
    assert "Blockersbytarget" in whole and all(f"sqlprod{i:02d}.museum.local" in whole for i in range(1, 21))
    greys = greys_of(path, tmp_path / "g")
    out = ARTIFACTS / "pdf"
    out.mkdir(parents=True, exist_ok=True)
    run("pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "3", str(path), str(out / "estate-page"))
    sparse = [n for n, grey in enumerate(greys[:-1], 1) if ink(grey) < MOSTLY_BLANK]
    assert sparse == [], f"mostly blank pages: {sparse}"
    cut = [n for n, grey in enumerate(greys, 1) if right_margin_ink(grey) > 0]
    assert cut == [], f"ink in the right margin (something cut) on pages {cut}"
