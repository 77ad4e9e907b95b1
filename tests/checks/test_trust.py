"""CERT-003..005 over hand-built facts with real X.509 certificates."""

from __future__ import annotations

from dataclasses import replace

import pytest

from linkready.facts import ProbeError
from linkready.facts.azure import TrustCertificate
from linkready.facts.sql import SqlCertificate, SqlFacts
from linkready.model import Status
from tests.builders.azure_facts import CERTS, FQDN, NOW, azure, facts, plan, sql, sql_cert
from tests.builders.checks import one


def with_certs(*certs: SqlCertificate) -> SqlFacts:
    return sql(certificates=certs)


SQL_EP = sql_cert(CERTS.sql_endpoint, "Cert_SQLSRV01_endpoint", 256)
MI_AS_FQDN = sql_cert(CERTS.mi_endpoint, FQDN, 257, pvt="NA")
ROOT = sql_cert(CERTS.azure_root, "AzureRootPKI", 258, ("*.database.windows.net",), pvt="NA")


# ---- CERT-003 ------------------------------------------------------------------------------

def test_cert_003_pass_by_name_and_key() -> None:
    finding = one("CERT-003", facts())
    assert finding.status is Status.PASS and "name and key" in finding.message


def test_cert_003_pass_by_key_under_another_name() -> None:
    trusted = (TrustCertificate("uploaded-2026", "", CERTS.sql_endpoint.der_hex),)
    finding = one("CERT-003", facts(azure_facts=azure(server_trust_certificates=trusted)))
    assert finding.status is Status.PASS and "uploaded as uploaded-2026" in finding.message


def test_cert_003_fail_when_only_an_old_certificate_is_trusted() -> None:
    trusted = (TrustCertificate("Cert_SQLSRV01_endpoint", CERTS.sql_other.thumbprint, CERTS.sql_other.der_hex),)
    finding = one("CERT-003", facts(azure_facts=azure(server_trust_certificates=trusted)))
    assert finding.status is Status.FAIL and finding.prevents == (41973,)
    azcli = next(b for b in finding.fix if b.language == "azcli")
    assert "az sql mi partner-cert create --resource-group rg-data-weu --instance-name sqlmi-contoso-weu" in azcli.code
    assert f"--public-blob 0x{CERTS.sql_endpoint.der_hex}" in azcli.code


def test_cert_003_fail_with_no_trust_certificate_at_all() -> None:
    assert one("CERT-003", facts(azure_facts=azure(server_trust_certificates=()))).status is Status.FAIL


def test_cert_003_expired_certificate_fails() -> None:
    expired = replace(SQL_EP, not_after=NOW.replace(year=2025))
    f = facts(sql_facts=with_certs(expired, MI_AS_FQDN, ROOT))
    finding = one("CERT-003", f)
    assert finding.status is Status.FAIL and "expired" in finding.message


def test_cert_003_unreadable_trust_list_is_error() -> None:
    f = facts(azure_facts=azure(server_trust_certificates=None),
              errors=(ProbeError("azure", "azure.server_trust_certificates", "permission", "403"),))
    assert one("CERT-003", f).status is Status.ERROR


def test_cert_003_endpoint_without_certificate_skips() -> None:
    base = sql()
    endpoint = replace(base.endpoints[0], certificate_name=None, certificate_id=None)  # type: ignore[index]
    assert one("CERT-003", facts(sql_facts=replace(base, endpoints=(endpoint,)))).status is Status.SKIP


# ---- CERT-004 ------------------------------------------------------------------------------

def test_cert_004_pass() -> None:
    assert one("CERT-004", facts()).status is Status.PASS


def test_cert_004_custom_name_fails_with_the_rename() -> None:
    custom = replace(MI_AS_FQDN, name="mi_endpoint_cert")
    finding = one("CERT-004", facts(sql_facts=with_certs(SQL_EP, custom, ROOT)))
    assert finding.status is Status.FAIL and "[mi_endpoint_cert]" in finding.message and finding.prevents == (41974,)
    assert f"DROP CERTIFICATE [mi_endpoint_cert];\nCREATE CERTIFICATE [{FQDN}] FROM BINARY = 0x" in finding.fix[0].code


def test_cert_004_missing_fails_with_the_import() -> None:
    finding = one("CERT-004", facts(sql_facts=with_certs(SQL_EP, ROOT)))
    assert finding.status is Status.FAIL and "not in SQL Server's master" in finding.message
    tsql = next(b for b in finding.fix if b.language == "tsql")
    assert f"CREATE CERTIFICATE [{FQDN}] FROM BINARY = 0x{CERTS.mi_endpoint.der_hex};" in tsql.code


