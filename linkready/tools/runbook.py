"""The link runbook: the ordered steps that create each planned link, generated from facts + plan.

Pure: facts in, text out. Nothing is executed by linkready. The steps follow Microsoft's
"configure the link with scripts" order (reference §2.5, §3):

1. SQL Server (``01-sqlserver.sql``, sqlcmd mode): database master key if missing, the endpoint
   certificate, the database mirroring endpoint (certificate auth, AES), the managed instance's
   endpoint certificate imported under the MI FQDN, the Azure root CAs mapped with
   ``sp_certificate_add_issuer``, then per link an availability group and a distributed one.
2. Managed instance (``02-managed-instance.sh``, az CLI): trust SQL Server's endpoint certificate
   (``az sql mi partner-cert create``), then ``az sql mi link create``.
3. Verification (``03-verify.sql``): replica and database synchronisation, seeding progress.

Every value comes from the facts. The only value the user supplies is the master key password
(a sqlcmd scripting variable, read from the environment) — linkready never invents a secret.
Values the snapshot lacks (e.g. a certificate that this runbook itself creates) are taken at run
time from a named variable with the query that prints it, never as an angle-bracket placeholder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from linkready.domain import azcli, endpoint_ddl, resource_ids
from linkready.domain.azcli import shell_quote
from linkready.domain.clouds import CLOUDS, ROOT_CAS
from linkready.domain.docs import DOCS_SCRIPTS
from linkready.domain.endpoints import certificate_name_for, parse_endpoint
from linkready.domain.tsql import import_root_ca, quote_name, quote_string
from linkready.facts import Facts
from linkready.facts.sql import MirroringEndpoint, SqlCertificate
from linkready.model import Finding, Verdict

MASTER_KEY_VARIABLE = "MASTER_KEY_PASSWORD"
MI_CERT_VARIABLE = "MI_ENDPOINT_CERT_HEX"
SQL_CERT_VARIABLE = "SQL_CERT_PUBLIC_KEY"
DEFAULT_ENDPOINT_NAME = "Hadr_endpoint"
#: Issuer mapping suffix per cloud: the MI endpoint certificates are issued for this domain.
CLOUD_SUFFIXES = {c.name: c.issuer_pattern for c in CLOUDS.values()}


class RunbookError(ValueError):
    """The snapshot lacks something no runbook can do without (one line, names the fact)."""


@dataclass(frozen=True)
class Step:
    """One step: what to run where, why, and how to check it worked."""

    number: str
    title: str
    #: "sql" (01-sqlserver.sql), "mi" (02-managed-instance.sh) or "verify" (03-verify.sql).
    script: str
    why: str
    #: T-SQL statements (script "sql"/"verify") or shell commands (script "mi"), in order.
    commands: tuple[str, ...]
    #: Queries (T-SQL for SQL Server steps, az CLI for MI steps) that show the step worked.
    verify: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Runbook:
    title: str
    verdict: Verdict
    forced: bool
    digest: str
    generated_at: datetime
    steps: tuple[Step, ...]
    #: Things the facts show are already in place (no step generated).
    in_place: tuple[str, ...] = ()
    #: Variables the user sets before running (name, how to obtain it).
    variables: tuple[tuple[str, str], ...] = ()
    blockers: tuple[Finding, ...] = ()
    facts_summary: dict[str, str] = field(default_factory=dict)
    server: str = ""

    def files(self) -> dict[str, str]:
        return {
            "runbook.md": render_markdown(self),
            "01-sqlserver.sql": render_sql(self, "sql"),
            "02-managed-instance.sh": render_shell(self),
            "03-verify.sql": render_sql(self, "verify"),
        }


# ---------------------------------------------------------------------------------------------
# Helpers




def _hex(der_hex: str) -> str:
    value = der_hex.strip()
    value = value[2:] if value.lower().startswith("0x") else value
    if not re.fullmatch(r"[0-9A-Fa-f]+", value) or len(value) % 2:
        raise RunbookError("a certificate in the snapshot is not hexadecimal DER")
    return "0x" + value.upper()


def root_ca_der(common_name: str) -> str | None:
    """The root CA's DER (hex) from the certifi bundle, when installed (it ships with requests)."""
    try:
        import certifi
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding
    except ImportError:
        return None
    import warnings

    with open(certifi.where(), "rb") as handle, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few bundle roots have odd serials; not ours
        certificates = x509.load_pem_x509_certificates(handle.read())
    for cert in certificates:
        names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        if names and names[0].value == common_name:
            return cert.public_bytes(Encoding.DER).hex().upper()
    return None


