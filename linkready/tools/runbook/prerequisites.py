"""What must happen before the first step: the changes the managed instance refuses while a link seeds.

A scaling, storage, maintenance-window or update-policy change the findings recommend has to be made before the
link is created: while a database seeds through the link, the instance refuses management operations with
``OperationCanNotStartDueToMiLink`` (Azure/azure-rest-api-specs DistributedAvailabilityGroups.json, every
operation's error list, stable 2023-08-01 and preview 2025-08-01-preview). Which checks recommend such a change is
check metadata: the checks whose ``SERVICE_ERRORS`` entry names that code.
"""

from __future__ import annotations

from collections.abc import Iterable

from linkready.checks import get
from linkready.checks.service import BLOCKED_WHILE_SEEDING, SERVICE_ERRORS
from linkready.facts import Facts
from linkready.model import Finding, Settings, Status
from linkready.tools.runbook.model import Prerequisite

#: The line the runbook's prerequisites open with when any applies.
SEEDING_REFUSES = (
    "While a link seeds, the managed instance refuses scaling, storage, maintenance-window and update-policy "
    f"changes ({BLOCKED_WHILE_SEEDING}): make the changes below before creating the link, or wait until seeding "
    "has finished."
)
_RECOMMENDS = (Status.WARN, Status.FAIL)
#: Unknown is never "nothing to do": a check that could not run says so among the prerequisites.
_UNKNOWN = (Status.ERROR,)


def blocked_while_seeding() -> tuple[str, ...]:
    """IDs of the checks whose recommended change cannot start while a link seeds, in table order."""
    return tuple(check_id for check_id, codes in SERVICE_ERRORS.items() if BLOCKED_WHILE_SEEDING in codes)


def before_the_link(facts: Facts, findings: Iterable[Finding], settings: Settings) -> tuple[Prerequisite, ...]:
    """One prerequisite per WARN/FAIL of those checks, and one per ERROR (whether the change is needed is unknown).

    The gating profile may leave them out (the target audit is not in preflight): a check the findings do not
    cover is run here on the same facts, because the change it recommends must come before the link whichever
    profile gated the runbook. A check whose facts were not collected gives ERROR or SKIP, and no line.
    """
    wanted = blocked_while_seeding()
    found = [f for f in findings if f.check_id in wanted]
    covered = {f.check_id for f in found}
    missing = [spec for spec in (get(check_id) for check_id in wanted if check_id not in covered) if spec]
    if missing:
        from linkready.engine import run_check  # the engine imports the probe table: only when needed

        found += [f for spec in missing for f in run_check(spec, facts, settings)]
    order = {check_id: n for n, check_id in enumerate(wanted)}
    return tuple(
        Prerequisite(check_id=f.check_id, target=f.target, message=f.message, remediation=f.remediation, fix=f.fix,
                     known=f.status not in _UNKNOWN, title=f.title)
        for f in sorted(found, key=lambda f: (order[f.check_id], f.target))
        if f.status in _RECOMMENDS or f.status in _UNKNOWN
    )
