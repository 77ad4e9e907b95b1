"""SQL-002 and the build catalogue: the date it judged with, retired builds, builds newer than the catalogue."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from linkready.checks import get

from linkready.domain import sql_builds
from linkready.engine import run_check
from linkready.model import Settings
from tests.builders.sql_facts import LINK, facts, instance, messages, statuses


@pytest.fixture(autouse=True)
def _bundled_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Judge with the bundled catalogue, whatever a developer's own cache holds."""
    monkeypatch.setenv(sql_builds.CACHE_ENV, str(tmp_path))
    sql_builds.catalogue.cache_clear()
    yield
    sql_builds.catalogue.cache_clear()


def _finding(version: str, level: str | None, **plan: object):  # type: ignore[no-untyped-def]
    spec = get("SQL-002")
    assert spec is not None
    f = facts(instance=instance(product_version=version, product_update_level=level), plan=plan or None)
    (finding,) = run_check(spec, f, Settings({}))
    return finding


def test_evidence_names_the_catalogue_date() -> None:
    finding = _finding("16.0.4255.1", "CU25")
    assert finding.status.value == "PASS"
    assert any("SQL Server build catalogue of 2026-08-13 (bundled)" in line for line in finding.evidence)


def test_retired_build_warns_and_names_the_replacement() -> None:
    f = facts(instance=instance(product_version="16.0.4235.2", product_update_level="CU23"))
    assert statuses("SQL-002", f) == ["WARN"]
    text = messages("SQL-002", f)
    assert "retired by Microsoft" in text and "16.0.4236.2" in text and "RETIRED" in text
    assert statuses("SQL-002", facts(instance=instance(product_version="16.0.4236.2",
                                                       product_update_level="CU23"))) == ["PASS"]


def test_build_newer_than_the_catalogue_is_judged_by_number_and_says_so() -> None:
    f = facts(instance=instance(product_version="16.0.4400.1", product_update_level=None))
    assert statuses("SQL-002", f) == ["PASS"]
    text = messages("SQL-002", f)
    assert "catalogue (2026-08-13) is older than this build" in text and "linkready sql-build --update" in text


def test_unknown_multidb_minimum_gives_its_reason() -> None:
    multi = facts(instance=instance(product_version="16.0.4400.1", product_update_level=None),
                  plan={"links": (replace(LINK, link_mode="MultiDatabase"),)})
    assert statuses("SQL-002", multi) == ["WARN"]
    spec = get("SQL-002")
    assert spec is not None
    (finding,) = run_check(spec, multi, Settings({}))
    assert any("CU27 is not on Microsoft's pages" in line for line in finding.evidence)
