"""The SQL probe against the TDS stand-in through the real pyodbc + FreeTDS driver."""

from __future__ import annotations

from dataclasses import replace

import pytest

from linkready.config import SourceConfig
from linkready.probes import sql as probe
from tests.standins.tds.conftest import LOGIN, PASSWORD, require_freetds, serve
from tests.standins.tds.protocol import TdsServer, rejection_reason
from tests.standins.tds.scenarios import HEALTHY, SCENARIOS, AvailabilityGroup, Database, Listener, Server

DRIVER_METADATA = "sp_datatype_info_100"


@pytest.fixture
def freetds() -> None:
    require_freetds()  # pyodbc asks for type info after connecting


def source(port: int, **kw: object) -> SourceConfig:
    base = {"server": f"127.0.0.1,{port}", "username": LOGIN, "driver": "FreeTDS", "encrypt": False,
            "query_timeout": 1, "login_timeout": 5}
    return SourceConfig(**{**base, **kw})  # type: ignore[arg-type]


def run(server: Server, planned: tuple[str, ...] = ("Sales",), password: str = PASSWORD,
        hang_after: int | None = None) -> tuple[probe.SqlFacts | None, list[probe.ProbeError], TdsServer]:
    with serve(server, hang_after) as srv:
        facts, errors = probe.collect_sql(source(srv.port), password, planned)
    return facts, errors, srv


# ------------------------------------------------------------------ read-only, proven two ways


@pytest.mark.parametrize("statement", probe.STATEMENTS, ids=lambda s: s.name)
def test_every_statement_the_probe_can_send_is_one_select(statement: probe.Statement) -> None:
    for text in statement.all_texts("we]ird; DROP TABLE x --"):
        # SELECTs, plus exactly DBCC TRACESTATUS(-1) (read-only: the global trace flags), nothing else.
        assert (text.startswith(f"/* linkready:{statement.name} */ SELECT ")
                or text == f"/* linkready:{statement.name} */ DBCC TRACESTATUS(-1)"), text
        assert rejection_reason(text) is None, text


def test_a_full_probe_sends_nothing_but_selects(freetds: None) -> None:
    facts, errors, srv = run(HEALTHY)
    assert facts is not None and not errors
    probe_requests = [r for r in srv.received if DRIVER_METADATA not in r.sql and r.sql]
    assert probe_requests, "the stand-in saw no statement"
    assert all(r.accepted and r.kind == "batch" for r in probe_requests)
    assert all(rejection_reason(r.sql) is None for r in probe_requests)
    sent = {r.sql.split("*/")[0].removeprefix("/* linkready:").strip() for r in probe_requests}
    assert sent == {s.name for s in probe.STATEMENTS}


# ------------------------------------------------------------------ facts


def test_healthy_server_facts(freetds: None) -> None:
    facts, errors, _ = run(HEALTHY)
    assert not errors and facts is not None and facts.instance is not None
    assert facts.instance.product_version == "15.0.4322.2" and facts.instance.is_hadr_enabled
    assert facts.instance.host_distribution == "Windows Server 2019 Datacenter"
    assert [(f.flag, f.enabled, f.running) for f in facts.trace_flags or ()] == [
        (1800, True, True), (9567, True, True), (12381, False, False)]
    assert facts.has_sp_certificate_add_issuer is True and facts.master_key_present is True
    endpoint = (facts.endpoints or ())[0]
    assert (endpoint.state, endpoint.connection_auth, endpoint.port) == ("STARTED", "CERTIFICATE", 5022)
    cert = (facts.certificates or ())[0]
    assert cert.key_length == 2048 and cert.thumbprint.startswith("0x") and cert.public_der_hex.startswith("30")
    sales = (facts.databases or ())[0]
    assert (sales.name, sales.recovery_model, sales.log_file_count, sales.unreadable) == ("Sales", "FULL", 1, ())
    assert sales.full_backup_after_recovery_change is True and sales.last_full_backup is not None
    assert [d.name for d in facts.databases or ()] == ["Sales"]  # system databases only when planned
    assert facts.driver == "FreeTDS" and facts.login == LOGIN


