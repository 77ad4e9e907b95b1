"""Name resolution checks (DNS-001..003): each side can find the other by the names the link uses.

The link only works over the managed instance's VNet-local endpoint: SQL Server must resolve the
managed instance FQDN to an address inside the managed instance subnet, and the managed instance
must resolve the partner endpoint's host name (through its VNet's DNS servers) to SQL Server.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence

from linkready.checks._directions import NETWORK_PATH
from linkready.checks.ports import runs_on_sql_host, tested_from

from linkready.domain.docs import DOCS_OVERVIEW, DOCS_SCRIPTS, DOCS_TROUBLE
from linkready.domain.endpoints import split_endpoint
from linkready.facts import Facts
from linkready.facts.network import (
    DNS_ERROR,
    DNS_NO_NAMESERVERS,
    DNS_NOANSWER,
    DNS_NXDOMAIN,
    DNS_OK,
    DNS_SERVFAIL,
    DNS_TIMEOUT,
    DnsAnswer,
)
from linkready.model import Area, CodeBlock, Owner, Result, Settings, Severity, errored, failed, passed, warned
from linkready.registry import check

#: Private (non-Internet) ranges: RFC 1918, shared address space (RFC 6598), unique local IPv6.
_PRIVATE = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)

_STATUS_WORDS = {
    DNS_NXDOMAIN: "answered NXDOMAIN: the name does not exist for this server",
    DNS_NOANSWER: "knows the name but has no A or AAAA record for it",
    DNS_SERVFAIL: "answered SERVFAIL: it could not resolve the name (often a forwarder that cannot reach its "
    "upstream server)",
    DNS_TIMEOUT: "did not answer in time",
    DNS_NO_NAMESERVERS: "could not be asked: no usable DNS server is configured",
    DNS_ERROR: "could not be asked",
}


def describe(answer: DnsAnswer) -> str:
    """One evidence line for one resolver's answer."""
    who = {"system": "system resolver", "configured": "configured server", "vnet": "VNet DNS server"}.get(
        answer.via, "resolver"
    )
    line = f"{who} {answer.server}: {answer.status}"
    if answer.addresses:
        line += " " + ", ".join(answer.addresses)
    if answer.cname_chain:
        line += " (CNAME " + " -> ".join([answer.name, *answer.cname_chain]) + ")"
    if answer.detail:
        line += f" — {answer.detail}"
    if answer.elapsed_ms is not None:
        line += f" [{answer.elapsed_ms:.0f} ms]"
    return line


def _primary(answers: Sequence[DnsAnswer]) -> DnsAnswer:
    """The answer SQL Server would get: the system resolver's, else the first one."""
    return next((a for a in answers if a.via == "system" or a.server in ("system", "hosts-file")), answers[0])


def _no_address(answer: DnsAnswer) -> str | None:
    """Why an "ok" answer cannot be judged: it records no address (inconsistent facts are unknown)."""
    if answer.status == DNS_OK and not answer.addresses:
        return f"{answer.server or 'the resolver'} answered {answer.name or 'the name'} ok but no address was recorded"
    return None


def _failure_message(name: str, answer: DnsAnswer) -> str:
    said = _STATUS_WORDS.get(answer.status, answer.status)
    server = "the hosts file" if answer.server == "hosts-file" else f"DNS server {answer.server}"
    if answer.server == "system":
        server = "the system resolver"
    return f"{name} does not resolve: {server} {said}"


def _zone(fqdn: str) -> str:
    """``mi.abc123.database.windows.net`` → ``abc123.database.windows.net`` (the MI's DNS zone)."""
    parts = fqdn.split(".")
    return ".".join(parts[1:]) if len(parts) > 2 else fqdn


