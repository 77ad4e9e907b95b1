"""HTML report for an estate of 10,000 findings: render time as a ratio to JSON, and browser load.

    python benchmarks/html_render.py [--findings N] [--runs N] [--browser]

The baseline is the JSON rendering of the same report, measured in the same run. Target
(issue #7): the HTML renders in under 2 s. With --browser, headless Chromium also loads the file
(DOMContentLoaded and load, from the page's own navigation timing; first paint; long tasks from a
PerformanceObserver installed before the page's own scripts; DOM node count) and runs one search.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from linkready.reports import html, json_report, markdown  # noqa: E402

from benchmarks._load import load_line  # noqa: E402
from tests.builders.reports import estate_report  # noqa: E402

TARGET_SECONDS = 2.0


def timed(function: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def browser_load(path: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                          "--disable-component-update", "--no-first-run", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        # Long tasks (> 50 ms on the main thread) from the start of the page, as Chromium reports them.
        page.add_init_script("""window.__long = [];
            new PerformanceObserver(l => l.getEntries().forEach(e => window.__long.push(e.duration)))
                .observe({type: 'longtask', buffered: true});""")
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_timeout(500)  # let tasks queued at load finish and be reported
        timing = page.evaluate(
            "() => { const n = performance.getEntriesByType('navigation')[0];"
            " const paint = Object.fromEntries(performance.getEntriesByType('paint').map(e => [e.name, e.startTime]));"
            " return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd,"
            " fp: paint['first-paint'] ?? -1, fcp: paint['first-contentful-paint'] ?? -1,"
            " long_total: window.__long.reduce((a, b) => a + b, 0), long_max: Math.max(0, ...window.__long),"
            " long_count: window.__long.length, nodes: document.getElementsByTagName('*').length}; }")
        search = page.evaluate("""() => new Promise(done => {
            const box = document.querySelector('#toolbar input[type=search]');
            const start = performance.now();
            box.value = 'db00200'; box.dispatchEvent(new Event('input'));
            const wait = () => document.getElementById('shown').textContent.startsWith('Showing 1 ')
                ? done(performance.now() - start) : requestAnimationFrame(wait);
            wait();
        })""")
        browser.close()
    seconds = {k: timing[k] / 1000 for k in ("dcl", "load", "fp", "fcp", "long_total", "long_max")}
    return {**seconds, "long_count": timing["long_count"], "nodes": timing["nodes"], "search": search / 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--browser", action="store_true", help="also load the file in headless Chromium")
    args = parser.parse_args()

    report = estate_report(args.findings)
    html.render(report)  # warm up: template compilation is a one-off cost, measured separately below
    baseline = timed(lambda: json_report.render(report), args.runs)
    rendered = timed(lambda: html.render(report), args.runs)
    md = timed(lambda: markdown.render(report), args.runs)
    start = time.perf_counter()
    html._ENV = None
    html.render(report)
    cold = time.perf_counter() - start
    size = len(html.render(report).encode()) / 1e6
    print(f"{args.findings:,} findings, median of {args.runs} runs")
    print(f"baseline  json render             {baseline * 1000:8.1f} ms")
    print(f"markdown  render                  {md * 1000:8.1f} ms  ratio {md / baseline:5.2f}x")
    verdict = "ok" if rendered < TARGET_SECONDS else f"over the {TARGET_SECONDS:g} s target"
    print(f"html      render                  {rendered * 1000:8.1f} ms  ratio {rendered / baseline:5.2f}x  ({verdict})")
    print(f"html      render, cold templates  {cold * 1000:8.1f} ms  ratio {cold / baseline:5.2f}x")
    print(f"html      size                    {size:8.1f} MB")
    if args.browser:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "estate.html"
            path.write_text(html.render(report), encoding="utf-8")
            seen = browser_load(path)
        print(f"chromium  DOMContentLoaded        {seen['dcl'] * 1000:8.1f} ms  ratio {seen['dcl'] / baseline:5.2f}x")
        print(f"chromium  load                    {seen['load'] * 1000:8.1f} ms  ratio {seen['load'] / baseline:5.2f}x")
        print(f"chromium  first paint             {seen['fp'] * 1000:8.1f} ms  (goal < 1500 ms)")
        print(f"chromium  first contentful paint  {seen['fcp'] * 1000:8.1f} ms")
        print(f"chromium  long tasks              {seen['long_count']:8.0f}     total {seen['long_total'] * 1000:.0f} ms, "
              f"longest {seen['long_max'] * 1000:.0f} ms  (goal: each < 200 ms)")
        print(f"chromium  DOM nodes               {seen['nodes']:8.0f}")
        print(f"chromium  search (debounced)      {seen['search'] * 1000:8.1f} ms")
    print(load_line())


if __name__ == "__main__":
    main()
