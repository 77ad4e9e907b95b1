"""The check catalogue, one module per area (import name ``linkready.checks``).

Modules are listed here, not discovered by glob, so the catalogue is exactly what this file names.
"""

from __future__ import annotations

import importlib

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
    "seeding",
    "target_backup",
    "target_security",
    "target_capacity",
    "service",
    "files",
    "direction",
)


def load() -> None:
    """Import every catalogue module (registration happens in their decorators)."""
    for name in MODULES:
        importlib.import_module(f"linkready.checks.{name}")
