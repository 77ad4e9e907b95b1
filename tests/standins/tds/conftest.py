"""Fixtures: a stand-in SQL Server per test, and the FreeTDS driver requirement."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import require_component
from tests.standins.tds.protocol import TdsServer
from tests.standins.tds.scenarios import HEALTHY, Server, responder

LOGIN, PASSWORD = "linkready", "Probe-pass-1"


def freetds_available() -> bool:
    try:
        import pyodbc
    except ImportError:
        return False
    return "FreeTDS" in pyodbc.drivers()


def require_freetds() -> None:
    """Skip locally, fail under CI=true, when the FreeTDS ODBC driver is not installed."""
    require_component("tdsodbc (FreeTDS ODBC driver registered as [FreeTDS])", freetds_available(),
                      "apt-get install tdsodbc unixodbc")


def source_config(port: int, query_timeout: float = 1) -> str:
    """The config's [source] table for the stand-in on ``port`` (FreeTDS, no TLS, short timeouts)."""
    return f'''
[source]
server = "127.0.0.1,{port}"
username = "{LOGIN}"
driver = "FreeTDS"
encrypt = false
query_timeout = {query_timeout:g}
login_timeout = 5
'''


def connection_string(port: int, password: str = PASSWORD) -> str:
    return (f"DRIVER={{FreeTDS}};SERVER=127.0.0.1;PORT={port};TDS_Version=7.4;Encryption=off;"
            f"UID={LOGIN};PWD={password}")


@pytest.fixture
def freetds() -> None:
    require_freetds()


@pytest.fixture
def stand_in(freetds: None) -> Iterator[TdsServer]:
    with TdsServer(responder(HEALTHY), login=LOGIN, password=PASSWORD) as server:
        yield server


def serve(server: Server, hang_after: int | None = None) -> TdsServer:
    major, minor, build = (int(part) for part in server.version.split(".")[:3])
    return TdsServer(responder(server), login=LOGIN, password=PASSWORD, hang_after=hang_after,
                     version=(major, minor, build))
