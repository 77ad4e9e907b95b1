"""PDF of a 10,000-finding report: print time as a ratio to the HTML rendering of the same report.

    python benchmarks/pdf_render.py [--findings N]

The baseline is html.render() of the same report, measured in the same run; the PDF is that HTML
printed by the engine `--format pdf` uses (WeasyPrint or headless Chromium). Prints both times, the
ratio and the page count; no target is asserted (issue 19 asks for the number).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from linkready.reports import html, pdf  # noqa: E402

from tests.builders.reports import estate_report  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=10_000)
    args = parser.parse_args()
    report = estate_report(args.findings)
    start = time.perf_counter()
    page = html.render(report, paper=pdf.paper_size())
    html_seconds = time.perf_counter() - start
    start = time.perf_counter()
    data = pdf.render_html_pdf(page)
    pdf_seconds = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.pdf"
        path.write_bytes(data)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=False).stdout
    pages = re.search(r"Pages:\s+(\d+)", info)
    print(f"{args.findings:,} findings: html {html_seconds:.2f} s, pdf {pdf_seconds:.2f} s "
          f"(ratio {pdf_seconds / max(html_seconds, 1e-9):.1f}x), {pages.group(1) if pages else '?'} pages, "
          f"{len(data) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