@check(
    id="DNS-001",
    title="The managed instance FQDN resolves from the SQL Server side",
    area=Area.DNS,
    severity=Severity.CRITICAL,
    rationale=(
        "SQL Server reaches the managed instance by its FQDN (the distributed availability group's listener URL "
        "and the certificate name both use it). If the SQL Server host cannot resolve it, the link cannot start."
    ),
    remediation=(
        "Make the SQL Server host's DNS resolve the managed instance FQDN: add a conditional forwarder for the "
        "managed instance's DNS zone to a DNS server that can resolve it (one in, or peered with, the managed "
        "instance VNet), or, as a stopgap, a hosts-file entry with the VNet-local address."
    ),
    docs=DOCS_TROUBLE,
    owner=Owner.NETWORK,
    requires=("network.mi_dns",),
    prevents=(41962,),
    directions=NETWORK_PATH,
)
def mi_fqdn_resolves(facts: Facts, settings: Settings) -> Iterator[Result]:
    assert facts.network is not None and facts.network.mi_dns
    answers = facts.network.mi_dns
    primary = _primary(answers)
    name = facts.network.mi_fqdn or primary.name
    evidence = [tested_from(facts), *(describe(a) for a in answers)]
    if (gap := _no_address(primary)) is not None:
        yield errored(f"Could not evaluate: {gap}", target=name, evidence=evidence)
        return
    if primary.status == DNS_OK:
        yield passed(
            f"{name} resolves to {', '.join(primary.addresses)} ({'hosts file' if primary.server == 'hosts-file' else primary.server})",
            target=name, observed=", ".join(primary.addresses), expected="at least one address", evidence=evidence,
        )
        return
    message = _failure_message(name, primary)
    others = [a for a in answers if a is not primary and a.status == DNS_OK]
    fix: list[CodeBlock] = []
    if others:
        helper = others[0]
        message += (
            f"; {helper.server} resolves it to {', '.join(helper.addresses)}, so forward the zone {_zone(name)} "
            "to that server"
        )
        fix.append(CodeBlock(
            "powershell",
            f"Add-DnsServerConditionalForwarderZone -Name '{_zone(name)}' -MasterServers {helper.server.split(':')[0]}",
            "On a Windows DNS server used by the SQL Server host",
        ))
    yield failed(message, target=name, observed=primary.status, expected="at least one address",
                 evidence=evidence, fix=fix)


def _cause_outside(name: str, answer: DnsAnswer, address: str, prefixes: Sequence[str]) -> str:
    chain = list(dict.fromkeys([name, answer.name, *answer.cname_chain]))
    subnet = ", ".join(prefixes)
    if any(".public." in n.lower() for n in chain):
        return (
            f"{address} is the managed instance's public endpoint ({' -> '.join(chain)}): the public endpoint "
            "carries client traffic only and cannot carry the link. Use the VNet-local FQDN "
            "(<instance>.<dns-zone>.database.windows.net, without '.public.')."
        )
    if any("privatelink" in n.lower() for n in chain):
        return (
            f"{address} is a private endpoint ({' -> '.join(chain)}), outside the managed instance subnet "
            f"{subnet}: the link cannot use private endpoints. Resolve the FQDN to the VNet-local address instead "
            "(a conditional forwarder to DNS in the managed instance's VNet, not the privatelink zone)."
        )
    ip = ipaddress.ip_address(address)
    if not any(ip in net for net in _PRIVATE if net.version == ip.version):
        return (
            f"{address} is a public address, outside the managed instance subnet {subnet}: the SQL Server side "
            "resolves the name through public DNS. Add a conditional forwarder for the managed instance's DNS "
            "zone to a DNS server in (or peered with) its VNet, or link the private DNS zone to the VNet that "
            "serves the SQL Server's DNS."
        )
    via = " (from the hosts file: update or remove that entry)" if answer.server == "hosts-file" else ""
    return (
        f"{address} is a private address outside the managed instance subnet {subnet}{via}: a stale record, "
        "a private endpoint, or a DNS zone that points at another network."
    )


