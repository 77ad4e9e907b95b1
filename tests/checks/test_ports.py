"""NET-001..004 over facts: every classification, every "where it ran", and missing facts."""

from __future__ import annotations

from typing import Any

import pytest

from linkready.facts import Facts, ProbeError
from linkready.facts.network import NetworkFacts
from linkready.facts.sql import MirroringEndpoint, SqlFacts
from linkready.model import Status
from tests.builders.netfacts import FQDN, SQL_ADDR, all_range, facts, one, replace, scan

# -- where the test ran ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on_host", "words"),
    [
        (True, "the SQL Server host itself"),
        (False, "which is not the SQL Server host: reachability from a jump box proves less"),
        (None, "whether this is the SQL Server host is unknown: reachability from a jump box proves less"),
    ],
)
@pytest.mark.parametrize("check_id", ["NET-001", "NET-002", "NET-003"])
def test_every_finding_says_where_it_ran(check_id: str, on_host: bool | None, words: str) -> None:
    f = facts(
        on_sql_host=on_host,
        mi_ports=scan(all_range("open"), source="198.51.100.10"),
        sql_endpoint_port=scan({5022: "open"}, host=SQL_ADDR, address=SQL_ADDR, source="198.51.100.10"),
    )
    finding = one(check_id, f)
    where = finding.evidence[0]
    assert where.startswith("Tested from SQLPROD01 (source address 198.51.100.10)")
    assert words in where


def test_host_is_recognised_by_sql_machine_name() -> None:
    from linkready.facts.sql import SqlInstance

    instance = SqlInstance(
        server_name="SQLPROD01", machine_name="sqlprod01", instance_name=None, product_version="16.0.4125.3",
        product_level="RTM", product_update_level="CU13", product_update_reference=None, edition="Enterprise",
        engine_edition=3, host_platform="Windows", host_distribution="Windows Server 2022", host_release="10.0",
        collation="SQL_Latin1_General_CP1_CI_AS", is_hadr_enabled=True,
    )
    f = replace(facts(on_sql_host=None, mi_ports=scan(all_range("open"))), sql=SqlFacts(instance=instance))
    assert "the SQL Server host itself" in one("NET-001", f).evidence[0]


# -- NET-001 -----------------------------------------------------------------------------------


def test_net001_pass() -> None:
    f = one("NET-001", facts(mi_ports=scan(all_range("open"))))
    assert f.status is Status.PASS
    assert f.target == f"{FQDN}:5022"
    assert any("Connect time" in e for e in f.evidence)


@pytest.mark.parametrize(
    ("state", "words"),
    [
        ("refused", "answered with a TCP reset"),
        ("filtered", "gave no answer within 3 s: a firewall, an NSG or a route drops"),
        ("unreachable", "is unreachable: there is no route to 10.40.0.254"),
    ],
)
def test_net001_fail_per_classification(state: str, words: str) -> None:
    f = one("NET-001", facts(mi_ports=scan({5022: state})))
    assert f.status is Status.FAIL
    assert words in f.message
    assert f.observed.startswith(state)
    assert 41962 in f.prevents


def test_net001_error_when_fqdn_did_not_resolve_or_port_untested() -> None:
    f = one("NET-001", facts(mi_ports=scan({}, error=f"{FQDN} did not resolve, so no port could be tried")))
    assert f.status is Status.ERROR and "did not resolve" in f.message
    f = one("NET-001", facts(mi_ports=scan({5022: "untested"})))
    assert f.status is Status.ERROR


def test_net001_error_from_probe_or_when_not_collected() -> None:
    err = ProbeError("network", "network.mi_ports", "config", "the managed instance FQDN is unknown")
    assert one("NET-001", facts(network=NetworkFacts(), errors=(err,))).status is Status.ERROR
    assert one("NET-001", facts(network=NetworkFacts())).status is Status.ERROR


# -- NET-002 -----------------------------------------------------------------------------------


def test_net002_pass() -> None:
    f = one("NET-002", facts(mi_ports=scan(all_range("open"))))
    assert f.status is Status.PASS
    assert f.observed == "open 11000-11999"


def test_net002_names_the_subnet_to_open_and_the_test_that_proves_the_node_leg() -> None:
    from linkready.facts.azure import AzureFacts, Subnet

    bare = one("NET-002", facts(mi_ports=scan(all_range("open"))))
    assert bare.status is Status.PASS and any("linkready network-test" in e for e in bare.evidence)
    with_subnet = replace(facts(mi_ports=scan(all_range("open"))),
                          azure=AzureFacts(subnet=Subnet("/x/subnets/mi", ("10.20.1.0/24",))))
    f = one("NET-002", with_subnet)
    assert "whole managed instance subnet (10.20.1.0/24)" in f.expected
    assert any("open the subnet's prefix on the on-premises firewall" in e and "10.20.1.0/24" in e
               for e in f.evidence)


