"""Checks that need both sides: the planned databases against the managed instance (DB-011..013)."""

from __future__ import annotations

from collections.abc import Iterator

from linkready.checks._directions import (
    NOTHING_SEEDED_ONTO_THE_INSTANCE,
    SEEDED_ONTO_THE_INSTANCE,
    mi_is_initial_primary,
)

from linkready.domain.docs import DOCS_EXTEND, DOCS_OVERVIEW, DOCS_SCRIPTS
from linkready.facts import Facts
from linkready.model import Area, Directions, Owner, Result, Settings, Severity, failed, passed, skipped, warned
from linkready.registry import check


@check(
    id="DB-011",
    title="No planned database name already exists on the managed instance",
    area=Area.TARGET,
    severity=Severity.CRITICAL,
    rationale="Seeding creates the database on the instance under the same name; an existing database blocks it.",
    remediation="Drop or rename the database on the instance, or link a differently named database.",
    docs=DOCS_EXTEND,
    owner=Owner.DBA,
    requires=("plan.links", "azure.databases"),
    directions=Directions.sensitive(
        sql_first="no planned database name exists on the instance yet",
        mi_first="SKIP: the planned databases are expected on the instance (DB-001 checks they are there)",
        failback="as with SQL Server first",
    ),
)
def database_name_is_free(facts: Facts, settings: Settings) -> Iterator[Result]:
    assert facts.azure is not None and facts.azure.databases is not None
    if mi_is_initial_primary(facts):
        # MI first: the database is expected on the instance (DB-001 judges that), so a name on it is no clash.
        yield skipped("Not applicable: plan.initial_primary is ManagedInstance, so the planned databases are "
                      "expected on the instance (see DB-001)")
        return
    existing = {d.name.lower(): d for d in facts.azure.databases}
    linked = {d.name.lower(): link.name for link in facts.azure.links or () for d in link.databases}
    for name in facts.plan.databases:
        found = existing.get(name.lower())
        if found is None:
            yield passed(f"No database named {name} on the instance", target=name,
                         observed=f"{len(existing)} databases on the instance", expected=f"no database {name}")
        else:
            how = f" (replicated by link {linked[name.lower()]})" if name.lower() in linked else ""
            yield failed(f"Database {found.name} already exists on the instance{how}", target=name,
                         observed=f"{found.name}: {found.status}", expected=f"no database {name}")


@check(
    id="DB-012",
    title="Each planned database fits the managed instance's free storage",
    area=Area.TARGET,
    severity=Severity.HIGH,
    rationale="A database can be replicated only if it fits into the instance's storage that is still free.",
    remediation="Increase the instance's storage or free space on it before linking this database.",
    docs=DOCS_OVERVIEW,
    owner=Owner.AZURE,
    requires=("sql.databases", "plan.links", "azure.managed_instance"),
    directions=SEEDED_ONTO_THE_INSTANCE,
)
def database_fits_storage(facts: Facts, settings: Settings) -> Iterator[Result]:
    assert facts.sql is not None and facts.azure is not None and facts.azure.managed_instance is not None
    if mi_is_initial_primary(facts):
        yield skipped(NOTHING_SEEDED_ONTO_THE_INSTANCE)
        return
    mi = facts.azure.managed_instance
    found = {d.name.lower(): d for d in facts.sql.databases or ()}
    free = mi.storage_size_gb - mi.storage_used_gb if mi.storage_used_gb is not None else None
    for name in facts.plan.databases:
        db = found.get(name.lower())
        if db is None:
            continue  # DB-001 reports a planned database that does not exist
        size = (db.data_size_mb + db.log_size_mb) / 1024
        observed = f"{size:.1f} GB (data + log)"
        if free is None:
            yield warned(f"{name} needs {size:.1f} GB; the instance's used storage is unknown", target=name,
                         observed=f"{observed}; {mi.storage_size_gb} GB reserved", expected="size within free storage")
        elif size > free:
            yield failed(f"{name} ({size:.1f} GB) does not fit the {free:.1f} GB free on the instance", target=name,
                         observed=f"{observed}; {free:.1f} GB free", expected="size within free storage")
        else:
            yield passed(f"{name} ({size:.1f} GB) fits the {free:.1f} GB free", target=name,
                         observed=f"{observed}; {free:.1f} GB free", expected="size within free storage")


def _case_sensitive(collation: str) -> bool:
    return "_CS" in collation.upper() or collation.upper().endswith("_BIN") or "_BIN2" in collation.upper()


@check(
    id="DB-013",
    title="SQL Server's collation equals the managed instance's",
    area=Area.TARGET,
    severity=Severity.MEDIUM,
    rationale=(
        "Collation should be the same on both sides: a different case sensitivity changes how server names "
        "compare, which can prevent SQL Server from connecting to the instance."
    ),
    remediation="Use an instance created with SQL Server's collation (it cannot be changed after creation).",
    docs=DOCS_SCRIPTS,
    owner=Owner.DBA,
    requires=("sql.instance", "azure.managed_instance"),
    directions=Directions.insensitive("the collations must match whichever side the data comes from"),
)
def collation_matches(facts: Facts, settings: Settings) -> Iterator[Result]:
    assert facts.sql is not None and facts.sql.instance is not None
    assert facts.azure is not None and facts.azure.managed_instance is not None
    sql, mi = facts.sql.instance.collation, facts.azure.managed_instance.collation
    observed = f"SQL Server {sql}; managed instance {mi}"
    if sql.lower() == mi.lower():
        yield passed(f"Both use {sql}", target="collation", observed=observed, expected="the same collation")
    elif _case_sensitive(sql) != _case_sensitive(mi):
        yield failed("The collations differ in case sensitivity: server names compare differently on each side",
                     target="collation", observed=observed, expected="the same collation")
    else:
        yield warned("The collations differ (same case sensitivity)", target="collation", observed=observed,
                     expected="the same collation")