def _major(version: str) -> int:
    try:
        return int(version.split(".")[0])
    except ValueError:
        raise RunbookError(f"sql.instance.product_version {version!r} is not a version number") from None


def _mi_parts(facts: Facts) -> tuple[str, str, str]:
    """(resource group, instance name, FQDN) from the Azure facts, else the plan."""
    mi = facts.azure.managed_instance if facts.azure else None
    resource_id = (mi.id if mi else "") or facts.plan.mi_resource_id
    rid = resource_ids.parse(resource_id)
    if rid is None:
        raise RunbookError("the snapshot names no managed instance resource ID (plan.mi_resource_id)")
    fqdn = (mi.fqdn if mi else "") or facts.plan.mi_fqdn
    if not fqdn:
        raise RunbookError(
            "the managed instance FQDN is unknown (azure.managed_instance not collected and "
            "managed_instance.fqdn not configured)"
        )
    return rid.group, (mi.name if mi else rid.name), fqdn


def _endpoint_for_link(partner_endpoint: str) -> tuple[str, int]:
    parsed = parse_endpoint(partner_endpoint)
    if parsed is None:
        raise RunbookError(f"partner endpoint {partner_endpoint!r} is not TCP://host:port (see PLAN-002)")
    return parsed.raw_host, parsed.port


# ---------------------------------------------------------------------------------------------
# The generator


