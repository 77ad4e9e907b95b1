"""Helpers shared by the Azure-side checks (nsg, managed_instance, trust, databases_target).

Not a catalogue module: it registers no check.
"""

from __future__ import annotations

from linkready.domain.resource_ids import group_and_name
from linkready.facts import Facts


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
