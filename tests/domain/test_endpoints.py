"""The one TCP://host:port parser and the endpoint certificate name (linkready.domain.endpoints)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkready.domain.endpoints import Endpoint, certificate_name_for, parse_endpoint, split_endpoint


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TCP://10.0.0.4:5022", Endpoint("10.0.0.4", "10.0.0.4", 5022)),
        ("tcp://sql01.corp:5023", Endpoint("sql01.corp", "sql01.corp", 5023, "tcp")),  # the scheme is case-insensitive
        ("Tcp://[2001:db8::5]:5022", Endpoint("[2001:db8::5]", "2001:db8::5", 5022, "Tcp")),
        ("TCP://h:70000", Endpoint("h", "h", 70000)),  # parses, so PLAN-002 can say "out of range"
        ("TCP://host", None),
        ("TCP://host:", None),
        ("TCP://:5022", None),
        ("http://host:5022", None),
        ("TCP://ho st:5022", None),
        ("TCP://a/b:5022", None),
        ("TCP://[nothex]:5022", None),
        ("TCP://host:123456", None),
        (" TCP://host:5022", None),  # blanks are the caller's business (split_endpoint strips)
    ],
)
def test_parse_endpoint(text: str, expected: Endpoint | None) -> None:
    assert parse_endpoint(text) == expected


@pytest.mark.parametrize(("port", "in_range"), [(0, False), (1, True), (5022, True), (65535, True), (65536, False)])
def test_port_range_flag(port: int, in_range: bool) -> None:
    parsed = parse_endpoint(f"TCP://sql01:{port}")
    assert parsed is not None and parsed.port_in_range is in_range


def test_split_endpoint_strips_and_refuses_out_of_range() -> None:
    assert split_endpoint("  TCP://[::1]:5022 ") == ("::1", 5022)
    assert split_endpoint("TCP://h:0") is None
    assert split_endpoint("TCP://h:65536") is None


hosts = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9.-]{0,30}", fullmatch=True)


@given(hosts, st.integers(min_value=1, max_value=65535), st.sampled_from(["TCP", "tcp", "Tcp"]))
def test_round_trip(host: str, port: int, scheme: str) -> None:
    parsed = parse_endpoint(f"{scheme}://{host}:{port}")
    assert parsed == Endpoint(host, host, port, scheme)
    assert parse_endpoint(parsed.url) == parsed


@pytest.mark.parametrize(
    ("server", "name"),
    [
        ("SQLPROD01", "Cert_SQLPROD01_endpoint"),  # the demo's EP-001 fix and the runbook agree on this one
        ("SQL01\\INST", "Cert_SQL01_INST_endpoint"),  # a named instance: no backslash in the name
        ("SQL-01.corp", "Cert_SQL_01_corp_endpoint"),
        ("A--B", "Cert_A__B_endpoint"),  # one '_' per character: the two former copies differed here
    ],
)
def test_certificate_name_for(server: str, name: str) -> None:
    assert certificate_name_for(server) == name


@given(st.text(max_size=40))
def test_certificate_name_has_no_backslash_and_keeps_length(server: str) -> None:
    name = certificate_name_for(server)
    assert "\\" not in name and len(name) == len(server) + len("Cert__endpoint")


def test_runbook_and_ep001_name_the_same_certificate() -> None:
    from linkready.checks.endpoint import certificate_name_for as ep001_name

    from linkready.tools.runbook import certificate_name_for as runbook_name
    from tests.builders.sql_facts import facts, instance

    sql = facts(instance=instance(server_name="SQL-01\\A B")).sql
    assert sql is not None
    assert ep001_name(sql) == runbook_name("SQL-01\\A B") == "Cert_SQL_01_A_B_endpoint"
