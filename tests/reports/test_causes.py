"""Root causes lead the console, Markdown and HTML; the ERRORs they explain fold into one row each.

The end-to-end case is the issue's "nothing is reachable": a real ``linkready check`` whose SQL
Server port is closed and whose Azure credential has nothing to sign in with, read at 80 columns.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

from linkready.checks import load_profile
from linkready.reports.causes import folded_rows, root_causes

from linkready.engine import make_report
from linkready.facts import ProbeError
from linkready.model import Status
from tests.builders.reports import finding, sample_snapshot
from tests.builders.reports import make_report as report_of
from tests.conftest import run_cli
from tests.probes.test_sql_end_to_end import write_config
from tests.standins.tds.scenarios import SCENARIOS

MI = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Sql/managedInstances/mi"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _unreachable_target(tmp_path: Path) -> Path:
    """The SQL end-to-end target file on a closed port, plus a managed instance Azure cannot sign in to."""
    path = tmp_path / "target.toml"
    write_config(path, _closed_port(), SCENARIOS["healthy_2019_cu22_enterprise"])
    with path.open("a", encoding="utf-8") as out:
        out.write(f'\n[managed_instance]\nresource_id = "{MI}"\n\n[azure]\ncredential = "environment"\n')
    return path


def _azure_env() -> dict[str, str]:
    # EnvironmentCredential with none of its variables: "no token" at once, wherever the test runs.
    return {"LINKREADY_SQL_PASSWORD": "x", "AZURE_CLIENT_ID": "", "AZURE_TENANT_ID": "", "AZURE_CLIENT_SECRET": "",
            "AZURE_USERNAME": "", "AZURE_CLIENT_CERTIFICATE_PATH": "", "COLUMNS": "80"}


def test_nothing_reachable_leads_with_one_line_per_system_at_80_columns(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("check", "-c", str(_unreachable_target(tmp_path)), "--format", "console,json,md,html",
                     "-o", str(out), "--probe-timeout", "20", env=_azure_env(), cwd=tmp_path)
    assert result.returncode in (1, 3), result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    start = lines.index("Could not reach or read:")
    table = next(i for i, line in enumerate(lines) if line.startswith("┏"))
    block = " ".join(" ".join(lines[start + 1:table]).split())
    assert start < table
    assert re.search(r"SQL Server 127\.0\.0\.1,\d+: cannot connect .* check the server name/port .* \(\d+ checks "
                     r"blocked\)", block), block
    assert re.search(r"Azure \(managed instance\): no Azure sign-in .* run az login.* \(\d+ checks blocked\)",
                     block), block
    # One ERROR row per cause, not one per check: the whole console fits a screenful or two.
    error_rows = [line for line in lines[table:] if line.startswith("│ ERROR")]
    causes = block.count("checks blocked") + block.count("check blocked")
    assert 0 < len(error_rows) <= causes
    assert len(lines) < 90, len(lines)
    # At 80 columns the Target column goes before Finding drops under 30 characters.
    header = next(line for line in lines if line.startswith("┃"))
    cells = [c.strip() for c in header.strip("┃").split("┃")]
    assert "Target" not in cells
    finding_cell = header.split("┃")[cells.index("Finding") + 1]
    assert len(finding_cell) >= 30
    markdown = (out / "linkready-report.md").read_text(encoding="utf-8")
    assert "**Could not reach or read:**" in markdown and "run az login" in markdown
    assert markdown.count("| ❓ ERROR |") <= causes
    html = (out / "linkready-report.html").read_text(encoding="utf-8")
    assert 'class="causes"' in html and "cannot connect" in html
    # The machine formats keep every finding.
    import json

    data = json.loads((out / "linkready-report.json").read_text(encoding="utf-8"))
    assert sum(f["status"] == "ERROR" for f in data["findings"]) > len(error_rows)


def test_wide_console_keeps_the_target_column(tmp_path: Path) -> None:
    from tests.conftest import ROOT

    demo = ROOT / "linkready" / "data" / "demo_snapshot.json"
    wide = run_cli("evaluate", str(demo), "--format", "console", "-o", str(tmp_path), env={"COLUMNS": "160"})
    narrow = run_cli("evaluate", str(demo), "--format", "console", "-o", str(tmp_path), env={"COLUMNS": "80"})
    assert "Target" in next(line for line in wide.stdout.splitlines() if line.startswith("┃"))
    assert "Target" not in next(line for line in narrow.stdout.splitlines() if line.startswith("┃"))
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 80
    # The target is not lost: it leads the finding's text.
    assert "Ticketing: Ticketing has 2 log files" in narrow.stdout


def _report(errors: tuple[ProbeError, ...], statuses: dict[str, Status]) -> object:
    findings = [finding(check_id, status, f"{check_id} says") for check_id, status in statuses.items()]
    return report_of(findings, snapshot=sample_snapshot(errors))


def test_errors_fold_per_cause_and_the_rest_stay_rows() -> None:
    errors = (ProbeError("sql", "sql", "unreachable", "[08001] Unable to connect: Adaptive Server is unavailable"),)
    report = _report(errors, {"SQL-001": Status.ERROR, "SQL-004": Status.ERROR, "EP-001": Status.ERROR,
                              "PLAN-001": Status.FAIL, "NSG-001": Status.ERROR})
    causes = root_causes(report)  # type: ignore[arg-type]
    assert len(causes) == 1
    cause = causes[0]
    assert [f.check_id for f in cause.blocked] == ["SQL-001", "SQL-004", "EP-001"]
    assert cause.line.startswith("SQL Server sqlprod01.museum.local: cannot connect to sqlprod01.museum.local")
    assert cause.line.endswith("(3 checks blocked)")
    rows = folded_rows(report.findings, causes)  # type: ignore[attr-defined]
    # NSG-001 has no probe error behind it in this snapshot: it stays its own row, as does the FAIL.
    assert [(r.status, r.check) for r in rows] == [(Status.ERROR, "SQL-001 … EP-001"), (Status.FAIL, "PLAN-001"),
                                                    (Status.ERROR, "NSG-001")]


def test_a_missing_permission_is_named() -> None:
    errors = (ProbeError("sql", "sql.trace_flags", "permission",
                         "The user does not have permission to perform this action: VIEW SERVER STATE is required"),)
    report = _report(errors, {"SQL-006": Status.ERROR})
    (cause,) = root_causes(report)  # type: ignore[arg-type]
    assert "the login lacks VIEW SERVER STATE" in cause.line and "grant-script" in cause.line


def test_demo_has_no_root_cause_block(tmp_path: Path) -> None:
    """Every fact of the demo was read: no block, nothing folded, every attention finding its own row."""
    from linkready.snapshot import loads
    from tests.conftest import ROOT

    demo = ROOT / "linkready" / "data" / "demo_snapshot.json"
    report = make_report(loads(demo.read_text()), load_profile("preflight"), [])
    assert root_causes(report) == []
    assert len(folded_rows(report.findings, [])) == len(report.findings)
    shown = run_cli("evaluate", str(demo), "--format", "console", "-o", str(tmp_path))
    assert "Could not reach or read:" not in shown.stdout
