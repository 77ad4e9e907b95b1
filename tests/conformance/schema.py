"""Microsoft's documented schema as the judge of every SELECT linkready sends or prints (issue 14 §2).

The contract (``schema_contract.json``, made by ``scripts/gen_schema_contract.py`` from the
MicrosoftDocs/sql-docs reference pages) lists each system view, DMV, table-valued function and
built-in function linkready references, with the columns it uses and the lowest SQL Server major
version that has each. :func:`check` parses a statement with sqlglot (tsql) and answers as SQL
Server would: Msg 208 for an object the version does not have, Msg 207 for a column it does not
have. A name the contract does not list is unknown, so a new column fails until the contract is
regenerated from its reference page: the stand-in is as strict as the real server, never looser.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.scope import Scope, traverse_scope

CONTRACT = Path(__file__).with_name("schema_contract.json")


@dataclass(frozen=True)
class Rejection:
    """What SQL Server answers instead of rows: its message number and text."""

    number: int
    message: str


@dataclass(frozen=True)
class Reference:
    """One name a statement uses: an object, a column of an object, or a function."""

    kind: str  # "object", "column", "function"
    object: str
    column: str = ""


@cache
def contract() -> dict[str, dict[str, object]]:
    data: dict[str, dict[str, object]] = json.loads(CONTRACT.read_text(encoding="utf-8"))
    return data


def object_key(table: exp.Table) -> str:
    """``master.sys.certificates`` and ``[Sales].sys.filegroups`` → ``sys.certificates``; msdb tables keep msdb."""
    schema = (table.db or "dbo").lower()
    name = (table.name or (table.this.name if isinstance(table.this, exp.Func) else "")).lower()
    catalog = table.catalog.lower()
    if schema == "dbo" and catalog == "msdb":
        return f"msdb.dbo.{name}"
    return f"{schema}.{name}"


def _outputs(scope: Scope) -> set[str]:
    select = scope.expression
    return {e.alias_or_name.lower() for e in select.expressions} if isinstance(select, exp.Select) else set()


def _column_refs(scope: Scope) -> Iterator[Reference]:
    aliases = _outputs(scope)
    tables = {alias: source for alias, source in scope.sources.items() if isinstance(source, exp.Table)}
    derived = {alias: source for alias, source in scope.sources.items() if isinstance(source, Scope)}
    for column in scope.columns:
        name = column.name.lower()
        if column.table:
            source = scope.sources.get(column.table)
            if isinstance(source, exp.Table):
                yield Reference("column", object_key(source), name)
            elif isinstance(source, Scope):
                if name not in _outputs(source):
                    yield Reference("column", f"({column.table})", name)
            else:
                yield Reference("column", f"(no source {column.table})", name)
        elif len(tables) == 1 and not derived:
            if name not in aliases or not isinstance(column.parent, exp.Ordered):
                yield Reference("column", object_key(next(iter(tables.values()))), name)
        elif len(derived) == 1 and not tables:
            if name not in _outputs(next(iter(derived.values()))):
                yield Reference("column", f"({next(iter(derived))})", name)
        else:
            # Unqualified with several sources: SQL Server resolves it if exactly one has it.
            yield Reference("column", "|".join(sorted(object_key(t) for t in tables.values())), name)


def references(sql: str) -> list[Reference]:
    """Every object, column and function ``sql`` (one SELECT) uses, in order, without repeats."""
    statement = sqlglot.parse_one(sql, read="tsql")
    found: list[Reference] = []
    for table in statement.find_all(exp.Table):
        found.append(Reference("object", object_key(table)))
    # sqlglot's own function classes are the T-SQL built-ins its dialect knows (COUNT, CAST, DATEADD…);
    # any other name is judged against the contract.
    for func in statement.find_all(exp.Anonymous):
        found.append(Reference("function", str(func.name).upper()))
    for scope in traverse_scope(statement):
        found.extend(_column_refs(scope))
    return list(dict.fromkeys(found))


#: The contract's floor (SQL Server 2016): "since 13" means the pages name no later version, so it is
#: there on older servers too (a 2014 server has sys.databases).
FLOOR = 13


def _since(entry: object) -> int | None:
    if not isinstance(entry, dict) or entry.get("since") is None:
        return None
    since = int(entry["since"])
    return 0 if since <= FLOOR else since


def _judge(ref: Reference, major: int) -> Rejection | None:
    data = contract()
    if ref.kind == "function":
        entry = data["functions"].get(ref.object)  # type: ignore[attr-defined]
        since = _since(entry)
        if since is None or since > major:
            return Rejection(195, f"'{ref.object}' is not a recognized built-in function name.")
        return None
    objects: dict[str, dict[str, object]] = data["objects"]  # type: ignore[assignment]
    if ref.kind == "object":
        since = _since(objects.get(ref.object))
        if since is None or since > major:
            return Rejection(208, f"Invalid object name '{ref.object}'.")
        return None
    candidates = ref.object.split("|")
    for name in candidates:
        columns = objects.get(name, {}).get("columns", {})
        since = _since(columns.get(ref.column)) if isinstance(columns, dict) else None
        if since is not None and since <= major:
            return None
    return Rejection(207, f"Invalid column name '{ref.column}'.")


def check(sql: str, major: int) -> Rejection | None:
    """SQL Server's answer to ``sql`` on a server of ``major`` version when a name is unknown, else None."""
    for ref in references(sql):
        rejection = _judge(ref, major)
        if rejection is not None:
            return rejection
    return None


def output_names(sql: str) -> list[str] | None:
    """The column names a SELECT returns, in order (None for ``*``, whose names the view decides)."""
    statement = sqlglot.parse_one(sql, read="tsql")
    if not isinstance(statement, exp.Select) or any(isinstance(e, exp.Star) for e in statement.expressions):
        return None
    return [e.alias_or_name.lower() for e in statement.expressions]
