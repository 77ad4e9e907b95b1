"""Small conversions from SDK models and JSON values to plain fact values."""

from __future__ import annotations

import enum
import hashlib
from typing import TYPE_CHECKING, Any, TypeVar

from linkready.domain import resource_ids

if TYPE_CHECKING:

    pass


T = TypeVar("T")
# --------------------------------------------------------------------------------------------
# Small conversions


def _s(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def _opt(value: Any) -> str | None:
    return None if value is None else _s(value)


def _raw(model: Any) -> dict[str, Any]:
    """The JSON an SDK model was built from (REST names), for fields the model does not declare."""
    if model is None:
        return {}
    as_dict = getattr(model, "as_dict", None)
    if callable(as_dict):
        result: dict[str, Any] = as_dict()
        return result
    return dict(model)


def _parts(resource_id: str) -> tuple[str, str, list[str]]:
    """(subscription, resource group, [type, name, type, name…]) of a resource ID."""
    rid = resource_ids.parse(resource_id)
    if rid is None:
        raise ValueError(f"{resource_id!r} is not a resource ID")
    return rid.subscription, rid.group, list(rid.path)


def _cert_thumbprint(blob_hex: str) -> str:
    try:
        return hashlib.sha1(bytes.fromhex(blob_hex)).hexdigest().upper()
    except ValueError:
        return ""


def _hex(blob: Any) -> str:
    text = _s(blob).strip()
    return text[2:].upper() if text.lower().startswith("0x") else text.upper()


