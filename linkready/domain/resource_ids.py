"""Azure resource IDs: ``/subscriptions/<sub>/resourceGroups/<group>/providers/<namespace>/<type>/<name>…``.

One parser, because az CLI fixes, the Azure probe's child reads and the runbook all need the
subscription, group and names out of an ID, and used to split it by hand, each a little differently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PATTERN = re.compile(r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/([^/]+)/(.+)$", re.IGNORECASE)

#: What az CLI fixes show when the managed instance's ID is not known.
GROUP_PLACEHOLDER = "<resource-group>"
INSTANCE_PLACEHOLDER = "<managed-instance>"
SUBSCRIPTION_PLACEHOLDER = "<subscription-id>"


@dataclass(frozen=True)
class ResourceId:
    """The parts of a resource ID; ``path`` is ``(type, name, child type, child name, …)``."""

    subscription: str
    group: str
    namespace: str
    path: tuple[str, ...]

    @property
    def name(self) -> str:
        """The top-level resource's name (the managed instance of ``…/managedInstances/mi/databases/db``)."""
        return self.path[1]

    @property
    def leaf(self) -> str:
        """The last name in the ID (the database of ``…/managedInstances/mi/databases/db``)."""
        return self.path[-1]


def parse(text: str) -> ResourceId | None:
    """The parts of ``text``; None when it is not a resource ID naming at least one resource."""
    match = _PATTERN.match(text.strip().rstrip("/"))
    if not match:
        return None
    path = tuple(match[4].split("/"))
    if len(path) < 2 or not all(path):
        return None
    return ResourceId(match[1], match[2], match[3], path)


def name_of(text: str) -> str:
    """The last segment of an ID (or of any ``/``-path): the name of the resource it points to."""
    return text.rstrip("/").rsplit("/", 1)[-1]


def group_and_name(text: str) -> tuple[str, str]:
    """(resource group, top-level name) for az CLI commands, with placeholders when ``text`` is no ID."""
    rid = parse(text)
    return (rid.group, rid.name) if rid else (GROUP_PLACEHOLDER, INSTANCE_PLACEHOLDER)


def managed_instance_id(subscription: str, group: str, name: str) -> str:
    """The resource ID of a managed instance."""
    return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Sql/managedInstances/{name}"
