"""A Windows console is often cp1252: the console summary must survive it, report files stay UTF-8."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

NAME = "Mitglieder_Ärzte→東京"  # Ä exists in cp1252, → and 東京 do not


def cp1252(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "PYTHONIOENCODING": "cp1252"}
    env.pop("PYTHONUTF8", None)
    return subprocess.run([sys.executable, "-m", "linkready", *args], capture_output=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_demo_on_a_cp1252_console() -> None:
    proc = cp1252("demo", "--no-color")
    assert b"Traceback" not in proc.stderr, proc.stderr.decode("cp1252", "replace")
    assert proc.returncode == 1
    text = proc.stdout.decode("cp1252")  # strict: everything written is valid cp1252
    assert "linkready: Not ready" in text and "SQL-006" in text


def test_report_with_non_ascii_values_on_a_cp1252_console(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot.json"
    saved = cp1252("demo", "-q", "--save-snapshot", str(snapshot))
    assert snapshot.is_file(), saved.stderr
    snapshot.write_text(snapshot.read_text("utf-8").replace("Membership", NAME), "utf-8")
    out = tmp_path / "out"
    proc = cp1252("evaluate", str(snapshot), "--no-color", "--output", str(out), "--format", "console,md,json",
                  "--customer", "Müller & Søn — 東京")
    assert b"Traceback" not in proc.stderr, proc.stderr.decode("cp1252", "replace")
    assert proc.returncode == 1
    text = proc.stdout.decode("cp1252")
    # What cp1252 can show is shown; what it cannot becomes "?", never a crash.
    assert "Planned databases: Mitglieder_Ärzte???, Ticketing" in text
    # Files are UTF-8 whatever the console: the name is intact there.
    assert NAME in (out / "linkready-report.md").read_text("utf-8")
    assert NAME in (out / "linkready-report.json").read_text("utf-8")
