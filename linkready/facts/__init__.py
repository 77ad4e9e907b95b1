"""The facts snapshot's content: plain, frozen data that checks judge.

Each area has its own module (``plan``, ``sql``, ``azure``, ``network``). A fact that could not
be gathered is ``None`` plus a :class:`ProbeError` whose ``fact`` path names it, so a check that
needs it becomes ERROR with the reason instead of judging a silent default.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from linkready.facts.azure import AzureFacts
from linkready.facts.consistency import inconsistencies
from linkready.facts.network import NetworkFacts
from linkready.facts.plan import PlanFacts, PlannedLink
from linkready.facts.sql import SqlFacts
from linkready.facts.target import TargetFacts

__all__ = [
    "AzureFacts",
    "Collector",
    "ErrorKind",
    "FactState",
    "Facts",
    "NetworkFacts",
    "PlanFacts",
    "PlannedLink",
    "ProbeError",
    "ProbeManifest",
    "ProbeState",
    "SqlFacts",
    "TargetFacts",
    "lookup",
]


class ErrorKind(enum.StrEnum):
    """Why a fact could not be gathered."""

    TIMEOUT = "timeout"
    PERMISSION = "permission"
    AUTH = "auth"
    NOT_FOUND = "not_found"
    THROTTLED = "throttled"
    UNREACHABLE = "unreachable"
    CONFIG = "config"
    ERROR = "error"
    #: The snapshot lacks the key (written by an older linkready, or edited by hand): not a default.
    INCOMPLETE = "incomplete"
    #: The value is one no real source reports (empty where the source always fills it): see
    #: :mod:`linkready.facts.consistency`. Found on the facts, never stored in a snapshot.
    INCONSISTENT = "inconsistent"


class ProbeState(enum.StrEnum):
    """What became of one probe in one collection (the snapshot manifest)."""

    #: The probe ran and returned its area's facts (some sub-facts may still carry errors).
    COLLECTED = "collected"
    #: The probe ran (or was meant to) and returned nothing: its facts are unknown.
    NOT_COLLECTED = "not_collected"
    #: The config gives this probe nothing to look at: its checks are not applicable.
    NOT_ASKED = "not_asked"


class FactState(enum.StrEnum):
    """How a check sees one fact path."""

    COLLECTED = "collected"
    NOT_COLLECTED = "not_collected"
    NOT_ASKED = "not_asked"


@dataclass(frozen=True)
class ProbeError:
    """A fact that could not be gathered, and why. Never carries secrets."""

    probe: str
    #: Dotted path of the fact it blocks ("sql", "sql.trace_flags", "azure.nsg").
    fact: str
    #: Always an :class:`ErrorKind` once built (typed ``str`` so probes may pass their classifier's text).
    kind: str
    reason: str
    resource: str = ""

    def __post_init__(self) -> None:
        # Probes pass the kind as text from their own classifiers; the enum refuses a typo.
        object.__setattr__(self, "kind", ErrorKind(self.kind))


@dataclass(frozen=True)
class ProbeManifest:
    """One probe's line in the snapshot manifest: was it asked for, and did it deliver."""

    probe: str
    #: The Facts attribute the probe fills ("sql", "azure", "network", "target").
    fact: str
    state: ProbeState
    #: Why, when the state is not COLLECTED ("no [source] in the config", the probe error).
    reason: str = ""


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
    #: One entry per probe. Empty for facts built by hand and for schema-1 snapshots: then an
    #: absent area is *not collected* (unknown), never "not asked for" and never empty.
    manifest: tuple[ProbeManifest, ...] = ()

    @property
    def as_of(self) -> datetime:
        """The moment the facts describe (collection time); now for facts built by hand."""
        return self.collector.collected_at or datetime.now(UTC)

    def error_for(self, path: str) -> ProbeError | None:
        """The probe error that blocks ``path`` (recorded on it or on one of its parents), else an
        inconsistent value on it, a parent or a part of it (:attr:`inconsistent`)."""
        for err in self.errors:
            if path == err.fact or path.startswith(err.fact + "."):
                return err
        return self.inconsistent_at(path)

    @functools.cached_property
    def inconsistent(self) -> tuple[ProbeError, ...]:
        """Every fact no real source reports (an empty value the source always fills), found once."""
        return tuple(ProbeError("facts", path, ErrorKind.INCONSISTENT, reason)
                     for path, reason in inconsistencies(self, ""))

    def inconsistent_at(self, path: str) -> ProbeError | None:
        """An inconsistent value on ``path``, on a parent, or inside it: a check that reads the whole cannot
        judge it either (``azure.vnet`` is inconsistent when ``azure.vnet.name`` is)."""
        for err in self.inconsistent:
            fact = err.fact
            if fact == path or _within(fact, path) or _within(path, fact):
                return err
        return None

    def inconsistencies(self) -> Iterator[tuple[str, str]]:
        """Rules across areas (the walk calls it): the Azure and target probes list the same databases."""
        azure, target = self.azure, self.target
        if azure is None or azure.databases is None or target is None or target.databases is None:
            return
        listed = {d.name.lower() for d in azure.databases} - _SYSTEM_DATABASES
        named = {d.lower() for d in target.databases}
        if listed != named:
            yield "azure.databases", (
                f"azure.databases ({', '.join(sorted(listed)) or 'none'}) and target.databases "
                f"({', '.join(sorted(named)) or 'none'}) disagree: both are ARM's list of the instance's databases"
            )

    def incomplete_under(self, path: str) -> ProbeError | None:
        """A part of ``path`` the snapshot lacks: a check that needs the whole cannot judge it.

        Only for INCOMPLETE errors: a probe error on a sub-fact is the check's to weigh (it may
        not read that part), but a snapshot that lost a key says nothing about which part is sound.
        """
        for err in self.errors:
            if err.kind is ErrorKind.INCOMPLETE and err.fact.startswith(path + "."):
                return err
        return None

    def manifest_for(self, area: str) -> ProbeManifest | None:
        return next((m for m in self.manifest if m.fact == area), None)

    def state_of(self, path: str) -> tuple[FactState, str]:
        """Whether ``path`` was collected (possibly empty), not collected, or not asked for, and why.

        The one rule every check goes through: ``None`` anywhere on the path is unknown unless
        the manifest says the probe was not asked for; an empty tuple is a collected answer.
        """
        error = self.error_for(path)
        if error is not None and error.kind is ErrorKind.INCONSISTENT:
            said = error.reason if error.fact == path else f"{path} is inconsistent: {error.reason}"
            return FactState.NOT_COLLECTED, said
        if error is not None:
            return FactState.NOT_COLLECTED, f"{path} could not be read: {error.reason}"
        gap = self.incomplete_under(path)
        if gap is not None:
            return FactState.NOT_COLLECTED, f"{path} is incomplete: {gap.reason}"
        if lookup(self, path) is not None:
            return FactState.COLLECTED, ""  # a value present is collected, whatever the manifest says
        area = path.split(".")[0]
        entry = self.manifest_for(area)
        if entry is not None and entry.state is ProbeState.NOT_ASKED:
            return FactState.NOT_ASKED, entry.reason or f"the {entry.probe} probe was not asked for"
        if entry is not None and entry.state is ProbeState.NOT_COLLECTED:
            return FactState.NOT_COLLECTED, f"{path} was not collected: {entry.reason or 'the probe returned nothing'}"
        if entry is None and lookup(self, area) is None:
            return FactState.NOT_COLLECTED, (
                f"{path} was not collected (absent from the snapshot, and no manifest entry says it was not "
                "asked for)"
            )
        return FactState.NOT_COLLECTED, f"{path} was not collected (absent from the {area} facts)"


_MISSING = object()
#: What the target probe leaves out of its list (ARM's managed database list has only user databases).
_SYSTEM_DATABASES = frozenset({"master", "model", "msdb", "tempdb"})


def _within(path: str, parent: str) -> bool:
    """``azure.nsg.rules[2].name`` is within ``azure.nsg`` and ``azure.nsg.rules``."""
    return path.startswith(parent) and path[len(parent):len(parent) + 1] in (".", "[")


def lookup(facts: Facts, path: str) -> Any:
    """Follow a dotted path ("sql.instance.edition"); None where any step is missing."""
    value: Any = facts
    for part in path.split("."):
        value = getattr(value, part, _MISSING)
        if value is _MISSING or value is None:
            return None
    return value
