"""Database mirroring endpoint checks (EP-001..005): the endpoint the link's replication runs through."""

from __future__ import annotations

import re
from collections.abc import Iterator

from linkready.checks._directions import SQL_SERVER_SETUP

from linkready.domain import endpoint_ddl, endpoints
from linkready.domain.docs import DOCS_SCRIPTS
from linkready.facts import Facts
from linkready.facts.sql import MirroringEndpoint, SqlFacts
from linkready.model import (
    Area,
    CodeBlock,
    Owner,
    Result,
    Settings,
    Severity,
    errored,
    failed,
    passed,
    skipped,
    warned,
)
from linkready.registry import check

DEFAULT_PORT = 5022
_PORT_IN_ENDPOINT = re.compile(r":(\d{1,5})$")


def certificate_name_for(sql: SqlFacts) -> str:
    """The certificate name the documentation's scripts use, without the '\\' of a named instance."""
    return endpoints.certificate_name_for(sql.instance.server_name if sql.instance else "SQLServer")


def create_endpoint_tsql(sql: SqlFacts, port: int = DEFAULT_PORT) -> str:
    """The full T-SQL to create what the link needs: certificate (if none) and endpoint."""
    cert = certificate_name_for(sql)
    server = sql.instance.server_name if sql.instance else "SQLServer"
    have = {c.name for c in sql.certificates or ()}
    lines = ["USE [master];"]
    if cert not in have:
        lines += [
            "-- The master key must exist first (see SQL-005).",
            f"CREATE CERTIFICATE [{cert}]",
            f"    WITH SUBJECT = N'Certificate for {server} endpoint', EXPIRY_DATE = '<yyyy-mm-dd>';",
        ]
    lines += [
        "CREATE ENDPOINT [Hadr_endpoint]",
        f"    STATE = STARTED AS TCP (LISTENER_PORT = {port}, LISTENER_IP = ALL)",
        "    FOR DATABASE_MIRRORING (",
        "        ROLE = ALL,",
        f"        AUTHENTICATION = CERTIFICATE [{cert}],",
        "        ENCRYPTION = REQUIRED ALGORITHM AES",
        "    );",
    ]
    return "\n".join(lines)


def _endpoints(facts: Facts) -> tuple[MirroringEndpoint, ...]:
    return facts.sql.endpoints or () if facts.sql else ()


@check(
    id="EP-001",
    title="A DATABASE_MIRRORING endpoint exists",
    area=Area.ENDPOINT,
    severity=Severity.CRITICAL,
    rationale="All link traffic between SQL Server and the managed instance flows through this endpoint.",
    remediation="Create the endpoint with certificate authentication and AES encryption (T-SQL in the finding).",
    docs=DOCS_SCRIPTS,
    owner=Owner.DBA,
    # An empty sql.endpoints is collected: it is the finding here.
    requires=("sql.instance", "sql.endpoints"),
    prevents=(41986,),
    directions=SQL_SERVER_SETUP,
)
def mirroring_endpoint_exists(facts: Facts, settings: Settings) -> Iterator[Result]:
    sql = facts.sql
    assert sql is not None and sql.endpoints is not None  # requires= guarantees both
    endpoints = sql.endpoints
    if endpoints and not endpoints[0].name:  # sys.endpoints.name is NOT NULL: empty was not read
        yield errored("Could not evaluate: the endpoint's name (sql.endpoints.name) is empty: it was not read")
        return
    if endpoints:
        e = endpoints[0]
        yield passed(f"Endpoint {e.name} exists", target=e.name, observed=f"{e.name} on port {e.port}",
                     expected="one DATABASE_MIRRORING endpoint")
        return
    yield failed("There is no DATABASE_MIRRORING endpoint", observed="none",
                 expected="one DATABASE_MIRRORING endpoint",
                 fix=(CodeBlock("tsql", create_endpoint_tsql(sql), "Create the certificate and the endpoint"),))


def _skip_without_endpoint(facts: Facts) -> Result | None:
    if not _endpoints(facts):
        return skipped("Not applicable: there is no endpoint (see EP-001)")
    return None


