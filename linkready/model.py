"""The vocabulary every room shares: statuses, severities, check metadata and findings.

Checks return :class:`Result` values (what was seen); the engine combines each with the
check's :class:`CheckSpec` (what the check is) into a :class:`Finding` (what the report shows).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkready.facts import Facts


class Status(enum.StrEnum):
    """Outcome of one check on one target. WAIVED appears only in output, after waivers apply."""

    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"
    SKIP = "SKIP"
    ERROR = "ERROR"
    WAIVED = "WAIVED"


class Verdict(enum.StrEnum):
    READY = "Ready"
    NOT_READY = "Not ready"
    UNKNOWN = "Could not evaluate"

    @property
    def exit_code(self) -> int:
        return {Verdict.READY: 0, Verdict.NOT_READY: 1, Verdict.UNKNOWN: 3}[self]


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Area(enum.StrEnum):
    """Report sections, in the order a reader meets them."""

    SQL = "sql"
    ENDPOINT = "endpoint"
    CERTIFICATES = "certificates"
    DATABASES = "databases"
    DNS = "dns"
    NETWORK = "network"
    NSG = "nsg"
    MANAGED_INSTANCE = "managed_instance"
    TARGET = "target"
    LINK = "link"
    PLAN = "plan"

    @property
    def label(self) -> str:
        return AREA_TITLES[self]


AREA_TITLES: dict[Area, str] = {
    Area.SQL: "SQL Server instance",
    Area.ENDPOINT: "Database mirroring endpoint",
    Area.CERTIFICATES: "Certificates and trust",
    Area.DATABASES: "Databases",
    Area.DNS: "Name resolution",
    Area.NETWORK: "Network reachability",
    Area.NSG: "NSG and routing",
    Area.MANAGED_INSTANCE: "Managed instance",
    Area.TARGET: "Target readiness",
    Area.LINK: "Existing links",
    Area.PLAN: "Link plan",
}


class Owner(enum.StrEnum):
    """Who usually fixes a finding: the report routes work to people."""

    DBA = "DBA"
    NETWORK = "Network team"
    AZURE = "Azure admin"


@dataclass(frozen=True)
class CodeBlock:
    """Copy-paste remediation. ``language`` is one of tsql, azcli, powershell, shell, text."""

    language: str
    code: str
    title: str = ""


@dataclass(frozen=True)
class Result:
    """What one check observed about one target. Built with :func:`passed`, :func:`failed`…"""

    status: Status
    message: str
    target: str = ""
    observed: str = ""
    expected: str = ""
    evidence: tuple[str, ...] = ()
    fix: tuple[CodeBlock, ...] = ()
    remediation: str = ""


def _result(
    status: Status,
    message: str,
    *,
    target: str = "",
    observed: Any = "",
    expected: Any = "",
    evidence: Iterable[str] = (),
    fix: Iterable[CodeBlock] = (),
    remediation: str = "",
) -> Result:
    return Result(
        status=status,
        message=message,
        target=target,
        observed=str(observed),
        expected=str(expected),
        evidence=tuple(evidence),
        fix=tuple(fix),
        remediation=remediation,
    )


def passed(message: str, **kw: Any) -> Result:
    return _result(Status.PASS, message, **kw)


def warned(message: str, **kw: Any) -> Result:
    return _result(Status.WARN, message, **kw)


def failed(message: str, **kw: Any) -> Result:
    return _result(Status.FAIL, message, **kw)


def skipped(reason: str, **kw: Any) -> Result:
    return _result(Status.SKIP, reason, **kw)


def errored(reason: str, **kw: Any) -> Result:
    return _result(Status.ERROR, reason, **kw)


class Settings:
    """Profile thresholds as seen by checks: ``settings.get("cert_expiry_warn_days", 30)``.

    The default lives next to the check that uses it, so a profile only names what it changes.
    """

    def __init__(self, thresholds: dict[str, Any] | None = None) -> None:
        self._thresholds = dict(thresholds or {})

    def get(self, name: str, default: Any) -> Any:
        return self._thresholds.get(name, default)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._thresholds)


CheckFunction = Callable[["Facts", Settings], Iterable[Result]]


@dataclass(frozen=True)
class Directions:
    """What a check judges in each planned direction; docs/direction-matrix.md is generated from it.

    The three directions: SQL Server as initial primary (``options.initial_primary = "SQLServer"``,
    one-way), the managed instance as initial primary (``"ManagedInstance"``), and SQL Server first
    with failback planned (``options.failback = true``). A direction-insensitive check judges the
    same facts the same way in all three and says why (``same``); a direction-sensitive one says
    what it judges in each (``sql_first``, ``mi_first``, ``failback``). Build them with
    :meth:`insensitive` or :meth:`sensitive`.
    """

    #: Why the check does not depend on the direction ("" for a direction-sensitive check).
    same: str = ""
    sql_first: str = ""
    mi_first: str = ""
    failback: str = ""

    def __post_init__(self) -> None:
        per = (self.sql_first, self.mi_first, self.failback)
        if bool(self.same) == any(per) or (not self.same and not all(per)):
            raise ValueError("Directions: give either the reason it is the same in every direction, or what it "
                             "judges in each of the three directions")

    @classmethod
    def insensitive(cls, why: str) -> Directions:
        return cls(same=why)

    @classmethod
    def sensitive(cls, *, sql_first: str, mi_first: str, failback: str) -> Directions:
        return cls(sql_first=sql_first, mi_first=mi_first, failback=failback)

    @property
    def is_sensitive(self) -> bool:
        return not self.same


@dataclass(frozen=True)
class CheckSpec:
    """A check's metadata. IDs are stable once released and are never renumbered."""

    id: str
    title: str
    area: Area
    severity: Severity
    rationale: str
    remediation: str
    docs: str
    owner: Owner
    requires: tuple[str, ...] = ()
    prevents: tuple[int, ...] = ()
    #: The service's error code names it prevents (checks/service.py SERVICE_ERRORS, attached on load).
    service_errors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    #: What it judges per planned direction (None: not classified yet; tests/verdict/test_direction_matrix.py
    #: fails on that).
    directions: Directions | None = None
    function: CheckFunction | None = field(default=None, compare=False, repr=False)
    #: One sentence for a reader without DBA vocabulary (checks/plain_titles.toml, keyed by ID).
    plain_title: str = ""

    @property
    def name(self) -> str:
        return self.function.__name__ if self.function else self.id


@dataclass(frozen=True)
class Waiver:
    check: str
    reason: str
    owner: str
    expires: date
    target: str = ""


@dataclass(frozen=True)
class Finding:
    """One line of the report: a check's metadata joined with one result."""

    check_id: str
    title: str
    area: Area
    severity: Severity
    status: Status
    message: str
    target: str
    observed: str
    expected: str
    evidence: tuple[str, ...]
    rationale: str
    remediation: str
    fix: tuple[CodeBlock, ...]
    docs: str
    owner: Owner
    prevents: tuple[int, ...] = ()
    #: The managed instance service's error code names the check prevents ("ManagedInstanceLinkSourceDbHasDefunctFiles"):
    #: what users search for after a failed `az sql mi link create`.
    service_errors: tuple[str, ...] = ()
    waiver: Waiver | None = None
    #: The check whose FAIL is this finding's root cause ("CERT-001"): still shown, not a separate blocker.
    blocked_by: str = ""

    @property
    def key(self) -> str:
        """Identity of a finding across runs (used by diffs and waivers)."""
        return f"{self.check_id}:{self.target}" if self.target else self.check_id
