"""The report: findings plus everything a reader needs to trust them (verdict, target, digest)."""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from linkready.domain.resource_ids import name_of
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


#: A logo is a masthead image, not a photo: larger files are a mistake (and bloat every report).
LOGO_MAX_BYTES = 512 * 1024


def logo_kind(data: bytes) -> str | None:
    """The image type by content (magic bytes), not by file name: PNG, JPEG or SVG; None otherwise."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    head = data[:2048].lstrip(b"\xef\xbb\xbf").lstrip().lower()
    if (head.startswith(b"<svg") or head.startswith(b"<?xml") or head.startswith(b"<!doctype svg")) and b"<svg" in head:
        return "image/svg+xml"
    return None


def logo_data_uri(path: Path) -> str:
    """The logo as a data: URI; ValueError (one line) when it is not a PNG/JPEG/SVG or too large."""
    data = path.read_bytes()
    if len(data) > LOGO_MAX_BYTES:
        raise ValueError(f"logo {path}: {len(data):,} bytes; at most {LOGO_MAX_BYTES:,} (use a smaller image)")
    kind = logo_kind(data)
    if kind is None:
        raise ValueError(f"logo {path}: not a PNG, JPEG or SVG image (checked by content, not by name)")
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


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
        mi = name_of(plan.mi_resource_id) if plan.mi_resource_id else ""
        return {
            "SQL Server": plan.source_server or "(not configured)",
            "Managed instance": plan.mi_fqdn or mi or "(not configured)",
            "Planned databases": ", ".join(plan.databases) or "(none)",
            "Links": ", ".join(link.name for link in plan.links) or "(none)",
        }
