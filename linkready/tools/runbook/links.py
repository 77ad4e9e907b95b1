"""Phases that create each link: SQL Server's availability group and distributed availability group
(1.x), the managed instance's trust in SQL Server's certificate and ``az sql mi link create`` (2.x)."""

from __future__ import annotations

from linkready.domain import azcli
from linkready.domain.azcli import shell_quote
from linkready.domain.endpoints import parse_endpoint
from linkready.domain.tsql import quote_name, quote_string
from linkready.facts.plan import PlannedLink
from linkready.tools.runbook.model import SQL_CERT_VARIABLE, Context, Piece, RunbookError, Step, hex_blob, step


def endpoint_for_link(partner_endpoint: str) -> tuple[str, int]:
    parsed = parse_endpoint(partner_endpoint)
    if parsed is None:
        raise RunbookError(f"partner endpoint {partner_endpoint!r} is not TCP://host:port (see PLAN-002)")
    return parsed.raw_host, parsed.port


def availability_groups(ctx: Context) -> Piece:
    """Per link, SQL Server's availability group and then the distributed one, unless they exist."""
    steps: list[Step] = []
    in_place: list[str] = []
    mi_first = mi_is_initial_primary(ctx)
    for link in ctx.facts.plan.links:
        host, port = endpoint_for_link(link.partner_endpoint)
        if link.partner_ag_name.lower() in ctx.existing_ags:
            in_place.append(f"Availability group {link.partner_ag_name} exists")
        else:
            steps.append(_availability_group(ctx, link, f"TCP://{host}:{port}"))
        if mi_first:
            # Not readable beforehand (no catalog view shows it), so never "in place": always a step.
            steps.append(_grant_create_database(link))
        if link.name.lower() in ctx.existing_ags:
            in_place.append(f"Distributed availability group {link.name} exists")
        else:
            steps.append(_distributed_group(ctx, link, f"TCP://{host}:{port}"))
    return Piece(steps=tuple(steps), in_place=tuple(in_place))


def mi_is_initial_primary(ctx: Context) -> bool:
    """The plan seeds from the managed instance to SQL Server."""
    return ctx.facts.plan.initial_primary == "ManagedInstance"


