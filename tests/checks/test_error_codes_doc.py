"""docs/service-error-codes.md is what scripts/gen_error_codes.py generates from the catalogue."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from linkready.checks.service import SERVICE_CODES, checks_preventing

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
    missing = [code for code in SERVICE_CODES if not checks_preventing(code)]
    assert all(f"`{code}`" in uncovered for code in missing)
    assert missing or "None." in uncovered
    assert "`ManagedInstanceLinkSourceDbHasDefunctFiles`" not in uncovered
    assert "`CannotUseReservedDatabaseName`" not in uncovered
    assert "| 41973 | EP-003, CERT-001, CERT-003 |" in text