def test_sql_2016_reads_the_host_from_version_text(freetds: None) -> None:
    server = replace(HEALTHY, version="13.0.7000.253", update_level=None, level="SP3",
                     host=("Windows", "Windows Server 2016 Datacenter", "10.0"))
    facts, errors, srv = run(server)
    assert facts is not None and facts.instance is not None and not errors
    assert facts.instance.host_distribution == "Windows Server 2016 Datacenter"
    assert not any("dm_os_host_info" in r.sql or "persistent_version_store" in r.sql for r in srv.received)


def test_database_name_is_quoted_in_per_database_statements(freetds: None) -> None:
    odd = Database("we]ird db", 9)
    facts, errors, srv = run(replace(HEALTHY, databases=(odd,)), planned=("we]ird db",))
    assert not errors and facts is not None
    assert any("[we]]ird db].sys.filegroups" in r.sql for r in srv.received)
    assert (facts.databases or ())[0].unreadable == ()


def test_log_backup_cadence_and_generation_per_database(freetds: None) -> None:
    # Sales: a log backup every 5 minutes carrying 6 GB a day; Archive: none in 7 days; HR: one only.
    sales = Database("Sales", 5, log_backup_every_minutes=5, log_mb_per_day=6144)
    archive = Database("Archive", 6, log_backup_every_minutes=None)
    hr = Database("HR", 7, log_backup_every_minutes=7 * 24 * 60, log_mb_per_day=300)
    facts, errors, _ = run(replace(HEALTHY, databases=(sales, archive, hr)), planned=("Sales", "Archive", "HR"))
    assert not errors and facts is not None
    got = {d.name: (d.log_backups_7d, d.log_backup_mb_7d, d.log_generated_mb_per_day, d.log_backup_interval_minutes)
           for d in facts.databases or ()}
    assert got == {"Sales": (2016, 43008.0, 6144.0, 5.0), "Archive": (0, 0.0, None, None),
                   "HR": (1, 2100.0, None, None)}
    by_name = {d.name: d for d in facts.databases or ()}
    assert by_name["Archive"].log_cadence_unknown() == "no log backup in the last 7 days"
    assert by_name["HR"].log_cadence_unknown() == "only one log backup in the last 7 days"
    assert by_name["Sales"].log_cadence_unknown() is None


def test_backup_history_denied_marks_the_log_cadence_unreadable(freetds: None) -> None:
    facts, errors, _ = run(replace(HEALTHY, can_read_backupset=False))
    assert facts is not None and not errors  # per-database detail: recorded on the database, not as a probe error
    sales = (facts.databases or ())[0]
    assert sales.log_backups_7d is None and sales.log_backup_interval_minutes is None
    reason = sales.unreadable_part("log_backups")
    assert reason is not None and "SELECT ON msdb.dbo.backupset" in reason
    assert (sales.log_cadence_unknown() or "").startswith("backup history not read: log_backups needs SELECT ON")


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (None, (0, 0.0, None, None)),
        ({"log_backups": 1, "backup_mb": 50, "span_minutes": 0, "median_gap_seconds": None}, (1, 50.0, None, None)),
        # 4 backups 15 min apart carry one hour of log (45 min span + one interval): 100 MB/h.
        ({"log_backups": 4, "backup_mb": 100, "span_minutes": 45, "median_gap_seconds": 900},
         (4, 100.0, 2400.0, 15.0)),
        # An overnight pause does not move the median; the rate still uses the whole span.
        ({"log_backups": 5, "backup_mb": 600, "span_minutes": 570, "median_gap_seconds": 1800},
         (5, 600.0, 1440.0, 30.0)),
    ],
)
def test_log_cadence_from_a_row(row: dict[str, object] | None,
                                expected: tuple[int, float, float | None, float | None]) -> None:
    cadence = probe.log_cadence(row)
    assert (cadence.backups, cadence.total_mb, cadence.mb_per_day, cadence.interval_minutes) == expected


# ------------------------------------------------------------------ failures become errors


def test_wrong_password_is_an_auth_error_without_the_password(freetds: None) -> None:
    facts, errors, _ = run(HEALTHY, password="Not-The-Password-42")
    assert facts is None
    assert [(e.fact, e.kind) for e in errors] == [("sql", "auth")]
    assert "18456" in errors[0].reason and "Not-The-Password-42" not in errors[0].reason


