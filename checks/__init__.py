"""The check catalogue, one module per area (import name ``linkready.checks``).

Modules are listed here, not discovered by glob, so the catalogue is exactly what this file names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from linkready.registry import registered, registered_spec

if TYPE_CHECKING:
    from linkready.model import CheckSpec
    from linkready.policy import Profile

MODULES: tuple[str, ...] = (
    "plan",
    "sql_instance",
    "endpoint",
    "certificates",
    "databases",
    "databases_target",
    "trust",
    "dns",
    "ports",
    "nsg",
    "managed_instance",
    "failover",
    "leftovers",
    "seeding",
    "target_backup",
    "target_security",
    "target_capacity",
    "service",
)


def load() -> None:
    """Import every catalogue module (registration happens in their decorators)."""
    for name in MODULES:
        importlib.import_module(f"linkready.checks.{name}")


def all_checks() -> list[CheckSpec]:
    """Every check in the catalogue, its modules imported on first use (``linkready --help`` imports none)."""
    load()
    return registered()


def get(check_id: str) -> CheckSpec | None:
    """One check by ID (any case), or None."""
    load()
    return registered_spec(check_id)


def load_profile(name_or_path: str) -> Profile:
    """A profile (built-in name or TOML path) whose selection is validated against this catalogue."""
    from linkready.policy import load_profile as read

    return read(name_or_path, all_checks)
