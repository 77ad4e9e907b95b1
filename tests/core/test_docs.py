"""The docs follow the code: the check table is the catalogue's, the layout names existing folders."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("check_tables", ROOT / "scripts" / "check_tables.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_check_tables_match_the_catalogue() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_tables.py"), "--check"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_every_check_is_in_the_table() -> None:
    from linkready.checks import all_checks

    text = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    assert {spec.id for spec in all_checks()} == set(re.findall(r"^\| ([A-Z]+-\d{3}) \|", text, re.MULTILINE))


def test_the_drift_check_can_fail(tmp_path: Path) -> None:
    script = _script()
    stale = tmp_path / "checks.md"
    stale.write_text(f"intro\n{script.BEGIN}\n| ID |\n| SQL-001 | old title |\n{script.END}\nafter\n", encoding="utf-8")
    script.FILES = (stale,)
    assert script.main(["--check"]) == 1
    assert "old title" in stale.read_text(encoding="utf-8")
    assert script.main([]) == 0
    rewritten = stale.read_text(encoding="utf-8")
    assert rewritten.startswith("intro\n") and rewritten.endswith("after\n") and "old title" not in rewritten
    assert script.main(["--check"]) == 0


def test_a_file_without_markers_is_refused(tmp_path: Path) -> None:
    script = _script()
    with pytest.raises(SystemExit, match="needs exactly one"):
        script.with_table("no markers here\n", "| x |\n", tmp_path / "x.md")


@pytest.mark.parametrize("doc", ["README.md", "ARCHITECTURE.md"])
def test_the_layout_names_existing_paths(doc: str) -> None:
    """Every `path/` or `path.py` a layout table names exists (the old README named modules that did not)."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    section = text[text.index("## How it is built"):] if doc == "README.md" else text
    named = set(re.findall(r"`((?:linkready|checks|reports|profiles|tests|benchmarks|scripts|docs)/[\w/.-]*)`", section))
    assert len(named) >= 8
    missing = sorted(p for p in named if not (ROOT / p.rstrip("/")).exists())
    assert missing == []