def test_missing_view_server_state_names_the_permission_and_keeps_the_rest(freetds: None) -> None:
    facts, errors, _ = run(SCENARIOS["login_without_view_server_state"].server)
    assert facts is not None and facts.instance is not None and facts.endpoints
    blocked = {e.fact: e for e in errors}
    assert {"sql.trace_flags", "sql.instance.cpu_count", "sql.availability_groups.replicas"} <= set(blocked)
    assert all(e.kind == "permission" and "VIEW SERVER STATE" in e.reason for e in blocked.values())
    assert (facts.databases or ())[0].unreadable_part("log_space") is not None


def test_missing_view_any_definition_never_reports_empty_as_absent(freetds: None) -> None:
    server = replace(HEALTHY, permissions=("CONNECT SQL", "VIEW SERVER STATE", "CONNECT ANY DATABASE"))
    facts, errors, _ = run(server)
    assert facts is not None
    assert facts.endpoints is None and facts.certificates is None and facts.master_key_present is None
    assert {"sql.endpoints", "sql.certificates", "sql.master_key_present"} <= {e.fact for e in errors}


def test_server_that_stops_answering_times_out_and_keeps_what_it_read(freetds: None) -> None:
    scenario = SCENARIOS["server_stops_answering"]
    facts, errors, _ = run(scenario.server, hang_after=scenario.hang_after)
    assert facts is not None and facts.instance is not None and facts.master_key_present is True
    kinds = {e.fact: e.kind for e in errors}
    assert kinds["sql.trace_flags"] == "timeout" and kinds["sql.databases"] == "timeout"
    assert facts.databases is None and facts.endpoints is None


def test_unreachable_server(freetds: None) -> None:
    with serve(HEALTHY) as srv:
        port = srv.port
    facts, errors = probe.collect_sql(source(port, login_timeout=2), PASSWORD, ())
    assert facts is None and errors[0].kind == "unreachable"


# ------------------------------------------------------------------ connection strings, driver choice


def test_connection_string_never_shows_the_password() -> None:
    plan = probe.build_connection(SourceConfig(server="db1,1533", username="probe", driver="auto"),
                                  "ODBC Driver 18 for SQL Server", "p;w}d")
    assert "PWD={p;w}}d}" in plan.connection_string
    assert "p;w}d" not in plan.redacted and "PWD=***" in plan.redacted and "p;w" not in repr(plan)
    assert "SERVER=db1,1533" in plan.redacted and "Encrypt=yes" in plan.redacted


def test_freetds_connection_uses_its_own_keywords() -> None:
    plan = probe.build_connection(SourceConfig(server="host\\INST", username="u", encrypt=False), "FreeTDS", "x")
    assert "SERVER=host\\INST" in plan.redacted and "Encryption=off" in plan.redacted
    assert "TDS_Version=7.4" in plan.redacted


@pytest.mark.parametrize(("configured", "installed", "chosen"), [
    ("auto", ["FreeTDS", "ODBC Driver 17 for SQL Server"], "ODBC Driver 17 for SQL Server"),
    ("auto", ["ODBC Driver 18 for SQL Server", "ODBC Driver 17 for SQL Server"], "ODBC Driver 18 for SQL Server"),
    ("auto", ["FreeTDS"], "FreeTDS"),
    ("FreeTDS", ["FreeTDS", "ODBC Driver 18 for SQL Server"], "FreeTDS"),
])
def test_driver_choice(configured: str, installed: list[str], chosen: str) -> None:
    assert probe.choose_driver(configured, installed) == chosen


@pytest.mark.parametrize(("configured", "installed"), [("auto", []), ("ODBC Driver 18 for SQL Server", ["FreeTDS"])])
def test_driver_choice_errors_are_config_errors(configured: str, installed: list[str]) -> None:
    with pytest.raises(probe.ConnectionProblem) as info:
        probe.choose_driver(configured, installed)
    assert info.value.kind == "config"


