"""Certificate trust between SQL Server and the managed instance, both ways (CERT-003..005).

Certificates are matched by their public key (and thumbprint), never by name: a name says nothing
about which key the other side will present.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # cryptography costs ~0.2 s to import: only where a certificate is parsed (issue 20)
    from cryptography import x509
from linkready.checks._azure import hexnorm, mi_parts
from linkready.checks._directions import SQL_SERVER_SETUP
from linkready.checks.certificates import endpoint_certificate

from linkready.domain import clouds
from linkready.domain.azcli import ENDPOINT_BLOB_SHELL
from linkready.domain.clouds import ROOT_CAS
from linkready.domain.docs import DOCS_ARC_PREP, DOCS_SCRIPTS
from linkready.domain.tsql import import_root_ca
from linkready.domain.tsql import quote_name as q
from linkready.facts import Facts
from linkready.facts.sql import SqlCertificate
from linkready.model import Area, CodeBlock, Owner, Result, Settings, Severity, errored, failed, passed, skipped, warned
from linkready.registry import check

#: The roots Microsoft documents for the MI's certificates (import at least these two).
DOCUMENTED_ROOTS = tuple(common for _, common in ROOT_CAS)
ROOT_NAMES = {name.lower(): common for name, common in ROOT_CAS}


def load_der(hex_blob: str) -> x509.Certificate | None:
    from cryptography import x509

    try:
        return x509.load_der_x509_certificate(bytes.fromhex(hexnorm(hex_blob)))
    except ValueError:
        return None


def public_key_id(hex_blob: str) -> str | None:
    """SHA-256 of the certificate's SubjectPublicKeyInfo: equal for the same key in any certificate."""
    cert = load_der(hex_blob)
    if cert is None:
        return None
    from cryptography.hazmat.primitives import serialization

    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


def thumbprint(hex_blob: str) -> str:
    try:
        return hashlib.sha1(bytes.fromhex(hexnorm(hex_blob))).hexdigest().upper()
    except ValueError:
        return ""


def _cn(name: x509.Name) -> str:
    from cryptography import x509

    attrs = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else name.rfc4514_string()


def _subject_text(text: str) -> str:
    """sys.certificates keeps the subject as text ("CN=x, O=y" or just "x"); compare by common name."""
    for part in text.split(","):
        key, _, value = part.strip().partition("=")
        if key.strip().upper() == "CN" and value:
            return value.strip().lower()
    return text.strip().lower()


