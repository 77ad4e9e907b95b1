"""Real X.509 material for the ARM stand-in's certificate resources.

The stand-in serves public certificate blobs (server trust certificates, the managed
instance's endpoint certificates); tests on the SQL side need the very same certificates, so
both come from here. Keys are generated once per process: RSA key generation is the slow part.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class CertMaterial:
    """One certificate as the tests use it: DER hex, SHA-1 thumbprint, names and dates."""

    subject_cn: str
    issuer_cn: str
    der_hex: str
    thumbprint: str
    not_before: datetime
    not_after: datetime

    @property
    def der(self) -> bytes:
        return bytes.fromhex(self.der_hex)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _material(cert: x509.Certificate) -> CertMaterial:
    der = cert.public_bytes(serialization.Encoding.DER)
    return CertMaterial(
        subject_cn=str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value),
        issuer_cn=str(cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value),
        der_hex=der.hex().upper(),
        thumbprint=hashlib.sha1(der).hexdigest().upper(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def _build(
    subject: str,
    issuer: str,
    key: rsa.RSAPrivateKey,
    signer: rsa.RSAPrivateKey,
    days: int,
    ca: bool = False,
) -> x509.Certificate:
    now = datetime.now(UTC).replace(microsecond=0)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(signer, hashes.SHA256())


@functools.cache
def _key(label: str) -> rsa.RSAPrivateKey:
    # ``label`` only makes the cache hand out distinct keys per role.
    del label
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class LinkCertificates:
    """The certificates a managed instance link involves."""

    #: SQL Server's endpoint certificate (CREATE CERTIFICATE on SQL Server).
    sql_endpoint: CertMaterial
    #: A second SQL Server certificate, e.g. an old one still uploaded to the MI.
    sql_other: CertMaterial
    #: The root CA that issues the managed instance's certificates (stands in for DigiCert/Microsoft).
    azure_root: CertMaterial
    #: The managed instance's DATABASE_MIRRORING endpoint certificate, issued by ``azure_root``.
    mi_endpoint: CertMaterial


@functools.cache
def link_certificates(mi_fqdn: str = "sqlmi-contoso-weu.3f6c9a1d2b4e.database.windows.net") -> LinkCertificates:
    """Certificates for one managed instance FQDN; the same objects for the whole test session."""
    sql_key, other_key, root_key, mi_key = (_key(n) for n in ("sql", "other", "root", "mi"))
    sql = _build("Cert_SQLSRV01_endpoint", "Cert_SQLSRV01_endpoint", sql_key, sql_key, 3650)
    other = _build("Cert_SQLSRV01_old", "Cert_SQLSRV01_old", other_key, other_key, 365)
    root_cn = "Linkready Test Global Root G2"
    root = _build(root_cn, root_cn, root_key, root_key, 7300, ca=True)
    mi = _build(mi_fqdn, root_cn, mi_key, root_key, 365)
    return LinkCertificates(
        sql_endpoint=_material(sql),
        sql_other=_material(other),
        azure_root=_material(root),
        mi_endpoint=_material(mi),
    )
