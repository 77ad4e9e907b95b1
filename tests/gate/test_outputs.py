"""Outputs the consuming tools accept and read right: JUnit agrees with the gate, Markdown is inert."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from linkready.snapshot import dumps, loads
from tests.conftest import ROOT, run_cli
from tests.gate.junit import assert_junit_agrees

DEMO = ROOT / "linkready" / "data" / "demo_snapshot.json"
HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(1)> </details> ``` \x00\x1b[31m"


def _hostile_snapshot(tmp_path: Path) -> Path:
    """The demo with hostile text in a value that reaches findings (the link name)."""
    snapshot = loads(DEMO.read_text())
    links = tuple(replace(link, name=HOSTILE) for link in snapshot.facts.plan.links)
    snapshot = replace(snapshot, facts=replace(snapshot.facts, plan=replace(snapshot.facts.plan, links=links)))
    path = tmp_path / "hostile.json"
    path.write_text(dumps(snapshot), encoding="utf-8")
    return path


def _failed_tests(junit: Path) -> int:
    root = ET.fromstring(junit.read_bytes())  # expat: strict, rejects a NUL or any non-XML character
    cases = root.iter("testcase")
    return sum(1 for case in cases if case.find("failure") is not None or case.find("error") is not None)


@pytest.mark.parametrize("profile", ["preflight", "pipeline", "audit"])
@pytest.mark.parametrize("hostile", [False, True])
def test_junit_parses_strictly_and_agrees_with_the_exit_code(tmp_path: Path, profile: str, hostile: bool) -> None:
    snapshot = _hostile_snapshot(tmp_path) if hostile else DEMO
    result = run_cli("evaluate", str(snapshot), "--profile", profile, "--format", "junit", "-q",
                     "-o", str(tmp_path / "out"))
    assert result.returncode in (0, 1, 3), result.stderr
    failed = _failed_tests(tmp_path / "out" / "linkready-junit.xml")
    assert (failed > 0) == (result.returncode != 0)
    assert_junit_agrees(tmp_path / "out" / "linkready-junit.xml", result.returncode)


def test_junit_warn_is_a_failure_where_warn_blocks(tmp_path: Path) -> None:
    """Under pipeline a WARN blocks the gate, so the CI's failed tests must include it."""
    for profile in ("preflight", "pipeline"):
        run_cli("evaluate", str(DEMO), "--profile", profile, "--format", "junit,json", "-q",
                "-o", str(tmp_path / profile))
    warn_cases = {
        profile: [case for case in ET.parse(tmp_path / profile / "linkready-junit.xml").iter("testcase")
                  if case.find("system-out") is not None and (case.findtext("system-out") or "").startswith("WARN")]
        for profile in ("preflight", "pipeline")
    }
    assert warn_cases["preflight"], "the demo has WARN findings"
    assert not warn_cases["pipeline"], "under pipeline every WARN is a <failure>"


def test_markdown_values_are_inert(tmp_path: Path) -> None:
    result = run_cli("evaluate", str(_hostile_snapshot(tmp_path)), "--format", "md", "-q", "-o", str(tmp_path))
    assert result.returncode in (1, 3), result.stderr
    text = (tmp_path / "linkready-report.md").read_text()
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;" in text
    # </details> only as the report's own closing tags: one per <details>.
    assert text.count("</details>") == text.count("<details>")
    # Every fence that opens is closed by the same fence (a ``` in a value cannot end a block early).
    fences = [line for line in text.splitlines() if line.startswith("```")]
    assert len(fences) % 2 == 0
