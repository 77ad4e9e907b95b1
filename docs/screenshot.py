"""Regenerate docs/report.png: the first screen of `linkready demo`'s HTML report.

    python docs/screenshot.py

Runs the real CLI on the bundled demo snapshot, opens the report in headless Chromium
(/usr/bin/chromium) at 1280 px wide and saves the top of the page. Rerun it when the demo
snapshot or the report's look changes, and commit the PNG.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "report.png"


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
        subprocess.run([sys.executable, "-m", "linkready", "demo", "-o", tmp, "--format", "html", "-q",
                        "--prepared-by", "Fabrikam Data Consulting"], env=env, check=False)
        report = Path(tmp) / "linkready-report.html"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                              "--disable-component-update", "--no-first-run", "--disable-sync"])
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(report.as_uri(), wait_until="load")
            page.screenshot(path=str(OUT))
            browser.close()
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
