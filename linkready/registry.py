"""The check catalogue: ``@check(...)`` registers a pure function with its metadata."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping

from linkready.model import Area, CheckFunction, CheckSpec, Directions, Owner, Severity

_ID = re.compile(r"^[A-Z]+-\d{3}$")
_REGISTRY: dict[str, CheckSpec] = {}


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
    directions: Directions | None = None,
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
            directions=directions,
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


def apply_service_errors(codes: Mapping[str, tuple[str, ...]]) -> None:
    """Attach the service error codes each check prevents (kept with the code catalogue, not in the decorators)."""
    for check_id, names in codes.items():
        spec = _REGISTRY.get(check_id)
        if spec is not None and spec.service_errors != names:
            _REGISTRY[check_id] = dataclasses.replace(spec, service_errors=names)


def _sort_key(spec: CheckSpec) -> tuple[int, str, int]:
    prefix, _, number = spec.id.partition("-")
    return (list(Area).index(spec.area), prefix, int(number))


def registered() -> list[CheckSpec]:
    """The checks registered so far, in catalogue order. Loading the catalogue is ``linkready.checks``'s
    job (``all_checks()`` there): the registry only collects what the decorators hand it."""
    return sorted(_REGISTRY.values(), key=_sort_key)


def registered_spec(check_id: str) -> CheckSpec | None:
    return _REGISTRY.get(check_id.upper())