@check(
    id="DNS-002",
    title="The managed instance FQDN resolves to an address inside the managed instance subnet",
    area=Area.DNS,
    severity=Severity.CRITICAL,
    rationale=(
        "The link can only use the managed instance's VNet-local endpoint. A public address, the '.public.' "
        "endpoint or a private endpoint address resolves and may even answer, but the link cannot run over it."
    ),
    remediation=(
        "Resolve the FQDN to the VNet-local address in the managed instance subnet: a conditional forwarder for "
        "the managed instance's DNS zone to DNS in its VNet (or a linked private DNS zone), not public DNS or a "
        "privatelink zone."
    ),
    docs=DOCS_OVERVIEW,
    owner=Owner.NETWORK,
    requires=("network.mi_dns", "azure.subnet"),
    prevents=(41962,),
    directions=NETWORK_PATH,
)
def mi_fqdn_is_vnet_local(facts: Facts, settings: Settings) -> Iterator[Result]:
    assert facts.network is not None and facts.network.mi_dns and facts.azure and facts.azure.subnet
    answers = facts.network.mi_dns
    primary = _primary(answers)
    name = facts.network.mi_fqdn or primary.name
    prefixes = facts.azure.subnet.address_prefixes
    evidence = [tested_from(facts), f"Managed instance subnet: {', '.join(prefixes)}.",
                *(describe(a) for a in answers)]
    if primary.status != DNS_OK or _no_address(primary) is not None:
        yield errored(f"{name} did not resolve here, so its address cannot be judged (see DNS-001)",
                      target=name, evidence=evidence)
        return
    networks = []
    for prefix in prefixes:
        try:
            networks.append(ipaddress.ip_network(prefix, strict=False))
        except ValueError:
            evidence.append(f"Ignored subnet prefix {prefix!r}: not a CIDR prefix.")
    outside = [a for a in primary.addresses if not any(ipaddress.ip_address(a) in n for n in networks)]
    observed = ", ".join(primary.addresses)
    expected = f"inside {', '.join(prefixes)}"
    disagree = [a for a in answers if a.status == DNS_OK and set(a.addresses) != set(primary.addresses)]
    for other in disagree:
        evidence.append(f"{other.server} resolves it differently: {', '.join(other.addresses)}.")
    if not outside:
        if any(".public." in n.lower() for n in [name, primary.name, *primary.cname_chain]):
            outside = list(primary.addresses)  # the public endpoint name never carries the link
        else:
            yield passed(f"{name} resolves to {observed}, inside the managed instance subnet",
                         target=name, observed=observed, expected=expected, evidence=evidence)
            return
    yield failed(_cause_outside(name, primary, outside[0], prefixes), target=name, observed=observed,
                 expected=expected, evidence=evidence)


def _via(answer: DnsAnswer, vnet_servers: Sequence[str]) -> str:
    """Which resolver gave ``answer``; snapshots written before ``via`` existed are inferred."""
    if answer.via:
        return answer.via
    if answer.server in ("system", "hosts-file"):
        return "system"
    return "vnet" if answer.server in vnet_servers else "configured"


