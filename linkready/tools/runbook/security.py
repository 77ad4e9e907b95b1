"""Phases 1.x on SQL Server that set up trust: master key, endpoint certificate, mirroring endpoint,
the managed instance's certificate under its FQDN and the Azure root CAs."""

from __future__ import annotations

from datetime import timedelta

from linkready.domain import azcli, endpoint_ddl
from linkready.domain.clouds import ROOT_CAS
from linkready.domain.tsql import import_root_ca, quote_name, quote_string
from linkready.facts.sql import MirroringEndpoint, SqlCertificate
from linkready.tools.runbook.model import (
    CLOUD_SUFFIXES,
    DEFAULT_ENDPOINT_NAME,
    MASTER_KEY_VARIABLE,
    MI_CERT_VARIABLE,
    Context,
    Piece,
    hex_blob,
    step,
)


def master_key(ctx: Context) -> Piece:
    if ctx.master_key_present is True:
        return Piece(in_place=("Database master key exists in master",))
    variable = (
        MASTER_KEY_VARIABLE,
        "a strong password you choose for the master database's master key; keep it in your password "
        "vault. sqlcmd reads it from the environment (never written by linkready).",
    )
    return Piece(variables=(variable,), steps=(step(
        "Create the database master key in master",
        "sql",
        "The master key protects the private key of the endpoint certificate. "
        + ("The snapshot shows none in master." if ctx.master_key_present is False
           else "The snapshot could not tell whether one exists, so the step checks first."),
        [
            "IF NOT EXISTS (SELECT 1 FROM master.sys.symmetric_keys WHERE symmetric_key_id = 101)\n"
            f"    CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'$({MASTER_KEY_VARIABLE})'",
        ],
        ["SELECT name, create_date FROM master.sys.symmetric_keys WHERE symmetric_key_id = 101"],
        note=f"Set {MASTER_KEY_VARIABLE} in the environment before running (see Variables).",
    ),))


def endpoint_certificate(ctx: Context) -> Piece:
    name = ctx.cert_name
    if ctx.sql_cert is not None:
        return Piece(in_place=(f"Endpoint certificate {name} exists with a private key protected by the master key",))
    expiry = (ctx.generated_at + timedelta(days=3 * 365)).strftime("%Y%m%d")
    return Piece(steps=(step(
        f"Create the endpoint certificate {name}",
        "sql",
        "The link authenticates SQL Server to the managed instance with this certificate; the managed "
        "instance trusts its public key (step 2.1).",
        [
            f"CREATE CERTIFICATE {quote_name(name)}\n"
            f"    WITH SUBJECT = {quote_string(f'Certificate for {ctx.server} database mirroring endpoint')},\n"
            f"    EXPIRY_DATE = '{expiry}'",
        ],
        [
            "SELECT name, thumbprint, expiry_date, pvt_key_encryption_type_desc FROM master.sys.certificates "
            f"WHERE name = {quote_string(name)}",
            f"SELECT CERTENCODED(CERT_ID({quote_string(name)})) AS public_key_hex",
        ],
    ),))


def mirroring_endpoint(ctx: Context) -> Piece:
    endpoint = ctx.endpoint
    change = _endpoint_change(endpoint, ctx.cert_name, ctx.first_port)
    if change is None:
        assert endpoint is not None
        return Piece(in_place=(
            f"Endpoint {endpoint.name} is STARTED, role ALL, certificate authentication with AES on port "
            f"{endpoint.port}",))
    title, why, statement = change
    return Piece(steps=(step(title, "sql", why, [statement], [
        "SELECT e.name, e.state_desc, e.role_desc, e.connection_auth_desc, e.encryption_algorithm_desc, t.port "
        "FROM master.sys.database_mirroring_endpoints AS e JOIN master.sys.tcp_endpoints AS t "
        "ON t.endpoint_id = e.endpoint_id",
    ]),))


def _endpoint_change(endpoint: MirroringEndpoint | None, cert_name: str, port: int) -> tuple[str, str, str] | None:
    """(title, why, statement) that creates or fixes the endpoint; None when it is already right."""
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