@check(
    id="CERT-003",
    title="SQL Server's endpoint certificate is a server trust certificate on the managed instance",
    area=Area.CERTIFICATES,
    severity=Severity.CRITICAL,
    rationale=(
        "The instance accepts SQL Server's endpoint only if that certificate's public key was uploaded as a server "
        "trust certificate (matched by key, not name); otherwise the link fails with error 41973."
    ),
    remediation="Upload the endpoint certificate's public key: az sql mi partner-cert create ... --public-blob 0x<blob>.",
    docs=DOCS_SCRIPTS,
    owner=Owner.AZURE,
    requires=("sql.endpoints", "sql.certificates", "azure.server_trust_certificates"),
    prevents=(41973,),
    directions=SQL_SERVER_SETUP,
)
def sql_certificate_trusted_by_mi(facts: Facts, settings: Settings) -> Iterator[Result]:
    found = endpoint_certificate(facts)
    if found is None or found[1] is None:
        yield skipped("Not applicable: the endpoint has no certificate (see EP-004 and CERT-001)")
        return
    _, cert = found
    assert facts.azure is not None and facts.azure.server_trust_certificates is not None
    trusted = facts.azure.server_trust_certificates
    # ARM names every server trust certificate; it is matched by thumbprint or key, so it needs one of them.
    lost = sorted({f for t in trusted for f in ("name",) if not t.name}
                  | {"thumbprint and public_blob_hex" for t in trusted if not (t.thumbprint or t.public_blob_hex)})
    if lost:
        yield errored("Could not evaluate: a server trust certificate has an empty "
                      + ", ".join(f"azure.server_trust_certificates.{f}" for f in lost), target=cert.name)
        return
    want_tp = hexnorm(cert.thumbprint)
    want_key = public_key_id(cert.public_der_hex) if cert.public_der_hex else None
    match = next((t for t in trusted if hexnorm(t.thumbprint) == want_tp
                  or (want_key and t.public_blob_hex and public_key_id(t.public_blob_hex) == want_key)), None)
    observed = ", ".join(f"{t.name} ({hexnorm(t.thumbprint)[:12]}…)" for t in trusted) or "no server trust certificate"
    expected = f"a server trust certificate with the key of {cert.name} (thumbprint {want_tp[:12]}…)"
    if match is None:
        group, name = mi_parts(facts)
        blob = hexnorm(cert.public_der_hex) if cert.public_der_hex else "<CERTENCODED(CERT_ID(N'" + cert.name + "'))>"
        yield failed(
            f"{cert.name} (the endpoint's certificate) is not trusted by the managed instance", target=cert.name,
            observed=observed, expected=expected,
            fix=(CodeBlock("tsql", f"SELECT CERTENCODED(CERT_ID(N'{cert.name}')) AS public_key;",
                           "On SQL Server: the public key to upload"),
                 CodeBlock("azcli", f"az sql mi partner-cert create --resource-group {group} --instance-name {name} "
                                    f"--name {cert.name} --public-blob 0x{blob}",
                           "Upload it to the managed instance")),
        )
    elif cert.not_after <= facts.as_of:
        yield failed(f"{cert.name} is trusted as {match.name} but expired on {cert.not_after:%Y-%m-%d}",
                     target=cert.name, observed=observed, expected=expected)
    else:
        how = "name and key" if match.name == cert.name else f"key (uploaded as {match.name})"
        yield passed(f"{cert.name} is trusted by the managed instance (matched by {how})", target=cert.name,
                     observed=observed, expected=expected)


def _mi_fqdn(facts: Facts) -> str:
    mi = facts.azure.managed_instance if facts.azure else None
    return (mi.fqdn if mi else "") or facts.plan.mi_fqdn


