"""The report: findings plus everything a reader needs to trust them (verdict, target, digest)."""

from __future__ import annotations

import base64
import mimetypes
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from linkready.model import Area, Finding, Status, Verdict
from linkready.snapshot import Snapshot

STATUS_ORDER = (Status.FAIL, Status.ERROR, Status.WARN, Status.WAIVED, Status.SKIP, Status.PASS)


@dataclass(frozen=True)
class Branding:
    customer: str = ""
    prepared_by: str = ""
    #: A data: URI, so the HTML report stays one self-contained file.
    logo_data_uri: str = ""
    summary: str = ""


def logo_data_uri(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0]
    if kind not in ("image/png", "image/svg+xml", "image/jpeg"):
        raise ValueError(f"logo {path}: must be a PNG, JPEG or SVG file")
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    verdict: Verdict
    profile: str
    snapshot: Snapshot
    generated_at: datetime
    tool_version: str
    branding: Branding = field(default_factory=Branding)
    #: How many checks the profile selected, and how many of them judged something (not SKIP).
    checks_selected: int = 0
    checks_ran: int = 0

    @property
    def digest(self) -> str:
        return self.snapshot.digest

    @property
    def counts(self) -> dict[Status, int]:
        counted = Counter(f.status for f in self.findings)
        return {status: counted.get(status, 0) for status in STATUS_ORDER}

    @property
    def selection_line(self) -> str:
        return f"{self.checks_selected} checks selected, {self.checks_ran} ran"

    def by_area(self) -> list[tuple[Area, list[Finding]]]:
        """Areas in reading order, findings in each sorted worst first."""
        rank = {s: i for i, s in enumerate(STATUS_ORDER)}
        groups: dict[Area, list[Finding]] = {}
        for finding in self.findings:
            groups.setdefault(finding.area, []).append(finding)
        return [
            (area, sorted(groups[area], key=lambda f: (rank[f.status], f.severity.rank, f.check_id, f.target)))
            for area in Area
            if area in groups
        ]

    def blockers(self) -> list[Finding]:
        """FAIL findings, most severe first: the top of the reader's to-do list (root causes only)."""
        return sorted(
            (f for f in self.findings if f.status is Status.FAIL and not f.blocked_by),
            key=lambda f: (f.severity.rank, f.check_id, f.target),
        )

    @property
    def target_summary(self) -> dict[str, str]:
        plan = self.snapshot.facts.plan
        mi = plan.mi_resource_id.rsplit("/", 1)[-1] if plan.mi_resource_id else ""
        return {
            "SQL Server": plan.source_server or "(not configured)",
            "Managed instance": plan.mi_fqdn or mi or "(not configured)",
            "Planned databases": ", ".join(plan.databases) or "(none)",
            "Links": ", ".join(link.name for link in plan.links) or "(none)",
        }
