"""network-test: prints the documented managed instance -> SQL Server test, never runs it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from linkready.domain.network_tsql import tsql_for
from tests.conftest import ROOT, run_cli

DEMO = ROOT / "linkready" / "data" / "demo_snapshot.json"


def test_prints_tsql_from_the_snapshot_plan() -> None:
    result = run_cli("network-test", "--print-tsql", "--snapshot", str(DEMO))
    assert result.returncode == 0, result.stderr
    assert "tnc 10.20.1.10 -port 5022 -InformationLevel Quiet" in result.stdout
    assert "did NOT run this" in result.stdout
    assert "EXEC msdb.dbo.sp_delete_job @job_name = @job" in result.stdout  # the job is removed afterwards


def test_partner_endpoint_flag_and_named_instance_port() -> None:
    result = run_cli("network-test", "--print-tsql", "--partner-endpoint", "TCP://sql02.contoso.local:5023")
    assert result.returncode == 0 and "tnc sql02.contoso.local -port 5023" in result.stdout
    assert "LISTENER_PORT = 5023" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["network-test"],  # the active test is never run
        ["network-test", "--from-mi"],
        ["network-test", "--print-tsql"],  # nothing to test
        ["network-test", "--print-tsql", "--partner-endpoint", "sql02:5022"],
        ["network-test", "--print-tsql", "--partner-endpoint", "TCP://a';DROP:5022"],
    ],
)
def test_usage_errors(args: list[str]) -> None:
    result = run_cli(*args)
    assert result.returncode == 2 and result.stderr.startswith("linkready: error: ") and result.stdout == ""


def test_the_mi_part_parses_as_tsql() -> None:
    text = tsql_for("10.1.0.4", 5022)
    mi_part = text.split("-- Part 2")[1].split("-- Part 3")[0].split("\n", 1)[1]  # drop the heading line
    body = "\n".join(re.sub(r"--.*$", "", line) for line in mi_part.splitlines())
    statements = [s for s in re.split(r";\s*$", body, flags=re.MULTILINE) if s.strip()]
    kinds = []
    for statement in statements:
        try:
            kinds.append(type(sqlglot.parse_one(statement, read="tsql")).__name__)
        except sqlglot.errors.ParseError:
            # sqlglot has no WAITFOR / WHILE-loop grammar: those are checked by shape.
            first = statement.split()[0].upper()
            assert first in {"WAITFOR", "WHILE", "SET", "END", "IF"}, statement
            assert statement.count("(") == statement.count(")")
            kinds.append(first)
    assert "Select" in kinds and kinds.count("Execute") >= 4 and "Declare" in kinds
    assert statements[0].strip() == "USE master"


def test_the_job_is_deleted_only_after_it_logged_a_result() -> None:
    """The wait ends on the step's log (not on "not running", which is true before the job started)."""
    mi_part = tsql_for("10.1.0.4", 5022).split("-- Part 2")[1].split("-- Part 3")[0]
    assert "sysjobactivity" not in mi_part
    _, after = mi_part.split("WHILE @waited < 120 AND NOT EXISTS (", 1)
    assert "sysjobstepslogs" in after.split("BEGIN")[0]
    guarded = after.split("IF EXISTS (", 1)[1]
    assert "sysjobstepslogs" in guarded.split("EXEC msdb.dbo.sp_delete_job")[0]
    assert "sp_delete_job @job_name = @job;" not in guarded.split("ELSE")[0]


def test_nothing_is_executed_by_linkready(tmp_path: Path) -> None:
    source = (ROOT / "linkready" / "commands" / "network_test.py").read_text()
    assert "pyodbc" not in source and "subprocess" not in source and "socket" not in source
    assert isinstance(sqlglot.parse_one("SELECT 1", read="tsql"), exp.Select)
