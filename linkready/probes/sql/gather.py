"""Sending the catalogue's statements once each; failures are recorded as ProbeErrors, never raised."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from linkready.facts import ProbeError
from linkready.probes.sql.connection import Row, Session, classify
from linkready.probes.sql.statements import MAX_UNPLANNED_DATABASES, PROBE, STATEMENTS, SYSTEM_DATABASES, Statement


@dataclass
class Gathered:
    """Rows per statement name (per database for per-database statements) and the errors met."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    per_db: dict[tuple[str, str], list[Row]] = field(default_factory=dict)
    errors: list[ProbeError] = field(default_factory=list)
    #: part → reason, for database-level detail that could not be read
    unreadable: dict[str, str] = field(default_factory=dict)
    unreadable_db: dict[tuple[str, str], str] = field(default_factory=dict)


def _reason(statement: Statement, kind: str, message: str, database: str | None = None) -> str:
    where = f" for database {database}" if database else ""
    if kind == "permission" and statement.needs:
        return f"{statement.name}{where} needs {statement.needs}: {message}"
    if kind == "timeout":
        return f"{statement.name}{where} did not answer within the query timeout: {message}"
    return f"{statement.name}{where} failed: {message}"


def gather(session: Session, planned: Sequence[str]) -> Gathered:
    """Send every applicable statement once; failures are recorded, never raised.

    What was read decides what comes next: the version picks statement variants, the
    login's permissions say whether an empty answer can be trusted, and sys.databases names
    the databases whose detail is read (the planned ones, or every user database).
    """
    out = Gathered()
    for statement in STATEMENTS:
        targets: list[str | None] = list(_detail_databases(out, planned)) if statement.per_database else [None]
        for database in targets:
            if session.stopped:
                _record(out, statement, "timeout",
                        f"{statement.name} was not sent: the server stopped answering "
                        f"({session.MAX_CONSECUTIVE_TIMEOUTS} statements in a row timed out)", database)
                continue
            sql = statement.text(_major(out), database)
            if sql is None:
                continue
            granted = _granted(out)
            if statement.hides_rows and granted is not None and not _has(granted, statement.needs):
                _record(out, statement, "permission",
                        f"{statement.name} needs {statement.needs}: without it SQL Server hides rows "
                        "instead of failing, so an empty answer would prove nothing", database)
                continue
            try:
                rows = session.run(sql)
            except Exception as exc:  # pyodbc.Error and friends: errors are values here
                kind, message = classify(exc)
                if kind == "timeout":
                    session.timeouts_in_a_row += 1
                _record(out, statement, kind, _reason(statement, kind, message, database), database)
                continue
            if database is None:
                out.rows[statement.name] = rows
            else:
                out.per_db[(statement.name, database)] = rows
    return out


def _major(g: Gathered) -> int:
    version = str((g.rows.get("server_properties") or [{}])[0].get("product_version") or "")
    head = version.split(".")[0]
    return int(head) if head.isdigit() else 99


def _granted(g: Gathered) -> set[str] | None:
    rows = g.rows.get("permissions")
    return None if rows is None else {str(r["permission_name"]) for r in rows}


def _detail_databases(g: Gathered, planned: Sequence[str]) -> list[str]:
    online = [str(r["name"]) for r in g.rows.get("databases") or [] if r["state_desc"] == "ONLINE"]
    wanted = {p.lower() for p in planned}
    if wanted:
        return [n for n in online if n.lower() in wanted]
    return [n for n in online if n.lower() not in SYSTEM_DATABASES][:MAX_UNPLANNED_DATABASES]


def _has(granted: set[str], permission: str) -> bool:
    return permission in granted or "CONTROL SERVER" in granted


def _record(out: Gathered, statement: Statement, kind: str, reason: str, database: str | None) -> None:
    if statement.part and database is not None:
        out.unreadable_db[(statement.part, database)] = reason
    elif statement.part:
        out.unreadable[statement.part] = reason
    else:
        out.errors.append(ProbeError(PROBE, statement.fact, kind, reason))