def mi_certificate(ctx: Context) -> Piece:
    """The managed instance's endpoint certificate in master, named for the MI FQDN."""
    fqdn, certificates = ctx.mi_fqdn, ctx.certificates
    mi_hex = ctx.facts.azure.endpoint_certificate_hex if ctx.facts.azure else None
    existing = next((c for c in certificates if c.name.lower() == fqdn.lower()), None)
    if existing is not None and mi_hex and existing.public_der_hex.upper() == mi_hex.upper().removeprefix("0X"):
        return Piece(in_place=(f"The managed instance's endpoint certificate is in master as [{fqdn}]",))
    variables: tuple[tuple[str, str], ...] = ()
    if mi_hex:
        binary, note = hex_blob(mi_hex), ""
    else:
        binary = f"$({MI_CERT_VARIABLE})"
        variables = ((MI_CERT_VARIABLE, "the 0x-prefixed output of: " + azcli.ENDPOINT_BLOB_SHELL.format(
            target=ctx.target)),)
        note = f"The snapshot has no endpoint certificate for the managed instance: set {MI_CERT_VARIABLE}."
    same_key = [c.name for c in certificates if mi_hex and c.public_der_hex.upper() == hex_blob(mi_hex)[2:]]
    if same_key:
        note = (note + " " if note else "") + (
            f"The same certificate is already in master as {', '.join(same_key)}: SQL Server looks it up by "
            "the MI FQDN, so import it under that name (drop the other copy if nothing else uses it)."
        )
    return Piece(variables=variables, steps=(step(
        f"Import the managed instance's endpoint certificate as [{fqdn}]",
        "sql",
        "SQL Server must trust the managed instance's DATABASE_MIRRORING endpoint certificate, under the "
        "managed instance's FQDN; otherwise the link fails with error 41974.",
        [f"CREATE CERTIFICATE {quote_name(fqdn)}\n    FROM BINARY = {binary}"],
        ["SELECT name, thumbprint, expiry_date FROM master.sys.certificates "
         f"WHERE name = {quote_string(fqdn)}"],
        note=note,
    ),))


def root_cas(ctx: Context) -> Piece:
    """The Azure root CAs imported (when missing) and mapped to the cloud's MI domain."""
    suffix = CLOUD_SUFFIXES.get(ctx.facts.plan.cloud, CLOUD_SUFFIXES["AzureCloud"])
    commands: list[str] = []
    names: list[str] = []
    in_place: list[str] = []
    variables: list[tuple[str, str]] = []
    for name, common_name in ROOT_CAS:
        present = next((c for c in ctx.certificates if c.name == name or common_name in c.subject), None)
        if present is not None and suffix in (present.issuer_mappings or ()):
            in_place.append(f"Root CA {common_name} is imported as [{present.name}] and mapped to {suffix}")
            continue
        if present is not None:
            # Microsoft's script maps a root only when it imports it; re-running sp_certificate_add_issuer on
            # an existing mapping fails, and the mapping cannot be read with a SELECT (CERT-005 says so).
            in_place.append(f"Root CA {common_name} is imported as [{present.name}] (its mapping to {suffix} is not "
                            "readable; map it with sp_certificate_add_issuer only if the link fails with 41974)")
            continue
        binary, variable = _root_ca_binary(name, common_name)
        variables += variable
        commands.append(import_root_ca(name, binary, suffix))
        names.append(name)
    steps = (step(
        f"Import the Azure root CAs and map them to {suffix}",
        "sql",
        "The managed instance's certificates chain to these roots; sp_certificate_add_issuer tells SQL Server "
        "which domain they vouch for. The roots can change as Azure updates its CAs.",
        commands,
        ["SELECT name, subject, expiry_date FROM master.sys.certificates WHERE name IN ("
         + ", ".join(quote_string(n) for n in names) + ")"],
    ),) if commands else ()
    return Piece(steps=steps, in_place=tuple(in_place), variables=tuple(variables))


def _root_ca_binary(name: str, common_name: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The root's DER from the local bundle, else a variable the user fills (and how)."""
    der = root_ca_der(common_name)
    if der is not None:
        return hex_blob(der), ()
    variable = f"{name.upper()}_CERT_HEX"
    return f"$({variable})", ((variable, f"the DER of '{common_name}' as 0x-prefixed hex (Azure CA details page)"),)


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


def endpoint_certificate_of(
    endpoint: MirroringEndpoint | None, certificates: tuple[SqlCertificate, ...], conventional: str
) -> SqlCertificate | None:
    """The certificate the endpoint uses, else the conventional one — if it has a usable private key."""
    wanted = [endpoint.certificate_name] if endpoint and endpoint.certificate_name else []
    wanted.append(conventional)
    for name in wanted:
        cert = next((c for c in certificates if c.name == name), None)
        if cert is not None and cert.pvt_key_encryption_type == "MK":
            return cert
    return None
