"""The runbook generator: T-SQL that parses, no unfilled placeholders, steps that follow the facts."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlglot
from cryptography import x509
from linkready.reports.runbook import files as written
from sqlglot import exp

from linkready.facts import Facts
from linkready.facts.azure import TrustCertificate
from linkready.facts.sql import AvailabilityGroup, MirroringEndpoint
from linkready.model import Status, Verdict
from linkready.snapshot import dumps, loads
from linkready.tools.runbook import MASTER_KEY_VARIABLE, Runbook, RunbookError, generate
from tests.builders.reports import finding
from tests.conftest import ROOT, run_cli

DEMO = loads((ROOT / "linkready" / "data" / "demo_snapshot.json").read_text())
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
PLACEHOLDER = re.compile(r"<[A-Za-z][^<>\n]*>")
SQLCMD_VARIABLE = re.compile(r"\$\((\w+)\)")


def build(facts: Facts | None = None, **kw: object) -> Runbook:
    return generate(facts or DEMO.facts, verdict=Verdict.READY, digest=DEMO.digest, generated_at=NOW, **kw)  # type: ignore[arg-type]


def with_sql(**changes: object) -> Facts:
    assert DEMO.facts.sql is not None
    return replace(DEMO.facts, sql=replace(DEMO.facts.sql, **changes))


def with_instance(**changes: object) -> Facts:
    assert DEMO.facts.sql is not None and DEMO.facts.sql.instance is not None
    return with_sql(instance=replace(DEMO.facts.sql.instance, **changes))


def statements(script: str) -> list[str]:
    """T-SQL statements of a script: GO batches split at the ';' that ends a line; comments and sqlcmd
    commands dropped."""
    out = []
    for batch in re.split(r"^GO$", script, flags=re.MULTILINE):
        lines = [line for line in batch.splitlines() if line.strip() and not line.startswith(("--", ":"))]
        text = "\n".join(lines)
        # An IF … BEGIN … END block (the guarded root CA import) is one statement.
        blocks = re.findall(r"^IF NOT EXISTS \([^\n]*\)\nBEGIN\n.*?^END;?\s*$", text, flags=re.MULTILINE | re.DOTALL)
        text = re.sub(r"^IF NOT EXISTS \([^\n]*\)\nBEGIN\n.*?^END;?\s*$", "", text, flags=re.MULTILINE | re.DOTALL)
        out += [b.strip().rstrip(";") for b in blocks]
        out += [s.strip() for s in re.split(r";\s*$", text, flags=re.MULTILINE) if s.strip()]
    return out


def parse(statement: str) -> exp.Expression:
    # sqlcmd variables are substituted by sqlcmd before the server sees the batch.
    text = SQLCMD_VARIABLE.sub("0x00", statement) if "FROM BINARY" in statement else SQLCMD_VARIABLE.sub(
        "value", statement)
    parsed = sqlglot.parse_one(text, read="tsql")
    assert parsed is not None
    return parsed


def balanced(text: str) -> bool:
    depth = 0
    for char in re.sub(r"N?'(?:[^']|'')*'", "''", text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def check_ddl(statement: str) -> None:
    """The DDL sqlglot cannot parse (certificates, endpoints, availability groups): checked by structure."""
    assert balanced(statement), statement
    head = " ".join(statement.split()[:3]).upper()
    if head.startswith("CREATE CERTIFICATE") and "FROM BINARY" in statement:
        blob = statement.split("FROM BINARY = ", 1)[1].strip()
        if not SQLCMD_VARIABLE.fullmatch(blob):
            assert re.fullmatch(r"0x[0-9A-F]+", blob), blob[:40]
            x509.load_der_x509_certificate(bytes.fromhex(blob[2:]))  # real X.509, not garbage
    elif head.startswith("CREATE CERTIFICATE"):
        assert re.search(r"WITH SUBJECT = N'[^']+',\s+EXPIRY_DATE = '\d{8}'", statement)
    elif head.startswith(("CREATE ENDPOINT", "ALTER ENDPOINT")):
        assert "FOR DATABASE_MIRRORING" in statement and "ROLE = ALL" in statement
        assert re.search(r"AUTHENTICATION = (WINDOWS \w+ )?CERTIFICATE \[[^\]]+\]", statement)
        assert "ENCRYPTION = REQUIRED ALGORITHM AES" in statement
    elif head.startswith("CREATE AVAILABILITY GROUP") and "DISTRIBUTED" in statement:
        urls = re.findall(r"LISTENER_URL = N'([^']+)'", statement)
        assert len(urls) == 2 and re.fullmatch(r"TCP://[^:]+:\d+", urls[0])
        assert re.fullmatch(r"tcp://[a-z0-9.-]+\.database\.windows\.net:5022;Server=\[[a-z0-9-]+\]"
                            r"(;Database=\[(?:[^\]]|\]\])+\])?", urls[1])
    elif head.startswith("CREATE AVAILABILITY GROUP"):
        # FOR DATABASE ... REPLICA ON, or FOR REPLICA ON alone when the database comes from the managed instance.
        assert re.search(r"FOR (DATABASE \[[^\]]+\]\s+)?REPLICA ON N'", statement), statement
        assert "SEEDING_MODE = AUTOMATIC" in statement
    elif head.startswith("ALTER AVAILABILITY GROUP"):
        assert re.fullmatch(r"ALTER AVAILABILITY GROUP \[(?:[^\]]|\]\])+\] GRANT CREATE ANY DATABASE", statement)
    elif head.startswith("IF NOT EXISTS") and "sp_certificate_add_issuer" in statement:
        # A root CA imported and mapped only when absent (tests/conformance/grammar.py checks the form).
        blob = re.search(r"FROM BINARY = (\S+);", statement)
        assert blob is not None, statement[:80]
        if not SQLCMD_VARIABLE.fullmatch(blob.group(1)):
            x509.load_der_x509_certificate(bytes.fromhex(blob.group(1)[2:]))
    elif head.startswith("CREATE MASTER KEY") or "CREATE MASTER KEY" in statement:
        assert f"PASSWORD = N'$({MASTER_KEY_VARIABLE})'" in statement
    else:
        raise AssertionError(f"unexpected statement sqlglot cannot parse: {statement[:80]}")


def assert_sql_is_valid(script: str) -> int:
    """Every statement parses with sqlglot (tsql) or passes the structural DDL check; returns parsed count."""
    parsed = 0
    for statement in statements(script):
        tree = parse(statement)
        # IF NOT EXISTS (...) CREATE MASTER KEY parses as an IF whose body sqlglot keeps as a command.
        if isinstance(tree, exp.Command) or "CREATE MASTER KEY" in statement:
            check_ddl(statement)
        else:
            parsed += 1
    return parsed


# --- the demo ---------------------------------------------------------------------------------


def test_demo_runbook_sql_parses_and_has_every_step() -> None:
    files = written(build())
    assert set(files) == {"runbook.md", "01-sqlserver.sql", "02-managed-instance.sh", "03-verify.sql"}
    assert assert_sql_is_valid(files["01-sqlserver.sql"]) >= 7  # verification SELECTs, DECLARE, EXEC
    assert assert_sql_is_valid(files["03-verify.sql"]) == 4  # USE master + three SELECTs
    sql = files["01-sqlserver.sql"]
    order = [sql.index(marker) for marker in (
        "ALTER ENDPOINT [Hadr_endpoint]",
        "CREATE CERTIFICATE [sqlmi-museum-prod.7b3c1d9e0f2a.database.windows.net]",
        "EXEC sp_certificate_add_issuer @DigiCertPKI_id, N'*.database.windows.net'",
        "CREATE AVAILABILITY GROUP [AG_Membership]",
        "CREATE AVAILABILITY GROUP [link-membership]",
    )]
    assert order == sorted(order)
    assert "WITH (CLUSTER_TYPE = NONE)" in sql  # SQL Server 2019
    assert "CREATE MASTER KEY" not in sql  # the demo has one
    # MicrosoftPKI is already imported and mapped in the demo: no second import.
    assert "[MicrosoftPKI]" not in sql


def test_mi_certificate_is_the_arm_public_blob() -> None:
    assert DEMO.facts.azure is not None and DEMO.facts.azure.endpoint_certificate_hex
    sql = written(build())["01-sqlserver.sql"]
    assert f"FROM BINARY = 0x{DEMO.facts.azure.endpoint_certificate_hex.upper()}" in sql


def test_shell_script_has_partner_cert_as_0x_hex_and_link_create() -> None:
    shell = written(build())["02-managed-instance.sh"]
    assert DEMO.facts.sql is not None and DEMO.facts.sql.certificates is not None
    der = DEMO.facts.sql.certificates[0].public_der_hex
    assert f"--public-blob 0x{der.upper()}" in shell
    create = re.search(r"az sql mi link create (.+?)\n(?!  )", shell, re.S)
    assert create is not None
    # `link create` lost --replication-mode in 2024: Async (the default) needs no flag at all.
    assert "--replication-mode" not in shell
    for flag in ("--instance-ag-name AG_Membership_MI", "--partner-ag-name AG_Membership",
                 "--partner-endpoint TCP://10.20.1.10:5022", "--databases '[{database-name:Membership}]'",
                 "--resource-group rg-museum-data", "--instance-name sqlmi-museum-prod"):
        assert flag in create.group(0)
    subprocess.run(["bash", "-n"], input=shell, text=True, check=True)


@pytest.mark.parametrize("facts", [DEMO.facts, with_sql(master_key_present=False, certificates=(), endpoints=())],
                         ids=["demo", "bare"])
def test_no_placeholder_is_left(facts: Facts) -> None:
    for name, text in written(build(facts)).items():
        assert not PLACEHOLDER.search(text), (name, PLACEHOLDER.search(text))
        assert set(SQLCMD_VARIABLE.findall(text)) <= {MASTER_KEY_VARIABLE}, name


# --- steps follow the facts -------------------------------------------------------------------


def test_missing_master_key_gives_the_step_with_a_user_supplied_password() -> None:
    files = written(build(with_sql(master_key_present=False)))
    sql = files["01-sqlserver.sql"]
    assert sql.count("CREATE MASTER KEY") == 1
    assert f"CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'$({MASTER_KEY_VARIABLE})'" in sql
    assert f"`{MASTER_KEY_VARIABLE}`" in files["runbook.md"]  # listed under "Variables you set"
    assert not re.search(r"PASSWORD = N'(?!\$\()", sql)  # never a literal (generated) password
    assert_sql_is_valid(sql)


def test_unknown_master_key_is_created_only_if_missing() -> None:
    sql = written(build(with_sql(master_key_present=None)))["01-sqlserver.sql"]
    assert "IF NOT EXISTS (SELECT 1 FROM master.sys.symmetric_keys WHERE symmetric_key_id = 101)" in sql


def test_sql_2016_omits_cluster_type() -> None:
    sql = written(build(with_instance(product_version="13.0.7000.253")))["01-sqlserver.sql"]
    assert "CLUSTER_TYPE" not in sql and "CREATE AVAILABILITY GROUP [AG_Membership]" in sql
    assert_sql_is_valid(sql)


def test_no_endpoint_and_no_certificate_creates_both_and_shell_waits_for_the_key() -> None:
    facts = with_instance(server_name="SQL01\\INST2")
    facts = replace(facts, sql=replace(facts.sql, endpoints=(), certificates=()))  # type: ignore[arg-type]
    files = written(build(facts))
    sql = files["01-sqlserver.sql"]
    assert "CREATE CERTIFICATE [Cert_SQL01_INST2_endpoint]" in sql  # no backslash in the name
    assert "CREATE ENDPOINT [Hadr_endpoint]" in sql and "LISTENER_PORT = 5022" in sql
    assert "AUTHENTICATION = CERTIFICATE [Cert_SQL01_INST2_endpoint]" in sql
    assert "SELECT CERTENCODED(CERT_ID(N'Cert_SQL01_INST2_endpoint')) AS public_key_hex" in sql
    shell = files["02-managed-instance.sh"]
    assert '--public-blob "${SQL_CERT_PUBLIC_KEY}"' in shell
    assert ': "${SQL_CERT_PUBLIC_KEY:?' in shell  # the script stops if it is not set
    assert_sql_is_valid(sql)
    subprocess.run(["bash", "-n"], input=shell, text=True, check=True)


def test_endpoint_already_right_needs_no_step() -> None:
    endpoint = MirroringEndpoint("Hadr_endpoint", "STARTED", "ALL", 5022, "ALL", "CERTIFICATE", "AES", True,
                                 "Cert_SQLPROD01_endpoint", 256)
    runbook = build(with_sql(endpoints=(endpoint,)))
    sql = written(runbook)["01-sqlserver.sql"]
    assert "ALTER ENDPOINT" not in sql and "CREATE ENDPOINT" not in sql
    assert not any("endpoint Hadr_endpoint" in s.title for s in runbook.steps)
    assert any(item.startswith("Endpoint Hadr_endpoint is STARTED") for item in runbook.in_place)


def test_trusted_certificate_on_mi_skips_partner_cert() -> None:
    assert DEMO.facts.azure is not None and DEMO.facts.sql is not None and DEMO.facts.sql.certificates
    thumbprint = DEMO.facts.sql.certificates[0].thumbprint
    facts = replace(DEMO.facts, azure=replace(
        DEMO.facts.azure, server_trust_certificates=(TrustCertificate("sqlprod01", thumbprint.removeprefix("0x")),)))
    shell = written(build(facts))["02-managed-instance.sh"]
    assert "partner-cert create" not in shell and "az sql mi link create" in shell


def test_sync_mode_is_synchronous_commit() -> None:
    links = tuple(replace(link, replication_mode="Sync") for link in DEMO.facts.plan.links)
    files = written(build(replace(DEMO.facts, plan=replace(DEMO.facts.plan, links=links))))
    dag = files["01-sqlserver.sql"].split("CREATE AVAILABILITY GROUP [link-membership]")[1].split("GO")[0]
    assert dag.count("AVAILABILITY_MODE = SYNCHRONOUS_COMMIT") == 2
    assert "az sql mi link update --resource-group rg-museum-data --instance-name sqlmi-museum-prod " \
        "--name link-membership --replication-mode Sync" in files["02-managed-instance.sh"]


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        (replace(DEMO.facts, plan=replace(DEMO.facts.plan, links=())), "no link is planned"),
        (replace(DEMO.facts, sql=None), "sql.instance was not collected"),
        (replace(DEMO.facts, azure=None), "FQDN is unknown"),
        # Microsoft documents no script for it (extend-availability-group article): none is guessed.
        (replace(DEMO.facts, plan=replace(DEMO.facts.plan, initial_primary="ManagedInstance", links=tuple(
            replace(link, link_mode="MultiDatabase") for link in DEMO.facts.plan.links))),
         "no scripted runbook for link-membership, link-ticketing: .* SSMS link wizard"),
    ],
)
def test_missing_essentials_are_one_line_errors(facts: Facts, message: str) -> None:
    with pytest.raises(RunbookError, match=message):
        build(facts)


def test_forced_runbook_says_so_in_every_file() -> None:
    runbook = build(forced=True)
    for name, text in written(runbook).items():
        assert "--force" in text, name


# --- command line -----------------------------------------------------------------------------


PLAN_ONLY = 'name = "plan-only"\ninclude = ["area:plan"]\n'


def test_cli_writes_runbook_when_ready(tmp_path: Path) -> None:
    profile = tmp_path / "plan.toml"
    profile.write_text(PLAN_ONLY)
    snapshot = ROOT / "linkready" / "data" / "demo_snapshot.json"
    result = run_cli("runbook", str(snapshot), "-o", str(tmp_path / "rb"), "--profile", str(profile))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "rb" / "01-sqlserver.sql").is_file()
    assert (tmp_path / "rb" / "02-managed-instance.sh").stat().st_mode & 0o111
    assert "--force" not in (tmp_path / "rb" / "runbook.md").read_text()


def test_cli_refuses_when_not_ready_unless_forced(tmp_path: Path) -> None:
    profile = tmp_path / "plan.toml"
    profile.write_text(PLAN_ONLY)
    links = (replace(DEMO.facts.plan.links[0], partner_ag_name="AG_Membership_MI"), *DEMO.facts.plan.links[1:])
    bad = tmp_path / "bad.json"
    bad.write_text(dumps(replace(DEMO, facts=replace(DEMO.facts, plan=replace(DEMO.facts.plan, links=links)))))
    refused = run_cli("runbook", str(bad), "-o", str(tmp_path / "no"), "--profile", str(profile))
    assert refused.returncode == 1 and "PLAN-001" in refused.stderr and "--force" in refused.stderr
    assert not (tmp_path / "no").exists()
    forced = run_cli("runbook", str(bad), "-o", str(tmp_path / "yes"), "--profile", str(profile), "--force")
    assert forced.returncode == 0, forced.stderr
    markdown = (tmp_path / "yes" / "runbook.md").read_text()
    assert "Generated with `--force`" in markdown and "`PLAN-001`" in markdown
    assert "GENERATED WITH --force" in (tmp_path / "yes" / "01-sqlserver.sql").read_text()


def test_cli_missing_fact_is_exit_2(tmp_path: Path) -> None:
    profile = tmp_path / "plan.toml"
    profile.write_text(PLAN_ONLY)
    path = tmp_path / "noazure.json"
    path.write_text(dumps(replace(DEMO, facts=replace(DEMO.facts, azure=None))))
    result = run_cli("runbook", str(path), "-o", str(tmp_path / "rb"), "--profile", str(profile), "--force")
    assert result.returncode == 2 and result.stderr.startswith("linkready: error: ") and "FQDN" in result.stderr


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE AVAILABILITY GROUP [d] WITH (DISTRIBUTED) AVAILABILITY GROUP ON N'a' WITH (LISTENER_URL = N'x')",
        "CREATE ENDPOINT [e] AS TCP (LISTENER_PORT = 5022) FOR DATABASE_MIRRORING (ROLE = ALL, "
        "AUTHENTICATION = WINDOWS NEGOTIATE, ENCRYPTION = REQUIRED ALGORITHM AES)",
        "CREATE CERTIFICATE [c] FROM BINARY = 0x3082",
        "CREATE AVAILABILITY GROUP [a] FOR DATABASE [x] REPLICA ON N'S' WITH (ENDPOINT_URL = N'TCP://h:5022'",
    ],
)
def test_structural_checks_catch_broken_ddl(statement: str) -> None:
    with pytest.raises((AssertionError, ValueError)):
        check_ddl(statement)


# --- the managed instance as initial primary (issue 15) -------------------------------------------

MI_FIRST = replace(DEMO.facts, plan=replace(DEMO.facts.plan, initial_primary="ManagedInstance"))


def test_mi_initial_primary_grants_create_any_database_after_an_empty_ag() -> None:
    runbook = build(MI_FIRST)
    sql = written(runbook)["01-sqlserver.sql"]
    assert_sql_is_valid(sql)
    for link in DEMO.facts.plan.links:
        create = next(s for s in runbook.steps if s.commands[0].startswith(f"CREATE AVAILABILITY GROUP [{link.partner_ag_name}]"))
        grant = next(s for s in runbook.steps if s.commands == (
            f"ALTER AVAILABILITY GROUP [{link.partner_ag_name}] GRANT CREATE ANY DATABASE",))
        dag = next(s for s in runbook.steps if s.commands[0].startswith(f"CREATE AVAILABILITY GROUP [{link.name}]"))
        # SQL Server's AG starts empty: the database is seeded into it from the managed instance.
        assert "FOR REPLICA ON" in create.commands[0] and "FOR DATABASE" not in create.commands[0]
        # The grant comes after the AG exists and before the distributed AG: ordered as Microsoft's scripts.
        order = [s.number for s in runbook.steps]
        assert order.index(create.number) < order.index(grant.number) < order.index(dag.number)
        assert grant.script == "sql" and "No catalog view" in grant.why
        (database,) = link.databases
        assert f";Server=[{runbook.title.split(' → ')[1]}];Database=[{database}]'" in dag.commands[0]


def test_the_grant_is_a_step_even_when_the_ag_exists() -> None:
    assert MI_FIRST.sql is not None
    groups = tuple(AvailabilityGroup(link.partner_ag_name, False, False, "NONE", ()) for link in MI_FIRST.plan.links)
    runbook = build(replace(MI_FIRST, sql=replace(MI_FIRST.sql, availability_groups=groups)))
    assert all(f"Availability group {link.partner_ag_name} exists" in runbook.in_place for link in MI_FIRST.plan.links)
    grants = [s for s in runbook.steps if "GRANT CREATE ANY DATABASE" in s.commands[0]]
    assert len(grants) == len(MI_FIRST.plan.links)


def test_sql_server_initial_primary_has_no_grant_and_no_database_in_the_listener() -> None:
    sql = written(build())["01-sqlserver.sql"]
    assert "GRANT CREATE ANY DATABASE" not in sql and ";Database=" not in sql
    assert sql.count("FOR DATABASE [") == len(DEMO.facts.plan.links)


# --- prerequisites: changes the instance refuses while a link seeds ---------------------------------

def test_a_recommended_scaling_is_a_prerequisite_before_the_link() -> None:
    # The demo's instance has fewer vCores than the SQL Server: TGT-010 recommends scaling up, which the instance
    # refuses while a link seeds. The preflight profile does not run TGT-010, so the runbook runs it itself.
    runbook = build()
    assert [p.check_id for p in runbook.prerequisites] == ["TGT-010"]
    files = written(runbook)
    markdown = files["runbook.md"]
    section = markdown.split("## Before you start", 1)[1].split("\n## ", 1)[0]
    assert "OperationCanNotStartDueToMiLink" in section and "`TGT-010`" in section
    assert "az sql mi update" in section  # the finding's own fix, to copy
    assert markdown.index("## Before you start") < markdown.index("## Steps")
    assert "Before you start" in files["02-managed-instance.sh"].split("set -euo pipefail", 1)[0]


def test_the_report_s_findings_are_used_when_they_cover_the_check() -> None:
    # A PASS the gating report already holds wins over re-running the check on the facts (no line then).
    passed_10 = finding("TGT-010", Status.PASS, "vCores and memory match")
    assert build(findings=(passed_10,)).prerequisites == ()
    warned_11 = finding("TGT-011", Status.WARN, "Storage leaves no room to grow")
    assert [p.check_id for p in build(findings=(passed_10, warned_11)).prerequisites] == ["TGT-011"]


def test_no_prerequisite_without_a_recommended_change() -> None:
    assert DEMO.facts.sql is not None and DEMO.facts.sql.instance is not None and DEMO.facts.target is not None
    # The instance as large as the SQL Server: TGT-010 passes, and no other blocked change is recommended.
    matched = replace(DEMO.facts, target=replace(DEMO.facts.target, v_cores=16, memory_size_gb=128.0))
    runbook = build(matched)
    assert runbook.prerequisites == ()
    files = written(runbook)
    assert "Before you start" not in files["runbook.md"] and "Before you start" not in files["02-managed-instance.sh"]


def test_target_facts_not_collected_say_the_runbook_could_not_tell() -> None:
    # Unknown is never "nothing to do": without the target facts TGT-010..012 are ERROR, and each says so.
    runbook = build(replace(DEMO.facts, target=None))
    assert [(p.check_id, p.known) for p in runbook.prerequisites] == [
        ("TGT-010", False), ("TGT-011", False), ("TGT-012", False)]
    section = written(runbook)["runbook.md"].split("## Before you start", 1)[1].split("\n## ", 1)[0]
    assert ("`TGT-010` Managed instance vCores and memory match the SQL Server: could not tell (target was not "
            "collected") in section
    assert "Could not evaluate" not in section


def test_cli_audit_profile_runbook_says_to_scale_first(tmp_path: Path) -> None:
    snapshot = ROOT / "linkready" / "data" / "demo_snapshot.json"
    result = run_cli("runbook", str(snapshot), "-o", str(tmp_path / "rb"), "--profile", "audit", "--force")
    assert result.returncode == 0, result.stderr
    markdown = (tmp_path / "rb" / "runbook.md").read_text()
    assert "## Before you start" in markdown and "OperationCanNotStartDueToMiLink" in markdown
