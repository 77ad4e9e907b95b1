"""Catalogue-wide rules: valid metadata for every check, and checks that cannot do I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from linkready.checks import all_checks

from linkready.model import Area, Severity
from tests.conftest import ROOT

FORBIDDEN = {"pyodbc", "azure", "dns", "socket", "ssl", "urllib", "http", "requests", "subprocess", "asyncio"}


@pytest.mark.parametrize("spec", all_checks(), ids=lambda s: s.id)
def test_every_check_has_complete_metadata(spec) -> None:  # type: ignore[no-untyped-def]
    assert spec.function is not None
    assert spec.title and spec.title[0].isupper()
    assert len(spec.rationale) >= 40, "rationale should explain why it matters"
    assert len(spec.remediation) >= 15
    assert spec.docs.startswith("https://")
    assert isinstance(spec.area, Area) and isinstance(spec.severity, Severity)
    assert spec.function.__module__.startswith("linkready.checks.")
    for path in spec.requires:
        assert path.split(".")[0] in {"plan", "sql", "azure", "network", "collector", "target"}, path


def test_ids_are_unique_and_the_catalogue_names_every_module() -> None:
    ids = [spec.id for spec in all_checks()]
    assert len(ids) == len(set(ids))
    from linkready.checks import MODULES

    on_disk = {p.stem for p in (ROOT / "checks").glob("*.py") if not p.stem.startswith("_")}
    assert on_disk == set(MODULES)


def io_problems(source: str, name: str) -> list[str]:
    """What in ``source`` could do I/O: an I/O library or a probe imported, or ``open()`` called."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "open":
            problems.append(f"{name} opens a file")
        names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        for imported in names:
            if imported.split(".")[0] in FORBIDDEN:
                problems.append(f"{name} imports {imported}")
            if imported.startswith("linkready.probes"):
                problems.append(f"{name} imports a probe")
    return problems


@pytest.mark.parametrize("path", sorted((ROOT / "checks").glob("*.py")), ids=lambda p: p.name)
def test_checks_never_import_io_libraries(path: Path) -> None:
    assert io_problems(path.read_text(), path.name) == []


def test_the_io_rule_can_fail() -> None:
    """The rule above once skipped every node that was not an import, so ``open()`` was never seen."""
    source = "import socket\nfrom linkready.probes.sql import probe\n\ndef f():\n    return open('x').read()\n"
    assert io_problems(source, "bad.py") == ["bad.py imports socket", "bad.py imports a probe", "bad.py opens a file"]


def test_checks_explain_through_metadata_not_docstrings() -> None:
    """`explain` prints the metadata strings; a docstring on a check would be a second text that drifts."""
    assert [spec.id for spec in all_checks() if spec.function is not None and spec.function.__doc__] == []


def test_registry_refuses_a_duplicate_id() -> None:
    from linkready.model import Owner
    from linkready.registry import RegistryError, check

    def again(facts, settings):  # type: ignore[no-untyped-def]
        return []

    with pytest.raises(RegistryError, match="registered twice"):
        check(id="PLAN-001", title="t", area=Area.PLAN, severity=Severity.LOW, rationale="r", remediation="r",
              docs="https://x", owner=Owner.DBA)(again)
    with pytest.raises(RegistryError, match="not of the form"):
        check(id="plan1", title="t", area=Area.PLAN, severity=Severity.LOW, rationale="r", remediation="r",
              docs="https://x", owner=Owner.DBA)(again)


def test_every_check_has_a_plain_title_and_every_plain_title_a_check() -> None:
    """The plain titles live in checks/plain_titles.toml; a new check without one, or a stale or
    misspelt ID there, fails here (the lead adds other rooms' new checks at merge)."""
    from linkready.checks import plain_titles

    titles = plain_titles()
    ids = {spec.id for spec in all_checks()}
    assert sorted(ids - titles.keys()) == [], "checks without a plain title"
    assert sorted(titles.keys() - ids) == [], "plain titles for IDs no check has"
    for spec in all_checks():
        assert spec.plain_title == titles[spec.id]
        text = spec.plain_title
        assert text[0].isupper() and text.endswith(".") and text.count(". ") == 0, f"{spec.id}: one sentence"
        assert len(text) <= 110, f"{spec.id}: a plain title is read in one glance"


def test_the_plain_title_rule_can_fail() -> None:
    """An ID with no check would pass silently if the registry ignored unknown IDs and the test
    only looked one way; apply_plain_titles ignores it, the set difference above does not."""
    from linkready.checks import get

    from linkready.registry import apply_plain_titles

    apply_plain_titles({"ZZZ-999": "Nothing."})
    assert get("ZZZ-999") is None
    spec = get("SQL-004")
    assert spec is not None and spec.plain_title.startswith("The SQL Server")
