"""Network reachability checks (NET-001..004): the ports the link uses answer, tested from a named host.

Each finding says where the test ran and from which source address: a port that is open from a
jump box proves much less than one that is open from the SQL Server host, whose traffic takes
the link's real path through the host firewall, the on-premises network and the VPN.
"""

from __future__ import annotations

from collections.abc import Iterator

from linkready.checks._directions import NETWORK_PATH

from linkready.domain.docs import DOCS_PREP, DOCS_TROUBLE
from linkready.domain.endpoints import split_endpoint
from linkready.domain.link_network import runs_on_sql_host
from linkready.domain.network_tsql import tsql_for
from linkready.domain.ports import MI_ENDPOINT_PORT, MI_REDIRECT_RANGE, format_ranges
from linkready.facts import Facts
from linkready.facts.network import (
    PORT_FILTERED,
    PORT_OPEN,
    PORT_REFUSED,
    PORT_UNREACHABLE,
    PORT_UNTESTED,
    PortResult,
    PortScan,
)
from linkready.model import Area, CodeBlock, Owner, Result, Settings, Severity, errored, failed, passed, warned
from linkready.registry import check

JUMP_BOX_NOTE = (
    "reachability from a jump box proves less than from the SQL Server host: run linkready on the SQL Server "
    "host to test the path the link will take"
)

_STATE_WORDS = {
    PORT_OPEN: "open",
    PORT_REFUSED: "refused (TCP reset)",
    PORT_FILTERED: "filtered (no answer)",
    PORT_UNREACHABLE: "unreachable (no route / ICMP unreachable)",
    PORT_UNTESTED: "not tested (deadline)",
    "error": "error",
}


def tested_from(facts: Facts, source_address: str = "") -> str:
    """One evidence line: host, source address, and whether that host is the SQL Server host."""
    host = facts.collector.hostname or "an unnamed host"
    source = source_address or (facts.collector.source_addresses[0] if facts.collector.source_addresses else "")
    where = f"Tested from {host}" + (f" (source address {source})" if source else " (no source address: no route)")
    on_host = runs_on_sql_host(facts)
    if on_host is True:
        return f"{where}, the SQL Server host itself: this is the path the link will use."
    if on_host is False:
        return f"{where}, which is not the SQL Server host: {JUMP_BOX_NOTE}."
    return f"{where}; whether this is the SQL Server host is unknown: {JUMP_BOX_NOTE}."


def _summary(results: list[PortResult]) -> str:
    """``"open 5022; filtered 11000-11949"``: ports grouped by state, compressed as ranges."""
    parts = []
    for state in (PORT_OPEN, PORT_REFUSED, PORT_FILTERED, PORT_UNREACHABLE, PORT_UNTESTED, "error"):
        ports = [r.port for r in results if r.state == state]
        if ports:
            parts.append(f"{state} {format_ranges(ports)}")
    return "; ".join(parts) or "no ports"


def _scan_line(scan: PortScan) -> str:
    timing = f" in {scan.elapsed_s:.1f} s" if scan.elapsed_s is not None else ""
    sample = " (a sample of the range)" if scan.sampled else ""
    return (
        f"Scanned {scan.host} at {scan.address or '(unresolved)'}: ports {scan.requested or '?'}{sample}, "
        f"{scan.timeout_s:g} s per port{timing}."
    )


def _cause(state: str, port: str, scan: PortScan) -> str:
    if state == PORT_REFUSED:
        return (
            f"{port} answered with a TCP reset: the address is reached but nothing accepts connections there, or "
            "a firewall rejects them. Check that the name resolves to the managed instance's VNet-local address "
            "(DNS-002)."
        )
    if state == PORT_FILTERED:
        return (
            f"{port} gave no answer within {scan.timeout_s:g} s: a firewall, an NSG or a route drops the traffic "
            "silently (NSG-001 evaluates the managed instance subnet's rules)."
        )
    if state == PORT_UNREACHABLE:
        return (
            f"{port} is unreachable: there is no route to {scan.address} from this host, or a router answered "
            "host-unreachable (VPN, ExpressRoute or peering routes)."
        )
    return f"{port} could not be classified ({state})."


def subnet_destination(facts: Facts) -> str:
    """The destination to open on the on-premises firewall: the managed instance subnet's prefixes, or why unknown."""
    subnet = facts.azure.subnet if facts.azure else None
    if subnet is not None and subnet.address_prefixes:
        return f"subnet {', '.join(subnet.address_prefixes)}"
    _, why = facts.state_of("azure.subnet")
    return f"subnet (its prefix is unknown: {why or 'not read'})"


