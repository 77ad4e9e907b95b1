"""The TDS stand-in, proven with the real pyodbc + FreeTDS driver."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime

import pyodbc
import pytest

from tests.standins.tds.conftest import LOGIN, PASSWORD, connection_string, serve
from tests.standins.tds.protocol import Column, ResultSet, SqlError, TdsServer, rejection_reason

TYPES = ResultSet(
    (Column("i", "int"), Column("b", "bigint"), Column("t", "tinyint"), Column("f", "bit"),
     Column("s", "nvarchar(128)"), Column("m", "nvarchar(max)"), Column("v", "varbinary(16)"),
     Column("vm", "varbinary(max)"), Column("d2", "datetime2"), Column("d", "datetime"),
     Column("g", "uniqueidentifier")),
    ((7, 2**40, 255, True, "Grüße", "x" * 5000, b"\x01\x02", b"\xab" * 9000,
      datetime(2024, 5, 6, 7, 8, 9, 123456), datetime(2020, 1, 2, 3, 4, 5), "6F9619FF-8B86-D011-B42D-00C04FC964FF"),
     (None,) * 11),
)


def answer(sql: str) -> ResultSet | SqlError:
    if "denied" in sql:
        return SqlError(300, "VIEW SERVER STATE permission was denied on object 'server', database 'master'.", 14)
    return TYPES


@pytest.fixture
def server(freetds: None):  # type: ignore[no-untyped-def]
    # Made-up tables (t, x): the wire protocol is under test here, not the schema.
    with TdsServer(answer, login=LOGIN, password=PASSWORD, hang_after=4, schema=False) as srv:
        yield srv


def connect(port: int, password: str = PASSWORD) -> pyodbc.Connection:
    return pyodbc.connect(connection_string(port, password), autocommit=True, timeout=5)


def test_wrong_password_gets_error_18456(server: TdsServer) -> None:
    with pytest.raises(pyodbc.Error) as info:
        connect(server.port, "wrong-password")
    assert "18456" in str(info.value) and f"Login failed for user '{LOGIN}'" in str(info.value)
    assert "wrong-password" not in str(info.value)


def test_every_type_round_trips_through_the_driver(server: TdsServer) -> None:
    with connect(server.port) as conn:
        rows = conn.cursor().execute("SELECT 1 AS x").fetchall()
    first = tuple(rows[0])
    assert first[:5] == (7, 2**40, 255, True, "Grüße")
    assert first[5] == "x" * 5000 and first[6] == b"\x01\x02" and first[7] == b"\xab" * 9000
    assert first[8] == datetime(2024, 5, 6, 7, 8, 9, 123456) and first[9] == datetime(2020, 1, 2, 3, 4, 5)
    assert str(first[10]).upper() == "6F9619FF-8B86-D011-B42D-00C04FC964FF"
    assert tuple(rows[1]) == (None,) * 11


def test_non_select_is_rejected_and_recorded(server: TdsServer) -> None:
    with connect(server.port) as conn:
        for statement in ("DELETE FROM t", "SELECT 1; DROP TABLE t", "SELECT * INTO t2 FROM t", "EXEC sp_who"):
            with pytest.raises(pyodbc.Error, match="only single SELECT"):
                conn.cursor().execute(statement)
    rejected = [r.sql for r in server.received if not r.accepted]
    assert {"DELETE FROM t", "SELECT 1; DROP TABLE t", "SELECT * INTO t2 FROM t", "EXEC sp_who"} <= set(rejected)


def test_sql_error_and_parameterised_rpc(server: TdsServer) -> None:
    with connect(server.port) as conn:
        with pytest.raises(pyodbc.Error, match=r"\(300\)"):
            conn.cursor().execute("SELECT denied FROM x").fetchall()
        rows = conn.cursor().execute("SELECT i FROM t WHERE n = ?", "Sales").fetchall()
    assert len(rows) == 2
    rpc = [r for r in server.received if r.kind == "rpc:sp_prepexec"]
    assert rpc and rpc[0].sql.endswith("@P1") and rpc[0].params == ("Sales",)


def test_hang_mode_times_out_and_attention_is_acknowledged(server: TdsServer) -> None:
    with connect(server.port) as conn:
        for _ in range(4):
            conn.cursor().execute("SELECT 1").fetchall()
        conn.timeout = 1
        started = time.monotonic()
        with pytest.raises(pyodbc.Error) as info:
            conn.cursor().execute("SELECT 5").fetchall()
        assert info.value.args[0] == "HYT00"
        assert time.monotonic() - started < 5
        # The attention was acknowledged (DONE 0x20): the connection still works for the next request.
        with pytest.raises(pyodbc.Error):
            conn.cursor().execute("SELECT 6").fetchall()


@pytest.mark.parametrize(("sql", "number"), [
    ("SELECT e.nme FROM sys.database_mirroring_endpoints AS e", 207),  # a wrong column
    ("SELECT s.current_state FROM sys.dm_hadr_physical_seeding_stats AS s", 207),  # the column is elsewhere
    ("SELECT name FROM sys.database_mirroring_endpoint", 208),  # a wrong view
    ("SELECT host_platform FROM sys.dm_os_host_info", 208),  # SQL Server 2017+ only; this server is 2016
])
def test_unknown_names_get_sql_servers_own_error_through_the_driver(freetds: None, sql: str, number: int) -> None:
    from tests.standins.tds.scenarios import HEALTHY

    wrong = rf"Invalid (column|object) name '[\w.]+'\. \({number}\)"
    with serve(replace(HEALTHY, version="13.0.7000.253")) as srv, connect(srv.port) as conn, \
            pytest.raises(pyodbc.Error, match=wrong):
        conn.cursor().execute(sql).fetchall()


@pytest.mark.parametrize(("sql", "ok"), [
    ("SELECT 1", True),
    ("/* linkready:x */ SELECT a FROM [we]]ird].sys.filegroups", True),
    ("WITH x AS (SELECT 1 AS a) SELECT a FROM x", True),
    ("SELECT * INTO t FROM x", False),
    ("SELECT 1; SELECT 2", False),
    ("UPDATE t SET a = 1", False),
    ("EXEC sp_who", False),
    ("SET NOCOUNT ON", False),
    ("SELECT 1 UNION ALL SELECT 2", False),
    # The one read-only statement that is not a SELECT, exactly; any other DBCC is refused.
    ("/* linkready:trace_status */ DBCC TRACESTATUS(-1)", True),
    ("DBCC TRACESTATUS(-1);", True),
    ("DBCC TRACEON(12381, -1)", False),
    ("DBCC TRACESTATUS(-1); DBCC TRACEON(1800, -1)", False),
    ("DBCC TRACESTATUS(1800)", False),
])
def test_rejection_reason(sql: str, ok: bool) -> None:
    assert (rejection_reason(sql) is None) is ok
