"""The executive summary in plain language, generated from the findings (overridable by the user).

Written for a reader who has one minute and no DBA vocabulary: what blocks the link, who must act,
and how big each piece of work is. The effort class comes from the area of the check (a server
upgrade is a maintenance window; a firewall change is a change request), not from guesses per
finding; the technical title stays in the findings below.
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from dataclasses import dataclass

from linkready.model import Area, Finding, Owner, Status, Verdict
from linkready.report import Report


class Effort(enum.StrEnum):
    SETTING = "a configuration change (minutes to hours)"
    DATA = "database housekeeping such as a backup or recovery setting (hours)"
    CHANGE_REQUEST = "a network change request (usually days)"
    AZURE = "a change in the Azure portal or CLI (hours)"
    UPGRADE = "a SQL Server update or upgrade in a maintenance window (days to weeks)"


#: Checks whose fix is an update or upgrade of SQL Server itself, whatever their area.
_UPGRADES = {"SQL-001", "SQL-002", "SQL-003", "SQL-008"}
_BY_AREA = {
    Area.SQL: Effort.SETTING, Area.ENDPOINT: Effort.SETTING, Area.CERTIFICATES: Effort.SETTING,
    Area.DATABASES: Effort.DATA, Area.DNS: Effort.CHANGE_REQUEST, Area.NETWORK: Effort.CHANGE_REQUEST,
    Area.NSG: Effort.CHANGE_REQUEST, Area.MANAGED_INSTANCE: Effort.AZURE, Area.TARGET: Effort.AZURE,
    Area.LINK: Effort.AZURE, Area.PLAN: Effort.SETTING,
}
#: What each area means to someone who does not run SQL Server.
_PLAIN_AREA = {
    Area.SQL: "the SQL Server itself", Area.ENDPOINT: "the SQL Server's replication endpoint",
    Area.CERTIFICATES: "the certificates both sides use to trust each other",
    Area.DATABASES: "the databases to replicate", Area.DNS: "name resolution between the two sides",
    Area.NETWORK: "network connectivity between the two sides", Area.NSG: "Azure network security rules",
    Area.MANAGED_INSTANCE: "the Azure managed instance", Area.TARGET: "the Azure managed instance's setup",
    Area.LINK: "existing links", Area.PLAN: "the link plan itself",
}


def effort_of(finding: Finding) -> Effort:
    return Effort.UPGRADE if finding.check_id in _UPGRADES else _BY_AREA[finding.area]


@dataclass(frozen=True)
class ExecutiveSummary:
    headline: str
    #: One sentence per owner who must act: who, how many things, in which areas, how big.
    actions: tuple[str, ...]
    closing: str


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summarize(report: Report) -> ExecutiveSummary:
    blocking = [f for f in report.findings if f.status is Status.FAIL]
    unknown = [f for f in report.findings if f.status is Status.ERROR]
    warnings = [f for f in report.findings if f.status is Status.WARN]
    if report.verdict is Verdict.READY:
        headline = "The link can be created: every selected check passed."
    elif report.verdict is Verdict.UNKNOWN and not blocking:
        headline = (f"Not yet known whether the link can be created: {_plural(len(unknown), 'check')} could not "
                    "run, usually because linkready could not reach a system or lacked a permission.")
    else:
        headline = (f"The link cannot be created yet: {_plural(len(blocking), 'problem')} must be fixed first"
                    + (f", and {_plural(len(unknown), 'check')} could not run." if unknown else "."))
    by_owner: dict[Owner, list[Finding]] = defaultdict(list)
    for f in blocking + unknown:
        by_owner[f.owner].append(f)
    actions = []
    for owner in Owner:
        items = by_owner.get(owner)
        if not items:
            continue
        areas = list(dict.fromkeys(_PLAIN_AREA[f.area] for f in items))
        efforts = Counter(effort_of(f) for f in items)
        biggest = max(efforts, key=lambda e: list(Effort).index(e))
        actions.append(f"{owner.value}: {_plural(len(items), 'item')} in {', '.join(areas[:3])}"
                       f"{' and more' if len(areas) > 3 else ''}; the largest is {biggest.value}.")
    closing = (f"{_plural(len(warnings), 'warning')} should be reviewed before the link is created."
               if warnings else "No warnings.")
    return ExecutiveSummary(headline, tuple(actions), closing)
