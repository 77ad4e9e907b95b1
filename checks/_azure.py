"""Helpers shared by the Azure-side checks (nsg, managed_instance, trust, databases_target).

Not a catalogue module: it registers no check.
"""

from __future__ import annotations

from linkready.facts import Facts

DOCS_OVERVIEW = "https://learn.microsoft.com/azure/azure-sql/managed-instance/managed-instance-link-feature-overview"
DOCS_PREP = "https://learn.microsoft.com/azure/azure-sql/managed-instance/managed-instance-link-preparation"
DOCS_SCRIPTS = (
    "https://learn.microsoft.com/azure/azure-sql/managed-instance/managed-instance-link-configure-how-to-scripts"
)
DOCS_EXTEND = (
    "https://learn.microsoft.com/azure/azure-sql/managed-instance/managed-instance-link-extend-availability-group"
)
DOCS_TROUBLE = (
    "https://learn.microsoft.com/azure/azure-sql/managed-instance/managed-instance-link-troubleshoot-how-to"
)
DOCS_UPDATE_POLICY = "https://learn.microsoft.com/azure/azure-sql/managed-instance/update-policy"


def hexnorm(value: str) -> str:
    """Thumbprints and blobs compare as upper-case hex without a 0x prefix."""
    text = value.strip()
    return (text[2:] if text.lower().startswith("0x") else text).upper()


def mi_parts(facts: Facts) -> tuple[str, str]:
    """(resource group, instance name) for az CLI commands, with placeholders when unknown."""
    rid = (facts.azure.managed_instance.id if facts.azure and facts.azure.managed_instance else "") or facts.plan.mi_resource_id
    parts = rid.split("/")
    if len(parts) > 8:
        return parts[4], parts[8]
    return "<resource-group>", "<managed-instance>"


def sql_major(facts: Facts) -> int | None:
    """The SQL Server's major version (15 for 2019), or None when not known."""
    instance = facts.sql.instance if facts.sql else None
    return instance.major_version if instance else None
