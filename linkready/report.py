"""The report: findings plus everything a reader needs to trust them (verdict, target, digest)."""

from __future__ import annotations

import base64
import re
import string
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from linkready.domain.resource_ids import name_of
from linkready.model import Area, Finding, Status, Verdict
from linkready.snapshot import Snapshot

STATUS_ORDER = (Status.FAIL, Status.ERROR, Status.WARN, Status.WAIVED, Status.SKIP, Status.PASS)


class FormatUnavailable(RuntimeError):
    """A report format cannot be produced here: its engine is missing or failed (PDF: no browser,
    xlsx: no openpyxl). One line naming what to install; the command line makes it a usage error."""


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


#: Fields ``--name-template`` may use, each read from the report (no clock of its own: the date is
#: the report's own generation date, so the file name and the report agree).
NAME_FIELDS = ("customer", "server", "instance", "date", "time", "verdict", "profile")
DEFAULT_NAME = "linkready-report"
#: File systems take 255 bytes per name; leave room for the extension.
MAX_NAME = 200
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class NameTemplateError(ValueError):
    """A ``--name-template`` with an unknown field or no usable characters."""


def check_name_template(template: str) -> str:
    """``template`` if every ``{field}`` is one of :data:`NAME_FIELDS`, else NameTemplateError."""
    try:
        parsed = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise NameTemplateError(f"--name-template {template!r}: {exc}") from None
    fields = [name for name, _, _ in parsed]
    if any(spec or conv for _, spec, conv in parsed):
        # "{customer:>99999}" would make a name no file system takes; fields are plain words.
        raise NameTemplateError("--name-template: fields take no format spec or conversion (write {date}, not {date:...})")
    unknown = sorted({f for f in fields if f not in NAME_FIELDS})
    if unknown:
        raise NameTemplateError(f"--name-template: unknown field {{{unknown[0]}}} (use {', '.join(NAME_FIELDS)})")
    return template


def name_from(template: str, values: dict[str, str], default: str = DEFAULT_NAME) -> str:
    """``template`` filled from ``values`` (one per :data:`NAME_FIELDS`) as a safe file name stem.

    Values are reduced to letters, digits, '.', '_' and '-' so that a customer name or an instance
    name (``HOST\\INST``) can never make a path; an empty value reads ``unknown``.
    """
    safe = {key: _UNSAFE.sub("-", value).strip("-.") or "unknown" for key, value in values.items()}
    stem = _UNSAFE.sub("-", check_name_template(template).format_map(safe)).strip("-.")[:MAX_NAME]
    return stem or default


def moment_fields(at: datetime, verdict: Verdict) -> dict[str, str]:
    """The ``{date}``, ``{time}`` and ``{verdict}`` fields of a report generated ``at``."""
    return {"date": at.strftime("%Y-%m-%d"), "time": at.strftime("%H%M%S"),
            "verdict": verdict.name.lower().replace("_", "-")}


def output_name(report: Report, template: str = DEFAULT_NAME) -> str:
    """The file name stem for ``report`` (``{customer}-{server}-{date}`` → ``contoso-sql01-2026-12-02``)."""
    plan = report.snapshot.facts.plan
    return name_from(template, {
        "customer": report.branding.customer,
        "server": plan.source_server,
        "instance": name_of(plan.mi_resource_id) if plan.mi_resource_id else plan.mi_fqdn.split(".")[0],
        "profile": report.profile,
        **moment_fields(report.generated_at, report.verdict),
    })
