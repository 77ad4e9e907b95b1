"""Connecting to SQL Server over pyodbc: server names, driver choice, connection strings, error classes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from linkready.domain.clouds import SQL_AUDIENCE
from linkready.probes.sql.statements import DRIVER_PREFERENCE

if TYPE_CHECKING:
    from linkready.config import SourceConfig



# ---------------------------------------------------------------------------------------------
# Connecting


class ConnectionProblem(Exception):
    """The probe could not connect; ``kind`` is a ProbeError kind."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def parse_server(server: str) -> tuple[str, int | None, str | None]:
    """``host``, ``host,port`` or ``host\\instance`` → (host, port, instance)."""
    text = server.strip().removeprefix("tcp:")
    if not text:
        raise ConnectionProblem("config", "source.server is empty")
    if "," in text:
        host, _, port_text = text.partition(",")
        if not port_text.strip().isdigit() or not 0 < int(port_text) < 65536:
            raise ConnectionProblem("config", f"source.server {server!r}: the port after ',' must be 1-65535")
        return host.strip(), int(port_text), None
    if "\\" in text:
        host, _, instance = text.partition("\\")
        return host.strip(), None, instance.strip() or None
    return text, None, None


def choose_driver(configured: str, available: Iterable[str]) -> str:
    """The configured driver, or the best installed one ("auto")."""
    installed = list(available)
    if configured and configured != "auto":
        if configured not in installed:
            raise ConnectionProblem(
                "config",
                f"source.driver {configured!r} is not installed (installed ODBC drivers: "
                f"{', '.join(installed) or 'none'})",
            )
        return configured
    for name in DRIVER_PREFERENCE:
        if name in installed:
            return name
    raise ConnectionProblem(
        "config",
        "no SQL Server ODBC driver installed (install 'ODBC Driver 18 for SQL Server', or FreeTDS's tdsodbc); "
        f"installed: {', '.join(installed) or 'none'}",
    )


def _odbc_value(value: str) -> str:
    """An ODBC connection-string value, braced when it holds characters that would split the string."""
    if any(ch in value for ch in ";{}=") or value != value.strip():
        return "{" + value.replace("}", "}}") + "}"
    return value


@dataclass(frozen=True)
class ConnectionPlan:
    """A connection string and its redacted twin; only ``redacted`` may be shown or stored."""

    connection_string: str = field(repr=False)
    redacted: str
    driver: str
    attrs_before: dict[int, Any] = field(default_factory=dict, repr=False)


def build_connection(source: SourceConfig, driver: str, password: str | None,
                     token: bytes | None = None) -> ConnectionPlan:
    """The ODBC connection string for ``source``; the password appears only in the real string."""
    host, port, instance = parse_server(source.server)
    freetds = driver.lower().startswith("freetds")
    parts: list[tuple[str, str]] = [("DRIVER", "{" + driver + "}")]
    if freetds:
        parts.append(("SERVER", f"{host}\\{instance}" if instance else host))
        if port is not None:
            parts.append(("PORT", str(port)))
        # FreeTDS ignores Encrypt=; its own keyword is Encryption (off/request/require).
        parts += [("TDS_Version", "7.4"), ("Encryption", "require" if source.encrypt else "off")]
    else:
        server = f"{host},{port}" if port is not None else (f"{host}\\{instance}" if instance else host)
        parts += [("SERVER", server), ("Encrypt", "yes" if source.encrypt else "no"),
                  ("TrustServerCertificate", "yes" if source.trust_server_certificate else "no")]
    parts += [("DATABASE", "master"), ("APP", "linkready")]
    attrs: dict[int, Any] = {}
    secret: list[tuple[str, str]] = []
    auth = source.auth
    if auth == "sql":
        if not source.username:
            raise ConnectionProblem("config", "source.username is required for auth = \"sql\"")
        parts.append(("UID", source.username))
        secret.append(("PWD", password or ""))
    elif auth == "windows":
        parts.append(("Trusted_Connection", "yes"))
    else:
        if freetds:
            raise ConnectionProblem("config", f"auth = {auth!r} needs the Microsoft ODBC driver; FreeTDS has no "
                                              "Microsoft Entra ID authentication")
        if auth == "entra-password":
            parts += [("Authentication", "ActiveDirectoryPassword"), ("UID", source.username)]
            secret.append(("PWD", password or ""))
        elif auth == "entra-integrated":
            parts.append(("Authentication", "ActiveDirectoryIntegrated"))
        elif token is not None:  # entra-default: an access token from azure-identity
            attrs[1256] = token  # SQL_COPT_SS_ACCESS_TOKEN
    shown = ";".join(f"{k}={_odbc_value(v) if k != 'DRIVER' else v}" for k, v in parts)
    real = ";".join([shown, *(f"{k}={_odbc_value(v)}" for k, v in secret)])
    redacted = ";".join([shown, *(f"{k}=***" for k, _ in secret)])
    return ConnectionPlan(real, redacted, driver, attrs)


def entra_token() -> bytes:
    """An access token for Azure SQL from DefaultAzureCredential, packed as the ODBC driver wants it."""
    import struct

    from azure.identity import DefaultAzureCredential

    raw = DefaultAzureCredential().get_token(SQL_AUDIENCE).token.encode("utf-16-le")
    return struct.pack("<I", len(raw)) + raw


# ---------------------------------------------------------------------------------------------
# Errors: a driver message becomes a ProbeError kind and a reason that names the blocker


_SQL_ERROR = re.compile(r"\((\d{3,6})\)")


def classify(exc: BaseException) -> tuple[str, str]:
    """(kind, message) for a pyodbc error, without the ODBC noise around it."""
    state = str(exc.args[0]) if exc.args else ""
    text = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
    message = re.sub(r"\[[^\]]*\]", "", text).replace("(SQLExecDirectW)", "").replace("(SQLDriverConnect)", "")
    message = " ".join(message.split())
    numbers = {int(n) for n in _SQL_ERROR.findall(text)}
    if state == "HYT00" or "timeout expired" in text.lower():
        return "timeout", message
    if numbers & {18456, 18452, 18470, 4060}:
        return "auth", message
    if numbers & {229, 230, 297, 300, 916, 15247}:
        return "permission", message
    if numbers & {208, 2812}:
        return "not_found", message
    if state.startswith("08") or numbers & {20009, 20017, 20002}:
        return "unreachable", message
    return "error", message


# ---------------------------------------------------------------------------------------------
# Running the statements


Row = dict[str, Any]


class Session:
    """Runs catalogue statements on one connection with a per-statement timeout."""

    #: After this many timeouts in a row the server is taken as not answering; the rest is skipped.
    MAX_CONSECUTIVE_TIMEOUTS = 2

    def __init__(self, connection: Any, query_timeout: float) -> None:
        self.connection = connection
        self.query_timeout = query_timeout
        self.timeouts_in_a_row = 0
        self.sent: list[str] = []

    @property
    def stopped(self) -> bool:
        return self.timeouts_in_a_row >= self.MAX_CONSECUTIVE_TIMEOUTS

    def run(self, sql: str) -> list[Row]:
        # The driver reads conn.timeout when a cursor is created, so set it before each cursor.
        self.connection.timeout = max(1, round(self.query_timeout))
        self.sent.append(sql)
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql)
            columns = [d[0] for d in cursor.description or ()]
            # DBCC TRACESTATUS with no flag on answers no result set at all: that is "none", not an error.
            rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()] if columns else []
        finally:
            cursor.close()
        self.timeouts_in_a_row = 0
        return rows