def node_leg_evidence(facts: Facts, scan: PortScan) -> str:
    """Why a port answering at the instance's address does not prove the leg to the hosting node.

    The instance answers 5022 on its address in the subnet and redirects the link to a port in 11000-11999
    on the node that hosts it, another address of the same subnet that changes after a failover. A firewall
    opened for the one address the scan reached passes this test and still drops the redirected traffic.
    """
    return (
        f"Node leg: open 5022 and {MI_REDIRECT_RANGE[0]}-{MI_REDIRECT_RANGE[1]} on the on-premises firewall to "
        f"the whole managed instance {subnet_destination(facts)}, not only to {scan.address or 'one address'}"
        ": the redirect goes to the hosting node's address, which this scan cannot reach by name. Only the "
        f"documented SQL Agent network test ({NETWORK_TEST}), run on the managed instance, proves the node leg."
    )


NETWORK_TEST = "linkready network-test --print-tsql"


def _remediation_to_subnet(facts: Facts, ports: str) -> str:
    return (
        f"Allow TCP {ports} outbound from the SQL Server (host firewall, corporate firewalls, VPN/ExpressRoute) to "
        f"the whole managed instance {subnet_destination(facts)}, not only the instance's address, and "
        "inbound on the managed instance subnet's NSG from the SQL Server."
    )


@check(
    id="NET-001",
    title="TCP 5022 on the managed instance is open from the SQL Server side",
    area=Area.NETWORK,
    severity=Severity.CRITICAL,
    rationale=(
        "SQL Server connects to the managed instance's database mirroring endpoint on TCP 5022 to start the "
        "link. If the port is dropped or rejected on the way, link creation waits and fails after five "
        "minutes (error 41962)."
    ),
    remediation=(
        "Allow TCP 5022 outbound from the SQL Server (host firewall, corporate firewalls, VPN/ExpressRoute) to "
        "the managed instance subnet, and inbound on the managed instance subnet's NSG from the SQL Server."
    ),
    docs=DOCS_PREP,
    owner=Owner.NETWORK,
    requires=("network.mi_ports",),
    prevents=(41962, 41986),
    directions=NETWORK_PATH,
)
def mi_endpoint_port_open(facts: Facts, settings: Settings) -> Iterator[Result]:
    assert facts.network is not None and facts.network.mi_ports is not None
    scan = facts.network.mi_ports
    where = tested_from(facts, scan.source_address)
    target = f"{scan.host}:{MI_ENDPOINT_PORT}"
    if scan.error:
        yield errored(f"Could not test port {MI_ENDPOINT_PORT}: {scan.error}", target=target, evidence=[where])
        return
    result = scan.result(MI_ENDPOINT_PORT)
    if result is None or result.state in (PORT_UNTESTED, "error"):
        detail = result.detail if result else "it was not scanned"
        yield errored(f"Could not test port {MI_ENDPOINT_PORT}: {detail}", target=target, evidence=[where])
        return
    observed = f"{_STATE_WORDS.get(result.state, result.state)} at {scan.address}"
    evidence = [where, _scan_line(scan), node_leg_evidence(facts, scan)]
    if result.connect_ms is not None:
        evidence.append(f"Connect time: {result.connect_ms:.1f} ms.")
    if result.detail:
        evidence.append(f"Kernel said: {result.detail}.")
    if result.state == PORT_OPEN:
        yield passed(
            f"Port {MI_ENDPOINT_PORT} on {scan.host} ({scan.address}) is open from {facts.collector.hostname or 'here'}",
            target=target, observed=observed, expected="open", evidence=evidence,
        )
        return
    yield failed(
        _cause(result.state, f"Port {MI_ENDPOINT_PORT} on {scan.host} ({scan.address})", scan),
        target=target, observed=observed, expected="open", evidence=evidence,
        remediation=_remediation_to_subnet(facts, str(MI_ENDPOINT_PORT)),
    )


