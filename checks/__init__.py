"""The check catalogue, one module per area (import name ``linkready.checks``).

Modules are listed here, not discovered by glob, so the catalogue is exactly what this file names.
"""

from __future__ import annotations

import functools
import importlib
import tomllib
from importlib import resources
from typing import TYPE_CHECKING

from linkready.registry import apply_plain_titles, apply_service_errors, registered, registered_spec

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
    "existing_links",
    "failover",
    "failover_roles",
    "leftovers",
    "seeding",
    "target_backup",
    "target_security",
    "target_capacity",
    "service",
    "files",
    "direction",
    "multidb",
)


@functools.cache
def plain_titles() -> dict[str, str]:
    """Check ID -> one plain-language sentence, from plain_titles.toml beside this file."""
    text = resources.files(__name__).joinpath("plain_titles.toml").read_text(encoding="utf-8")
    return {str(k): str(v) for k, v in tomllib.loads(text)["titles"].items()}


def load() -> None:
    """Import every catalogue module (registration happens in their decorators), then attach the
    plain-language titles from the data file and the service error codes each check prevents (once)."""
    for name in MODULES:
        importlib.import_module(f"linkready.checks.{name}")
    _attach_metadata()


@functools.cache
def _attach_metadata() -> None:
    from linkready.checks.service import SERVICE_ERRORS

    apply_plain_titles(plain_titles())
    apply_service_errors(SERVICE_ERRORS)


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
