"""Facts no real source reports: an empty value where the source always fills one (issue 13).

A fact field the real source always fills is declared so on the dataclass::

    name: str = field(metadata=always(ARM_NAME))

Such a field that is present but empty ("" or an empty tuple) is *inconsistent*: the snapshot was edited,
truncated or corrupted, or a probe read nothing where the source never answers nothing. ``None`` keeps
its own meaning (not collected). One pass over the facts (:func:`inconsistencies`, used by
``Facts.state_of`` and ``Facts.error_for``) finds them all, so every check that needs an inconsistent
fact ERRORs naming it, whichever check it is and whichever fact a later room adds: the rule lives on the
field, not in the checks.

Some fields are filled only in some states: ``when`` names a sibling field that must be set (truthy, or
equal to a value: ``"state=ONLINE"``) for the rule to apply; ``unless`` names one whose value excuses the
emptiness (a port scan with no address says why in ``error``). Rules that span fields (two lists that
name the same databases) are a dataclass method ``inconsistencies()`` yielding ``(field, reason)``.

This module sits below everything (facts are rank 0): it knows dataclasses, not checks.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator, Mapping
from typing import Any

#: The metadata key of :func:`always`.
ALWAYS = "linkready.always"

#: Reasons shared by many fields (the source and what it promises).
ARM_ID = "ARM returns every resource with its id"
ARM_NAME = "ARM returns every resource with its name"
ARM_LOCATION = "ARM returns every tracked resource with its location"
ARM_VALUE = "ARM returns one of the property's documented values whenever it returns the property (absent is None)"


@dataclasses.dataclass(frozen=True)
class Always:
    """The rule on one field: why it is never empty, and the sibling states it depends on."""

    reason: str
    when: str = ""
    unless: str = ""

    def applies(self, owner: object) -> bool:
        if self.unless and getattr(owner, self.unless, None):
            return False
        if not self.when:
            return True
        name, equals, wanted = self.when.partition("=")
        value = getattr(owner, name, None)
        if equals:
            return str(value).lower() == wanted.lower()
        return bool(value)


def always(reason: str, *, when: str = "", unless: str = "") -> Mapping[str, Always]:
    """Field metadata: the real source always fills this field (under ``when``, unless ``unless``)."""
    return {ALWAYS: Always(reason, when, unless)}


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, Always | None], ...]:
    # Once per class: the walk runs once per Facts object, and dataclasses.fields() per object is slow.
    return tuple((f.name, f.metadata.get(ALWAYS)) for f in dataclasses.fields(cls))


def _empty(value: Any) -> bool:
    return bool(value == "" or value == ())


def inconsistencies(node: object, prefix: str) -> Iterator[tuple[str, str]]:
    """``(path, reason)`` for every inconsistent field under ``node`` (a facts dataclass at ``prefix``).

    Paths name list items by index (``azure.nsg.rules[2].name``) so a message says which one.
    """
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return
    for name, rule in _fields(type(node)):
        value = getattr(node, name)
        path = f"{prefix}.{name}" if prefix else name
        if rule is not None and value is not None and _empty(value) and rule.applies(node):
            yield path, f"{path} is empty: {rule.reason}"
        if isinstance(value, tuple):
            if value and dataclasses.is_dataclass(value[0]):
                for index, item in enumerate(value):
                    yield from inconsistencies(item, f"{path}[{index}]")
        elif dataclasses.is_dataclass(value):
            yield from inconsistencies(value, path)
    own = getattr(node, "inconsistencies", None)
    if callable(own):
        for name, reason in own():
            yield (f"{prefix}.{name}" if prefix else name), reason
