"""Helpers shared by the Azure-side checks (nsg, managed_instance, trust, databases_target).

Not a catalogue module: it registers no check.
"""

from __future__ import annotations

from linkready.domain.resource_ids import group_and_name
from linkready.facts import Facts, lookup
from linkready.model import Result, errored, skipped


def unavailable(facts: Facts, *paths: str) -> Result | None:
    """ERROR if a fact could not be read, SKIP if it was not collected; None when all are there.

    Unlike ``requires=``, an empty tuple counts as collected: "no server trust certificates" or
    "no databases on the instance" is an answer a check must judge, not a reason to skip.
    """
    for path in paths:
        error = facts.error_for(path)
        if error is not None:
            return errored(f"Could not evaluate: {path} could not be read: {error.reason}")
        if lookup(facts, path) is None:
            return skipped(f"Not applicable: {path} was not collected")
    return None


def hexnorm(value: str) -> str:
    """Thumbprints and blobs compare as upper-case hex without a 0x prefix."""
    text = value.strip()
    return (text[2:] if text.lower().startswith("0x") else text).upper()


def mi_parts(facts: Facts) -> tuple[str, str]:
    """(resource group, instance name) for az CLI commands, with placeholders when unknown."""
    rid = (facts.azure.managed_instance.id if facts.azure and facts.azure.managed_instance else "") or facts.plan.mi_resource_id
    return group_and_name(rid)


def sql_major(facts: Facts) -> int | None:
    """The SQL Server's major version (15 for 2019), or None when not known."""
    instance = facts.sql.instance if facts.sql else None
    return instance.major_version if instance else None
