"""Generic conversion between frozen dataclasses and JSON-ready data.

Facts, findings and reports are plain dataclasses; this module is the one place that knows
how they become JSON and back, so that adding a fact is adding a field, nothing more.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from datetime import date, datetime
from typing import Any, TypeVar

T = TypeVar("T")


class SerdeError(ValueError):
    """Data does not fit the dataclass it should become; the message names the path."""


def to_data(value: Any) -> Any:
    """Dataclass (or container of them) → JSON-ready dicts, lists and scalars."""
    if type(value) in _SCALARS:  # most values: no dataclass or enum test needed
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: to_data(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    return value


_SCALARS = frozenset((str, int, float, bool, type(None)))


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    """The fields to_data writes, once per class (dataclasses.fields() per object was a hot spot)."""
    return tuple(f.name for f in dataclasses.fields(cls) if f.compare or f.name != "function")


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_data(cls: type[T], data: Any, path: str = "$", absent: list[str] | None = None) -> T:
    """JSON-ready data → instance of ``cls`` (a dataclass or a typing form), strictly.

    A key missing from an object whose field has a default takes the default; when ``absent`` is
    given, the path of every such key is appended to it, so the caller can tell "absent" from
    "the default value" (a snapshot must not turn a fact it lacks into a silent default).
    """
    return typing.cast(T, _convert(cls, data, path, absent if absent is not None else []))


def _convert(tp: Any, data: Any, path: str, absent: list[str]) -> Any:
    origin = typing.get_origin(tp)
    if tp is Any:
        return data
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            tried: list[str] = []  # a failed alternative's absent keys are not the value's
            try:
                value = _convert(arg, data, path, tried)
            except SerdeError as exc:
                errors.append(str(exc))
            else:
                absent.extend(tried)
                return value
        raise SerdeError(errors[0] if errors else f"{path}: unexpected null")
    if origin is typing.Literal:
        if data not in typing.get_args(tp):
            raise SerdeError(f"{path}: {data!r} is not one of {typing.get_args(tp)}")
        return data
    if origin in (list, tuple):
        if not isinstance(data, list):
            raise SerdeError(f"{path}: expected a list, got {type(data).__name__}")
        args = typing.get_args(tp)
        if origin is tuple and args and args[-1] is not Ellipsis:  # tuple[int, int]: fixed length
            if len(data) != len(args):
                raise SerdeError(f"{path}: expected {len(args)} items, got {len(data)}")
            return tuple(_convert(a, v, f"{path}[{i}]", absent)
                         for i, (a, v) in enumerate(zip(args, data, strict=True)))
        item = args[0] if args else Any
        if item is float and all(type(v) in (int, float) for v in data):
            # Fast path for long number lists (per-port connect times): same result, no call per item.
            items = [float(v) for v in data]
        else:
            items = [_convert(item, v, f"{path}[{i}]", absent) for i, v in enumerate(data)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(data, dict):
            raise SerdeError(f"{path}: expected an object, got {type(data).__name__}")
        _, vt = typing.get_args(tp) or (str, Any)
        return {k: _convert(vt, v, f"{path}.{k}", absent) for k, v in data.items()}
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _dataclass(tp, data, path, absent)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(data)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in tp)
            raise SerdeError(f"{path}: {data!r} is not one of {allowed}") from None
    if tp is datetime:
        if not isinstance(data, str):
            raise SerdeError(f"{path}: expected an ISO date-time string")
        try:
            return datetime.fromisoformat(data)
        except ValueError:
            raise SerdeError(f"{path}: {data!r} is not an ISO date-time") from None
    if tp is date:
        if not isinstance(data, str):
            raise SerdeError(f"{path}: expected an ISO date string")
        try:
            return date.fromisoformat(data)
        except ValueError:
            raise SerdeError(f"{path}: {data!r} is not an ISO date") from None
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise SerdeError(f"{path}: expected a number, got {data!r}")
        return float(data)
    if tp in (int, str, bool):
        if not isinstance(data, tp) or (tp is int and isinstance(data, bool)):
            raise SerdeError(f"{path}: expected {tp.__name__}, got {data!r}")
        return data
    raise SerdeError(f"{path}: cannot convert to {tp!r}")


def _dataclass(cls: type, data: Any, path: str, absent: list[str]) -> Any:
    if not isinstance(data, dict):
        raise SerdeError(f"{path}: expected an object, got {type(data).__name__}")
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise SerdeError(f"{path}: unknown key {unknown[0]!r}")
    kwargs = {}
    for name, f in fields.items():
        if name in data:
            kwargs[name] = _convert(hints[name], data[name], f"{path}.{name}", absent)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise SerdeError(f"{path}: missing key {name!r}")
        else:
            absent.append(f"{path}.{name}")
    return cls(**kwargs)
