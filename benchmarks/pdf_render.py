"""PDF speed: the demo PDF against Chromium printing an empty page; optionally a 10,000-finding report.

    python benchmarks/pdf_render.py [--runs 5] [--findings 0|N]

Demo PDF (issue 20: < 2 s). ``linkready demo --format pdf`` as the user runs it, a fresh process
each time (interpreter start-up, imports, evaluation, HTML, printing). Its same-run baseline is the
printing engine alone: the engine ``--format pdf`` uses (WeasyPrint, else headless Chromium with
the flags reports/pdf.py passes) printing an empty page, timed the same way. Both are the best of
``--runs`` (the machine is shared: the best run is the one least disturbed), taken alternately so a
burst of load hits both. Printed: both figures, their ratio (what linkready adds on top of the
browser it cannot avoid starting) and the demo figure against the 2 s goal, with the load average.

``--findings N`` (issue 19) also prints the PDF of an N-finding estate-sized report against the HTML
rendering of the same report (in-process, one run; slow: tens of seconds for 10,000 findings).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from linkready.reports import pdf  # noqa: E402

from benchmarks._load import load_line  # noqa: E402

#: The issue-20 goal for the demo PDF, in seconds.
DEMO_GOAL = 2.0
EMPTY_PAGE = "<!doctype html><html><head><meta charset='utf-8'><title>empty</title></head><body></body></html>"


def _pages(data: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.pdf"
        path.write_bytes(data)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=False).stdout
    found = re.search(r"Pages:\s+(\d+)", info)
    return found.group(1) if found else "?"


def demo_pdf(folder: Path, env: dict[str, str]) -> tuple[float, bytes]:
    """Seconds for ``linkready demo --format pdf`` in a fresh process, and the PDF it wrote."""
    argv = [sys.executable, "-m", "linkready", "demo", "--format", "pdf", "-o", str(folder), "-q"]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=300,
                          check=False)
    seconds = time.perf_counter() - started
    written = sorted(folder.glob("*.pdf"))
    if done.returncode not in (0, 1, 3) or not written:
        raise SystemExit(f"linkready demo --format pdf failed ({done.returncode}): {done.stderr.strip()[-300:]}")
    return seconds, written[0].read_bytes()


def empty_page() -> float:
    """Seconds for the PDF engine alone to print an empty page (the same engine and flags)."""
    started = time.perf_counter()
    pdf.render_html_pdf(EMPTY_PAGE)
    return time.perf_counter() - started


def many_findings(findings: int) -> None:
    from linkready.reports import html

    from tests.builders.reports import estate_report

    report = estate_report(findings)
    start = time.perf_counter()
    page = html.render(report, paper=pdf.paper_size())
    html_seconds = time.perf_counter() - start
    start = time.perf_counter()
    data = pdf.render_html_pdf(page)
    pdf_seconds = time.perf_counter() - start
    print(f"{findings:,} findings: html {html_seconds:.2f} s, pdf {pdf_seconds:.2f} s "
          f"(ratio {pdf_seconds / max(html_seconds, 1e-9):.1f}x), {_pages(data)} pages, {len(data) / 1e6:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs of each demo measurement (best is used)")
    parser.add_argument("--findings", type=int, default=0, help="also time an N-finding report's PDF (0: skip)")
    args = parser.parse_args()
    engine = "WeasyPrint" if importlib.util.find_spec("weasyprint") is not None else f"Chromium ({pdf.find_chromium()})"
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
           "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    demos, empties = [], []
    data = b""
    with tempfile.TemporaryDirectory(prefix="pdf-bench-") as tmp:
        empty_page()  # page cache: the browser's files, as a user's second run finds them
        demo_pdf(Path(tmp) / "warm", env)
        for run in range(args.runs):
            empties.append(empty_page())
            seconds, data = demo_pdf(Path(tmp) / f"demo{run}", env)
            demos.append(seconds)
    demo, empty = min(demos), min(empties)
    runs = f"best of {args.runs}"
    print(f"PDF engine                          {engine}")
    print(f"demo PDF pages                      {_pages(data)} ({len(data) / 1e3:.0f} kB)")
    print(f"empty page printed by the engine    {empty:6.2f} s  ({runs}: {', '.join(f'{s:.2f}' for s in empties)})")
    print(f"demo PDF, linkready demo --format pdf  {demo:6.2f} s  ({runs}: {', '.join(f'{s:.2f}' for s in demos)}; "
          f"goal: < {DEMO_GOAL:g} s)")
    print(f"ratio demo PDF / empty page         {demo / empty:6.2f}  (linkready's own share: {demo - empty:.2f} s)")
    print(load_line())
    if args.findings:
        many_findings(args.findings)


if __name__ == "__main__":
    main()
