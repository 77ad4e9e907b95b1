"""Run-to-run comparison: what was fixed, what regressed, what is new since a baseline.

Pure: both sides arrive as parsed JSON (a linkready JSON report or a facts snapshot) or as a
:class:`~linkready.report.Report`; nothing here reads files or prints. Findings are matched by
their key (``check_id:target``), the same identity waivers use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from linkready.model import Finding, Status

if TYPE_CHECKING:
    from linkready.policy import Profile
    from linkready.report import Report

#: How bad a status is for the link. ERROR ranks with FAIL: "unknown" is never an improvement on "failed".
RANK: dict[Status, int] = {
    Status.PASS: 0, Status.SKIP: 0, Status.WAIVED: 1, Status.WARN: 2, Status.ERROR: 3, Status.FAIL: 3,
}
#: A new finding at or above this rank counts as a regression (a new WARN, ERROR or FAIL).
REGRESSION_RANK = 2
REPORT_SCHEMA = "linkready-report/1"


class DiffError(ValueError):
    """An input is neither a linkready JSON report nor a snapshot, or is malformed. One line."""


@dataclass(frozen=True)
class Entry:
    """One finding as a diff sees it."""

    key: str
    check_id: str
    target: str
    title: str
    status: Status
    message: str
    area: str = ""


@dataclass(frozen=True)
class Side:
    """One run: where it came from, when, and its findings by key."""

    label: str
    when: datetime | None
    digest: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Change:
    key: str
    check_id: str
    target: str
    title: str
    old: Status | None
    new: Status | None
    message: str

    @property
    def transition(self) -> str:
        old = self.old.value if self.old else "—"
        new = self.new.value if self.new else "—"
        return old if old == new else f"{old} → {new}"


@dataclass(frozen=True)
class Diff:
    old: Side
    new: Side
    fixed: tuple[Change, ...]
    regressed: tuple[Change, ...]
    added: tuple[Change, ...]
    removed: tuple[Change, ...]
    unchanged: tuple[Change, ...]

    @property
    def regressions(self) -> tuple[Change, ...]:
        """What makes ``linkready diff`` exit 1: worse statuses, and new WARN/ERROR/FAIL findings."""
        return self.regressed + tuple(c for c in self.added if c.new and RANK[c.new] >= REGRESSION_RANK)

    @property
    def exit_code(self) -> int:
        return 1 if self.regressions else 0

    @property
    def since(self) -> str:
        """``2026-11-20 10:00 UTC`` (or the old side's label when it carries no date)."""
        return _when(self.old.when) if self.old.when else self.old.label


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


# --- reading the two sides --------------------------------------------------------------------


def _unique(entries: Iterable[Entry]) -> tuple[Entry, ...]:
    """Keys are unique per run; a repeated key (same check, same target) gets ``#2``, ``#3``…"""
    seen: dict[str, int] = {}
    out = []
    for entry in entries:
        count = seen.get(entry.key, 0) + 1
        seen[entry.key] = count
        if count > 1:
            entry = Entry(f"{entry.key}#{count}", entry.check_id, entry.target, entry.title, entry.status,
                          entry.message, entry.area)
        out.append(entry)
    return tuple(out)


def entries_from_findings(findings: Iterable[Finding]) -> tuple[Entry, ...]:
    return _unique(
        Entry(f.key, f.check_id, f.target, f.title, f.status, f.message, f.area.value) for f in findings
    )


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def side_from_report(report: Report) -> Side:
    return Side(
        label=f"report of {_when(report.generated_at)}",
        when=report.generated_at,
        digest=report.digest,
        entries=entries_from_findings(report.findings),
    )


def _side_from_report_data(data: Mapping[str, Any], origin: str) -> Side:
    findings = data.get("findings")
    if not isinstance(findings, list):
        raise DiffError(f"{origin}: a linkready report without a 'findings' list")
    entries = []
    for index, item in enumerate(findings):
        if not isinstance(item, dict):
            raise DiffError(f"{origin}: findings[{index}] is not an object")
        try:
            check_id, target = str(item["check_id"]), str(item.get("target", ""))
            status = Status(item["status"])
        except KeyError as exc:
            raise DiffError(f"{origin}: findings[{index}] has no {exc.args[0]!r}") from None
        except ValueError:
            raise DiffError(f"{origin}: findings[{index}] has an unknown status {item.get('status')!r}") from None
        entries.append(Entry(
            f"{check_id}:{target}" if target else check_id, check_id, target, str(item.get("title", "")),
            status, str(item.get("message", "")), str(item.get("area", "")),
        ))
    when = _parse_time(data.get("generated_at"))
    snapshot = data.get("snapshot")
    digest = str(snapshot.get("digest", "")) if isinstance(snapshot, dict) else ""
    label = f"report of {_when(when)}" if when else f"report {origin}"
    return Side(label, when, digest, _unique(entries))


def _side_from_snapshot_data(data: Mapping[str, Any], origin: str, profile: Profile | None) -> Side:
    # Evaluating a snapshot is computation, not I/O: the same checks `evaluate` runs.
    from linkready.checks import load_profile
    from linkready.engine import evaluate
    from linkready.snapshot import SnapshotError, canonical_json, loads

    try:
        snapshot = loads(canonical_json(data), origin)
    except SnapshotError as exc:
        raise DiffError(str(exc)) from None
    chosen = profile or load_profile("preflight")
    findings = evaluate(snapshot.facts, chosen, today=snapshot.collected_at.date())
    return Side(
        label=f"snapshot of {_when(snapshot.collected_at)}",
        when=snapshot.collected_at,
        digest=snapshot.digest,
        entries=entries_from_findings(findings),
    )


def side_from_data(data: Any, origin: str, *, profile: Profile | None = None) -> Side:
    """A parsed JSON document → one side. Reports are read as written; snapshots are evaluated."""
    if not isinstance(data, dict):
        raise DiffError(f"{origin}: not a linkready JSON report or snapshot (top level is not an object)")
    if data.get("schema") == REPORT_SCHEMA:
        return _side_from_report_data(data, origin)
    if "schema" in data:
        raise DiffError(f"{origin}: report schema {data['schema']!r} is not {REPORT_SCHEMA!r}")
    if "schema_version" in data:
        return _side_from_snapshot_data(data, origin, profile)
    raise DiffError(f"{origin}: not a linkready JSON report or snapshot (no 'schema' or 'schema_version')")


# --- comparing ---------------------------------------------------------------------------------


def compare(old: Side, new: Side) -> Diff:
    """Classify every key: fixed (better), regressed (worse), added, removed, unchanged (same rank)."""
    before = {e.key: e for e in old.entries}
    after = {e.key: e for e in new.entries}
    fixed: list[Change] = []
    regressed: list[Change] = []
    added: list[Change] = []
    removed: list[Change] = []
    unchanged: list[Change] = []
    for key, entry in after.items():
        previous = before.get(key)
        if previous is None:
            added.append(Change(key, entry.check_id, entry.target, entry.title, None, entry.status, entry.message))
            continue
        change = Change(key, entry.check_id, entry.target, entry.title or previous.title, previous.status,
                        entry.status, entry.message)
        delta = RANK[entry.status] - RANK[previous.status]
        (regressed if delta > 0 else fixed if delta < 0 else unchanged).append(change)
    for key, entry in before.items():
        if key not in after:
            removed.append(Change(key, entry.check_id, entry.target, entry.title, entry.status, None, entry.message))

    def worst_first(changes: list[Change]) -> tuple[Change, ...]:
        return tuple(sorted(changes, key=lambda c: (-RANK[c.new or c.old or Status.PASS], c.key)))

    return Diff(old, new, worst_first(fixed), worst_first(regressed), worst_first(added), worst_first(removed),
                tuple(sorted(unchanged, key=lambda c: c.key)))