@check(
    id="NET-002",
    title="TCP 11000-11999 on the managed instance is open from the SQL Server side",
    area=Area.NETWORK,
    severity=Severity.CRITICAL,
    rationale=(
        "After the first contact on 5022 the managed instance redirects the link's traffic to a port in "
        "11000-11999 on the node that hosts it; the port can change after any failover, so the whole range "
        "must be open. A range that is dropped lets the connection test on 5022 succeed while the link fails."
    ),
    remediation=(
        "Allow TCP 11000-11999 outbound from the SQL Server to the managed instance subnet in every firewall "
        "on the path, and inbound on the managed instance subnet's NSG from the SQL Server."
    ),
    docs=DOCS_PREP,
    owner=Owner.NETWORK,
    requires=("network.mi_ports",),
    prevents=(41962, 41986),
    directions=NETWORK_PATH,
)
def mi_redirect_range_open(facts: Facts, settings: Settings) -> Iterator[Result]:
    assert facts.network is not None and facts.network.mi_ports is not None
    scan = facts.network.mi_ports
    low, high = MI_REDIRECT_RANGE
    target = f"{scan.host}:{low}-{high}"
    where = tested_from(facts, scan.source_address)
    if scan.error:
        yield errored(f"Could not test {low}-{high}: {scan.error}", target=target, evidence=[where])
        return
    results = [r for r in scan.ports if low <= r.port <= high]
    if not results:
        yield errored(f"Could not test {low}-{high}: no port of the range was scanned", target=target,
                      evidence=[where])
        return
    observed = _summary(results)
    tested = [r for r in results if r.state not in (PORT_UNTESTED, "error")]
    evidence = [where, _scan_line(scan), node_leg_evidence(facts, scan)]
    if scan.sampled:
        evidence.append(f"{len(results)} of {high - low + 1} ports were sampled; unsampled ports are not judged.")
    untested = [r.port for r in results if r.state in (PORT_UNTESTED, "error")]
    if untested:
        evidence.append(f"Not tested: {format_ranges(untested)} (the scan's deadline ran out).")
    blocked = [r for r in tested if r.state in (PORT_FILTERED, PORT_UNREACHABLE)]
    refused = [r for r in tested if r.state == PORT_REFUSED]
    expected = f"{low}-{high} open on every firewall to the whole managed instance {subnet_destination(facts)}"
    if blocked:
        by_state = {
            state: format_ranges(r.port for r in blocked if r.state == state)
            for state in (PORT_FILTERED, PORT_UNREACHABLE)
        }
        parts = [f"{_STATE_WORDS[state]}: {ports}" for state, ports in by_state.items() if ports]
        why = (
            ". Silently dropped ports point at a firewall, an NSG or a route (NSG-002 evaluates the managed "
            "instance subnet's rules for this range)"
            if by_state[PORT_FILTERED]
            else ". Unreachable ports point at routing: VPN, ExpressRoute or peering"
        )
        yield failed(
            f"{len(blocked)} port(s) of {low}-{high} on {scan.host} are not open: " + "; ".join(parts) + why,
            target=target, observed=observed, expected=expected, evidence=evidence,
            remediation=_remediation_to_subnet(facts, f"{low}-{high}"),
        )
        return
    if not tested:
        yield errored(f"Could not test {low}-{high}: no attempt finished", target=target, evidence=evidence)
        return
    if refused:
        yield warned(
            f"{len(refused)} port(s) of {low}-{high} on {scan.host} answered with a reset: "
            f"{format_ranges(r.port for r in refused)}. Traffic gets through, but nothing listens on those ports "
            "at this address (the managed instance listens on its node's port) or a firewall rejects them.",
            target=target, observed=observed, expected=expected, evidence=evidence,
        )
        return
    if untested:
        yield errored(f"Only part of {low}-{high} could be tested; every tested port is open", target=target,
                      observed=observed, expected=expected, evidence=evidence)
        return
    yield passed(
        f"All {len(results)} tested ports of {low}-{high} on {scan.host} are open at {scan.address}; the leg to "
        f"the hosting node is proven only by {NETWORK_TEST}",
        target=target, observed=observed, expected=expected, evidence=evidence,
    )


