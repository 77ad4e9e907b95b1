"""What an estate run returns: per-target outcomes and the estate report (plain values).

Apart from the runner so that the estate renderers (linkready.reports.estate) can name these types
without importing the runner, which writes per-target files through the report formats.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from linkready.model import Finding, Severity, Status, Verdict
from linkready.report import Branding


@dataclass(frozen=True)
class TargetOutcome:
    """One target's result, small enough to send between processes (no facts, no PASS findings)."""

    name: str
    slug: str
    source: str
    mode: str
    verdict: Verdict
    profile: str = ""
    #: Why the target could not be evaluated at all (bad target file, missing snapshot…).
    reason: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    #: Findings that need attention (FAIL, ERROR, WARN, WAIVED), worst first.
    findings: tuple[Finding, ...] = ()
    target_summary: dict[str, str] = field(default_factory=dict)
    digest: str = ""
    seconds: float = 0.0
    #: Per-target report files, relative to the estate output folder.
    files: tuple[str, ...] = ()

    @property
    def failures(self) -> list[Finding]:
        """Every FAIL, root causes and their consequences alike (the JUnit failure text lists them all)."""
        return [f for f in self.findings if f.status is Status.FAIL]

    @property
    def blockers(self) -> list[Finding]:
        """The root-cause FAILs. One fault, one blocker: a FAIL marked blocked-by another check is
        that check's consequence (the engine's ``mark_root_causes``) and fixes itself with it."""
        return [f for f in self.findings if f.status is Status.FAIL and not f.blocked_by]

    @property
    def first_blocker(self) -> Finding | None:
        """What the estate names first for this target: its first root-cause FAIL; with none, the
        first finding that needs attention and is no other finding's consequence."""
        roots = self.blockers
        if roots:
            return roots[0]
        return next((f for f in self.findings if not f.blocked_by), self.findings[0] if self.findings else None)


@dataclass(frozen=True)
class Blocker:
    """A check that fails on several targets: fix it once, unblock many."""

    check_id: str
    title: str
    severity: Severity
    targets: tuple[str, ...]


@dataclass(frozen=True)
class EstateReport:
    name: str
    outcomes: tuple[TargetOutcome, ...]
    generated_at: datetime
    tool_version: str
    seconds: float
    executor: str
    branding: Branding = field(default_factory=Branding)

    @property
    def tally(self) -> dict[Verdict, int]:
        counted = Counter(o.verdict for o in self.outcomes)
        return {verdict: counted.get(verdict, 0) for verdict in Verdict}

    @property
    def verdict(self) -> Verdict:
        tally = self.tally
        if tally[Verdict.NOT_READY]:
            return Verdict.NOT_READY
        if tally[Verdict.UNKNOWN]:
            return Verdict.UNKNOWN
        return Verdict.READY

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code

    def top_blockers(self, limit: int = 10) -> list[Blocker]:
        """Root-cause FAIL checks ranked by how many targets they block, then by severity. A FAIL
        blocked by another check counts for that root cause only (it is not a blocker of its own)."""
        hits: dict[str, list[str]] = {}
        meta: dict[str, Finding] = {}
        for outcome in self.outcomes:
            for finding in outcome.blockers:
                names = hits.setdefault(finding.check_id, [])
                if outcome.name not in names:
                    names.append(outcome.name)
                meta.setdefault(finding.check_id, finding)
        ranked = sorted(hits, key=lambda cid: (-len(hits[cid]), meta[cid].severity.rank, cid))
        return [
            Blocker(cid, meta[cid].title, meta[cid].severity, tuple(hits[cid])) for cid in ranked[:limit]
        ]
