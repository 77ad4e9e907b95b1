"""The SQL Server probe: reads (never writes) what the checks judge, over pyodbc.

Every statement it can send is in :data:`STATEMENTS` (a test proves each is one SELECT). Each
statement is tagged with a leading comment (``/* linkready:<name> */``) so a DBA can recognise
it in a trace. A statement that fails becomes a :class:`ProbeError` naming the permission it
needs and the facts it blocks; the other statements still run.

Metadata visibility: without VIEW ANY DEFINITION SQL Server hides certificates, endpoints,
keys and files instead of failing, so an empty answer would look like "nothing there". The
probe therefore reports those facts as unreadable, never as empty, when the login lacks it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from linkready.facts import ProbeError
from linkready.facts.sql import SqlFacts
from linkready.probes import ProbeContext, ProbeOutcome
from linkready.probes.sql.build import build_facts
from linkready.probes.sql.build import log_cadence as log_cadence
from linkready.probes.sql.connection import ConnectionProblem as ConnectionProblem
from linkready.probes.sql.connection import Session, entra_token
from linkready.probes.sql.connection import build_connection as build_connection
from linkready.probes.sql.connection import choose_driver as choose_driver
from linkready.probes.sql.connection import classify as classify
from linkready.probes.sql.connection import parse_server as parse_server
from linkready.probes.sql.gather import gather
from linkready.probes.sql.statements import BY_NAME as BY_NAME
from linkready.probes.sql.statements import DRIVER_PREFERENCE as DRIVER_PREFERENCE
from linkready.probes.sql.statements import PROBE as PROBE
from linkready.probes.sql.statements import STATEMENTS as STATEMENTS
from linkready.probes.sql.statements import Statement as Statement

if TYPE_CHECKING:
    from linkready.config import SourceConfig



# ---------------------------------------------------------------------------------------------
# The probe


def collect_sql(source: SourceConfig, password: str | None, planned: Sequence[str],
                connect: Callable[..., Any] | None = None, drivers: Iterable[str] | None = None
                ) -> tuple[SqlFacts | None, list[ProbeError]]:
    """Connect, send the catalogue's statements, build the facts. Never raises for expected failures."""
    try:
        import pyodbc
    except ImportError as exc:  # pragma: no cover - pyodbc is a dependency
        return None, [ProbeError(PROBE, "sql", "config", f"pyodbc cannot be imported: {exc}")]
    try:
        driver = choose_driver(source.driver, drivers if drivers is not None else pyodbc.drivers())
        token = entra_token() if source.auth == "entra-default" and not driver.startswith("FreeTDS") else None
        plan = build_connection(source, driver, password, token)
    except ConnectionProblem as exc:
        return None, [ProbeError(PROBE, "sql", exc.kind, exc.reason)]
    except Exception as exc:  # azure-identity could not get a token
        return None, [ProbeError(PROBE, "sql", "auth", f"no Microsoft Entra token: {type(exc).__name__}: {exc}")]
    connect = connect or pyodbc.connect
    try:
        # autocommit: FreeTDS would otherwise open transactions, and a probe has nothing to commit.
        connection = connect(plan.connection_string, autocommit=True, timeout=max(1, round(source.login_timeout)),
                             attrs_before=plan.attrs_before or None)
    except Exception as exc:
        kind, message = classify(exc)
        kind = "unreachable" if kind in ("error", "timeout") else kind
        return None, [ProbeError(PROBE, "sql", kind, f"cannot connect to {source.server} with {driver}: {message}")]
    try:
        gathered = gather(Session(connection, source.query_timeout), planned)
        return build_facts(gathered, planned, driver), gathered.errors
    finally:
        with contextlib.suppress(Exception):
            connection.close()


def probe(ctx: ProbeContext) -> ProbeOutcome:
    """Entry point the engine calls (in a thread, under the probe timeout)."""
    source = ctx.config.source
    if source is None:
        return ProbeOutcome(None, (ProbeError(PROBE, "sql", "config", "no [source] in the config"),))
    facts, errors = collect_sql(source, ctx.secrets.sql_password, ctx.config.plan().databases)
    return ProbeOutcome(facts, tuple(errors))
