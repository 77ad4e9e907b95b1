"""DNS-001..003 over facts: PASS, FAIL per cause, WARN, and facts that are missing."""

from __future__ import annotations

import pytest

from linkready.facts import ProbeError
from linkready.facts.network import NetworkFacts
from linkready.model import Status
from tests.builders.netfacts import FQDN, MI_ADDR, PARTNER, SQL_ADDR, answer, facts, one, run

# -- DNS-001 -----------------------------------------------------------------------------------


def test_dns001_pass_names_the_server_and_where() -> None:
    f = one("DNS-001", facts(mi_dns=(answer("ok", MI_ADDR),)))
    assert f.status is Status.PASS
    assert MI_ADDR in f.message and "10.20.1.5" in f.message
    assert any("Tested from SQLPROD01 (source address 10.20.1.10)" in e for e in f.evidence)


def test_dns001_pass_from_hosts_file() -> None:
    f = one("DNS-001", facts(mi_dns=(answer("ok", MI_ADDR, server="hosts-file"),)))
    assert f.status is Status.PASS and "hosts file" in f.message


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("nxdomain", "NXDOMAIN"),
        ("noanswer", "no A or AAAA record"),
        ("servfail", "SERVFAIL"),
        ("timeout", "did not answer in time"),
        ("error", "could not be asked"),
    ],
)
def test_dns001_fail_says_what_the_server_said(status: str, words: str) -> None:
    f = one("DNS-001", facts(mi_dns=(answer(status),)))
    assert f.status is Status.FAIL
    assert f"{FQDN} does not resolve: DNS server 10.20.1.5" in f.message
    assert words in f.message
    assert f.observed == status
    assert 41962 in f.prevents


def test_dns001_fail_no_nameservers() -> None:
    f = one("DNS-001", facts(mi_dns=(answer("no_nameservers", server="system"),)))
    assert f.status is Status.FAIL
    assert "the system resolver could not be asked: no usable DNS server" in f.message


def test_dns001_fail_suggests_forwarding_to_a_server_that_knows() -> None:
    answers = (answer("nxdomain"), answer("ok", MI_ADDR, server="10.40.2.4", via="configured"))
    f = one("DNS-001", facts(mi_dns=answers))
    assert f.status is Status.FAIL
    assert "10.40.2.4 resolves it to 10.40.0.254" in f.message
    assert "abc123def456.database.windows.net" in f.message
    assert f.fix and "Add-DnsServerConditionalForwarderZone" in f.fix[0].code


def test_dns001_error_when_probe_failed_or_fact_not_collected() -> None:
    err = ProbeError("network", "network.mi_dns", "config", "the managed instance FQDN is unknown")
    f = one("DNS-001", facts(network=NetworkFacts(), errors=(err,)))
    assert f.status is Status.ERROR and "FQDN is unknown" in f.message
    f = one("DNS-001", facts(network=NetworkFacts()))
    assert f.status is Status.ERROR and "network.mi_dns was not collected" in f.message


# -- DNS-002 -----------------------------------------------------------------------------------


def test_dns002_pass_inside_subnet() -> None:
    f = one("DNS-002", facts(mi_dns=(answer("ok", MI_ADDR),)))
    assert f.status is Status.PASS
    assert f.expected == "inside 10.40.0.0/24"


@pytest.mark.parametrize(
    ("ans", "words"),
    [
        (answer("ok", "203.0.113.10"), "is a public address, outside the managed instance subnet 10.40.0.0/24"),
        (
            answer("ok", "198.51.100.50", chain=("mi-test.privatelink.abc123def456.database.windows.net",)),
            "is a private endpoint",
        ),
        (
            answer("ok", "10.99.0.5", chain=("mi-test.privatelink.abc123def456.database.windows.net",)),
            "the link cannot use private endpoints",
        ),
        (
            answer("ok", "20.50.1.2", name="mi-test.public.abc123def456.database.windows.net"),
            "public endpoint",
        ),
        (answer("ok", "10.99.0.5"), "private address outside the managed instance subnet"),
        (answer("ok", "10.99.0.5", server="hosts-file"), "from the hosts file"),
        (answer("ok", MI_ADDR, "203.0.113.10"), "203.0.113.10 is a public address"),
    ],
    ids=["public", "privatelink-testnet", "privatelink", "public-endpoint", "other-private", "hosts", "mixed"],
)
def test_dns002_fail_names_the_likely_cause(ans: object, words: str) -> None:
    f = one("DNS-002", facts(mi_dns=(ans,)))  # type: ignore[arg-type]
    assert f.status is Status.FAIL
    assert words in f.message


def test_dns002_public_endpoint_name_fails_even_inside_subnet_prefix() -> None:
    ans = answer("ok", MI_ADDR, name="mi-test.public.abc123def456.database.windows.net")
    f = one("DNS-002", facts(mi_dns=(ans,), mi_fqdn="mi-test.public.abc123def456.database.windows.net"))
    assert f.status is Status.FAIL and "public endpoint" in f.message