def generate(
    facts: Facts,
    *,
    verdict: Verdict,
    digest: str,
    generated_at: datetime,
    forced: bool = False,
    blockers: tuple[Finding, ...] = (),
) -> Runbook:
    """The runbook for every planned link. Raises RunbookError when an essential fact is missing."""
    if not facts.plan.links:
        raise RunbookError("no link is planned in the snapshot (plan.links is empty)")
    instance = facts.sql.instance if facts.sql else None
    if instance is None:
        raise RunbookError("sql.instance was not collected: the server name and version are needed")
    group, mi_name, mi_fqdn = _mi_parts(facts)
    major = _major(instance.product_version)
    sql = facts.sql
    assert sql is not None
    certificates = sql.certificates or ()
    endpoints = sql.endpoints or ()
    server = instance.server_name
    _, first_port = _endpoint_for_link(facts.plan.links[0].partner_endpoint)

    steps: list[Step] = []
    in_place: list[str] = []
    variables: list[tuple[str, str]] = []

    def add(title: str, script: str, why: str, commands: list[str], verify: list[str] | None = None,
            note: str = "") -> None:
        prefix = {"sql": "1", "mi": "2", "verify": "3"}[script]
        number = f"{prefix}.{sum(s.script == script for s in steps) + 1}"
        steps.append(Step(number, title, script, why, tuple(commands), tuple(verify or ()), note))

    # 1.x Database master key ------------------------------------------------------------------
    if sql.master_key_present is True:
        in_place.append("Database master key exists in master")
    else:
        variables.append((
            MASTER_KEY_VARIABLE,
            "a strong password you choose for the master database's master key; keep it in your password "
            "vault. sqlcmd reads it from the environment (never written by linkready).",
        ))
        add(
            "Create the database master key in master",
            "sql",
            "The master key protects the private key of the endpoint certificate. "
            + ("The snapshot shows none in master." if sql.master_key_present is False
               else "The snapshot could not tell whether one exists, so the step checks first."),
            [
                "IF NOT EXISTS (SELECT 1 FROM master.sys.symmetric_keys WHERE symmetric_key_id = 101)\n"
                f"    CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'$({MASTER_KEY_VARIABLE})'",
            ],
            ["SELECT name, create_date FROM master.sys.symmetric_keys WHERE symmetric_key_id = 101"],
            note=f"Set {MASTER_KEY_VARIABLE} in the environment before running (see Variables).",
        )

    # 1.x Endpoint certificate -----------------------------------------------------------------
    endpoint = endpoints[0] if endpoints else None
    sql_cert = _endpoint_certificate(endpoint, certificates, server)
    cert_name = sql_cert.name if sql_cert else certificate_name_for(server)
    if sql_cert is not None:
        in_place.append(f"Endpoint certificate {cert_name} exists with a private key protected by the master key")
    else:
        expiry = (generated_at + timedelta(days=3 * 365)).strftime("%Y%m%d")
        add(
            f"Create the endpoint certificate {cert_name}",
            "sql",
            "The link authenticates SQL Server to the managed instance with this certificate; the managed "
            "instance trusts its public key (step 2.1).",
            [
                f"CREATE CERTIFICATE {quote_name(cert_name)}\n"
                f"    WITH SUBJECT = {quote_string(f'Certificate for {server} database mirroring endpoint')},\n"
                f"    EXPIRY_DATE = '{expiry}'",
            ],
            [
                "SELECT name, thumbprint, expiry_date, pvt_key_encryption_type_desc FROM master.sys.certificates "
                f"WHERE name = {quote_string(cert_name)}",
                f"SELECT CERTENCODED(CERT_ID({quote_string(cert_name)})) AS public_key_hex",
            ],
        )

    # 1.x Database mirroring endpoint ----------------------------------------------------------
    endpoint_step = _endpoint_step(endpoint, cert_name, first_port)
    if endpoint_step is None:
        assert endpoint is not None
        in_place.append(
            f"Endpoint {endpoint.name} is STARTED, role ALL, certificate authentication with AES on port {endpoint.port}"
        )
    else:
        title, why, statement = endpoint_step
        add(title, "sql", why, [statement], [
            "SELECT e.name, e.state_desc, e.role_desc, e.connection_auth_desc, e.encryption_algorithm_desc, t.port "
            "FROM master.sys.database_mirroring_endpoints AS e JOIN master.sys.tcp_endpoints AS t "
            "ON t.endpoint_id = e.endpoint_id",
        ])

    # 1.x The managed instance's endpoint certificate under its FQDN ---------------------------
    mi_hex = facts.azure.endpoint_certificate_hex if facts.azure else None
    existing = next((c for c in certificates if c.name.lower() == mi_fqdn.lower()), None)
    if existing is not None and mi_hex and existing.public_der_hex.upper() == mi_hex.upper().removeprefix("0X"):
        in_place.append(f"The managed instance's endpoint certificate is in master as [{mi_fqdn}]")
    else:
        if mi_hex:
            binary = _hex(mi_hex)
            note = ""
        else:
            binary = f"$({MI_CERT_VARIABLE})"
            variables.append((
                MI_CERT_VARIABLE,
                "the 0x-prefixed output of: " + azcli.ENDPOINT_BLOB_SHELL.format(
                    target=f"--resource-group {shell_quote(group)} --instance-name {shell_quote(mi_name)}"),
            ))
            note = f"The snapshot has no endpoint certificate for the managed instance: set {MI_CERT_VARIABLE}."
        same_key = [c.name for c in certificates if mi_hex and c.public_der_hex.upper() == _hex(mi_hex)[2:]]
        if same_key:
            note = (note + " " if note else "") + (
                f"The same certificate is already in master as {', '.join(same_key)}: SQL Server looks it up by "
                "the MI FQDN, so import it under that name (drop the other copy if nothing else uses it)."
            )
        add(
            f"Import the managed instance's endpoint certificate as [{mi_fqdn}]",
            "sql",
            "SQL Server must trust the managed instance's DATABASE_MIRRORING endpoint certificate, under the "
            "managed instance's FQDN; otherwise the link fails with error 41974.",
            [f"CREATE CERTIFICATE {quote_name(mi_fqdn)}\n    FROM BINARY = {binary}"],
            ["SELECT name, thumbprint, expiry_date FROM master.sys.certificates "
             f"WHERE name = {quote_string(mi_fqdn)}"],
            note=note,
        )

    # 1.x Root CAs mapped to the managed instance domain ---------------------------------------
    suffix = CLOUD_SUFFIXES.get(facts.plan.cloud, CLOUD_SUFFIXES["AzureCloud"])
    root_commands: list[str] = []
    root_names: list[str] = []
    for name, common_name in ROOT_CAS:
        present = next((c for c in certificates if c.name == name or common_name in c.subject), None)
        if present is not None and suffix in (present.issuer_mappings or ()):
            in_place.append(f"Root CA {common_name} is imported as [{present.name}] and mapped to {suffix}")
            continue
        if present is not None:
            # Microsoft's script maps a root only when it imports it; re-running sp_certificate_add_issuer on
            # an existing mapping fails, and the mapping cannot be read with a SELECT (CERT-005 says so).
            in_place.append(f"Root CA {common_name} is imported as [{present.name}] (its mapping to {suffix} is not "
                            "readable; map it with sp_certificate_add_issuer only if the link fails with 41974)")
            continue
        der = root_ca_der(common_name)
        if der is None:
            variable = f"{name.upper()}_CERT_HEX"
            variables.append((variable, f"the DER of '{common_name}' as 0x-prefixed hex (Azure CA details page)"))
            binary = f"$({variable})"
        else:
            binary = _hex(der)
        root_commands.append(import_root_ca(name, binary, suffix))
        root_names.append(name)
    if root_commands:
        add(
            f"Import the Azure root CAs and map them to {suffix}",
            "sql",
            "The managed instance's certificates chain to these roots; sp_certificate_add_issuer tells SQL Server "
            "which domain they vouch for. The roots can change as Azure updates its CAs.",
            root_commands,
            ["SELECT name, subject, expiry_date FROM master.sys.certificates WHERE name IN ("
             + ", ".join(quote_string(n) for n in root_names) + ")"],
        )

    # 1.x Per link: availability group and distributed availability group ----------------------
    existing_ags = {ag.name.lower() for ag in (sql.availability_groups or ())}
    for link in facts.plan.links:
        host, port = _endpoint_for_link(link.partner_endpoint)
        endpoint_url = f"TCP://{host}:{port}"
        commit = "SYNCHRONOUS_COMMIT" if link.replication_mode.lower() == "sync" else "ASYNCHRONOUS_COMMIT"
        databases = ", ".join(quote_name(db) for db in link.databases)
        if link.partner_ag_name.lower() in existing_ags:
            in_place.append(f"Availability group {link.partner_ag_name} exists")
        else:
            cluster = "" if major <= 13 else "WITH (CLUSTER_TYPE = NONE)\n"
            add(
                f"Create availability group {link.partner_ag_name} for {', '.join(link.databases)}",
                "sql",
                "The link replicates an availability group on SQL Server"
                + (" (SQL Server 2016 has no CLUSTER_TYPE option: the AG needs the failover cluster)."
                   if major <= 13 else " with no cluster manager (CLUSTER_TYPE = NONE).")
                + " Automatic seeding copies the database to the managed instance.",
                [
                    f"CREATE AVAILABILITY GROUP {quote_name(link.partner_ag_name)}\n"
                    f"{cluster}FOR DATABASE {databases}\n"
                    f"REPLICA ON {quote_string(server)} WITH (\n"
                    f"    ENDPOINT_URL = {quote_string(endpoint_url)},\n"
                    "    FAILOVER_MODE = MANUAL,\n"
                    "    AVAILABILITY_MODE = SYNCHRONOUS_COMMIT,\n"
                    "    BACKUP_PRIORITY = 50,\n"
                    "    SECONDARY_ROLE (ALLOW_CONNECTIONS = NO),\n"
                    "    SEEDING_MODE = AUTOMATIC\n"
                    ")",
                ],
                [
                    "SELECT ag.name, rs.role_desc, rs.synchronization_health_desc FROM master.sys.availability_groups "
                    "AS ag JOIN master.sys.dm_hadr_availability_replica_states AS rs ON rs.group_id = ag.group_id "
                    f"WHERE ag.name = {quote_string(link.partner_ag_name)}",
                ],
            )
        if link.name.lower() in existing_ags:
            in_place.append(f"Distributed availability group {link.name} exists")
        else:
            add(
                f"Create distributed availability group {link.name}",
                "sql",
                "The link itself: a distributed availability group joining SQL Server's AG and the managed "
                f"instance's AG {link.instance_ag_name}. Replication mode {link.replication_mode} = {commit}.",
                [
                    f"CREATE AVAILABILITY GROUP {quote_name(link.name)}\n"
                    "WITH (DISTRIBUTED)\n"
                    "AVAILABILITY GROUP ON\n"
                    f"    {quote_string(link.partner_ag_name)} WITH (\n"
                    f"        LISTENER_URL = {quote_string(endpoint_url)},\n"
                    f"        AVAILABILITY_MODE = {commit},\n"
                    "        FAILOVER_MODE = MANUAL,\n"
                    "        SEEDING_MODE = AUTOMATIC,\n"
                    "        SESSION_TIMEOUT = 20\n"
                    "    ),\n"
                    f"    {quote_string(link.instance_ag_name)} WITH (\n"
                    f"        LISTENER_URL = {quote_string(f'tcp://{mi_fqdn}:5022;Server=[{mi_name}]')},\n"
                    f"        AVAILABILITY_MODE = {commit},\n"
                    "        FAILOVER_MODE = MANUAL,\n"
                    "        SEEDING_MODE = AUTOMATIC\n"
                    "    )",
                ],
                [
                    "SELECT ag.name, ag.is_distributed, ar.replica_server_name, ar.endpoint_url FROM "
                    "master.sys.availability_groups AS ag JOIN master.sys.availability_replicas AS ar "
                    f"ON ar.group_id = ag.group_id WHERE ag.name = {quote_string(link.name)}",
                ],
            )

    # 2.x Managed instance side ----------------------------------------------------------------
    trusted = _trusted_on_mi(facts, sql_cert)
    target = f"--resource-group {shell_quote(group)} --instance-name {shell_quote(mi_name)}"
    if trusted:
        in_place.append(f"The managed instance already trusts {cert_name} (server trust certificate {trusted})")
    else:
        if sql_cert is not None and sql_cert.public_der_hex:
            blob = _hex(sql_cert.public_der_hex)
            note = ""
        else:
            blob = f'"${{{SQL_CERT_VARIABLE}}}"'
            variables.append((
                SQL_CERT_VARIABLE,
                f"the public_key_hex value (0x…) printed by the verification query of the step that creates "
                f"{cert_name}",
            ))
            note = f"{SQL_CERT_VARIABLE} must hold the 0x-prefixed hex of the new certificate (see Variables)."
        add(
            f"Trust SQL Server's endpoint certificate on {mi_name}",
            "mi",
            "The managed instance must trust SQL Server's endpoint certificate (server trust certificate); "
            "otherwise the link fails with error 41973. The public key is passed as 0x-prefixed hex.",
            [azcli.partner_cert_create(target, name=cert_name, blob=blob)],
            [f"az sql mi partner-cert list {target} -o table"],
            note=note,
        )
    failover_mode = "Manual" if facts.plan.failback or facts.plan.initial_primary == "ManagedInstance" else ""
    role = "Primary" if facts.plan.initial_primary == "ManagedInstance" else ""
    for link in facts.plan.links:
        commands = [azcli.link_create(
            target, name=link.name, instance_ag=link.instance_ag_name, partner_ag=link.partner_ag_name,
            partner_endpoint=link.partner_endpoint, databases=link.databases, link_mode=link.link_mode,
            failover_mode=failover_mode, instance_link_role=role)]
        if link.replication_mode.lower() != "async":
            # `link create` always starts asynchronous; the mode is changed afterwards.
            commands.append(azcli.link_set_replication_mode(target, name=link.name,
                                                            replication_mode=link.replication_mode))
        add(
            f"Create link {link.name} on {mi_name}",
            "mi",
            "Creates the managed instance's side of the distributed availability group and starts seeding. "
            "Link creation is cancelled if seeding does not finish within 6 days.",
            commands,
            [f"az sql mi link show {target} --name {shell_quote(link.name)} -o table"],
        )

    # 3.x Verification on SQL Server -----------------------------------------------------------
    names = ", ".join(quote_string(n) for link in facts.plan.links for n in (link.name, link.partner_ag_name))
    add(
        "Check the replicas are connected and healthy",
        "verify",
        "Both sides of each distributed availability group should be CONNECTED and HEALTHY once the link exists.",
        [
            "SELECT ag.name, ar.replica_server_name, rs.role_desc, rs.connected_state_desc, "
            "rs.synchronization_health_desc FROM master.sys.availability_groups AS ag "
            "JOIN master.sys.availability_replicas AS ar ON ar.group_id = ag.group_id "
            "LEFT JOIN master.sys.dm_hadr_availability_replica_states AS rs ON rs.replica_id = ar.replica_id "
            f"WHERE ag.name IN ({names})",
        ],
    )
    add(
        "Follow seeding and synchronisation per database",
        "verify",
        "Seeding progress and then the log send and redo queues: both should trend to zero.",
        [
            # current_state/failure_state_desc live in dm_hadr_automatic_seeding; the byte counts in
            # dm_hadr_physical_seeding_stats (joined through the database, as Microsoft's troubleshooting does).
            "SELECT ag.name, d.name AS database_name, s.current_state, s.failure_state_desc, s.number_of_attempts, "
            "ps.transferred_size_bytes, ps.database_size_bytes, ps.estimate_time_complete_utc "
            "FROM master.sys.dm_hadr_automatic_seeding AS s JOIN master.sys.availability_groups AS ag "
            "ON ag.group_id = s.ag_id LEFT JOIN master.sys.databases AS d ON d.group_database_id = s.ag_db_id "
            "LEFT JOIN master.sys.dm_hadr_physical_seeding_stats AS ps ON ps.local_database_id = d.database_id "
            f"WHERE ag.name IN ({names})",
            "SELECT ag.name, DB_NAME(drs.database_id) AS database_name, drs.synchronization_state_desc, "
            "drs.synchronization_health_desc, drs.log_send_queue_size, drs.redo_queue_size "
            "FROM master.sys.dm_hadr_database_replica_states AS drs JOIN master.sys.availability_groups AS ag "
            f"ON ag.group_id = drs.group_id WHERE ag.name IN ({names})",
        ],
    )

    return Runbook(
        title=f"Managed Instance link runbook: {server} → {mi_name}",
        verdict=verdict,
        forced=forced,
        digest=digest,
        generated_at=generated_at,
        steps=tuple(steps),
        in_place=tuple(in_place),
        variables=tuple(dict.fromkeys(variables)),
        blockers=blockers,
        server=facts.plan.source_server or server,
        facts_summary={
            "SQL Server": f"{server} ({instance.product_version}, {instance.edition})",
            "Managed instance": f"{mi_name} ({mi_fqdn}), resource group {group}",
            "Links": ", ".join(f"{link.name} ({', '.join(link.databases)}, {link.replication_mode})"
                               for link in facts.plan.links),
        },
    )