def test_net002_fail_lists_not_open_ranges_compressed() -> None:
    states = all_range("open", **{str(p): "filtered" for p in range(11500, 11600)})
    states.update({11999: "unreachable", 11998: "refused"})
    f = one("NET-002", facts(mi_ports=scan(states)))
    assert f.status is Status.FAIL
    assert "101 port(s) of 11000-11999" in f.message
    assert "filtered (no answer): 11500-11599" in f.message
    assert "unreachable (no route / ICMP unreachable): 11999" in f.message
    assert f.observed == "open 11000-11499,11600-11997; refused 11998; filtered 11500-11599; unreachable 11999"


def test_net002_fail_all_unreachable_points_at_routing() -> None:
    f = one("NET-002", facts(mi_ports=scan(all_range("unreachable"))))
    assert f.status is Status.FAIL and "routing" in f.message


def test_net002_refused_only_is_a_warning() -> None:
    f = one("NET-002", facts(mi_ports=scan(all_range("open", **{"11005": "refused"}))))
    assert f.status is Status.WARN and "11005" in f.message


def test_net002_sampled_scan_says_so() -> None:
    states = {5022: "open", 11000: "open", 11500: "filtered", 11999: "open"}
    f = one("NET-002", facts(mi_ports=scan(states, sampled=True)))
    assert f.status is Status.FAIL
    assert any("3 of 1000 ports were sampled" in e for e in f.evidence)


def test_net002_error_when_nothing_finished_and_when_partly_tested() -> None:
    assert one("NET-002", facts(mi_ports=scan(all_range("untested")))).status is Status.ERROR
    partly = one("NET-002", facts(mi_ports=scan(all_range("open", **{"11999": "untested"}))))
    assert partly.status is Status.ERROR
    assert any("Not tested: 11999" in e for e in partly.evidence)


# -- NET-003 -----------------------------------------------------------------------------------


def sql_scan(state: str) -> object:
    return scan({5022: state}, host=SQL_ADDR, address=SQL_ADDR)


def test_net003_pass_listening_locally() -> None:
    f = one("NET-003", facts(sql_endpoint_port=sql_scan("open")))
    assert f.status is Status.PASS and "listening locally" in f.message


def test_net003_pass_reachable_from_jump_box() -> None:
    f = one("NET-003", facts(on_sql_host=False, sql_endpoint_port=sql_scan("open")))
    assert f.status is Status.PASS and "reachable from SQLPROD01" in f.message


def test_net003_fail_not_listening_on_sql_host() -> None:
    f = one("NET-003", facts(sql_endpoint_port=sql_scan("refused")))
    assert f.status is Status.FAIL
    assert "is not listening on the SQL Server host" in f.message


@pytest.mark.parametrize("state", ["filtered", "refused", "unreachable"])
def test_net003_fail_from_elsewhere(state: str) -> None:
    f = one("NET-003", facts(on_sql_host=False, sql_endpoint_port=sql_scan(state)))
    assert f.status is Status.FAIL
    assert "Port 5022 at 10.20.1.10 (10.20.1.10)" in f.message


def test_net003_evidence_flags_wrong_port() -> None:
    endpoint = MirroringEndpoint(name="Hadr_endpoint", state="STARTED", role="ALL", port=5023, ip_address="ALL",
                                 connection_auth="CERTIFICATE", encryption_algorithm="AES", is_encryption_enabled=True)
    f = replace(facts(sql_endpoint_port=sql_scan("refused")), sql=SqlFacts(endpoints=(endpoint,)))
    finding = one("NET-003", f)
    assert finding.status is Status.FAIL
    assert any("No mirroring endpoint is configured on port 5022" in e for e in finding.evidence)


def test_net003_error_when_host_did_not_resolve() -> None:
    f = one("NET-003", facts(sql_endpoint_port=scan({}, host="sqlprod01", address="", error="sqlprod01 did not resolve")))
    assert f.status is Status.ERROR


