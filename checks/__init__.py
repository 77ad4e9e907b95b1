"""The check catalogue, one module per area (import name ``linkready.checks``).

Modules are listed here, not discovered by glob, so the catalogue is exactly what this file names.
"""

from __future__ import annotations

import functools
import importlib
import tomllib
from importlib import resources

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
    "target",
    "service",
)


@functools.cache
def plain_titles() -> dict[str, str]:
    """Check ID -> one plain-language sentence, from plain_titles.toml beside this file."""
    text = resources.files(__name__).joinpath("plain_titles.toml").read_text(encoding="utf-8")
    return {str(k): str(v) for k, v in tomllib.loads(text)["titles"].items()}


def load() -> None:
    """Import every catalogue module (registration happens in their decorators)."""
    for name in MODULES:
        importlib.import_module(f"linkready.checks.{name}")
