"""EP-001..005 on facts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from linkready.facts import ProbeError
from tests.builders.sql_facts import ENDPOINT, LINK, facts, instance, messages, statuses


def ep(**changes: object) -> tuple[object, ...]:
    return (replace(ENDPOINT, **changes),)  # type: ignore[arg-type]


CASES = [
    ("EP-001", facts(), ["PASS"]),
    ("EP-001", facts(endpoints=()), ["FAIL"]),
    ("EP-002", facts(), ["PASS"]),
    ("EP-002", facts(endpoints=ep(state="STOPPED")), ["FAIL"]),
    ("EP-002", facts(endpoints=ep(role="PARTNER")), ["FAIL"]),
    ("EP-002", facts(endpoints=ep(state="DISABLED", role="WITNESS")), ["FAIL", "FAIL"]),  # each separately
    ("EP-003", facts(), ["PASS"]),
    ("EP-003", facts(endpoints=ep(connection_auth="WINDOWS NEGOTIATE CERTIFICATE")), ["PASS"]),
    ("EP-003", facts(endpoints=ep(connection_auth="WINDOWS KERBEROS", certificate_name=None, certificate_id=None)),
     ["FAIL"]),
    ("EP-004", facts(), ["PASS"]),
    ("EP-004", facts(endpoints=ep(encryption_algorithm="RC4")), ["FAIL"]),
    ("EP-004", facts(endpoints=ep(is_encryption_enabled=False, encryption_algorithm="NONE")), ["FAIL"]),
    ("EP-004", facts(endpoints=ep(encryption_algorithm="AES_RC4")), ["WARN"]),
    ("EP-005", facts(), ["PASS"]),
    ("EP-005", facts(endpoints=ep(port=5023)), ["FAIL"]),  # the plan says 5022
    ("EP-005", facts(instance=instance(instance_name="SALES")), ["WARN"]),  # named instance on 5022
]


@pytest.mark.parametrize(("check_id", "f", "expected"), CASES)
def test_endpoint_checks(check_id: str, f: object, expected: list[str]) -> None:
    assert statuses(check_id, f) == expected  # type: ignore[arg-type]


def test_missing_endpoint_fails_with_the_full_create_endpoint() -> None:
    text = messages("EP-001", facts(endpoints=()))
    assert "CREATE ENDPOINT [Hadr_endpoint]" in text and "AUTHENTICATION = CERTIFICATE [Cert_SQL01_endpoint]" in text
    assert "ENCRYPTION = REQUIRED ALGORITHM AES" in text and "LISTENER_PORT = 5022" in text


def test_named_instance_certificate_name_has_no_backslash() -> None:
    f = facts(endpoints=(), certificates=(), instance=instance(server_name="SQL01\\SALES", instance_name="SALES"))
    assert "Cert_SQL01_SALES_endpoint" in messages("EP-001", f)


def test_windows_only_fix_keeps_windows_and_adds_certificate() -> None:
    text = messages("EP-003", facts(endpoints=ep(connection_auth="WINDOWS NEGOTIATE", certificate_name=None)))
    assert "AUTHENTICATION = WINDOWS NEGOTIATE CERTIFICATE [Cert_SQL01_endpoint]" in text


def test_unread_endpoints_are_an_error() -> None:
    error = ProbeError("sql", "sql.endpoints", "permission", "endpoints needs VIEW ANY DEFINITION")
    assert statuses("EP-001", facts(endpoints=None, errors=(error,))) == ["ERROR"]
    assert statuses("EP-003", facts(endpoints=None, errors=(error,))) == ["ERROR"]


def test_partner_endpoint_port_mismatch_names_the_link() -> None:
    f = facts(endpoints=ep(port=5022))
    f = replace(f, plan=replace(f.plan, links=(replace(LINK, partner_endpoint="TCP://10.0.0.4:5025"),)))
    assert "link-sales → 5025" in messages("EP-005", f)
