"""The ODBC connection string on a Windows jump box: Microsoft's driver names and integrated authentication.

On Windows a DBA usually signs in with the domain account already logged on, i.e. ``auth = "windows"``,
which is ``Trusted_Connection=yes`` with "ODBC Driver 18 for SQL Server" (or 17). These tests parse the
built string with ODBC's own quoting rules (values in braces, ``}}`` for a literal ``}``).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkready.config import SourceConfig
from linkready.probes.sql import DRIVER_PREFERENCE, ConnectionProblem, build_connection, choose_driver

MS_DRIVERS = ("ODBC Driver 18 for SQL Server", "ODBC Driver 17 for SQL Server")


def parse(conn: str) -> dict[str, str]:
    """Split an ODBC connection string into keywords (case-insensitive) and values."""
    out: dict[str, str] = {}
    i = 0
    while i < len(conn):
        eq = conn.index("=", i)
        key = conn[i:eq].strip().upper()
        i = eq + 1
        if i < len(conn) and conn[i] == "{":
            j, value = i + 1, []
            while True:
                if conn[j] == "}":
                    if conn[j + 1:j + 2] == "}":
                        value.append("}")
                        j += 2
                        continue
                    break
                value.append(conn[j])
                j += 1
            text, i = "".join(value), j + 1
        else:
            end = conn.find(";", i)
            end = len(conn) if end < 0 else end
            text, i = conn[i:end], end
        assert key not in out, f"{key} twice in {conn!r}"
        out[key] = text
        if i < len(conn):
            assert conn[i] == ";", conn
            i += 1
    return out


@pytest.mark.parametrize("driver", MS_DRIVERS)
@pytest.mark.parametrize(("server", "expected"), [
    ("sqlprod01.contoso.local", "sqlprod01.contoso.local"),
    (r"sqlprod01\SALES", r"sqlprod01\SALES"),
    ("sqlprod01,14330", "sqlprod01,14330"),
    ("tcp:10.0.0.4,1433", "10.0.0.4,1433"),
])
def test_windows_integrated_authentication_with_microsoft_drivers(driver: str, server: str, expected: str) -> None:
    # A username in the file is ignored for Windows authentication: the logged-on identity signs in.
    source = SourceConfig(server=server, auth="windows", username="CONTOSO\\dba")
    plan = build_connection(source, driver, password="never-used")
    keys = parse(plan.connection_string)
    assert keys == {
        "DRIVER": driver, "SERVER": expected, "ENCRYPT": "yes", "TRUSTSERVERCERTIFICATE": "no",
        "DATABASE": "master", "APP": "linkready", "TRUSTED_CONNECTION": "yes",
    }
    assert "never-used" not in plan.connection_string and plan.redacted == plan.connection_string


def test_windows_authentication_honours_trust_server_certificate_for_self_signed_servers() -> None:
    source = SourceConfig(server="sql01", auth="windows", trust_server_certificate=True)
    keys = parse(build_connection(source, MS_DRIVERS[0], None).connection_string)
    assert keys["TRUSTSERVERCERTIFICATE"] == "yes" and keys["TRUSTED_CONNECTION"] == "yes"


def test_driver_preference_picks_18_then_17_and_names_what_is_installed() -> None:
    assert DRIVER_PREFERENCE[:2] == MS_DRIVERS
    assert choose_driver("auto", ["SQL Server", "ODBC Driver 17 for SQL Server", "ODBC Driver 18 for SQL Server"]) \
        == "ODBC Driver 18 for SQL Server"
    # "SQL Server" is Windows' legacy built-in driver (no TLS 1.2 guarantees): never chosen by auto.
    assert choose_driver("auto", ["SQL Server", "ODBC Driver 17 for SQL Server"]) == "ODBC Driver 17 for SQL Server"
    with pytest.raises(ConnectionProblem, match=r"installed: SQL Server$"):
        choose_driver("auto", ["SQL Server"])
    with pytest.raises(ConnectionProblem, match=r"'ODBC Driver 18 for SQL Server' is not installed .*ODBC Driver 17"):
        choose_driver("ODBC Driver 18 for SQL Server", ["ODBC Driver 17 for SQL Server"])


_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=40)


@given(username=_text, password=_text)
def test_sql_login_values_survive_odbc_quoting(username: str, password: str) -> None:
    # Users type these: ; { } = and surrounding spaces must neither split the string nor leak into the redaction.
    source = SourceConfig(server="sql01", auth="sql", username=username)
    plan = build_connection(source, MS_DRIVERS[0], password)
    keys = parse(plan.connection_string)
    assert keys["UID"] == username and keys["PWD"] == password
    assert parse(plan.redacted)["PWD"] == "***"
