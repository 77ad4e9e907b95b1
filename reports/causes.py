"""Root causes: one line per system linkready could not reach or read, and the checks it blocked.

When nothing is reachable, dozens of ERROR rows repeat the same driver message. A reader needs
the opposite: what failed, in plain words, what to do next, and how much it blocked. Every
console, Markdown and HTML report leads with these lines and folds the ERRORs they explain into
one row per cause; the JSON, JUnit and SARIF keep every finding (machines count them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from linkready.facts import ErrorKind, Facts, ProbeError
from linkready.model import Finding, Status
from linkready.report import Report

_PERMISSION = re.compile(r"\b(VIEW SERVER STATE|VIEW ANY DEFINITION|VIEW DATABASE STATE|CONNECT ANY DATABASE|"
                         r"CONNECT SQL|SELECT)\b(?: permission)?", re.IGNORECASE)

#: What each probe looks at, for a reader who did not configure it.
_SYSTEM = {"sql": "SQL Server", "azure": "Azure (managed instance)", "target": "Azure (managed instance setup)",
           "network": "Network from this machine", "links": "Azure (existing links)"}


@dataclass(frozen=True)
class RootCause:
    """One system that could not be read, why in plain words, the next step, and what it blocked."""

    system: str
    what: str
    next_step: str
    error: ProbeError
    #: The ERROR findings this cause explains (in report order).
    blocked: tuple[Finding, ...]

    @property
    def line(self) -> str:
        checks = len({f.check_id for f in self.blocked})
        return f"{self.system}: {self.what} — {self.next_step} ({checks} check{'s' * (checks != 1)} blocked)"

    @property
    def check_ids(self) -> str:
        """``SQL-001 … DB-010`` for a table cell: the first and the last check it blocked."""
        ids = list(dict.fromkeys(f.check_id for f in self.blocked))
        return ", ".join(ids) if len(ids) <= 2 else f"{ids[0]} … {ids[-1]}"


def _first_sentence(reason: str, limit: int = 140) -> str:
    text = " ".join(reason.split())
    head = re.split(r"(?<=[.;])\s", text, maxsplit=1)[0].rstrip(".;")
    return head if len(head) <= limit else head[: limit - 1].rstrip() + "…"


def _sql(error: ProbeError, server: str) -> tuple[str, str]:
    kind = ErrorKind(error.kind)
    if kind is ErrorKind.UNREACHABLE:
        return (f"cannot connect to {server or 'the SQL Server'}",
                "check the server name/port and that this machine may reach it over TCP")
    if kind is ErrorKind.AUTH:
        return "the SQL Server rejected the login", "check source.username and the password (LINKREADY_SQL_PASSWORD)"
    if kind is ErrorKind.PERMISSION:
        found = _PERMISSION.search(error.reason)
        permission = found.group(1).upper() if found else "a permission the probe needs"
        return f"the login lacks {permission}", "grant it (`linkready grant-script` prints the T-SQL)"
    if kind is ErrorKind.TIMEOUT:
        return "the SQL Server did not answer in time", "raise probe_timeout or check the server's load"
    if kind is ErrorKind.CONFIG:
        return f"the [source] settings are incomplete ({_first_sentence(error.reason)})", "fix [source] in the target file"
    return f"reading the SQL Server failed ({_first_sentence(error.reason)})", "see the finding's details below"


def _azure(error: ProbeError) -> tuple[str, str]:
    kind = ErrorKind(error.kind)
    if kind is ErrorKind.AUTH:
        return "no Azure sign-in (no token)", "run az login, or set [azure] credential"
    if kind is ErrorKind.PERMISSION:
        return "the Azure identity may not read it", "grant Reader on the managed instance's resource group"
    if kind is ErrorKind.NOT_FOUND:
        return "the resource was not found", "check managed_instance.resource_id (subscription, group, name)"
    if kind is ErrorKind.THROTTLED:
        return "Azure throttled the reads", "run again later, or raise probe_timeout"
    if kind in (ErrorKind.UNREACHABLE, ErrorKind.TIMEOUT):
        return "Azure Resource Manager did not answer", "check the proxy/firewall to Azure, then raise probe_timeout"
    if kind is ErrorKind.CONFIG:
        return f"the Azure settings are incomplete ({_first_sentence(error.reason)})", "fix [azure]/[managed_instance]"
    return f"reading Azure failed ({_first_sentence(error.reason)})", "see the finding's details below"


def _plain(error: ProbeError, facts: Facts) -> tuple[str, str, str]:
    system = _SYSTEM.get(error.probe, error.probe)
    if error.probe == "sql":
        server = facts.plan.source_server
        return f"{system} {server}".strip(), *_sql(error, server)
    if error.probe in ("azure", "target", "links"):
        return (system, *_azure(error))
    kind = ErrorKind(error.kind)
    step = {ErrorKind.CONFIG: "complete the target file", ErrorKind.TIMEOUT: "raise probe_timeout",
            ErrorKind.UNREACHABLE: "check the network path"}.get(kind, "see the finding's details below")
    return system, _first_sentence(error.reason), step


def _cause_of(finding: Finding, facts: Facts, requires: dict[str, tuple[str, ...]]) -> ProbeError | None:
    for path in requires.get(finding.check_id, ()):
        error = facts.error_for(path)
        if error is not None:
            return error
    return None


def root_causes(report: Report) -> list[RootCause]:
    """The probe errors behind the report's ERROR findings, worst (most checks blocked) first."""
    from linkready.checks import all_checks

    requires = {spec.id: spec.requires for spec in all_checks()}
    facts = report.snapshot.facts
    grouped: dict[tuple[str, str, str], list[Finding]] = {}
    errors: dict[tuple[str, str, str], ProbeError] = {}
    for finding in report.findings:
        if finding.status is not Status.ERROR:
            continue
        error = _cause_of(finding, facts, requires)
        if error is None:
            continue
        what = _plain(error, facts)
        key = (what[0], what[1], what[2])
        grouped.setdefault(key, []).append(finding)
        errors.setdefault(key, error)
    causes = [RootCause(k[0], k[1], k[2], errors[k], tuple(v)) for k, v in grouped.items()]
    return sorted(causes, key=lambda c: -len(c.blocked))


@dataclass(frozen=True)
class Row:
    """One table row: a finding, or a cause standing for the ERRORs it folds."""

    status: Status
    check: str
    target: str
    text: str
    owner: str


def folded_rows(findings: Iterable[Finding], causes: list[RootCause]) -> list[Row]:
    """``findings`` as rows, each cause's ERRORs replaced by one row where its first ERROR stood."""
    first = {id(c.blocked[0]): c for c in causes}
    folded = {id(f) for c in causes for f in c.blocked}
    rows = []
    for f in findings:
        if id(f) in first:
            cause = first[id(f)]
            owners = list(dict.fromkeys(x.owner.value for x in cause.blocked))
            rows.append(Row(Status.ERROR, cause.check_ids, "",
                            f"Could not evaluate ({len(cause.blocked)} findings): {cause.system}: {cause.what}",
                            owners[0] if len(owners) == 1 else "several"))
        elif id(f) not in folded:
            rows.append(Row(f.status, f.check_id, f.target, f.message, f.owner.value))
    return rows