def _endpoint_certificate(
    endpoint: MirroringEndpoint | None, certificates: tuple[SqlCertificate, ...], server: str
) -> SqlCertificate | None:
    """The certificate the endpoint uses, else the conventional one — if it has a usable private key."""
    wanted = [endpoint.certificate_name] if endpoint and endpoint.certificate_name else []
    wanted.append(certificate_name_for(server))
    for name in wanted:
        cert = next((c for c in certificates if c.name == name), None)
        if cert is not None and cert.pvt_key_encryption_type == "MK":
            return cert
    return None


def _endpoint_step(endpoint: MirroringEndpoint | None, cert_name: str, port: int) -> tuple[str, str, str] | None:
    if endpoint is None:
        statement = (
            f"CREATE ENDPOINT {quote_name(DEFAULT_ENDPOINT_NAME)}\n"
            "    STATE = STARTED\n"
            f"    AS TCP (LISTENER_PORT = {port}, LISTENER_IP = ALL)\n"
            + endpoint_ddl.mirroring_clause(auth=endpoint_ddl.authentication("CERTIFICATE", cert_name))
        )
        return (
            f"Create the database mirroring endpoint on port {port}",
            "The link's traffic uses a DATABASE_MIRRORING endpoint with certificate authentication and AES.",
            statement,
        )
    auth = endpoint.connection_auth.upper()
    uses_cert = "CERTIFICATE" in auth and endpoint.certificate_name == cert_name
    aes = "AES" in endpoint.encryption_algorithm.upper() and endpoint.is_encryption_enabled
    if uses_cert and aes and endpoint.state.upper() == "STARTED" and endpoint.role.upper() == "ALL":
        return None
    # Keep Windows authentication (and its protocol) when the endpoint has it: existing AGs use it.
    statement = endpoint_ddl.alter_mirroring(
        endpoint.name, auth=endpoint_ddl.authentication(endpoint.connection_auth, cert_name), start=True)
    return (
        f"Enable certificate authentication and AES on endpoint {endpoint.name}",
        f"The endpoint uses {endpoint.connection_auth or 'no'} authentication with "
        f"{endpoint.encryption_algorithm or 'no'} encryption ({endpoint.state}); the link needs certificate "
        "authentication and AES. Windows authentication is kept for existing availability groups.",
        statement,
    )


