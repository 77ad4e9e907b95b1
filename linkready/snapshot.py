"""The facts snapshot: versioned JSON that ``collect`` writes and ``evaluate`` reads.

The digest is taken over the canonical JSON of the whole snapshot, so a report can name the
exact facts it judged.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from linkready.facts import Facts
from linkready.serde import SerdeError, from_data, to_data

#: 2 adds the per-probe manifest (Facts.manifest); 1 is still read: an absent area is then not collected.
SCHEMA_VERSION = 2


class SnapshotError(ValueError):
    """A snapshot cannot be used: corrupt, newer schema, or unreadable. One line."""


@dataclass(frozen=True)
class Snapshot:
    schema_version: int
    tool_version: str
    collected_at: datetime
    facts: Facts

    @functools.cached_property
    def digest(self) -> str:
        # Once per snapshot: every report format (and every estate target) asks for it, and the canonical
        # bytes of a 1,000-port scan cost as much to build as the checks take to run (issue 20).
        return "sha256:" + hashlib.sha256(canonical_json(to_data(self)).encode()).hexdigest()


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def dumps(snapshot: Snapshot) -> str:
    return json.dumps(to_data(snapshot), indent=1, ensure_ascii=False) + "\n"


def loads(text: str, origin: str = "snapshot") -> Snapshot:
    try:
        data = json.loads(text)
        # A lone surrogate ("\ud800") is valid JSON but no UTF-8: the digest and every report would fail.
        canonical_json(data).encode("utf-8")
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"{origin}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except UnicodeEncodeError as exc:
        raise SnapshotError(f"{origin}: corrupt snapshot: a string holds {exc.object[exc.start:exc.end]!a}, "
                            "which is not Unicode text") from None
    except RecursionError:
        raise SnapshotError(f"{origin}: corrupt snapshot: nested too deeply") from None
    if not isinstance(data, dict) or "schema_version" not in data:
        raise SnapshotError(f"{origin}: not a linkready snapshot (no schema_version)")
    version = data["schema_version"]
    if not isinstance(version, int) or version < 1:
        raise SnapshotError(f"{origin}: schema_version {version!r} is not a positive integer")
    if version > SCHEMA_VERSION:
        raise SnapshotError(
            f"{origin}: schema_version {version} is newer than this linkready understands "
            f"({SCHEMA_VERSION}); upgrade linkready"
        )
    try:
        return from_data(Snapshot, data)
    except RecursionError:
        raise SnapshotError(f"{origin}: corrupt snapshot: nested too deeply") from None
    except SerdeError as exc:
        raise SnapshotError(f"{origin}: corrupt snapshot: {exc}") from None


def load(path: Path) -> Snapshot:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{path}: cannot be read: {exc}") from None
    return loads(text, str(path))
