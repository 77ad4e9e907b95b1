"""Bearer tokens and JWT-shaped strings never reach a snapshot, whichever probe quoted them.

The SQL stand-in answers one of the probe's statements with an error whose text carries a JWT and a
bearer header (as a proxy or an Entra-aware driver might quote them); ``linkready collect`` runs the
real pyodbc + FreeTDS probe against it, and the saved snapshot and the report carry neither.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli
from tests.probes.test_sql_end_to_end import write_config
from tests.standins.tds.conftest import LOGIN, PASSWORD, require_freetds
from tests.standins.tds.protocol import ResultSet, SqlError, TdsServer
from tests.standins.tds.scenarios import HEALTHY, SCENARIOS, responder

JWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwczovL2RhdGFiYXNlIn0.c2lnbmF0dXJlLXBhcnQ"
BEARER = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5"


def test_a_jwt_in_a_sql_error_is_redacted_from_snapshot_and_report(tmp_path: Path) -> None:
    require_freetds()
    scripted = responder(HEALTHY)

    def answer(sql: str) -> ResultSet | SqlError:
        if "sys.dm_server_services" in sql or "trace" in sql.lower():
            return SqlError(50000, f"token rejected: {JWT} (Authorization: Bearer {BEARER})", 16)
        return scripted(sql)

    config, snapshot, out = tmp_path / "target.toml", tmp_path / "snapshot.json", tmp_path / "out"
    with TdsServer(answer, login=LOGIN, password=PASSWORD) as server:
        write_config(config, server.port, SCENARIOS["healthy_2019_cu22_enterprise"])
        collected = run_cli("collect", "-c", str(config), "-o", str(snapshot), "-q",
                            env={"LINKREADY_SQL_PASSWORD": PASSWORD})
        asked = [r.sql for r in server.received]
    assert collected.returncode == 0, collected.stderr
    assert any("trace" in sql.lower() or "sys.dm_server_services" in sql for sql in asked)
    text = snapshot.read_text(encoding="utf-8")
    assert "token rejected: ***" in text, "the error itself is kept, only the token goes"
    assert JWT not in text and BEARER not in text
    evaluated = run_cli("evaluate", str(snapshot), "--format", "json,md,html", "-q", "-o", str(out))
    assert evaluated.returncode in (1, 3), evaluated.stderr
    for report in out.iterdir():
        body = report.read_text(encoding="utf-8")
        assert JWT not in body and BEARER not in body, report.name