@check(
    id="EP-002",
    title="The endpoint is STARTED and its role is ALL",
    area=Area.ENDPOINT,
    severity=Severity.CRITICAL,
    rationale="A stopped endpoint accepts no connection; a role other than ALL cannot take both replica roles.",
    remediation="ALTER ENDPOINT ... STATE = STARTED and FOR DATABASE_MIRRORING (ROLE = ALL).",
    docs=DOCS_SCRIPTS,
    owner=Owner.DBA,
    requires=("sql.endpoints",),
    prevents=(41986,),
    directions=SQL_SERVER_SETUP,
)
def endpoint_started_role_all(facts: Facts, settings: Settings) -> Iterator[Result]:
    if (skip := _skip_without_endpoint(facts)) is not None:
        yield skip
        return
    e = _endpoints(facts)[0]
    observed = f"state {e.state}, role {e.role}"
    if e.state != "STARTED":
        yield failed(f"Endpoint {e.name} is {e.state}", target=f"{e.name} state", observed=observed,
                     expected="STARTED",
                     fix=(CodeBlock("tsql", f"ALTER ENDPOINT [{e.name}] STATE = STARTED;", "Start the endpoint"),))
    if e.role != "ALL":
        yield failed(f"Endpoint {e.name} has role {e.role}", target=f"{e.name} role", observed=observed,
                     expected="ROLE = ALL", fix=(CodeBlock(
                         "tsql", f"ALTER ENDPOINT [{e.name}] FOR DATABASE_MIRRORING (ROLE = ALL);", "Set role ALL"),))
    if e.state == "STARTED" and e.role == "ALL":
        yield passed(f"Endpoint {e.name} is started with role ALL", target=e.name, observed=observed,
                     expected="STARTED, ROLE = ALL")


@check(
    id="EP-003",
    title="The endpoint authenticates with a certificate (Windows authentication alone is not enough)",
    area=Area.ENDPOINT,
    severity=Severity.CRITICAL,
    rationale=(
        "Certificate-based trust is the only way the managed instance can authenticate SQL Server; an endpoint "
        "of an existing availability group that uses Windows authentication needs certificate authentication "
        "added as a second option."
    ),
    remediation="ALTER ENDPOINT ... FOR DATABASE_MIRRORING (AUTHENTICATION = WINDOWS NEGOTIATE CERTIFICATE [cert], "
                "ROLE = ALL).",
    docs=DOCS_SCRIPTS,
    owner=Owner.DBA,
    requires=("sql.endpoints",),
    prevents=(41973,),
    directions=SQL_SERVER_SETUP,
)
def endpoint_uses_certificate_auth(facts: Facts, settings: Settings) -> Iterator[Result]:
    if (skip := _skip_without_endpoint(facts)) is not None:
        yield skip
        return
    assert facts.sql is not None
    e = _endpoints(facts)[0]
    observed = f"AUTHENTICATION = {e.connection_auth}" + (f" [{e.certificate_name}]" if e.certificate_name else "")
    expected = "CERTIFICATE, or WINDOWS ... CERTIFICATE"
    if "CERTIFICATE" in e.connection_auth and e.certificate_name:
        yield passed(f"Endpoint {e.name} authenticates with certificate {e.certificate_name}", target=e.name,
                     observed=observed, expected=expected)
        return
    cert = certificate_name_for(facts.sql)
    # Keep the Windows protocol the endpoint has (KERBEROS stays KERBEROS); ROLE is part of the clause.
    auth = endpoint_ddl.authentication(e.connection_auth, cert)
    yield failed(f"Endpoint {e.name} uses {e.connection_auth or 'no'} authentication without a certificate",
                 target=e.name, observed=observed, expected=expected, fix=(CodeBlock(
                     "tsql", endpoint_ddl.alter_mirroring(e.name, auth=auth, encryption="") + ";",
                     "Add certificate authentication (create the certificate first if needed)"),))