@check(
    id="CERT-004",
    title="The managed instance's endpoint certificate is in SQL Server's master under the instance FQDN",
    area=Area.CERTIFICATES,
    severity=Severity.CRITICAL,
    rationale=(
        "SQL Server authenticates the instance by the DATABASE_MIRRORING endpoint certificate imported into master. "
        "It must carry the instance's current public key and be named exactly the instance FQDN; a missing, "
        "outdated or renamed certificate fails the link with error 41974."
    ),
    remediation="CREATE CERTIFICATE [<MI FQDN>] FROM BINARY = 0x<endpoint certificate> in master on SQL Server.",
    docs=DOCS_SCRIPTS,
    owner=Owner.DBA,
    requires=("sql.certificates", "azure.endpoint_certificate_hex"),
    prevents=(41974,),
    directions=SQL_SERVER_SETUP,
)
def mi_certificate_imported_on_sql(facts: Facts, settings: Settings) -> Iterator[Result]:
    assert facts.azure is not None and facts.azure.endpoint_certificate_hex and facts.sql is not None
    blob = hexnorm(facts.azure.endpoint_certificate_hex)
    fqdn = _mi_fqdn(facts)
    if not fqdn:
        # Without the FQDN the certificate's required name is unknown: say so, never "instance FQDN []".
        yield errored("Could not evaluate: the managed instance FQDN is unknown (azure.managed_instance.fqdn and "
                      "plan.mi_fqdn are empty), so the name the certificate must carry is unknown",
                      target="managed instance certificate")
        return
    key = public_key_id(blob)
    tp = thumbprint(blob)
    certs = facts.sql.certificates or ()
    same_key = [c for c in certs if hexnorm(c.thumbprint) == tp
                or (key and c.public_der_hex and public_key_id(c.public_der_hex) == key)]
    named = [c for c in certs if fqdn and c.name.lower() == fqdn.lower()]
    target = fqdn or "managed instance certificate"
    expected = f"certificate [{fqdn or '<MI FQDN>'}] in master with the instance's key (thumbprint {tp[:12]}…)"
    create = f"USE master;\nCREATE CERTIFICATE {q(fqdn or '<MI FQDN>')} FROM BINARY = 0x{blob};"
    observed_named = ", ".join(f"{c.name} ({hexnorm(c.thumbprint)[:12]}…)" for c in named + same_key) or "none"
    right = [c for c in same_key if fqdn and c.name.lower() == fqdn.lower()]
    if right:
        cert = right[0]
        if cert.not_after <= facts.as_of:
            yield failed(f"[{cert.name}] holds the instance's key but expired on {cert.not_after:%Y-%m-%d}",
                         target=target, observed=observed_named, expected=expected)
        else:
            yield passed(f"[{cert.name}] holds the instance's current endpoint key", target=target,
                         observed=observed_named, expected=expected)
        return
    if same_key:
        wrong = same_key[0]
        yield failed(
            f"The instance's key is imported as [{wrong.name}], not under the instance FQDN [{fqdn}]: the link "
            "only finds it by that name", target=target, observed=observed_named, expected=expected,
            fix=(CodeBlock("tsql", f"USE master;\nDROP CERTIFICATE {q(wrong.name)};\n"
                                   f"CREATE CERTIFICATE {q(fqdn or '<MI FQDN>')} FROM BINARY = 0x{blob};",
                           "Re-import it under the FQDN (a certificate cannot be renamed)"),),
        )
        return
    if named:
        yield failed(f"[{named[0].name}] exists but holds another key: the instance's certificate changed since "
                     "it was imported", target=target, observed=observed_named, expected=expected,
                     fix=(CodeBlock("tsql", f"USE master;\nDROP CERTIFICATE {q(named[0].name)};\n" + create.split("\n", 1)[1]),))
        return
    group, name = mi_parts(facts)
    yield failed(f"The instance's endpoint certificate is not in SQL Server's master (expected [{fqdn}])",
                 target=target, observed="no certificate with the instance's key", expected=expected,
                 fix=(CodeBlock("azcli", ENDPOINT_BLOB_SHELL.format(
                                    target=f"--resource-group {group} --instance-name {name}"),
                                "The blob, 0x-prefixed once"),
                      CodeBlock("tsql", create, "Import it on SQL Server")))


def _mapped(cert: SqlCertificate, suffix: str) -> bool | None:
    """Whether the root is mapped to the suffix; None when the mapping could not be read."""
    if cert.issuer_mappings is None:
        return None
    want = f"*.{suffix}".lower()
    return any(m.strip().lower() == want for m in cert.issuer_mappings)


def _mapping_text(cert: SqlCertificate) -> str:
    if cert.issuer_mappings is None:
        return "mapping not readable"
    return ", ".join(cert.issuer_mappings) or "no mapping"


#: Said whenever a PASS rests on the import alone: the mapping is invisible to a read-only probe.
UNREAD_MAPPING = (
    "sp_certificate_add_issuer mappings are not exposed to a SELECT, so the mapping to *.{suffix} was not "
    "verified; if the link fails with error 41974 or a certificate trust error, re-run the mapping step"
)


