"""The SQL Server endpoint certificate (CERT-001, CERT-002). CERT-003..005 (trust with the managed
instance) live in checks/trust.py."""

from __future__ import annotations

from collections.abc import Iterator

from linkready.checks._directions import SQL_SERVER_SETUP

from linkready.domain.docs import DOCS_BEST, DOCS_SCRIPTS
from linkready.facts import Facts
from linkready.facts.sql import SqlCertificate
from linkready.model import Area, CodeBlock, Owner, Result, Settings, Severity, errored, failed, passed, skipped, warned
from linkready.registry import check

MIN_RSA_BITS = 2048


def endpoint_certificate(facts: Facts) -> tuple[str, SqlCertificate | None] | None:
    """(endpoint name, its certificate or None); None when there is no endpoint."""
    sql = facts.sql
    if sql is None or not sql.endpoints:
        return None
    endpoint = sql.endpoints[0]
    certs = sql.certificates or ()
    cert = next((c for c in certs if endpoint.certificate_id and c.certificate_id == endpoint.certificate_id), None)
    if cert is None and endpoint.certificate_name:
        cert = next((c for c in certs if c.name == endpoint.certificate_name), None)
    return endpoint.name, cert


#: Columns sys.certificates / CERTENCODED always give for a certificate in master: empty = not read.
_IDENTITY = ("name", "thumbprint", "subject", "issuer")


def unread_identity(cert: SqlCertificate) -> list[str]:
    """The identifying fields of ``cert`` that are empty; CERT-002/003/005 and FO-005 sit behind CERT-001."""
    return [f for f in _IDENTITY if not getattr(cert, f)]


@check(
    id="CERT-001",
    title="The endpoint certificate is valid, its private key is protected by the master key, and it is not about to expire",
    area=Area.CERTIFICATES,
    severity=Severity.CRITICAL,
    rationale=(
        "The endpoint proves SQL Server's identity with this certificate. An expired certificate breaks the "
        "link; one not yet valid (clock skew after creation) is refused; without a private key protected by "
        "the master key the endpoint cannot use it; a '\\' in its name breaks the link's scripts."
    ),
    remediation=(
        "Create a new certificate (CREATE CERTIFICATE ... EXPIRY_DATE), switch the endpoint to it, upload its "
        "public key to the managed instance as a server trust certificate, then drop the old one."
    ),
    docs=DOCS_BEST,
    owner=Owner.DBA,
    requires=("sql.endpoints", "sql.certificates"),
    prevents=(41973,),
    directions=SQL_SERVER_SETUP,
)
def endpoint_certificate_is_valid(facts: Facts, settings: Settings) -> Iterator[Result]:
    found = endpoint_certificate(facts)
    if found is None:
        yield skipped("Not applicable: there is no endpoint (see EP-001)")
        return
    endpoint, cert = found
    if cert is None:
        yield failed(f"Endpoint {endpoint} has no certificate in master", target=endpoint,
                     observed="no certificate", expected="a certificate in master with a private key")
        return
    lost = unread_identity(cert)
    if lost:
        yield errored(f"Could not evaluate: certificate {cert.name or cert.certificate_id} has an empty "
                      + ", ".join(f"sql.certificates.{f}" for f in lost)
                      + " (sys.certificates never does): it was not read", target=endpoint)
        return
    now = facts.as_of
    warn_days = int(settings.get("cert_expiry_warn_days", 30))
    days_left = (cert.not_after - now).days
    observed = (f"valid {cert.not_before:%Y-%m-%d %H:%M} to {cert.not_after:%Y-%m-%d %H:%M} UTC "
                f"({days_left} days left), private key {cert.pvt_key_encryption_type or '?'}")
    expected = f"valid now, more than {warn_days} days left, private key MK (master key)"
    fails, warns = [], []
    if cert.not_after <= now:
        fails.append(f"expired on {cert.not_after:%Y-%m-%d}")
    elif cert.not_before > now:
        fails.append(f"not valid before {cert.not_before:%Y-%m-%d %H:%M} UTC (clock skew?)")
    elif days_left < warn_days:
        warns.append(f"expires in {days_left} days")
    if cert.pvt_key_encryption_type == "NA":
        fails.append("has no private key")
    elif cert.pvt_key_encryption_type == "PW":
        fails.append("private key is protected by a password, not by the master key")
    elif cert.pvt_key_encryption_type not in ("MK", "SK"):
        warns.append(f"private key protection {cert.pvt_key_encryption_type!r} is unknown")
    if "\\" in cert.name:
        warns.append("name contains '\\'")
    renew = CodeBlock(
        "tsql",
        "USE [master];\n"
        f"CREATE CERTIFICATE [{cert.name.replace(chr(92), '_')}_new]\n"
        f"    WITH SUBJECT = N'{cert.subject}', EXPIRY_DATE = '<yyyy-mm-dd>';\n"
        f"ALTER ENDPOINT [{endpoint}] FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE "
        f"[{cert.name.replace(chr(92), '_')}_new]);\n"
        "-- then upload the new public key: az sql mi partner-cert create ... --public-blob <CERTENCODED>",
        "Rotate the endpoint certificate",
    )
    message = f"Certificate {cert.name}: " + "; ".join(fails + warns)
    if fails:
        yield failed(message, target=cert.name, observed=observed, expected=expected, fix=(renew,))
    elif warns:
        yield warned(message, target=cert.name, observed=observed, expected=expected, fix=(renew,))
    else:
        yield passed(f"Certificate {cert.name} is valid for {days_left} more days", target=cert.name,
                     observed=observed, expected=expected)