def test_dns002_error_when_name_did_not_resolve_or_subnet_unknown() -> None:
    assert one("DNS-002", facts(mi_dns=(answer("nxdomain"),))).status is Status.ERROR
    f = one("DNS-002", facts(mi_dns=(answer("ok", MI_ADDR),), subnet=None))
    assert f.status is Status.ERROR and "azure.subnet" in f.message


def test_dns002_evidence_shows_disagreeing_servers() -> None:
    answers = (answer("ok", MI_ADDR), answer("ok", "203.0.113.9", server="10.40.2.4", via="configured"))
    f = one("DNS-002", facts(mi_dns=answers))
    assert f.status is Status.PASS
    assert any("10.40.2.4 resolves it differently: 203.0.113.9" in e for e in f.evidence)


# -- DNS-003 -----------------------------------------------------------------------------------

EP = f"TCP://{PARTNER}:5022"


def partner(*answers: object) -> tuple[object, ...]:
    return answers


def test_dns003_ip_endpoint_passes_without_network_facts() -> None:
    f = one("DNS-003", facts(no_network=True, endpoints=(f"TCP://{SQL_ADDR}:5022",)))
    assert f.status is Status.PASS and "nothing to resolve" in f.message


def test_dns003_pass_through_vnet_dns() -> None:
    answers = (answer("ok", SQL_ADDR, name=PARTNER), answer("ok", SQL_ADDR, name=PARTNER, server="10.40.2.4",
                                                               via="vnet"))
    f = one("DNS-003", facts(partner_dns=answers, endpoints=(EP,)))
    assert f.status is Status.PASS
    assert f.target == f"link0: {PARTNER}"


@pytest.mark.parametrize(
    ("vnet_answer", "words"),
    [
        (answer("nxdomain", name=PARTNER, server="10.40.2.4", via="vnet"), "10.40.2.4 answered NXDOMAIN"),
        (answer("servfail", name=PARTNER, server="10.40.2.4", via="vnet"), "SERVFAIL"),
        (answer("noanswer", name=PARTNER, server="10.40.2.4", via="vnet"), "no A or AAAA record"),
        (answer("ok", "10.20.1.99", name=PARTNER, server="10.40.2.4", via="vnet"),
         "but the SQL Server is at 10.20.1.10"),
    ],
    ids=["nxdomain", "servfail", "noanswer", "wrong-address"],
)
def test_dns003_fail(vnet_answer: object, words: str) -> None:
    answers = (answer("ok", SQL_ADDR, name=PARTNER), vnet_answer)
    f = one("DNS-003", facts(partner_dns=answers, endpoints=(EP,)))  # type: ignore[arg-type]
    assert f.status is Status.FAIL
    assert words in f.message


def test_dns003_inconsistent_vnet_servers_fail() -> None:
    answers = (
        answer("ok", SQL_ADDR, name=PARTNER, server="10.40.2.4", via="vnet"),
        answer("nxdomain", name=PARTNER, server="10.40.2.5", via="vnet"),
    )
    f = one("DNS-003", facts(partner_dns=answers, endpoints=(EP,), vnet_dns=("10.40.2.4", "10.40.2.5")))
    assert f.status is Status.FAIL and "answers differ" in f.message


def test_dns003_warn_with_azure_provided_dns() -> None:
    f = one("DNS-003", facts(partner_dns=(answer("ok", SQL_ADDR, name=PARTNER),), endpoints=(EP,), vnet_dns=()))
    assert f.status is Status.WARN
    assert "can only be checked with this host's system resolver" in f.message
    assert "Azure-provided DNS" in f.message


def test_dns003_warn_when_vnet_dns_unreachable_from_here() -> None:
    answers = (answer("ok", SQL_ADDR, name=PARTNER), answer("timeout", name=PARTNER, server="10.40.2.4", via="vnet"))
    f = one("DNS-003", facts(partner_dns=answers, endpoints=(EP,)))
    assert f.status is Status.WARN and "did not answer from SQLPROD01" in f.message


def test_dns003_an_answer_without_via_is_inconsistent() -> None:
    # A snapshot without the key is incomplete (snapshot.loads); one that holds via "" names no resolver set,
    # which the probe always records (linkready.facts.consistency): unknown, not inferred from the server.
    old = (answer("nxdomain", name=PARTNER, server="10.40.2.4", via=""),)
    f = one("DNS-003", facts(partner_dns=old, endpoints=(EP,)))
    assert f.status is Status.ERROR and "network.partner_dns[0].via is empty" in f.message


def test_dns003_error_when_network_facts_failed() -> None:
    err = ProbeError("network", "network.partner_dns", "timeout", "the network probe did not finish")
    found = run("DNS-003", facts(network=NetworkFacts(), endpoints=(EP, f"TCP://{SQL_ADDR}:5022"), errors=(err,)))
    assert [x.status for x in found] == [Status.ERROR, Status.PASS]
    assert "did not finish" in found[0].message


def test_an_ok_answer_without_an_address_is_unknown_not_resolved() -> None:
    # Inconsistent facts (a hand-edited or damaged snapshot): "ok" with nothing to connect to.
    empty = answer("ok")
    for check_id in ("DNS-001", "DNS-002"):
        f = one(check_id, facts(mi_dns=(empty,)))
        assert f.status is Status.ERROR, check_id
