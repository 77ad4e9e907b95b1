"""The estate file: many targets (SQL Server + managed instance + plan) judged in one run.

An estate file lists targets, each either a target file (``config``: collected live by ``check``)
or a facts snapshot (``snapshot``: evaluated by ``check`` and ``evaluate``)::

    [estate]
    name = "Contoso data platform"
    concurrency = 8            # targets in flight at once (live collection is I/O bound)

    [[target]]
    name = "sqlprod01"
    config = "targets/sqlprod01.toml"      # relative to the estate file

    [[target]]
    name = "sqlprod02"
    snapshot = "snapshots/sqlprod02.json"
    profile = "audit"                      # optional, per target

Every target runs in isolation: a broken target file, a missing snapshot or a probe that hangs
makes that target *unknown* with the reason; the others still report. The estate verdict and exit
code: 0 every target ready, 1 any target not ready, 3 some unknown and none not ready.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from linkready.tomlfile import read_toml

DEFAULT_CONCURRENCY = 8
_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")


class EstateError(ValueError):
    """The estate file itself is wrong (exit 2). One line naming the file and the key."""


@dataclass(frozen=True)
class EstateTarget:
    """One line of the estate: a name and where its facts come from."""

    name: str
    slug: str
    config: Path | None = None
    snapshot: Path | None = None
    profile: str | None = None

    @property
    def source(self) -> str:
        return str(self.snapshot if self.snapshot is not None else self.config)


@dataclass(frozen=True)
class Estate:
    name: str
    path: Path
    targets: tuple[EstateTarget, ...]
    concurrency: int = DEFAULT_CONCURRENCY
    profile: str | None = None


_ESTATE_KEYS = {"name", "concurrency", "profile"}
_TARGET_KEYS = {"name", "config", "snapshot", "profile"}


def slug(name: str) -> str:
    """A file-system-safe directory name for a target (``"SQL 01\\\\A"`` → ``"SQL_01_A"``)."""
    return _SLUG.sub("_", name).strip("._") or "target"


def load_estate(path: Path) -> Estate:
    """Read and validate the estate file; relative target paths are resolved against its folder."""
    data = read_toml(path, EstateError, missing="no such estate file")
    unknown = sorted(set(data) - {"estate", "target"})
    if unknown:
        raise EstateError(f"{path}: unknown key '{unknown[0]}' (expected [estate] and [[target]] tables)")
    header = data.get("estate", {})
    if not isinstance(header, dict):
        raise EstateError(f"{path}: 'estate' must be a table")
    extra = sorted(set(header) - _ESTATE_KEYS)
    if extra:
        raise EstateError(f"{path}: unknown key 'estate.{extra[0]}'")
    concurrency = header.get("concurrency", DEFAULT_CONCURRENCY)
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or not 1 <= concurrency <= 256:
        raise EstateError(f"{path}: 'estate.concurrency' must be an integer from 1 to 256")
    entries = data.get("target", [])
    if not isinstance(entries, list) or not entries:
        raise EstateError(f"{path}: no targets (add [[target]] tables with a name and a config or snapshot)")
    base = path.parent
    targets: list[EstateTarget] = []
    seen: dict[str, str] = {}
    for index, entry in enumerate(entries):
        where = f"{path}: target[{index}]"
        if not isinstance(entry, dict):
            raise EstateError(f"{where}: must be a table")
        extra = sorted(set(entry) - _TARGET_KEYS)
        if extra:
            raise EstateError(f"{where}: unknown key '{extra[0]}'")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise EstateError(f"{where}: missing required key 'name'")
        has_config, has_snapshot = "config" in entry, "snapshot" in entry
        if has_config == has_snapshot:
            raise EstateError(f"{where} ({name}): give exactly one of 'config' (live) or 'snapshot'")
        for key in ("config", "snapshot", "profile"):
            if key in entry and (not isinstance(entry[key], str) or not entry[key]):
                raise EstateError(f"{where} ({name}): '{key}' must be a non-empty string")
        key = slug(name).lower()
        if key in seen:
            raise EstateError(f"{where}: target name {name!r} clashes with {seen[key]!r}")
        seen[key] = name
        targets.append(
            EstateTarget(
                name=name,
                slug=slug(name),
                config=base / entry["config"] if has_config else None,
                snapshot=base / entry["snapshot"] if has_snapshot else None,
                profile=entry.get("profile"),
            )
        )
    profile = header.get("profile")
    if profile is not None and not isinstance(profile, str):
        raise EstateError(f"{path}: 'estate.profile' must be a string")
    return Estate(
        name=str(header.get("name", path.stem)),
        path=path,
        targets=tuple(targets),
        concurrency=concurrency,
        profile=profile,
    )


