"""Probes: I/O only. Each gathers one area's facts and reports failures as values.

A probe is a blocking function ``probe(ctx: ProbeContext) -> ProbeOutcome``; the engine runs
every probe at once in its own thread with its own timeout. Probe modules import their heavy
libraries (pyodbc, the Azure SDK) inside the function, so the CLI starts fast.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from linkready.facts import Collector, ProbeError

if TYPE_CHECKING:
    from linkready.config import Config


@dataclass(frozen=True)
class Secrets:
    """Credentials held in memory only; never serialised, never printed."""

    sql_password: str | None = field(default=None, repr=False)

    def values(self) -> list[str]:
        return [v for v in (self.sql_password,) if v]


@dataclass(frozen=True)
class ProbeOutcome:
    #: The area's facts dataclass (SqlFacts, AzureFacts, NetworkFacts), or None if nothing was read.
    facts: Any
    errors: tuple[ProbeError, ...] = ()
    #: Where the probe ran, when the probe knows better than the engine (the network probe).
    collector: Collector | None = None


class ProbeContext:
    """What a probe gets: the validated config, secrets, and other probes' results on demand."""

    def __init__(self, config: Config, secrets: Secrets, names: list[str]) -> None:
        self.config = config
        self.secrets = secrets
        self._done = {name: threading.Event() for name in names}
        self._outcomes: dict[str, ProbeOutcome] = {}

    def publish(self, name: str, outcome: ProbeOutcome | None) -> None:
        if outcome is not None:
            self._outcomes[name] = outcome
        self._done[name].set()

    def wait_for(self, name: str, timeout: float) -> ProbeOutcome | None:
        """Another probe's outcome (e.g. the network probe needs the MI FQDN from Azure).

        Returns None when that probe does not run, failed, or did not finish within ``timeout``.
        """
        event = self._done.get(name)
        if event is None or not event.wait(timeout):
            return None
        return self._outcomes.get(name)


def _has_source(config: Config) -> bool:
    return config.source is not None


def _has_mi(config: Config) -> bool:
    return config.managed_instance is not None


def _has_either(config: Config) -> bool:
    return config.source is not None or config.managed_instance is not None


@dataclass(frozen=True)
class ProbeSpec:
    name: str
    #: The Facts attribute the outcome fills ("sql", "azure", "network").
    fact: str
    #: "module:function", imported when the probe runs.
    target: str
    #: Whether a config gives this probe something to look at.
    wants: Callable[[Config], bool] = field(default=_has_either, compare=False, repr=False)
    #: What the manifest (and every SKIP of its checks) says when the config does not ask for it.
    not_asked_reason: str = ""

    def wanted(self, config: Config) -> bool:
        return self.wants(config)


PROBES: tuple[ProbeSpec, ...] = (
    ProbeSpec("sql", "sql", "linkready.probes.sql:probe", _has_source,
              "SQL Server facts were not asked for (no [source] in the config)"),
    ProbeSpec("azure", "azure", "linkready.probes.azure:probe", _has_mi,
              "Azure facts were not asked for (no [managed_instance] in the config)"),
    ProbeSpec("network", "network", "linkready.probes.network:probe", _has_either,
              "network facts were not asked for (neither [source] nor [managed_instance] in the config)"),
    ProbeSpec("target", "target", "linkready.probes.target:probe", _has_mi,
              "target facts were not asked for (no [managed_instance] in the config)"),
)
