"""The check catalogue: ``@check(...)`` registers a pure function with its metadata."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping

from linkready.model import Area, CheckFunction, CheckSpec, Owner, Severity

_ID = re.compile(r"^[A-Z]+-\d{3}$")
_REGISTRY: dict[str, CheckSpec] = {}
_LOADED: list[bool] = []


class RegistryError(RuntimeError):
    """A check was declared wrongly; raised at import, so a bad catalogue never ships."""


def check(
    *,
    id: str,
    title: str,
    area: Area,
    severity: Severity,
    rationale: str,
    remediation: str,
    docs: str,
    owner: Owner,
    requires: tuple[str, ...] = (),
    prevents: tuple[int, ...] = (),
    tags: tuple[str, ...] = (),
) -> Callable[[CheckFunction], CheckFunction]:
    """Register ``function`` as check ``id``. IDs are unique and never renumbered."""

    def register(function: CheckFunction) -> CheckFunction:
        if not _ID.match(id):
            raise RegistryError(f"check id {id!r} is not of the form AREA-NNN")
        if id in _REGISTRY and _REGISTRY[id].function is not function:
            raise RegistryError(f"check id {id} is registered twice ({_REGISTRY[id].name}, {function.__name__})")
        _REGISTRY[id] = CheckSpec(
            id=id,
            title=title,
            area=area,
            severity=severity,
            rationale=rationale,
            remediation=remediation,
            docs=docs,
            owner=owner,
            requires=requires,
            prevents=prevents,
            tags=tags,
            function=function,
        )
        return function

    return register


def apply_plain_titles(titles: Mapping[str, str]) -> None:
    """Attach each check's plain-language title (kept in one data file, not in the decorators)."""
    for check_id, text in titles.items():
        spec = _REGISTRY.get(check_id)
        if spec is not None and spec.plain_title != text:
            _REGISTRY[check_id] = dataclasses.replace(spec, plain_title=text)


def _sort_key(spec: CheckSpec) -> tuple[int, str, int]:
    prefix, _, number = spec.id.partition("-")
    return (list(Area).index(spec.area), prefix, int(number))


def _load() -> None:
    """Import the catalogue modules and attach their plain titles (once; every lookup calls this)."""
    if _LOADED:
        return
    from linkready.checks import load, plain_titles

    load()
    apply_plain_titles(plain_titles())
    _LOADED.append(True)


def all_checks() -> list[CheckSpec]:
    """Every registered check, loading the catalogue modules on first use."""
    _load()
    return sorted(_REGISTRY.values(), key=_sort_key)


def get(check_id: str) -> CheckSpec | None:
    return {spec.id: spec for spec in all_checks()}.get(check_id.upper())


def plain_title(check_id: str) -> str:
    """The check's one-sentence plain-language title, or "" for an ID the catalogue does not know."""
    _load()
    spec = _REGISTRY.get(check_id)
    return spec.plain_title if spec else ""
