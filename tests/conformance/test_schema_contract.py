"""Microsoft's documented schema judges every SELECT linkready sends or prints (issue 14 §2)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conformance.queries import PRINTED_MAJOR, printed, sent
from tests.conformance.schema import check, contract
from tests.conftest import ROOT


def test_every_statement_the_probe_sends_names_only_documented_objects_and_columns() -> None:
    statements = sent()
    assert len(statements) >= 90  # every statement on every major it is sent to
    wrong = [f"{where}: Msg {r.number} {r.message}\n  {text}" for where, major, text in statements
             if (r := check(text, major)) is not None]
    assert not wrong, "\n".join(wrong)


def test_every_select_linkready_prints_names_only_documented_objects_and_columns() -> None:
    statements = printed()
    assert len(statements) >= 15
    texts = {text for _, text in statements}
    assert any(where.startswith("runbook") for where, _ in statements)
    assert any("msdb.dbo.sysjobstepslogs" in text for text in texts)  # network-test (also NET-004's fix)
    wrong = [f"{where}: Msg {r.number} {r.message}\n  {text}" for where, text in statements
             if (r := check(text, PRINTED_MAJOR)) is not None]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("sql", "major", "number", "name"), [
    # What the runbook printed before issue 14: these two live in sys.dm_hadr_automatic_seeding.
    ("SELECT s.current_state, s.failure_state_desc FROM master.sys.dm_hadr_physical_seeding_stats AS s", 16, 207,
     "current_state"),
    ("SELECT e.nme FROM sys.database_mirroring_endpoints AS e", 16, 207, "nme"),  # a wrong column
    ("SELECT name FROM sys.database_mirroring_endpoint", 16, 208, "sys.database_mirroring_endpoint"),
    ("SELECT c.key_length FROM master.sys.certificates AS c", 16, 207, "key_length"),  # not documented
    # Version-bound: ADR is 2019+, dm_os_host_info 2017+.
    ("SELECT d.is_accelerated_database_recovery_on FROM sys.databases AS d", 14, 207,
     "is_accelerated_database_recovery_on"),
    ("SELECT host_platform FROM sys.dm_os_host_info", 13, 208, "sys.dm_os_host_info"),
    ("SELECT CAST(SERVERPROPERTYX('Edition') AS nvarchar(128)) AS e", 16, 195, "SERVERPROPERTYX"),
    ("SELECT m.database_name FROM (SELECT b.database_name AS db FROM msdb.dbo.backupset AS b) AS m", 16, 207,
     "database_name"),
])
def test_the_judge_rejects_what_sql_server_rejects(sql: str, major: int, number: int, name: str) -> None:
    rejection = check(sql, major)
    assert rejection is not None and rejection.number == number and f"'{name}'" in rejection.message


def test_the_same_columns_pass_where_the_version_has_them() -> None:
    assert check("SELECT d.is_accelerated_database_recovery_on FROM sys.databases AS d", 15) is None
    assert check("SELECT host_platform FROM sys.dm_os_host_info", 14) is None


def test_every_contract_entry_names_its_reference_page_and_commit() -> None:
    data = contract()
    for name, entry in {**data["objects"], **data["functions"]}.items():  # type: ignore[dict-item]
        assert entry["source"].startswith("docs/") and len(entry["commit"]) == 40, name  # type: ignore[index]


def test_the_contract_is_current_for_the_statements_linkready_has() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_schema_contract.py"), "--check"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