def test_network_checks_do_no_io_imports() -> None:
    """Checks judge facts only: importing them must not pull in sockets, DNS or asyncio."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = (
        "import sys, linkready.checks.dns, linkready.checks.ports\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('socket', 'dns', 'ssl', 'asyncio', 'pyodbc', 'azure', 'linkready')"
        " and (m.split('.')[0] != 'linkready' or m.startswith('linkready.probes'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# -- NET-004: which directions were tested, and from where ---------------------------------------


PARTNER_ENDPOINT = f"TCP://{SQL_ADDR}:5022"


def directions(**kw: Any) -> Facts:
    base: dict[str, Any] = {
        "mi_ports": scan(all_range("open")), "sql_endpoint_port": sql_scan("open"), "endpoints": (PARTNER_ENDPOINT,),
    }
    return facts(**{**base, **kw})


def test_net004_pass_from_the_sql_server_host_still_says_the_reverse_was_not_tested() -> None:
    from linkready.commands.network_test import tsql_for

    f = one("NET-004", directions())
    assert f.status is Status.PASS
    assert "managed instance -> SQL Server was not tested" in f.message and "network-test --print-tsql" in f.message
    assert f.observed == ("SQL Server -> managed instance: tested from SQLPROD01 (source address 10.20.1.10), the "
                          "SQL Server host itself; managed instance -> SQL Server: not tested")
    forward, endpoint, reverse = f.evidence
    assert forward.startswith("SQL Server -> managed instance (TCP 5022 and 11000-11999 to "
                              f"{FQDN} at 10.40.0.254): tested from SQLPROD01 (source address 10.20.1.10)")
    assert "a local check that the endpoint listens (NET-003)" in endpoint
    assert reverse.startswith(f"Managed instance -> SQL Server ({PARTNER_ENDPOINT}): not tested (run the printed T-SQL)")
    # The fix is network-test's own T-SQL for this plan, not a copy.
    assert [b.code for b in f.fix] == [tsql_for(SQL_ADDR, 5022)]


def test_net004_a_blocked_direction_was_still_tested() -> None:
    # NET-001/002 fail on the ports; NET-004 only says the direction was tested, and from where.
    f = one("NET-004", directions(mi_ports=scan(all_range("filtered", **{"5022": "filtered"}))))
    assert f.status is Status.PASS


@pytest.mark.parametrize(
    ("on_host", "words"),
    [(False, "not the SQL Server host (a jump box): that is not the path"),
     (None, "a host not known to be the SQL Server host: that may not be the path")],
)
def test_net004_warns_when_run_from_elsewhere(on_host: bool | None, words: str) -> None:
    f = one("NET-004", directions(on_sql_host=on_host, mi_ports=scan(all_range("open"), source="198.51.100.10")))
    assert f.status is Status.WARN
    assert f.message.startswith("SQL Server -> managed instance was tested from SQLPROD01 (source address "
                                "198.51.100.10)") and words in f.message
    assert "reachability from that host, not from the managed instance (NET-003)" in f.evidence[1]
    assert f.fix  # the reverse direction's T-SQL either way


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"no_network": True}, "network facts were not collected"),
        ({"no_network": True, "errors": (ProbeError("network", "network.mi_ports", "timeout", "no answer in 30 s"),)},
         "the probe could not run it: no answer in 30 s"),
        ({"mi_ports": scan({}, address="", error=f"{FQDN} did not resolve")}, f"{FQDN} did not resolve"),
        ({"mi_ports": scan({5022: "untested"})}, "no port attempt finished"),
    ],
)
def test_net004_warns_when_nothing_was_tested(kw: dict[str, object], reason: str) -> None:
    f = one("NET-004", directions(**kw))
    assert f.status is Status.WARN and f.message.startswith("Neither direction was tested")
    assert f"SQL Server -> managed instance: not tested ({reason})" in f.observed
    assert "not tested (run the printed T-SQL)" in f.evidence[-1]


def test_net004_one_test_script_per_distinct_partner_endpoint() -> None:
    endpoints = (PARTNER_ENDPOINT, PARTNER_ENDPOINT, "TCP://sqlprod02.corp.example:5023", "sqlprod03:5022")
    f = one("NET-004", directions(endpoints=endpoints))
    assert [b.title.split("(")[1].split(")")[0] for b in f.fix] == ["10.20.1.10:5022", "sqlprod02.corp.example:5023"]
    assert "tnc sqlprod02.corp.example -port 5023" in f.fix[1].code


def test_net004_skips_without_a_planned_link() -> None:
    assert one("NET-004", directions(endpoints=())).status is Status.SKIP


def test_net004_in_the_demo_lists_both_directions() -> None:
    from linkready.snapshot import loads
    from tests.conftest import ROOT

    demo = loads((ROOT / "linkready" / "data" / "demo_snapshot.json").read_text())
    f = one("NET-004", demo.facts)
    assert f.status is Status.PASS and "tested from SQLPROD01 (source address 10.20.1.10)" in f.observed
    assert len(f.fix) == 2  # the demo plans two links with two partner endpoints
