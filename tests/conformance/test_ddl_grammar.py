"""Every DDL statement linkready prints matches the documented syntax (issue 14 §3)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from linkready.checks import get
from linkready.reports.runbook import files as written

from linkready.engine import run_check
from linkready.facts import Facts
from linkready.model import Settings, Verdict
from linkready.tools.runbook import generate
from tests.conformance.az_commands import runbook_shapes
from tests.conformance.grammar import kind_of

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
#: connection_auth_desc as SQL Server reports it (sys.database_mirroring_endpoints), incl. combinations.
AUTH_VALUES = ("NTLM", "KERBEROS", "NEGOTIATE", "CERTIFICATE", "NEGOTIATE, CERTIFICATE", "CERTIFICATE, NEGOTIATE",
               "NTLM, CERTIFICATE", "CERTIFICATE, KERBEROS")
ENCRYPTION_VALUES = ("AES", "RC4", "AES, RC4", "RC4, AES", "NONE")
NOT_DDL = re.compile(r"^(SELECT|USE)\b", re.IGNORECASE)


BLOCK = re.compile(r"^IF NOT EXISTS \([^\n]*\)\nBEGIN\n.*?^END;?\s*$", re.MULTILINE | re.DOTALL)


def _statements(script: str) -> Iterator[str]:
    """Statements of a sqlcmd script or fix block: comments, sqlcmd commands and GO dropped; an
    IF … BEGIN … END block is one statement."""
    lines = [line for line in script.splitlines()
             if line.strip() and not line.lstrip().startswith(("--", ":")) and line.strip() != "GO"]
    text = "\n".join(lines)
    for block in BLOCK.findall(text):
        yield block.strip().rstrip(";")
    for statement in re.split(r";\s*$", BLOCK.sub("", text), flags=re.MULTILINE):
        if statement.strip() and not NOT_DDL.match(statement.strip()):
            yield statement.strip()


def _endpoint_variants(base: Facts) -> Iterator[tuple[str, Facts]]:
    assert base.sql is not None and base.sql.endpoints
    endpoint = base.sql.endpoints[0]
    for auth in AUTH_VALUES:
        for algorithm in ENCRYPTION_VALUES:
            changed = replace(endpoint, connection_auth=auth, encryption_algorithm=algorithm,
                              is_encryption_enabled=algorithm != "NONE",
                              certificate_name=endpoint.certificate_name if "CERTIFICATE" in auth else None)
            yield f"{auth}/{algorithm}", replace(base, sql=replace(base.sql, endpoints=(changed,)))
    for state, role in (("STOPPED", "ALL"), ("STARTED", "PARTNER")):
        yield f"{state}/{role}", replace(base, sql=replace(base.sql, endpoints=(replace(endpoint, state=state,
                                                                                         role=role),)))


def every_ddl() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    shapes = runbook_shapes()
    for name, facts in list(shapes.items()) + list(_endpoint_variants(shapes["one-way"])):
        runbook = generate(facts, verdict=Verdict.READY, digest="sha256:0", generated_at=NOW)
        out += [(f"runbook {name}", s) for s in _statements(written(runbook)["01-sqlserver.sql"])]
        for check_id in ("EP-001", "EP-002", "EP-003", "EP-004"):
            spec = get(check_id)
            assert spec is not None
            for finding in run_check(spec, facts, Settings({})):
                for block in finding.fix:
                    if block.language == "tsql":
                        out += [(f"{check_id} {name}", s) for s in _statements(block.code)
                                if "<" not in s]  # <yyyy-mm-dd> is a placeholder the user fills
    return list(dict.fromkeys(out))


def test_every_generated_ddl_statement_matches_the_documented_grammar() -> None:
    statements = every_ddl()
    assert len(statements) >= 40
    wrong = [f"{where}:\n{statement}" for where, statement in statements if kind_of(statement) is None]
    assert not wrong, "\n\n".join(wrong[:10])
    kinds = {kind_of(s) for _, s in statements}
    assert {"endpoint", "certificate from binary", "guarded root import", "availability group",
            "distributed availability group", "grant create any database"} <= kinds
    # The runbook maps a root CA only inside the guard (a second sp_certificate_add_issuer fails the script).
    assert not [s for where, s in statements if where.startswith("runbook") and kind_of(s) == "sp_certificate_add_issuer"]


@pytest.mark.parametrize("statement", [
    # What linkready printed before issue 14: each is a syntax error on a real server.
    "ALTER ENDPOINT [e] STATE = STARTED FOR DATABASE_MIRRORING (ROLE = ALL, "
    "AUTHENTICATION = WINDOWS NEGOTIATE, CERTIFICATE [c], ENCRYPTION = REQUIRED ALGORITHM AES)",
    "ALTER ENDPOINT [e] FOR DATABASE_MIRRORING (AUTHENTICATION = WINDOWS , NEGOTIATE CERTIFICATE [c], ROLE = ALL)",
    "ALTER ENDPOINT [e] FOR DATABASE_MIRRORING (ENCRYPTION = REQUIRED ALGORITHM AES)",
    "CREATE ENDPOINT [e] STATE = STARTED FOR DATABASE_MIRRORING (ROLE = ALL)",
    "CREATE AVAILABILITY GROUP [d] WITH (DISTRIBUTED) AVAILABILITY GROUP ON N'a' WITH (LISTENER_URL = N'tcp://h:5022', "
    "AVAILABILITY_MODE = ASYNC, FAILOVER_MODE = MANUAL, SEEDING_MODE = AUTOMATIC), N'b' WITH (LISTENER_URL = "
    "N'tcp://m:5022', AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT, FAILOVER_MODE = MANUAL, SEEDING_MODE = AUTOMATIC)",
    "DBCC TRACEON 1800",
    # GRANT belongs to ALTER AVAILABILITY GROUP only, and names CREATE ANY DATABASE in full.
    "ALTER AVAILABILITY GROUP [a] GRANT CREATE DATABASE",
    # SET takes parentheses, and ROLE only SECONDARY; FAILOVER takes no target.
    "ALTER AVAILABILITY GROUP [a] SET ROLE = SECONDARY",
    "ALTER AVAILABILITY GROUP [a] SET (ROLE = PRIMARY)",
    "ALTER AVAILABILITY GROUP [a] FAILOVER TO [b]",
    "CREATE AVAILABILITY GROUP [a] WITH (CLUSTER_TYPE = NONE) FOR REPLICA ON N'S' WITH (ENDPOINT_URL = N'TCP://h:5022', "
    "FAILOVER_MODE = MANUAL, AVAILABILITY_MODE = SYNCHRONOUS_COMMIT, BACKUP_PRIORITY = 50, SECONDARY_ROLE "
    "(ALLOW_CONNECTIONS = NO), SEEDING_MODE = AUTOMATIC) GRANT CREATE ANY DATABASE",
    "CREATE AVAILABILITY GROUP [a] FOR DATABASE REPLICA ON N'S' WITH (ENDPOINT_URL = N'TCP://h:5022', FAILOVER_MODE = "
    "MANUAL, AVAILABILITY_MODE = SYNCHRONOUS_COMMIT, BACKUP_PRIORITY = 50, SECONDARY_ROLE (ALLOW_CONNECTIONS = NO), "
    "SEEDING_MODE = AUTOMATIC)",
    # A guard on one certificate that maps another, or maps without the guard's BEGIN … END.
    "IF NOT EXISTS (SELECT 1 FROM master.sys.certificates WHERE name = N'DigiCertPKI') BEGIN CREATE CERTIFICATE "
    "[DigiCertPKI] FROM BINARY = 0xAB; DECLARE @x_id INT = CERT_ID(N'MicrosoftPKI'); "
    "EXEC sp_certificate_add_issuer @x_id, N'*.database.windows.net'; END",
    "IF NOT EXISTS (SELECT 1 FROM master.sys.certificates WHERE name = N'DigiCertPKI') CREATE CERTIFICATE "
    "[DigiCertPKI] FROM BINARY = 0xAB; DECLARE @x_id INT = CERT_ID(N'DigiCertPKI'); "
    "EXEC sp_certificate_add_issuer @x_id, N'*.database.windows.net'",
])
def test_the_grammar_rejects_known_wrong_statements(statement: str) -> None:
    assert kind_of(statement) is None


@pytest.mark.parametrize(("auth", "expected"), [
    ("NEGOTIATE, CERTIFICATE", "AUTHENTICATION = WINDOWS NEGOTIATE CERTIFICATE [c]"),
    ("CERTIFICATE, KERBEROS", "AUTHENTICATION = CERTIFICATE [c] WINDOWS KERBEROS"),
    ("KERBEROS", "AUTHENTICATION = WINDOWS KERBEROS CERTIFICATE [c]"),
    ("NTLM", "AUTHENTICATION = WINDOWS NTLM CERTIFICATE [c]"),
    ("", "AUTHENTICATION = CERTIFICATE [c]"),
])
def test_certificate_is_added_keeping_the_windows_protocol(auth: str, expected: str) -> None:
    from linkready.domain.endpoint_ddl import authentication

    assert authentication(auth, "c") == expected


def test_failover_role_statements_match_the_documented_grammar() -> None:
    """The T-SQL FO-007 prints (in evidence and fixes) for the link's roles."""
    from linkready.checks.failover_roles import demote_to_secondary, planned_failover_on_sql_server

    for name in ("link-sales", "odd]name"):
        assert kind_of(planned_failover_on_sql_server(name)) == "planned failover"
        assert kind_of(demote_to_secondary(name)) == "demote to secondary"