@check(
    id="EP-004",
    title="The endpoint requires AES encryption",
    area=Area.ENDPOINT,
    severity=Severity.CRITICAL,
    rationale="The managed instance speaks AES only; an endpoint with encryption off or RC4 alone cannot connect.",
    remediation="ALTER ENDPOINT ... FOR DATABASE_MIRRORING (ENCRYPTION = REQUIRED ALGORITHM AES, ROLE = ALL).",
    docs=DOCS_SCRIPTS,
    owner=Owner.DBA,
    requires=("sql.endpoints",),
    prevents=(41986,),
    directions=SQL_SERVER_SETUP,
)
def endpoint_uses_aes(facts: Facts, settings: Settings) -> Iterator[Result]:
    if (skip := _skip_without_endpoint(facts)) is not None:
        yield skip
        return
    e = _endpoints(facts)[0]
    observed = f"encryption {'enabled' if e.is_encryption_enabled else 'disabled'}, algorithm {e.encryption_algorithm}"
    expected = "ENCRYPTION = REQUIRED ALGORITHM AES"
    fix = (CodeBlock("tsql", endpoint_ddl.alter_mirroring(e.name) + ";", "Require AES"),)
    if not e.is_encryption_enabled or "AES" not in e.encryption_algorithm.upper():
        yield failed(f"Endpoint {e.name} does not offer AES encryption", target=e.name, observed=observed,
                     expected=expected, fix=fix)
    elif "RC4" in e.encryption_algorithm.upper():
        yield warned(f"Endpoint {e.name} still offers RC4 besides AES", target=e.name, observed=observed,
                     expected=expected, fix=fix)
    else:
        yield passed(f"Endpoint {e.name} requires AES", target=e.name, observed=observed, expected=expected)


@check(
    id="EP-005",
    title="The endpoint port matches the plan (5022 for a default instance)",
    area=Area.ENDPOINT,
    severity=Severity.HIGH,
    rationale=(
        "The managed instance connects to the port in the partner endpoint. Only the default instance should "
        "use 5022; a named instance on 5022 collides with the default instance on the same host."
    ),
    remediation="Make the partner endpoint's port and the endpoint's LISTENER_PORT agree; give named instances their own port.",
    docs=DOCS_SCRIPTS,
    owner=Owner.DBA,
    requires=("sql.endpoints",),
    prevents=(41962,),
    directions=SQL_SERVER_SETUP,
)
def endpoint_port_matches_plan(facts: Facts, settings: Settings) -> Iterator[Result]:
    if (skip := _skip_without_endpoint(facts)) is not None:
        yield skip
        return
    assert facts.sql is not None
    e = _endpoints(facts)[0]
    named = bool(facts.sql.instance and facts.sql.instance.instance_name)
    planned = {link.name: int(m.group(1)) for link in facts.plan.links
               if (m := _PORT_IN_ENDPOINT.search(link.partner_endpoint))}
    wrong = {name: port for name, port in planned.items() if port != e.port}
    observed = f"LISTENER_PORT = {e.port}" + (f" (named instance {facts.sql.instance.instance_name})"  # type: ignore[union-attr]
                                              if named else " (default instance)")
    expected = f"partner endpoints use port {e.port}" if planned else f"port {DEFAULT_PORT} for a default instance"
    if wrong:
        listed = ", ".join(f"{name} → {port}" for name, port in wrong.items())
        yield failed(f"The plan's partner endpoints use another port than the endpoint ({listed})", target=e.name,
                     observed=observed, expected=expected)
    elif named and e.port == DEFAULT_PORT:
        yield warned("A named instance listens on 5022, the default instance's port: two instances on one host "
                     "cannot share it", target=e.name, observed=observed, expected="a dedicated port")
    elif not named and e.port != DEFAULT_PORT:
        yield warned(f"The default instance's endpoint listens on {e.port}, not 5022: open that port in every "
                     "firewall and NSG instead", target=e.name, observed=observed, expected=expected)
    else:
        yield passed(f"Endpoint port {e.port} fits the plan", target=e.name, observed=observed, expected=expected)
