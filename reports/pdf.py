"""``--format pdf``: the HTML report printed to PDF.

WeasyPrint when it is importable; otherwise headless Chromium's ``--print-to-pdf`` (the Debian
``chromium`` package, or the browser named by ``LINKREADY_CHROMIUM``). The HTML's print CSS does
the layout either way (``reports/templates/_styles.html``): page size; cover, executive summary and
blockers on page 1; areas flowing on with no forced page each; passed checks in two columns; code
blocks kept whole; the customer and page numbers in the page margins. ``LINKREADY_PAPER`` picks
``A4`` (default) or ``Letter``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from linkready.report import FormatUnavailable, Report

if TYPE_CHECKING:
    from linkready.tools.diff import Diff

PAPERS = {"a4": "A4", "letter": "Letter"}
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-pdf-header-footer",
)
TIMEOUT = 180.0


class PdfError(FormatUnavailable):
    """No PDF engine, or the engine failed. One line naming what to install or what went wrong."""


def paper_size(value: str | None = None) -> str:
    chosen = (value or os.environ.get("LINKREADY_PAPER") or "A4").strip().lower()
    if chosen not in PAPERS:
        raise PdfError(f"paper size {chosen!r} is not one of A4, Letter (LINKREADY_PAPER)")
    return PAPERS[chosen]


def find_chromium() -> str | None:
    """The Chromium executable to print with, or None."""
    override = os.environ.get("LINKREADY_CHROMIUM")
    for candidate in ((override,) if override else CHROMIUM_CANDIDATES):
        path = shutil.which(candidate) if candidate else None
        if path:
            return path
    return None


def _weasyprint(html: str) -> bytes | None:
    try:
        import weasyprint  # type: ignore[import-not-found]
    except Exception:  # not installed, or its native libraries are missing
        return None
    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf


def chromium_pdf(html: str, chromium: str, timeout: float = TIMEOUT) -> bytes:
    """Print ``html`` with headless Chromium; a throw-away profile, no network use."""
    with tempfile.TemporaryDirectory(prefix="linkready-pdf-") as tmp:
        folder = Path(tmp)
        source = folder / "report.html"
        source.write_text(html, encoding="utf-8")
        target = folder / "report.pdf"
        command = [
            chromium, *CHROMIUM_FLAGS, f"--user-data-dir={folder / 'profile'}",
            f"--print-to-pdf={target}", source.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL, check=False)
        except subprocess.TimeoutExpired:
            raise PdfError(f"Chromium did not print the report within {timeout:g} s") from None
        except OSError as exc:
            raise PdfError(f"cannot run {chromium}: {exc.strerror or exc}") from None
        if not target.is_file() or target.stat().st_size == 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise PdfError(f"Chromium wrote no PDF (exit {done.returncode}): {last}")
        data = target.read_bytes()
    if not data.startswith(b"%PDF-"):
        raise PdfError("Chromium's output is not a PDF")
    return data


def render_html_pdf(html: str) -> bytes:
    pdf = _weasyprint(html)
    if pdf is not None:
        return pdf
    chromium = find_chromium()
    if chromium is None:
        raise PdfError(
            "--format pdf needs WeasyPrint (pip install weasyprint) or Chromium (apt-get install chromium); "
            "the HTML report prints to PDF from any browser too"
        )
    return chromium_pdf(html, chromium)


def render(report: Report, *, changes: Diff | None = None, paper: str | None = None) -> bytes:
    """The report as PDF bytes."""
    from linkready.reports import html

    return render_html_pdf(html.render(report, changes=changes, paper=paper_size(paper)))
