"""docs/service-error-codes.md is what scripts/gen_error_codes.py generates from the catalogue."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from linkready.checks.service import SERVICE_CODES, checks_preventing

from linkready.domain.service_codes import CHECKED_FOR_ISSUE_15, PREVIEW, STABLE, link_specific

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_error_codes.py"


def _check(output: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--check", "--output", str(output)],
                          capture_output=True, text=True, cwd=ROOT)


def test_committed_table_is_up_to_date() -> None:
    result = _check(ROOT / "docs" / "service-error-codes.md")
    assert result.returncode == 0, result.stderr


def test_a_hand_edit_is_detected(tmp_path: Path) -> None:
    edited = tmp_path / "codes.md"
    text = (ROOT / "docs" / "service-error-codes.md").read_text(encoding="utf-8")
    edited.write_text(text.replace("SVC-001", "MI-001", 1), encoding="utf-8")
    result = _check(edited)
    assert result.returncode == 1 and "out of date" in result.stderr


def test_table_names_uncovered_codes_and_numbers() -> None:
    text = (ROOT / "docs" / "service-error-codes.md").read_text(encoding="utf-8")
    uncovered = text.split("## Codes no check covers yet", 1)[1].split("##", 1)[0]
    missing = [code for code, c in SERVICE_CODES.items() if not checks_preventing(code) and not c.unpreventable]
    assert all(f"`{code}`" in uncovered for code in missing)
    assert missing or "None." in uncovered
    # A code no check can ever prevent is not a gap: it says why instead.
    assert "`ManagedInstanceLinkIsNotFound`" not in uncovered
    assert "`ManagedInstanceLinkSourceDbHasDefunctFiles`" not in uncovered
    assert "`CannotUseReservedDatabaseName`" not in uncovered
    assert "| 41973 | EP-003, CERT-001, CERT-003 |" in text


def test_every_link_specific_code_of_both_versions_has_its_checks_or_a_reason() -> None:
    text = (ROOT / "docs" / "service-error-codes.md").read_text(encoding="utf-8")
    section = text.split("## Every link-specific code of both spec versions", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("`")[1]: line for line in section.splitlines() if line.startswith("| `")}
    assert set(rows) == {c.name for c in link_specific()}
    assert len(rows) >= 37  # 23 of CreateOrUpdate, 13 of Failover/SetRole, OperationCanNotStartDueToMiLink
    for name, row in rows.items():
        last = row.rstrip(" |").rsplit(" | ", 1)[1]
        ids = checks_preventing(name)
        if ids:
            assert last == ", ".join(ids), name
        else:
            assert last.startswith(("none can: ", "**no check yet**: ")), name
    assert "| `ManagedInstanceLinkSourceDbHasDefunctFiles` | 400 |" in section
    assert "| `DistributedAvailabilityGroupFailoverRedoQueueSizeTooBig` | 409 | Failover, SetRole | both |" in section


def test_issue_15_codes_are_recorded_where_the_specs_list_them() -> None:
    text = (ROOT / "docs" / "service-error-codes.md").read_text(encoding="utf-8")
    assert "unverified)" not in text and "verify)" not in text
    section = text.split("## Issue 15's unverified codes", 1)[1].split("\n## ", 1)[0]
    for name in CHECKED_FOR_ISSUE_15:
        line = next(line for line in section.splitlines() if f"`{name}`" in line)
        assert f"{STABLE}/DistributedAvailabilityGroups.json" in line and f"{PREVIEW}/" in line, name