@pytest.mark.parametrize(("server", "parsed"), [
    ("sql01", ("sql01", None, None)), ("sql01,1533", ("sql01", 1533, None)),
    ("sql01\\SALES", ("sql01", None, "SALES")), ("tcp:10.0.0.4,5000", ("10.0.0.4", 5000, None)),
])
def test_parse_server(server: str, parsed: tuple[str, int | None, str | None]) -> None:
    assert probe.parse_server(server) == parsed


def test_entra_auth_needs_the_microsoft_driver() -> None:
    with pytest.raises(probe.ConnectionProblem, match="Microsoft ODBC driver"):
        probe.build_connection(SourceConfig(server="x", auth="entra-password", username="u"), "FreeTDS", "p")


@pytest.mark.parametrize(("running", "expected"), [
    # DBCC TRACEON(12381, -1), Microsoft's own procedure: on now, not a startup parameter.
    ((1800, 9567, 12381), [(1800, True, True), (9567, True, True), (12381, False, True)]),
    # -T9567 added but SQL Server not restarted yet: a startup parameter that is not on now.
    ((1800,), [(1800, True, True), (9567, True, False), (12381, False, False)]),
    # Nothing on globally: DBCC TRACESTATUS(-1) answers no rows.
    ((), [(1800, True, False), (9567, True, False), (12381, False, False)]),
])
def test_trace_flags_are_read_at_startup_and_running_now(freetds: None, running: tuple[int, ...],
                                                         expected: list[tuple[int, bool, bool]]) -> None:
    facts, errors, srv = run(replace(HEALTHY, running_flags=running))
    assert facts is not None and not errors
    assert [(f.flag, f.enabled, f.running) for f in facts.trace_flags or ()] == expected
    assert "DBCC TRACESTATUS(-1)" in facts.trace_flags_source
    assert any(r.sql == "/* linkready:trace_status */ DBCC TRACESTATUS(-1)" and r.accepted for r in srv.received)


# ------------------------------------------------------------------ contained AGs and listeners

SHOP_LISTENER = Listener("ag-shop-lsn", ("10.10.2.50", "10.10.3.50"), port=1433)


def test_contained_ag_and_its_listener_on_sql_server_2022(freetds: None) -> None:
    server = replace(HEALTHY, version="16.0.4255.2", update_level="CU27", databases=(HEALTHY.databases[0],),
                     availability_groups=(AvailabilityGroup("AG_Shop", ("Sales",), contained=True,
                                                            listeners=(SHOP_LISTENER,)),))
    facts, errors, _ = run(server)
    assert facts is not None and not errors
    [group] = facts.availability_groups or ()
    assert group.is_contained is True
    [listener] = group.listeners or ()
    assert (listener.dns_name, listener.port) == ("ag-shop-lsn", 1433)
    assert [(a.ip_address, a.state) for a in listener.addresses] == [("10.10.2.50", "ONLINE"), ("10.10.3.50", "ONLINE")]


def test_is_contained_is_not_selected_before_sql_server_2022(freetds: None) -> None:
    server = replace(HEALTHY, availability_groups=(AvailabilityGroup("AG_Shop", ("Sales",)),))  # 2019
    facts, errors, srv = run(server)
    assert facts is not None and not errors
    [group] = facts.availability_groups or ()
    assert group.is_contained is None and group.listeners == ()
    [text] = [r.sql for r in srv.received if "linkready:availability_groups" in r.sql]
    assert "is_contained" not in text


def test_listeners_hidden_without_view_any_definition_are_not_collected(freetds: None) -> None:
    server = replace(HEALTHY, permissions=tuple(p for p in HEALTHY.permissions if p != "VIEW ANY DEFINITION"))
    facts, errors, _ = run(server)
    assert facts is not None
    blocked = {e.fact: e.reason for e in errors}
    assert "VIEW ANY DEFINITION" in blocked["sql.availability_groups.listeners"]


def test_the_stand_in_refuses_a_contained_ag_before_2022() -> None:
    from tests.standins.tds.scenarios import result_for
    server = replace(HEALTHY, availability_groups=(AvailabilityGroup("AG_Shop", ("Sales",), contained=True),))
    with pytest.raises(ValueError, match="SQL Server 2022"):
        result_for(server, "availability_groups", "SELECT 1")
