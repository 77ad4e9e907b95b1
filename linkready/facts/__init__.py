"""The facts snapshot's content: plain, frozen data that checks judge.

Each area has its own module (``plan``, ``sql``, ``azure``, ``network``). A fact that could not
be gathered is ``None`` plus a :class:`ProbeError` whose ``fact`` path names it, so a check that
needs it becomes ERROR with the reason instead of judging a silent default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from linkready.facts.azure import AzureFacts
from linkready.facts.network import NetworkFacts
from linkready.facts.plan import PlanFacts, PlannedLink
from linkready.facts.sql import SqlFacts
from linkready.facts.target import TargetFacts

__all__ = [
    "AzureFacts",
    "Collector",
    "Facts",
    "NetworkFacts",
    "PlanFacts",
    "PlannedLink",
    "ProbeError",
    "SqlFacts",
    "TargetFacts",
    "lookup",
]


@dataclass(frozen=True)
class ProbeError:
    """A fact that could not be gathered, and why. Never carries secrets."""

    probe: str
    #: Dotted path of the fact it blocks ("sql", "sql.trace_flags", "azure.nsg").
    fact: str
    #: timeout, permission, auth, not_found, throttled, unreachable, config, error.
    kind: str
    reason: str
    resource: str = ""


@dataclass(frozen=True)
class Collector:
    """Where the probes ran: reachability from a jump box proves less than from the SQL Server."""

    hostname: str = ""
    platform: str = ""
    source_addresses: tuple[str, ...] = ()
    runs_on_sql_host: bool | None = None
    #: When the facts were read: checks judge expiry dates as of this moment, not "now".
    collected_at: datetime | None = None


@dataclass(frozen=True)
class Facts:
    plan: PlanFacts = field(default_factory=PlanFacts)
    collector: Collector = field(default_factory=Collector)
    sql: SqlFacts | None = None
    azure: AzureFacts | None = None
    network: NetworkFacts | None = None
    target: TargetFacts | None = None
    errors: tuple[ProbeError, ...] = ()

    @property
    def as_of(self) -> datetime:
        """The moment the facts describe (collection time); now for facts built by hand."""
        return self.collector.collected_at or datetime.now(UTC)

    def error_for(self, path: str) -> ProbeError | None:
        """The probe error that blocks ``path`` (recorded on it or on one of its parents)."""
        for err in self.errors:
            if path == err.fact or path.startswith(err.fact + "."):
                return err
        return None


_MISSING = object()


def lookup(facts: Facts, path: str) -> Any:
    """Follow a dotted path ("sql.instance.edition"); None where any step is missing."""
    value: Any = facts
    for part in path.split("."):
        value = getattr(value, part, _MISSING)
        if value is _MISSING or value is None:
            return None
    return value
