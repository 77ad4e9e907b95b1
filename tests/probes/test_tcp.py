"""TCP probe against a real kernel: namespaces, nftables DROP/REJECT rules and real listeners."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from linkready.facts.network import (
    PORT_FILTERED,
    PORT_OPEN,
    PORT_REFUSED,
    PORT_UNREACHABLE,
    PORT_UNTESTED,
    PortScan,
)
from linkready.probes.tcp import classify_oserror, fd_budget, scan_host, source_address_for
from tests.standins.netns.lab import CLIENT_V4, CLIENT_V6, SERVER_V4, SERVER_V6, NetnsLab

OPEN, RESET, DROP, ICMP, CLOSED = 7001, 7002, 7003, 7004, 7005


def scan(lab: NetnsLab, host: str, ports: Sequence[int], **kw: object) -> PortScan:
    """Run the probe from the client namespace (the "SQL Server host")."""
    return lab.in_client(lambda: asyncio.run(scan_host(host, list(ports), **kw)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("address", "source", "expected"),
    [
        (
            SERVER_V4,
            CLIENT_V4,
            {
                OPEN: PORT_OPEN,
                RESET: PORT_REFUSED,
                DROP: PORT_FILTERED,
                ICMP: PORT_UNREACHABLE,
                CLOSED: PORT_REFUSED,
            },
        ),
        # The kernel in use does not surface an ICMPv6 reject to a connecting TCP socket, so the
        # IPv6 case covers open/refused/filtered here and "unreachable" by routing below.
        (
            SERVER_V6,
            CLIENT_V6,
            {OPEN: PORT_OPEN, RESET: PORT_REFUSED, DROP: PORT_FILTERED, CLOSED: PORT_REFUSED},
        ),
    ],
    ids=["ipv4", "ipv6"],
)
def test_each_classification_comes_from_the_kernel(
    lab: NetnsLab, address: str, source: str, expected: dict[int, str]
) -> None:
    lab.set_rules(drop=[DROP], reset=[RESET], unreachable=[ICMP])
    with lab.listening([OPEN]) as listeners:
        result = scan(lab, address, sorted(expected), timeout=0.5)
    assert {r.port: r.state for r in result.ports} == expected
    assert result.address == address
    assert result.source_address == source
    assert result.source_host
    assert result.error == ""
    assert listeners.accepted >= 1
    for r in result.ports:
        if r.state in (PORT_OPEN, PORT_REFUSED):
            assert r.connect_ms is not None and r.connect_ms < 500
        if r.state == PORT_FILTERED:
            assert r.connect_ms is None
            assert "0.5 s" in r.detail


@pytest.mark.parametrize("address", ["203.0.113.5", "2001:db8:ffff::1"], ids=["ipv4", "ipv6"])
def test_no_route_is_unreachable(lab: NetnsLab, address: str) -> None:
    result = scan(lab, address, [5022], timeout=0.5)
    assert result.ports[0].state == PORT_UNREACHABLE
    assert "ENETUNREACH" in result.ports[0].detail
    assert result.source_address == ""  # there is no route, so no source address either


def test_full_range_scan_is_concurrent_and_compressible(lab: NetnsLab) -> None:
    lab.set_rules(drop=range(11000, 11990), reset=range(11990, 12000))
    with lab.listening([5022]):
        result = scan(lab, SERVER_V4, [5022, *range(11000, 12000)], timeout=0.5, deadline=10)
    assert result.by_state(PORT_OPEN) == (5022,), [(r.port, r.state, r.detail) for r in result.ports if r.port == 5022]
    assert result.by_state(PORT_FILTERED) == tuple(range(11000, 11990))
    assert result.by_state(PORT_REFUSED) == tuple(range(11990, 12000))
    assert result.requested == "5022,11000-11999"
    # 990 dropped ports at 0.5 s each would take minutes one by one; a bounded-concurrency scan
    # takes about one timeout. Generous bound: this guards against serialisation, not speed.
    assert result.elapsed_s is not None and result.elapsed_s < 5


def test_concurrency_bound_and_deadline(lab: NetnsLab) -> None:
    """One socket at a time, 0.4 s per dropped port, 1.0 s overall: two full attempts fit."""
    ports = [7100, 7101, 7102, 7103, 7104]
    lab.set_rules(drop=ports)
    result = scan(lab, SERVER_V4, ports, timeout=0.4, concurrency=1, deadline=1.0)
    states = [r.state for r in result.ports]
    assert states[:2] == [PORT_FILTERED, PORT_FILTERED]
    # A cut-short attempt is never reported as filtered: it proves nothing.
    assert states[2:] == [PORT_UNTESTED] * 3
    assert "deadline" in result.ports[2].detail


def test_deadline_shorter_than_timeout_tests_nothing(lab: NetnsLab) -> None:
    lab.set_rules(drop=[7200])
    result = scan(lab, SERVER_V4, [7200], timeout=2.0, deadline=0.3)
    assert result.ports[0].state == PORT_UNTESTED


def test_host_name_goes_through_the_given_resolver(lab: NetnsLab) -> None:
    async def resolver(host: str, timeout: float) -> Sequence[str]:
        assert host == "mi-test.example"
        return ["2001:db8:1::2", SERVER_V4]

    with lab.listening([OPEN]):
        result = scan(lab, "mi-test.example", [OPEN], timeout=0.5, resolve=resolver)
    assert result.host == "mi-test.example"
    assert result.address == SERVER_V4  # IPv4 first, as clients try it
    assert result.ports[0].state == PORT_OPEN


def test_unresolvable_host_is_an_error_value(lab: NetnsLab) -> None:
    async def resolver(host: str, timeout: float) -> Sequence[str]:
        raise OSError("NXDOMAIN from 127.0.0.1")

    result = scan(lab, "missing.example", [5022], timeout=0.5, resolve=resolver)
    assert result.ports == ()
    assert "did not resolve" in result.error and "NXDOMAIN" in result.error


def test_source_address_needs_no_traffic() -> None:
    assert source_address_for("127.0.0.1") == "127.0.0.1"
    assert source_address_for("::1") == "::1"


def test_fd_budget_never_exceeds_request() -> None:
    assert fd_budget(10) == 10
    assert 1 <= fd_budget(10**9) < 10**9


@pytest.mark.parametrize(
    ("exc", "state"),
    [
        (ConnectionRefusedError(111, "Connection refused"), PORT_REFUSED),
        (OSError(113, "No route to host"), PORT_UNREACHABLE),
        (OSError(101, "Network is unreachable"), PORT_UNREACHABLE),
        (TimeoutError(110, "Connection timed out"), PORT_FILTERED),
        (OSError(24, "Too many open files"), "error"),
    ],
)
def test_classify_oserror(exc: OSError, state: str) -> None:
    assert classify_oserror(exc)[0] == state


def test_loopback_without_namespaces() -> None:
    """Open and refused on 127.0.0.1 need no namespace: the CLI's quick path."""
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            closed_port = closed.getsockname()[1]  # bound, not listening: the kernel resets
            result = asyncio.run(scan_host("127.0.0.1", [port, closed_port], timeout=1))
    assert {r.port: r.state for r in result.ports} == {port: PORT_OPEN, closed_port: PORT_REFUSED}
    assert result.source_address == "127.0.0.1"