@check(
    id="CERT-005",
    title="The root CAs of the instance's certificates are imported (and mapped to the cloud's DNS suffix)",
    area=Area.CERTIFICATES,
    severity=Severity.HIGH,
    rationale=(
        "SQL Server trusts certificates Azure issues for the managed instance domain only through root CAs "
        "imported into master and mapped with sp_certificate_add_issuer to *.database.windows.net (or the "
        "sovereign cloud's suffix)."
    ),
    remediation=(
        "Import DigiCert Global Root G2 and Microsoft RSA Root Certificate Authority 2017 into master and map each "
        "with EXEC sp_certificate_add_issuer."
    ),
    docs=DOCS_ARC_PREP,
    owner=Owner.DBA,
    requires=("sql.certificates",),
    directions=SQL_SERVER_SETUP,
)
def root_cas_imported_and_mapped(facts: Facts, settings: Settings) -> Iterator[Result]:
    assert facts.sql is not None
    suffix = (facts.azure.dns_suffix if facts.azure else "") or clouds.by_name(facts.plan.cloud).dns_suffix
    certs = facts.sql.certificates or ()
    mi_blob = facts.azure.endpoint_certificate_hex if facts.azure else None
    mi_cert = load_der(mi_blob) if mi_blob else None
    expected = f"the issuing root CA(s) in master, mapped to *.{suffix}"
    def add(name: str) -> str:
        return "USE master;\n" + import_root_ca(name, "0x<root certificate from the Azure CA details page>",
                                                f"*.{suffix}") + ";"

    if mi_cert is not None and mi_cert.issuer != mi_cert.subject:
        from cryptography.exceptions import InvalidSignature

        issuer = _cn(mi_cert.issuer)
        roots = []
        for c in certs:
            root = load_der(c.public_der_hex) if c.public_der_hex else None
            if root is not None:
                try:
                    mi_cert.verify_directly_issued_by(root)
                except (ValueError, TypeError, InvalidSignature):  # another issuer, or another key type
                    continue
                roots.append(c)
            elif _subject_text(c.subject) == issuer.lower():
                roots.append(c)
        observed = ", ".join(f"{c.name} → {_mapping_text(c)}" for c in roots) or \
            f"no certificate in master issued {issuer}'s certificate"
        if not roots:
            yield failed(f"The root CA that issued the instance's certificate ({issuer}) is not imported",
                         target=issuer, observed=observed, expected=expected,
                         fix=(CodeBlock("tsql", add(issuer.replace(" ", "")[:20] or "AzureRoot")),))
        elif all(_mapped(c, suffix) is False for c in roots):
            yield failed(f"{roots[0].name} ({issuer}) is imported but not mapped to *.{suffix}", target=issuer,
                         observed=observed, expected=expected,
                         fix=(CodeBlock("tsql", f"DECLARE @id int = CERT_ID(N'{roots[0].name}');\n"
                                                f"EXEC sp_certificate_add_issuer @id, N'*.{suffix}';"),))
        elif any(_mapped(c, suffix) for c in roots):
            yield passed(f"{issuer} is imported and mapped to *.{suffix}", target=issuer, observed=observed,
                         expected=expected)
        else:
            yield passed(f"{issuer} is imported into master", target=issuer, observed=observed, expected=expected,
                         evidence=(UNREAD_MAPPING.format(suffix=suffix),))
        return
    # The issuer cannot be read from the instance's certificate: look for the documented roots.
    present: dict[str, SqlCertificate] = {}
    for c in certs:
        for documented in DOCUMENTED_ROOTS:
            if _subject_text(c.subject) == documented.lower() or ROOT_NAMES.get(c.name.lower()) == documented:
                present[documented] = c
    observed = ", ".join(f"{c.name} → {_mapping_text(c)}" for c in present.values()) \
        or "none of the documented roots"
    unmapped = [c.name for c in present.values() if _mapped(c, suffix) is False]
    unread = any(_mapped(c, suffix) is None for c in present.values())
    evidence = (UNREAD_MAPPING.format(suffix=suffix),) if unread else ()
    missing = [r for r in DOCUMENTED_ROOTS if r not in present]
    if not present:
        yield failed("Neither documented Azure root CA is imported into master", target="root CAs",
                     observed=observed, expected=expected,
                     fix=(CodeBlock("tsql", add("DigiCertPKI") + "\n" + add("MicrosoftPKI").removeprefix("USE master;\n")),))
    elif unmapped:
        yield failed(f"{', '.join(unmapped)} not mapped to *.{suffix}", target="root CAs", observed=observed,
                     expected=expected)
    elif missing:
        yield warned(f"{', '.join(missing)} is not imported (Microsoft asks for both roots)", target="root CAs",
                     observed=observed, expected=expected, evidence=evidence)
    elif unread:
        yield passed("Both documented roots are imported into master", target="root CAs",
                     observed=observed, expected=expected, evidence=evidence)
    else:
        yield passed(f"Both documented roots are imported and mapped to *.{suffix}", target="root CAs",
                     observed=observed, expected=expected)