def _trusted_on_mi(facts: Facts, sql_cert: SqlCertificate | None) -> str:
    """The server trust certificate on the MI holding the same public key, matched by thumbprint."""
    trusted = facts.azure.server_trust_certificates if facts.azure else None
    if sql_cert is None or not trusted:
        return ""
    thumbprint = sql_cert.thumbprint.upper().removeprefix("0X")
    for cert in trusted:
        if cert.thumbprint.upper().removeprefix("0X") == thumbprint:
            return cert.name
    return ""


# ---------------------------------------------------------------------------------------------
# Rendering


def _banner(runbook: Runbook, comment: str) -> list[str]:
    lines = [
        f"{comment} {runbook.title}",
        f"{comment} Generated {runbook.generated_at.strftime('%Y-%m-%d %H:%M UTC')} by linkready from snapshot "
        f"{runbook.digest}",
        f"{comment} Preflight verdict: {runbook.verdict.value}. Nothing here has been run by linkready.",
    ]
    if runbook.forced:
        lines += [
            f"{comment} !!! GENERATED WITH --force: the preflight verdict is {runbook.verdict.value}, NOT Ready.",
            f"{comment} !!! Fix the blocking findings listed in runbook.md first, or these steps will fail.",
        ]
    return lines


def render_sql(runbook: Runbook, script: str) -> str:
    """01-sqlserver.sql or 03-verify.sql: one batch per step (sqlcmd / SSMS SQLCMD mode)."""
    lines = [*_banner(runbook, "--"), ""]
    if script == "sql":
        lines += ["-- Run with sqlcmd (or SSMS in SQLCMD mode) as a sysadmin, step by step.", ":on error exit", ""]
    lines += ["USE master;", "GO", ""]
    for step in (s for s in runbook.steps if s.script == script):
        lines.append(f"-- Step {step.number}: {step.title}")
        if step.note:
            lines.append(f"-- Note: {step.note}")
        lines += [f"{command};" for command in step.commands]
        lines.append("GO")
        for query in step.verify:
            lines += [f"-- Verify {step.number}:", f"{query};", "GO"]
        lines.append("")
    return "\n".join(lines)