def _availability_group(ctx: Context, link: PlannedLink, endpoint_url: str) -> Step:
    old = ctx.major <= 13  # SQL Server 2016 has no CLUSTER_TYPE
    cluster = "" if old else "WITH (CLUSTER_TYPE = NONE)\n"
    if mi_is_initial_primary(ctx):
        # The database comes from the managed instance: SQL Server's AG starts empty (FOR REPLICA ON, no DATABASE).
        title = f"Create availability group {link.partner_ag_name} (empty: {', '.join(link.databases)} comes "
        title += "from the managed instance)"
        databases, seeding = "", f"Automatic seeding creates {', '.join(link.databases)} here from the managed instance."
    else:
        title = f"Create availability group {link.partner_ag_name} for {', '.join(link.databases)}"
        databases = "DATABASE " + ", ".join(quote_name(db) for db in link.databases) + "\n"
        seeding = "Automatic seeding copies the database to the managed instance."
    return step(
        title,
        "sql",
        "The link replicates an availability group on SQL Server"
        + (" (SQL Server 2016 has no CLUSTER_TYPE option: the AG needs the failover cluster)."
           if old else " with no cluster manager (CLUSTER_TYPE = NONE).")
        + f" {seeding}",
        [
            f"CREATE AVAILABILITY GROUP {quote_name(link.partner_ag_name)}\n"
            f"{cluster}FOR {databases}"
            f"REPLICA ON {quote_string(ctx.server)} WITH (\n"
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


def _grant_create_database(link: PlannedLink) -> Step:
    """ALTER AVAILABILITY GROUP ... GRANT CREATE ANY DATABASE: SQL Server may then create the seeded database."""
    return step(
        f"Let availability group {link.partner_ag_name} create {', '.join(link.databases)} on SQL Server",
        "sql",
        "With the managed instance as initial primary, automatic seeding creates the database on SQL Server, which "
        "the availability group may do only once it is granted CREATE ANY DATABASE (Microsoft's link scripts, "
        "managed instance initial primary). No catalog view shows the grant beforehand, so this step is always here.",
        [f"ALTER AVAILABILITY GROUP {quote_name(link.partner_ag_name)} GRANT CREATE ANY DATABASE"],
        note="03-verify.sql shows it worked: seeding reaches SQL Server and the database appears there.",
    )


def _mi_listener_url(ctx: Context, link: PlannedLink) -> str:
    """The managed instance side's LISTENER_URL; with the instance as initial primary it names the database."""
    url = f"tcp://{ctx.mi_fqdn}:5022;Server=[{ctx.mi_name}]"
    if mi_is_initial_primary(ctx) and len(link.databases) == 1:
        url += f";Database={quote_name(link.databases[0])}"
    return url


def _distributed_group(ctx: Context, link: PlannedLink, endpoint_url: str) -> Step:
    commit = "SYNCHRONOUS_COMMIT" if link.replication_mode.lower() == "sync" else "ASYNCHRONOUS_COMMIT"
    return step(
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
            f"        LISTENER_URL = {quote_string(_mi_listener_url(ctx, link))},\n"
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


def trust_on_mi(ctx: Context) -> Piece:
    """The managed instance trusts SQL Server's endpoint certificate (a server trust certificate)."""
    trusted = _trusted_on_mi(ctx)
    if trusted:
        return Piece(in_place=(
            f"The managed instance already trusts {ctx.cert_name} (server trust certificate {trusted})",))
    variables: tuple[tuple[str, str], ...] = ()
    if ctx.sql_cert is not None and ctx.sql_cert.public_der_hex:
        blob, note = hex_blob(ctx.sql_cert.public_der_hex), ""
    else:
        blob = f'"${{{SQL_CERT_VARIABLE}}}"'
        variables = ((
            SQL_CERT_VARIABLE,
            f"the public_key_hex value (0x…) printed by the verification query of the step that creates "
            f"{ctx.cert_name}",
        ),)
        note = f"{SQL_CERT_VARIABLE} must hold the 0x-prefixed hex of the new certificate (see Variables)."
    return Piece(variables=variables, steps=(step(
        f"Trust SQL Server's endpoint certificate on {ctx.mi_name}",
        "mi",
        "The managed instance must trust SQL Server's endpoint certificate (server trust certificate); "
        "otherwise the link fails with error 41973. The public key is passed as 0x-prefixed hex.",
        [azcli.partner_cert_create(ctx.target, name=ctx.cert_name, blob=blob)],
        [f"az sql mi partner-cert list {ctx.target} -o table"],
        note=note,
    ),))


def _trusted_on_mi(ctx: Context) -> str:
    """The server trust certificate on the MI holding the same public key, matched by thumbprint."""
    trusted = ctx.facts.azure.server_trust_certificates if ctx.facts.azure else None
    if ctx.sql_cert is None or not trusted:
        return ""
    thumbprint = ctx.sql_cert.thumbprint.upper().removeprefix("0X")
    for cert in trusted:
        if cert.thumbprint.upper().removeprefix("0X") == thumbprint:
            return cert.name
    return ""


def create_links(ctx: Context) -> Piece:
    """``az sql mi link create`` per link (then the replication mode, which always starts async)."""
    plan = ctx.facts.plan
    failover_mode = "Manual" if plan.failback or plan.initial_primary == "ManagedInstance" else ""
    role = "Primary" if plan.initial_primary == "ManagedInstance" else ""
    steps = []
    for link in plan.links:
        commands = [azcli.link_create(
            ctx.target, name=link.name, instance_ag=link.instance_ag_name, partner_ag=link.partner_ag_name,
            partner_endpoint=link.partner_endpoint, databases=link.databases, link_mode=link.link_mode,
            failover_mode=failover_mode, instance_link_role=role)]
        if link.replication_mode.lower() != "async":
            # `link create` always starts asynchronous; the mode is changed afterwards.
            commands.append(azcli.link_set_replication_mode(ctx.target, name=link.name,
                                                            replication_mode=link.replication_mode))
        steps.append(step(
            f"Create link {link.name} on {ctx.mi_name}",
            "mi",
            "Creates the managed instance's side of the distributed availability group and starts seeding. "
            "Link creation is cancelled if seeding does not finish within 6 days.",
            commands,
            [f"az sql mi link show {ctx.target} --name {shell_quote(link.name)} -o table"],
        ))
    return Piece(steps=tuple(steps))