def test_cert_004_stale_key_under_the_right_name_fails() -> None:
    stale = sql_cert(CERTS.sql_other, FQDN, 257, pvt="NA")
    finding = one("CERT-004", facts(sql_facts=with_certs(SQL_EP, stale, ROOT)))
    assert finding.status is Status.FAIL and "holds another key" in finding.message


def test_cert_004_endpoint_certificate_unreadable_is_error() -> None:
    f = facts(azure_facts=azure(endpoint_certificate_hex=None),
              errors=(ProbeError("azure", "azure.endpoint_certificate_hex", "permission", "403 endpointCertificates/read"),))
    assert one("CERT-004", f).status is Status.ERROR


# ---- CERT-005 ------------------------------------------------------------------------------

def test_cert_005_pass_verifies_the_signature() -> None:
    finding = one("CERT-005", facts())
    assert finding.status is Status.PASS and CERTS.azure_root.subject_cn in finding.message


def test_cert_005_root_missing_fails() -> None:
    finding = one("CERT-005", facts(sql_facts=with_certs(SQL_EP, MI_AS_FQDN)))
    assert finding.status is Status.FAIL and "is not imported" in finding.message
    assert "sp_certificate_add_issuer" in finding.fix[0].code


def test_cert_005_a_root_with_the_same_name_but_another_key_does_not_count() -> None:
    impostor = sql_cert(CERTS.sql_other, "AzureRootPKI", 258, ("*.database.windows.net",), pvt="NA")
    impostor = replace(impostor, subject=f"CN={CERTS.azure_root.subject_cn}")
    assert one("CERT-005", facts(sql_facts=with_certs(SQL_EP, MI_AS_FQDN, impostor))).status is Status.FAIL


def test_cert_005_unmapped_root_fails() -> None:
    unmapped = replace(ROOT, issuer_mappings=())
    finding = one("CERT-005", facts(sql_facts=with_certs(SQL_EP, MI_AS_FQDN, unmapped)))
    assert finding.status is Status.FAIL and "not mapped to *.database.windows.net" in finding.message


def test_cert_005_sovereign_cloud_suffix() -> None:
    f = facts(azure_facts=azure(dns_suffix="database.usgovcloudapi.net"))
    finding = one("CERT-005", f)
    assert finding.status is Status.FAIL and "*.database.usgovcloudapi.net" in finding.message


@pytest.mark.parametrize(
    ("certs", "status"),
    [
        ((("DigiCertPKI", "CN=DigiCert Global Root G2", ("*.database.windows.net",)),
          ("MicrosoftPKI", "CN=Microsoft RSA Root Certificate Authority 2017", ("*.database.windows.net",))), Status.PASS),
        ((("DigiCertPKI", "DigiCert Global Root G2", ("*.database.windows.net",)),), Status.WARN),
        ((("DigiCertPKI", "DigiCert Global Root G2", ()),), Status.FAIL),
        ((), Status.FAIL),
    ],
)
def test_cert_005_documented_roots_when_the_issuer_is_unknown(
        certs: tuple[tuple[str, str, tuple[str, ...]], ...], status: Status) -> None:
    roots = tuple(replace(ROOT, name=name, subject=subject, issuer=subject, public_der_hex="", issuer_mappings=maps)
                  for name, subject, maps in certs)
    f = facts(azure_facts=azure(endpoint_certificate_hex=None), sql_facts=with_certs(SQL_EP, *roots),
              plan_facts=plan(cloud="AzureCloud"))
    assert one("CERT-005", f).status is status


def test_cert_005_unreadable_mapping_passes_on_the_import_and_says_what_was_not_verified() -> None:
    """A real SQL Server never shows its issuer mappings to a SELECT: that is unknown, not 'unmapped'."""
    unread = replace(ROOT, issuer_mappings=None)
    finding = one("CERT-005", facts(sql_facts=with_certs(SQL_EP, MI_AS_FQDN, unread)))
    assert finding.status is Status.PASS and "imported into master" in finding.message
    assert any("not verified" in line for line in finding.evidence)
    roots = tuple(replace(ROOT, name=name, subject=subject, issuer=subject, public_der_hex="", issuer_mappings=None)
                  for name, subject in (("DigiCertPKI", "DigiCert Global Root G2"),
                                        ("MicrosoftPKI", "Microsoft RSA Root Certificate Authority 2017")))
    f = facts(azure_facts=azure(endpoint_certificate_hex=None), sql_facts=with_certs(SQL_EP, *roots),
              plan_facts=plan(cloud="AzureCloud"))
    finding = one("CERT-005", f)
    assert finding.status is Status.PASS and any("not verified" in line for line in finding.evidence)
