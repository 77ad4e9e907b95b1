"""One headless Chromium for the browser tests (Debian's /usr/bin/chromium driven by Playwright).

Playwright's own browser download is unreachable here, so the system Chromium is launched by path.
Under CI=true a missing Chromium or Playwright fails the run (require_component).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from linkready.reports import html

from tests.builders.reports import NOW, demo_snapshot, estate_report, rich_report
from tests.conftest import ROOT, require_component

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"


def chromium_available() -> bool:
    return os.access(CHROMIUM, os.X_OK) or shutil.which("chromium") is not None


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    # Package scope, not session: Playwright's sync API keeps an asyncio loop running in this
    # thread while it is open, and tests elsewhere call asyncio.run(). One browser for this folder.
    require_component("chromium", chromium_available(), "apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_component("playwright", False, "pip install playwright")
        raise
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM if os.access(CHROMIUM, os.X_OK)
                                     else shutil.which("chromium"), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = ARTIFACTS / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def demo_report() -> Any:
    from linkready.checks import load_profile

    from linkready.engine import make_report
    from linkready.report import Branding

    return make_report(demo_snapshot(), load_profile("preflight"), branding=Branding(customer="Contoso Museums (demo)"),
                       now=NOW)


@pytest.fixture(scope="session")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, Path]]:
    """The reports under test, rendered once: name → (Report, HTML file)."""
    folder = tmp_path_factory.mktemp("reports")
    out = {}
    for name, report in (("demo", demo_report()), ("rich", rich_report()), ("estate", estate_report(10_000))):
        path = folder / f"{name}.html"
        path.write_text(html.render(report), encoding="utf-8")
        out[name] = (report, path)
    return out
