"""CERT-001 and CERT-002 on facts, with real X.509 certificates from `cryptography`."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.builders.sql_facts import AS_OF, CERT, ENDPOINT, facts, statuses


def der(bits: int = 2048, digest: hashes.HashAlgorithm | None = None) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "endpoint")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(AS_OF - timedelta(days=1)).not_valid_after(AS_OF + timedelta(days=99))
            .sign(key, digest or hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER).hex().upper()


def cert(**changes: object) -> tuple[object, ...]:
    return (replace(CERT, **changes),)  # type: ignore[arg-type]


CASES = [
    ("CERT-001", facts(), "PASS"),
    ("CERT-001", facts(certificates=cert(not_after=AS_OF - timedelta(days=1))), "FAIL"),  # expired
    ("CERT-001", facts(certificates=cert(not_before=AS_OF + timedelta(hours=2))), "FAIL"),  # clock skew
    ("CERT-001", facts(certificates=cert(pvt_key_encryption_type="NA")), "FAIL"),  # no private key
    ("CERT-001", facts(certificates=cert(pvt_key_encryption_type="PW")), "FAIL"),
    ("CERT-001", facts(certificates=cert(not_after=AS_OF + timedelta(days=10))), "WARN"),  # within 30 days
    ("CERT-001", facts(certificates=cert(name="SQL01\\SALES")), "WARN"),
    ("CERT-001", facts(certificates=()), "FAIL"),  # collected and empty: the endpoint's certificate is gone
    ("CERT-001", facts(endpoints=(replace(ENDPOINT, certificate_id=999, certificate_name="gone"),)), "FAIL"),
    ("CERT-002", facts(certificates=cert(public_der_hex=der(2048))), "PASS"),
    ("CERT-002", facts(certificates=cert(public_der_hex=der(1024), key_length=1024)), "WARN"),
    ("CERT-002", facts(certificates=cert(public_der_hex=der(2048, hashes.SHA512()))), "PASS"),
    ("CERT-002", facts(certificates=cert(key_length=1024)), "WARN"),  # no DER: sys.certificates.key_length
]


@pytest.mark.parametrize(("check_id", "f", "expected"), CASES)
def test_certificate_checks(check_id: str, f: object, expected: str) -> None:
    assert statuses(check_id, f) == [expected]  # type: ignore[arg-type]


def test_expiry_threshold_comes_from_the_profile() -> None:
    f = facts(certificates=cert(not_after=AS_OF + timedelta(days=45)))
    assert statuses("CERT-001", f) == ["PASS"]
    assert statuses("CERT-001", f, {"cert_expiry_warn_days": 60}) == ["WARN"]
