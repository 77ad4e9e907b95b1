"""The facts snapshot: versioned JSON that ``collect`` writes and ``evaluate`` reads.

The digest is taken over the canonical JSON of the whole snapshot, so a report can name the
exact facts it judged.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from linkready.facts import ErrorKind, Facts, ProbeError
from linkready.facts.network import PortResult, port_runs
from linkready.serde import SerdeError, from_data, to_data

#: 3 stores port scans as runs of ranges per state (PortScan.runs) instead of one object per port;
#: 2 added the per-probe manifest (Facts.manifest). Both older versions are still read: an absent
#: area of version 1 is not collected, and per-port lists of 1 and 2 are grouped into runs on load.
SCHEMA_VERSION = 3

#: The port scans in ``facts.network`` (the only place the snapshot holds PortScan objects).
_SCANS = ("mi_ports", "sql_endpoint_port")


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
        # Once per snapshot: every report format (and every estate target) asks for it (issue 20). A
        # snapshot read from a file already has it, taken from the canonical bytes ``loads`` built.
        return digest_of(canonical_json(to_data(self)))


def digest_of(canonical: str) -> str:
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def dumps(snapshot: Snapshot) -> str:
    return json.dumps(to_data(snapshot), indent=1, ensure_ascii=False) + "\n"


def loads(text: str, origin: str = "snapshot") -> Snapshot:
    try:
        data = json.loads(text)
        # A lone surrogate ("\ud800") is valid JSON but no UTF-8: the digest and every report would fail.
        canonical = canonical_json(data)
        digest = digest_of(canonical)
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
    absent: list[str] = []
    try:
        if version < 3:
            _group_port_lists(data)
        snapshot = from_data(Snapshot, data, absent=absent)
    except RecursionError:
        raise SnapshotError(f"{origin}: corrupt snapshot: nested too deeply") from None
    except SerdeError as exc:
        raise SnapshotError(f"{origin}: corrupt snapshot: {exc}") from None
    gaps = absent_errors(absent)
    if gaps:
        snapshot = replace(snapshot, facts=replace(snapshot.facts, errors=snapshot.facts.errors + gaps))
    # The digest of the file's own canonical bytes: the same as to_data() would give for a snapshot
    # linkready wrote, without serialising the facts a second time. Seeded into the cached property.
    snapshot.__dict__["digest"] = digest
    return snapshot


#: Keys of Facts whose absence has its own rule: an absent area is not collected (Facts.state_of),
#: errors and manifest are bookkeeping, and the collector only says where the probes ran.
_OWN_RULE = ("errors", "manifest", "collector", "sql", "azure", "network", "target")


def _fact_of(key: str) -> str | None:
    """The fact a missing key makes incomplete: ``sql.databases`` for ``sql.databases[0].state``;
    the whole plan for a plan key (direction, ports and cloud shape every check of the link)."""
    head, _, rest = key.partition(".")
    if head in _OWN_RULE and (not rest or head in ("errors", "manifest", "collector")):
        return None
    if head == "plan":
        return "plan"
    second = re.split(r"[.\[]", rest, maxsplit=1)[0]
    return f"{head}.{second}"


def absent_errors(absent: list[str]) -> tuple[ProbeError, ...]:
    """One INCOMPLETE error per fact that lacks keys in the snapshot (version 1 or hand-edited).

    A key the snapshot does not carry is not collected, never its dataclass default: a default
    ``False`` for ``has_filestream`` or ``0`` for ``inmemory_files`` would pass the checks.
    """
    by_fact: dict[str, list[str]] = {}
    for path in absent:
        if not path.startswith("$.facts."):
            continue
        key = path.removeprefix("$.facts.")
        fact = _fact_of(key)
        if fact is not None:
            by_fact.setdefault(fact, []).append(key)
    errors = []
    for fact, keys in by_fact.items():
        more = f" and {len(keys) - 3} more" if len(keys) > 3 else ""
        reason = (f"the snapshot has no {', '.join(keys[:3])}{more} (an older linkready or a hand edit): "
                  "collect again")
        errors.append(ProbeError("snapshot", fact, ErrorKind.INCOMPLETE, reason))
    return tuple(errors)


def _group_port_lists(data: dict[str, Any]) -> None:
    """Versions 1 and 2 stored one object per port (``ports``); group them into runs (``runs``)."""
    facts = data.get("facts")
    network = facts.get("network") if isinstance(facts, dict) else None
    if not isinstance(network, dict):
        return
    for name in _SCANS:
        scan = network.get(name)
        if isinstance(scan, dict) and "ports" in scan and "runs" not in scan:
            results = from_data(tuple[PortResult, ...], scan.pop("ports"), f"$.facts.network.{name}.ports")
            scan["runs"] = to_data(port_runs(results))


def load(path: Path) -> Snapshot:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{path}: cannot be read: {exc}") from None
    return loads(text, str(path))
