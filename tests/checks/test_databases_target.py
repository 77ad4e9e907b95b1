"""DB-011..013: the planned databases against the managed instance."""

from __future__ import annotations

from dataclasses import replace

import pytest

from linkready.facts import Facts, ProbeError
from linkready.facts.azure import ManagedDatabase
from linkready.model import Finding, Status
from tests.builders.azure_facts import azure, facts, link, managed_instance, sql
from tests.builders.checks import findings


def run(check_id: str, f: Facts) -> dict[str, Finding]:
    return {x.target: x for x in findings(check_id, f)}


def test_db_011_name_clash() -> None:
    assert {x.status for x in run("DB-011", facts()).values()} == {Status.PASS}
    dbs = (*azure().databases, ManagedDatabase("sales", "Online", "SQL_Latin1_General_CP1_CI_AS"))  # type: ignore[misc]
    by = run("DB-011", facts(azure_facts=azure(databases=dbs, links=(link("link-x", "sales"),))))
    assert by["Sales"].status is Status.FAIL and "replicated by link link-x" in by["Sales"].message and by["Orders"].status is Status.PASS


def test_db_011_empty_instance_passes_and_unreadable_list_is_error() -> None:
    assert {x.status for x in run("DB-011", facts(azure_facts=azure(databases=()))).values()} == {Status.PASS}
    f = facts(azure_facts=azure(databases=None), errors=(ProbeError("azure", "azure.databases", "throttled", "429"),))
    assert [x.status for x in run("DB-011", f).values()] == [Status.ERROR]


@pytest.mark.parametrize(
    ("used", "sales", "orders"),
    [(384.0, Status.PASS, Status.PASS), (950.0, Status.FAIL, Status.PASS), (1000.0, Status.FAIL, Status.FAIL),
     (None, Status.WARN, Status.WARN)],
)
def test_db_012_each_database_against_free_storage(used: float | None, sales: Status, orders: Status) -> None:
    by = run("DB-012", facts(azure_facts=azure(managed_instance=managed_instance(storage_used_gb=used))))
    assert (by["Sales"].status, by["Orders"].status) == (sales, orders)


@pytest.mark.parametrize(
    ("sql_collation", "mi_collation", "status"),
    [
        ("SQL_Latin1_General_CP1_CI_AS", "SQL_Latin1_General_CP1_CI_AS", Status.PASS),
        ("Latin1_General_CS_AS", "SQL_Latin1_General_CP1_CI_AS", Status.FAIL),
        ("Latin1_General_BIN2", "SQL_Latin1_General_CP1_CI_AS", Status.FAIL),
        ("Latin1_General_100_CI_AS", "SQL_Latin1_General_CP1_CI_AS", Status.WARN),
    ],
)
def test_db_013_collation(sql_collation: str, mi_collation: str, status: Status) -> None:
    base = sql()
    instance = replace(base.instance, collation=sql_collation)  # type: ignore[type-var]
    f = facts(sql_facts=replace(base, instance=instance),
              azure_facts=azure(managed_instance=managed_instance(collation=mi_collation)))
    assert run("DB-013", f)["collation"].status is status