@check(
    id="NET-003",
    title="SQL Server's mirroring endpoint port is listening and reachable at the partner endpoint address",
    area=Area.NETWORK,
    severity=Severity.HIGH,
    rationale=(
        "The managed instance connects back to SQL Server at the partner endpoint (TCP://host:port). The port "
        "must listen on the SQL Server host and be allowed inbound from the managed instance subnet by the host "
        "firewall and every firewall in between."
    ),
    remediation=(
        "Make sure the database mirroring endpoint is STARTED on the partner endpoint's port, and allow that "
        "port inbound from the managed instance subnet in the host firewall and the network firewalls."
    ),
    docs=DOCS_TROUBLE,
    owner=Owner.NETWORK,
    requires=("network.sql_endpoint_port",),
    prevents=(41962, 41986),
    directions=NETWORK_PATH,
)
def sql_endpoint_port_reachable(facts: Facts, settings: Settings) -> Iterator[Result]:
    assert facts.network is not None and facts.network.sql_endpoint_port is not None
    scan = facts.network.sql_endpoint_port
    where = tested_from(facts, scan.source_address)
    on_host = runs_on_sql_host(facts)
    port = scan.ports[0].port if scan.ports else None
    target = f"{scan.host}:{port}" if port else scan.host
    if scan.error or port is None:
        yield errored(f"Could not test the SQL Server endpoint: {scan.error or 'no port scanned'}",
                      target=target, evidence=[where])
        return
    result = scan.ports[0]
    evidence = [where, _scan_line(scan)]
    endpoints = facts.sql.endpoints if facts.sql and facts.sql.endpoints else ()
    if endpoints:
        listed = ", ".join(f"{e.name} port {e.port} ({e.state})" for e in endpoints)
        evidence.append(f"SQL Server reports its mirroring endpoint(s): {listed}.")
        if all(e.port != port for e in endpoints):
            evidence.append(f"No mirroring endpoint is configured on port {port}: the partner endpoint's port is wrong.")
    if result.detail:
        evidence.append(f"Kernel said: {result.detail}.")
    observed = f"{_STATE_WORDS.get(result.state, result.state)} at {scan.address}"
    if result.state in (PORT_UNTESTED, "error"):
        yield errored(f"Could not test port {port}: {result.detail}", target=target, evidence=evidence)
        return
    if result.state == PORT_OPEN:
        how = "listening locally" if on_host else f"reachable from {facts.collector.hostname or 'here'}"
        yield passed(f"Port {port} at {scan.host} is {how}", target=target, observed=observed, expected="open",
                     evidence=evidence)
        return
    if on_host:
        message = (
            f"Port {port} at {scan.host} is not listening on the SQL Server host ({observed}): the database "
            "mirroring endpoint is missing, stopped, or listens on another port or address."
        )
    else:
        message = _cause(result.state, f"Port {port} at {scan.host} ({scan.address})", scan)
    yield failed(message, target=target, observed=observed, expected="open", evidence=evidence)


# ---------------------------------------------------------------------------------------------
# NET-004: which directions were tested, and from where


_TESTED_STATES = (PORT_OPEN, PORT_REFUSED, PORT_FILTERED, PORT_UNREACHABLE)


def _origin(facts: Facts, scan: PortScan) -> str:
    host = scan.source_host or facts.collector.hostname or "an unnamed host"
    source = scan.source_address or (facts.collector.source_addresses[0] if facts.collector.source_addresses else "")
    return f"{host}" + (f" (source address {source})" if source else "")


def _not_tested_reason(facts: Facts, scan: PortScan | None, path: str) -> str | None:
    """Why a scan does not count as a test, or None when at least one port got an answer (or a timeout)."""
    if scan is None:
        error = facts.error_for(path)
        return f"the probe could not run it: {error.reason}" if error else "network facts were not collected"
    if scan.error:
        return scan.error
    if not any(r.state in _TESTED_STATES for r in scan.ports):
        return "no port attempt finished"
    return None


def _fixes_for_reverse_direction(facts: Facts) -> tuple[list[str], tuple[CodeBlock, ...]]:
    """The partner endpoints to test from the managed instance, and the network-test T-SQL for each."""
    endpoints = list(dict.fromkeys(link.partner_endpoint for link in facts.plan.links if link.partner_endpoint))
    fixes = []
    for endpoint in endpoints:
        parsed = split_endpoint(endpoint)
        if parsed is None:
            continue
        host, port = parsed
        try:
            code = tsql_for(host, port)
        except ValueError:  # not a host name or address: PLAN-002 reports the endpoint itself
            continue
        fixes.append(CodeBlock("tsql", code, f"Test managed instance -> SQL Server ({host}:{port}): run on the "
                                             "managed instance (linkready network-test --print-tsql)"))
    return endpoints, tuple(fixes)