def _partner_hosts(facts: Facts) -> list[tuple[str, str]]:
    """(link name, partner endpoint host) for every planned link."""
    out = []
    for link in facts.plan.links:
        parts = split_endpoint(link.partner_endpoint)
        if parts:
            out.append((link.name, parts[0]))
    return out


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@check(
    id="DNS-003",
    title="The partner endpoint's host resolves through the managed instance VNet's DNS to the SQL Server",
    area=Area.DNS,
    severity=Severity.HIGH,
    rationale=(
        "The managed instance connects to the partner endpoint (TCP://host:port) and resolves a host name with "
        "its VNet's DNS servers. A name that only the SQL Server's own network knows makes the link fail with "
        "'UnableToResolveRemoteServer'. An IP address needs no resolution."
    ),
    remediation=(
        "Use the SQL Server's IP address in the partner endpoint, or configure custom DNS servers on the managed "
        "instance VNet that resolve the SQL Server's host name to its address."
    ),
    docs=DOCS_SCRIPTS,
    owner=Owner.NETWORK,
    requires=("plan.links",),
    directions=NETWORK_PATH,
)
def partner_host_resolves_in_vnet(facts: Facts, settings: Settings) -> Iterator[Result]:
    expected_addresses = {facts.plan.source_address} if facts.plan.source_address else set()
    net = facts.network
    for link_name, host in _partner_hosts(facts):
        target = f"{link_name}: {host}"
        if _is_ip(host):
            yield passed(f"The partner endpoint uses the IP address {host}: nothing to resolve", target=target,
                         observed=host, expected="an IP address, or a name the VNet's DNS resolves")
            continue
        # A probe error (or a snapshot that lost part of the answers) is unknown even when a list is present.
        error = facts.error_for("network.partner_dns") or facts.error_for("network.vnet_dns_servers")
        if net is None or net.partner_dns is None or error is not None:
            reason = error.reason if error else "network facts were not collected"
            yield errored(f"Could not evaluate: {reason}", target=target)
            continue
        azure_vnet = facts.azure.vnet if facts.azure else None
        vnet_servers = net.vnet_dns_servers or (azure_vnet.dns_servers if azure_vnet else ())
        answers = [a for a in net.partner_dns if a.name == host]
        if gaps := [g for g in map(_no_address, answers) if g]:
            yield errored(f"Could not evaluate: {gaps[0]}", target=target)
            continue
        system = [a for a in answers if _via(a, vnet_servers) == "system"]
        vnet = [a for a in answers if _via(a, vnet_servers) == "vnet"]
        expected_here = set(expected_addresses)
        if not expected_here and system and system[0].status == DNS_OK and runs_on_sql_host(facts):
            expected_here = set(system[0].addresses)
        expected = f"resolves to {', '.join(sorted(expected_here))}" if expected_here else "resolves"
        evidence = [tested_from(facts), *(describe(a) for a in answers)]
        if not vnet:
            if vnet_servers:
                why = f"the managed instance VNet's DNS servers ({', '.join(vnet_servers)}) were not asked"
            elif azure_vnet is not None:
                why = (
                    "the managed instance VNet uses Azure-provided DNS, which resolves only Azure names and "
                    "linked private DNS zones, not the SQL Server's own network"
                )
            else:
                why = "the managed instance VNet's DNS servers are unknown"
            seen = describe(system[0]) if system else "no answer"
            yield warned(
                f"{host} can only be checked with this host's system resolver ({seen}); {why}. Use the SQL "
                "Server's IP address in the partner endpoint, or make sure the VNet's DNS resolves this name.",
                target=target, observed=system[0].status if system else "not resolved", expected=expected,
                evidence=evidence,
            )
            continue
        definitive = [a for a in vnet if a.status in (DNS_OK, DNS_NXDOMAIN, DNS_NOANSWER, DNS_SERVFAIL)]
        failing = [a for a in definitive if a.status != DNS_OK]
        ok = [a for a in definitive if a.status == DNS_OK]
        if failing:
            bad = failing[0]
            also = f" ({len(ok)} other VNet DNS server(s) do resolve it: answers differ)" if ok else ""
            yield failed(
                f"{host} does not resolve through the managed instance VNet's DNS: {bad.server} "
                f"{_STATUS_WORDS.get(bad.status, bad.status)}{also}",
                target=target, observed=bad.status, expected=expected, evidence=evidence,
            )
            continue
        if not ok:
            seen = describe(system[0]) if system else "no system answer"
            yield warned(
                f"The managed instance VNet's DNS servers ({', '.join(a.server for a in vnet)}) did not answer "
                f"from {facts.collector.hostname or 'here'}; they may still answer inside the VNet. System "
                f"resolver: {seen}",
                target=target, observed=vnet[0].status, expected=expected, evidence=evidence,
            )
            continue
        got = {addr for a in ok for addr in a.addresses}
        if expected_here and not (got & expected_here):
            yield failed(
                f"{host} resolves through the VNet's DNS to {', '.join(sorted(got))}, but the SQL Server is at "
                f"{', '.join(sorted(expected_here))}: the managed instance would connect to the wrong host",
                target=target, observed=", ".join(sorted(got)), expected=expected, evidence=evidence,
            )
            continue
        note = "" if expected_here else " (the SQL Server's address is unknown, so it was not compared)"
        yield passed(f"{host} resolves through the VNet's DNS to {', '.join(sorted(got))}{note}", target=target,
                     observed=", ".join(sorted(got)), expected=expected, evidence=evidence)
