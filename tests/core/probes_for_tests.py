"""Probe functions used by the engine tests: real probe-shaped functions plugged into the real engine."""

from __future__ import annotations

import os
import time

from linkready.facts import ProbeError
from linkready.facts.sql import SqlFacts
from linkready.probes import ProbeContext, ProbeOutcome


def hangs(ctx: ProbeContext) -> ProbeOutcome:
    time.sleep(30)
    return ProbeOutcome(SqlFacts())


def quick_sql(ctx: ProbeContext) -> ProbeOutcome:
    return ProbeOutcome(SqlFacts(master_key_present=True))


def leaks_password(ctx: ProbeContext) -> ProbeOutcome:
    raise ConnectionError(f"login failed for PWD={ctx.secrets.sql_password};")


def partial(ctx: ProbeContext) -> ProbeOutcome:
    return ProbeOutcome(
        SqlFacts(master_key_present=True),
        (ProbeError("sql", "sql.trace_flags", "permission", f"DBCC TRACESTATUS needs sysadmin {os.getpid()}"),),
    )


def slow_then_done(ctx: ProbeContext) -> ProbeOutcome:
    time.sleep(0.5)
    return ProbeOutcome(SqlFacts())
