"""Profiles (which checks run, with which thresholds) and waivers (accepted findings)."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from importlib import resources
from pathlib import Path
from typing import Any

from linkready.model import CheckSpec, Waiver
from linkready.tomlfile import parse_toml, read_text, read_toml


class PolicyError(ValueError):
    """A profile or waivers file is wrong; one line naming the file and key."""


@dataclass(frozen=True)
class Profile:
    name: str
    description: str = ""
    include: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = ()
    #: The pipeline profile: a WARN makes the run not ready.
    warn_is_failure: bool = False
    thresholds: dict[str, Any] = field(default_factory=dict)

    def selects(self, spec: CheckSpec) -> bool:
        """Patterns match the check ID, ``area:<area>`` or ``tag:<tag>`` (shell-style wildcards)."""
        names = [spec.id, f"area:{spec.area.value}", *(f"tag:{tag}" for tag in spec.tags)]

        def matches(patterns: tuple[str, ...]) -> bool:
            return any(fnmatch.fnmatchcase(n, p) for p in patterns for n in names)

        return matches(self.include) and not matches(self.exclude)

    def selection_error(self, checks: list[CheckSpec]) -> str:
        """Why this profile's selection is wrong ("" when it is fine): a pattern that names no
        check, area or tag (a typo such as SQL-0O1 would silently drop a check), or nothing selected."""
        names = {n for spec in checks for n in (spec.id, f"area:{spec.area.value}", *(f"tag:{t}" for t in spec.tags))}
        for key, patterns in (("include", self.include), ("exclude", self.exclude)):
            for pattern in patterns:
                if not any(fnmatch.fnmatchcase(n, pattern) for n in names):
                    kind = "area" if pattern.startswith("area:") else "tag" if pattern.startswith("tag:") else "check ID"
                    return f"profile {self.name}: {key} pattern {pattern!r} matches no {kind} (see `linkready checks`)"
        if not any(self.selects(spec) for spec in checks):
            return f"profile {self.name}: include/exclude select no check"
        return ""


_PROFILE_KEYS = {"name", "description", "extends", "include", "exclude", "warn_is_failure", "thresholds"}


def builtin_profiles() -> list[str]:
    return sorted(
        p.name.removesuffix(".toml")
        for p in resources.files("linkready.profiles").iterdir()
        if p.name.endswith(".toml")
    )


def load_profile(name_or_path: str, catalogue: Callable[[], list[CheckSpec]], _seen: tuple[str, ...] = ()
                 ) -> Profile:
    """A built-in profile by name, or a TOML file by path; ``extends`` chains are followed.

    ``catalogue`` gives the checks the selection is validated against (``linkready.checks.load_profile``
    passes the whole catalogue); it is called only then, so reading a profile imports no check module.
    """
    if name_or_path in _seen:
        raise PolicyError(f"profile {name_or_path}: 'extends' loops back to itself")
    if name_or_path in builtin_profiles():
        text = resources.files("linkready.profiles").joinpath(f"{name_or_path}.toml").read_text("utf-8")
        origin = f"profile {name_or_path}"
    else:
        path = Path(name_or_path)
        if not path.is_file():
            known = ", ".join(builtin_profiles())
            raise PolicyError(f"profile {name_or_path!r} is neither a built-in profile ({known}) nor a file")
        text, origin = read_text(path, PolicyError, missing="no such profile file"), str(path)
    data = parse_toml(text, origin, PolicyError)
    unknown = sorted(set(data) - _PROFILE_KEYS)
    if unknown:
        raise PolicyError(f"{origin}: unknown key '{unknown[0]}'")
    for key in ("name", "description", "extends"):
        if key in data and not isinstance(data[key], str):
            raise PolicyError(f"{origin}: '{key}' must be a string")
    if "warn_is_failure" in data and not isinstance(data["warn_is_failure"], bool):
        raise PolicyError(f"{origin}: 'warn_is_failure' must be true or false")
    base = load_profile(data["extends"], catalogue, (*_seen, name_or_path)) if data.get("extends") else Profile("base")
    for key in ("include", "exclude"):
        if key in data and not (isinstance(data[key], list) and all(isinstance(v, str) for v in data[key])):
            raise PolicyError(f"{origin}: '{key}' must be a list of strings")
    if not isinstance(data.get("thresholds", {}), dict):
        raise PolicyError(f"{origin}: 'thresholds' must be a table")
    profile = Profile(
        name=str(data.get("name", Path(name_or_path).stem)),
        description=str(data.get("description", base.description)),
        include=tuple(data.get("include", base.include)),
        exclude=tuple(data.get("exclude", base.exclude)),
        warn_is_failure=bool(data.get("warn_is_failure", base.warn_is_failure)),
        thresholds={**base.thresholds, **data.get("thresholds", {})},
    )
    error = profile.selection_error(catalogue())
    if error:
        raise PolicyError(f"{origin}: {error.split(': ', 1)[1]}")
    return profile


_WAIVER_KEYS = {"check", "target", "reason", "owner", "expires"}


def load_waivers(path: Path) -> list[Waiver]:
    """``[[waiver]]`` tables: check, reason, owner and expires are required; target is optional."""
    data = read_toml(path, PolicyError, missing="no such waivers file")
    unknown = sorted(set(data) - {"waiver"})
    if unknown:
        raise PolicyError(f"{path}: unknown key '{unknown[0]}' (expected [[waiver]] tables)")
    entries = data.get("waiver", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise PolicyError(f"{path}: 'waiver' must be [[waiver]] tables")
    waivers = []
    for index, entry in enumerate(entries):
        where = f"{path}: waiver[{index}]"
        extra = sorted(set(entry) - _WAIVER_KEYS)
        if extra:
            raise PolicyError(f"{where}: unknown key '{extra[0]}'")
        for key in ("check", "reason", "owner", "expires"):
            if not entry.get(key):
                raise PolicyError(f"{where}: missing required key '{key}'")
        expires = entry["expires"]
        if isinstance(expires, datetime):
            # A TOML datetime (2026-12-31T00:00:00) is a date with a time; a waiver lasts whole days.
            expires = expires.date()
        elif isinstance(expires, time):
            raise PolicyError(f"{where}: 'expires' must be a date such as 2026-12-31")
        if not isinstance(expires, date):
            try:
                expires = date.fromisoformat(str(expires))
            except ValueError:
                raise PolicyError(f"{where}: 'expires' must be a date such as 2026-12-31") from None
        waivers.append(
            Waiver(
                check=str(entry["check"]).upper(),
                reason=str(entry["reason"]),
                owner=str(entry["owner"]),
                expires=expires,
                target=str(entry.get("target", "")),
            )
        )
    return waivers