@check(
    id="NET-004",
    title="The report names the network directions tested, and tests SQL Server -> managed instance from the "
          "SQL Server host",
    area=Area.NETWORK,
    severity=Severity.LOW,
    rationale=(
        "A link needs both directions: SQL Server connects to the managed instance (5022 and 11000-11999) and "
        "the managed instance connects back to SQL Server's endpoint. linkready tests only from where it runs; "
        "a test from a jump box does not take the SQL Server's path, and the managed instance -> SQL Server "
        "direction can only be tested from inside the managed instance. Stating what was tested, and from "
        "where, keeps a passing report from being read as proof of both directions."
    ),
    remediation=(
        "Run linkready on the SQL Server host (or set [network] runs_on_sql_host = true when it is), and have "
        "the DBA run the printed T-SQL on the managed instance to test the managed instance -> SQL Server "
        "direction (linkready network-test --print-tsql)."
    ),
    docs=DOCS_PREP,
    owner=Owner.NETWORK,
    requires=("plan.links",),
    directions=NETWORK_PATH,
)
def directions_tested_are_stated(facts: Facts, settings: Settings) -> Iterator[Result]:
    network = facts.network
    mi_scan = network.mi_ports if network else None
    sql_scan = network.sql_endpoint_port if network else None
    on_host = runs_on_sql_host(facts)
    where = ("the SQL Server host itself" if on_host is True
             else "not the SQL Server host (a jump box)" if on_host is False
             else "a host not known to be the SQL Server host")
    evidence = []
    forward_missing = _not_tested_reason(facts, mi_scan, "network.mi_ports")
    if mi_scan is not None and forward_missing is None:
        forward = f"tested from {_origin(facts, mi_scan)}, {where}"
        evidence.append(f"SQL Server -> managed instance (TCP {MI_ENDPOINT_PORT} and {MI_REDIRECT_RANGE[0]}-"
                        f"{MI_REDIRECT_RANGE[1]} to {mi_scan.host} at {mi_scan.address}): {forward}; NET-001 and "
                        "NET-002 judge the result.")
    else:
        forward = f"not tested ({forward_missing})"
        evidence.append(f"SQL Server -> managed instance (TCP {MI_ENDPOINT_PORT} and {MI_REDIRECT_RANGE[0]}-"
                        f"{MI_REDIRECT_RANGE[1]}): {forward}.")
    sql_missing = _not_tested_reason(facts, sql_scan, "network.sql_endpoint_port")
    if sql_scan is not None and sql_missing is None:
        port = sql_scan.ports[0].port if sql_scan.ports else "?"
        kind = ("a local check that the endpoint listens" if on_host is True
                else "reachability from that host, not from the managed instance")
        evidence.append(f"SQL Server endpoint ({sql_scan.host}:{port}): tested from {_origin(facts, sql_scan)}: "
                        f"{kind} (NET-003).")
    else:
        evidence.append(f"SQL Server endpoint: not tested ({sql_missing}).")
    endpoints, fixes = _fixes_for_reverse_direction(facts)
    shown = ", ".join(endpoints) or "the partner endpoint"
    evidence.append(f"Managed instance -> SQL Server ({shown}): not tested (run the printed T-SQL): linkready "
                    "cannot connect from inside the managed instance; the T-SQL runs Microsoft's documented test "
                    "there as a temporary SQL Agent job and removes it.")
    observed = f"SQL Server -> managed instance: {forward}; managed instance -> SQL Server: not tested"
    expected = ("SQL Server -> managed instance tested from the SQL Server host; managed instance -> SQL Server "
                "tested by the DBA with the printed T-SQL")
    if forward_missing is None and on_host is True:
        yield passed(
            "SQL Server -> managed instance was tested from the SQL Server host; managed instance -> SQL Server "
            "was not tested: run the T-SQL from 'linkready network-test --print-tsql' on the managed instance",
            observed=observed, expected=expected, evidence=evidence, fix=fixes,
        )
    elif forward_missing is None:
        yield warned(
            f"SQL Server -> managed instance was tested from {_origin(facts, mi_scan) if mi_scan else '?'}, "
            f"{where}: {'that is not' if on_host is False else 'that may not be'} the path the link takes; "
            "managed instance -> SQL Server was not tested",
            observed=observed, expected=expected, evidence=evidence, fix=fixes,
        )
    else:
        yield warned(
            "Neither direction was tested: SQL Server -> managed instance was not tested "
            f"({forward_missing}) and managed instance -> SQL Server needs the printed T-SQL",
            observed=observed, expected=expected, evidence=evidence, fix=fixes,
        )