def _public_key_summary(cert: SqlCertificate) -> tuple[str, int | None, str | None]:
    """(algorithm, bits, signature hash) from the certificate's DER, or from sys.certificates alone."""
    if not cert.public_der_hex:
        return "RSA", cert.key_length or None, None
    # cryptography costs ~0.2 s to import: only here, where a certificate is parsed (issue 20)
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

    try:
        parsed = x509.load_der_x509_certificate(bytes.fromhex(cert.public_der_hex))
    except ValueError:
        return "unknown", cert.key_length or None, None
    key = parsed.public_key()
    algorithm, bits = type(key).__name__, None
    if isinstance(key, rsa.RSAPublicKey):
        algorithm, bits = "RSA", key.key_size
    elif isinstance(key, ec.EllipticCurvePublicKey):
        algorithm, bits = f"EC {key.curve.name}", key.key_size
    elif isinstance(key, dsa.DSAPublicKey):
        algorithm, bits = "DSA", key.key_size
    digest = parsed.signature_hash_algorithm.name if parsed.signature_hash_algorithm else None
    return algorithm, bits, digest


@check(
    id="CERT-002",
    title="The endpoint certificate uses an RSA key of 2048 bits or more and a SHA-2 signature",
    area=Area.CERTIFICATES,
    severity=Severity.LOW,
    rationale=(
        "Short keys and SHA-1 signatures are weak; the documentation names no minimum for the link, so this is "
        "a warning. CREATE CERTIFICATE on SQL Server 2016 and later makes RSA 2048-bit keys."
    ),
    remediation="Rotate to a certificate made by CREATE CERTIFICATE on this server (RSA 2048) at the next renewal.",
    docs=DOCS_SCRIPTS,
    owner=Owner.DBA,
    requires=("sql.endpoints", "sql.certificates"),
    tags=("best-practice",),
    directions=SQL_SERVER_SETUP,
)
def endpoint_certificate_key_is_strong(facts: Facts, settings: Settings) -> Iterator[Result]:
    found = endpoint_certificate(facts)
    if found is None or found[1] is None:
        yield skipped("Not applicable: the endpoint has no certificate (see EP-003, CERT-001)")
        return
    cert = found[1]
    algorithm, bits, digest = _public_key_summary(cert)
    observed = f"{algorithm} {bits or '?'} bits" + (f", signed with {digest}" if digest else "")
    expected = f"RSA ≥ {MIN_RSA_BITS} bits, SHA-256 or stronger signature"
    problems = []
    if algorithm == "RSA" and bits is not None and bits < MIN_RSA_BITS:
        problems.append(f"RSA key of {bits} bits")
    elif algorithm not in ("RSA",) and not algorithm.startswith("EC"):
        problems.append(f"{algorithm} key")
    if digest in ("sha1", "md5"):
        problems.append(f"{digest.upper()} signature")
    if problems:
        yield warned(f"Certificate {cert.name} is weak: {', '.join(problems)}", target=cert.name,
                     observed=observed, expected=expected)
    else:
        yield passed(f"Certificate {cert.name} uses a strong key", target=cert.name, observed=observed,
                     expected=expected)