def render_shell(runbook: Runbook) -> str:
    lines = ["#!/usr/bin/env bash", *_banner(runbook, "#"), "# Run after 01-sqlserver.sql, signed in with `az login`.",
             "set -euo pipefail", ""]
    for step in (s for s in runbook.steps if s.script == "mi"):
        lines.append(f"# Step {step.number}: {step.title}")
        if step.note:
            lines.append(f"# Note: {step.note}")
            if f"${{{SQL_CERT_VARIABLE}}}" in " ".join(step.commands):
                lines.append(f': "${{{SQL_CERT_VARIABLE}:?set {SQL_CERT_VARIABLE} (see runbook.md, Variables)}}"')
        lines += list(step.commands)
        for command in step.verify:
            lines += [f"# Verify {step.number}:", command]
        lines.append("")
    return "\n".join(lines)


def render_markdown(runbook: Runbook) -> str:
    out = [f"# {runbook.title}", ""]
    if runbook.forced:
        out += [
            f"> **Generated with `--force`: the preflight verdict is _{runbook.verdict.value}_, not Ready.** "
            "These steps will fail or create a broken link until the blocking findings below are fixed.",
            "",
        ]
    out += [
        f"Generated {runbook.generated_at.strftime('%Y-%m-%d %H:%M UTC')} from snapshot `{runbook.digest}`. "
        f"Preflight verdict: **{runbook.verdict.value}**. linkready has run nothing: review each step, run it, "
        "then run its verification before the next.",
        "",
    ]
    out += [f"- **{key}:** {value}" for key, value in runbook.facts_summary.items()]
    out.append("")
    if runbook.blockers:
        out += ["## Blocking findings (fix first)", ""]
        out += [f"- `{f.check_id}` {f.message}" + (f" ({f.target})" if f.target else "") for f in runbook.blockers]
        out.append("")
    out += ["## Files", "",
            "| File | Where | How |", "|---|---|---|",
            f"| `01-sqlserver.sql` | SQL Server, as sysadmin | `sqlcmd -S {runbook.server} -E -i 01-sqlserver.sql` "
            "(or SSMS in SQLCMD mode) |",
            "| `02-managed-instance.sh` | Azure CLI, signed in | `bash 02-managed-instance.sh` |",
            "| `03-verify.sql` | SQL Server | after the link is created, and while seeding |", ""]
    if runbook.variables:
        out += ["## Variables you set", "",
                "linkready never generates or stores secrets. Set these in the environment of the shell that runs "
                "the scripts (sqlcmd reads scripting variables from the environment):", ""]
        out += [f"- `{name}`: {how}" for name, how in runbook.variables]
        out.append("")
    if runbook.in_place:
        out += ["## Already in place (no step needed)", ""]
        out += [f"- {item}" for item in runbook.in_place]
        out.append("")
    out += ["## Steps", ""]
    for step in runbook.steps:
        where = {"sql": "SQL Server — 01-sqlserver.sql", "mi": "Managed instance — 02-managed-instance.sh",
                 "verify": "SQL Server — 03-verify.sql"}[step.script]
        language = "bash" if step.script == "mi" else "sql"
        out += [f"### {step.number} {step.title}", "", f"*{where}.* {step.why}", ""]
        if step.note:
            out += [f"**Note:** {step.note}", ""]
        out += [f"```{language}", *((c + ";") if language == "sql" else c for c in step.commands), "```", ""]
        if step.verify:
            out += ["Verify:", "", f"```{language}",
                    *((q + ";") if language == "sql" else q for q in step.verify), "```", ""]
    out += [f"Reference: {DOCS_SCRIPTS}", ""]
    return "\n".join(out)
