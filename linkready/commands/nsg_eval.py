"""``linkready nsg-eval``: evaluate an NSG document exactly as ARM returns it, offline.

Exit codes: 0 every queried port is allowed; 1 some port is denied; 3 no port is denied but some
decision depends on a rule that cannot be resolved offline (service tag, application security
group); 2 the file or an option is malformed.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import click

from linkready.commands._common import machine_format
from linkready.domain.netrules import (
    Context,
    NsgFormatError,
    PortSpan,
    Verdict,
    evaluate,
    load_nsg_text,
    parse_ports,
    summarize,
)

EXIT_DENIED = 1
EXIT_USAGE = 2
EXIT_UNKNOWN = 3


def _usage(message: str) -> None:
    click.echo(f"linkready: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _usage(f"{path}: cannot be read: {exc}")
        raise AssertionError from None  # unreachable: _usage exits


def _span_line(span: PortSpan, multi: bool) -> str:
    where = f"  {span.source} -> {span.destination}" if multi else ""
    return f"  {span.decision.verdict.value.upper():<7} {span.ports:<12} {span.decision.describe()}{where}"


@click.command("nsg-eval")
@click.argument("nsg_file", metavar="NSG.json")
@click.option("--direction", type=click.Choice(["inbound", "outbound"], case_sensitive=False), required=True,
              help="Direction of the traffic relative to the NSG.")
@click.option("--source", "sources", multiple=True, required=True, metavar="IP|CIDR",
              help="Source address or prefix (repeatable); every address in it is evaluated.")
@click.option("--port", "ports", required=True, metavar="PORTS",
              help="Destination port(s): 5022, 11000-11999 or a comma list.")
@click.option("--protocol", type=click.Choice(["tcp", "udp", "icmp"], case_sensitive=False), default="tcp",
              show_default=True)
@click.option("--destination", "destinations", multiple=True, metavar="IP|CIDR",
              help="Destination address or prefix (repeatable). Without it, rules are evaluated as if "
                   "their destination matched.")
@click.option("--vnet-prefix", "vnet_prefixes", multiple=True, metavar="CIDR",
              help="What the VirtualNetwork tag covers (VNet space, peerings, gateway prefixes). Without it, "
                   "rules using the tag cannot be resolved.")
@machine_format("as_json")
def command(
    nsg_file: str,
    direction: str,
    sources: tuple[str, ...],
    ports: str,
    protocol: str,
    destinations: tuple[str, ...],
    vnet_prefixes: tuple[str, ...],
    as_json: bool,
) -> None:
    """Evaluate NSG.json (an ARM GET body or `az network nsg show` output) for one flow.

    Prints the deciding rule for every port (runs of ports with one decision are compressed) and
    exits 0 when all are allowed, 1 when any is denied, 3 when a decision depends on a rule that
    cannot be resolved offline, 2 on a malformed file or option.
    """
    try:
        nsg, defaults_added = load_nsg_text(_read(nsg_file))
        port_ranges = parse_ports(ports)
        if not port_ranges:
            raise NsgFormatError("--port names no port")
        ctx = Context(tuple(vnet_prefixes) if vnet_prefixes else None)
        for prefix in vnet_prefixes:
            # Validate eagerly: a typo would otherwise silently shrink the tag.
            evaluate([], direction, protocol, [prefix], [prefix], [(0, 0)], ctx)
        rules = nsg.rules
        dest_note = ""
        if not destinations:
            rules = tuple(replace(r, destination_prefixes=("*",), destination_asgs=()) for r in rules)
            destinations = ("0.0.0.0/0",) if ":" not in sources[0] else ("::/0",)
            dest_note = "destination not given: every rule's destination is taken to match"
        spans = evaluate(rules, direction, protocol.lower(), list(sources), list(destinations), port_ranges, ctx)
    except NsgFormatError as exc:
        _usage(f"{nsg_file}: {exc}")
        return
    verdict = summarize(spans)
    notes = [n for n in (dest_note,) if n]
    if defaults_added:
        notes.append("the document has no defaultSecurityRules: Azure's six default rules were added")
    if ctx.virtual_network is None:
        notes.append("no --vnet-prefix: rules using the VirtualNetwork or Internet tag cannot be resolved")

    if as_json:
        click.echo(json.dumps({
            "nsg": nsg.name or nsg_file,
            "direction": direction.capitalize(),
            "protocol": protocol.upper(),
            "verdict": verdict.value,
            "notes": notes,
            "decisions": [
                {
                    "source": s.source,
                    "destination": s.destination if destinations != ("0.0.0.0/0",) else "*",
                    "ports": s.ports,
                    "verdict": s.decision.verdict.value,
                    "rule": s.decision.rule.name if s.decision.rule else None,
                    "priority": s.decision.rule.priority if s.decision.rule else None,
                    "default_rule": bool(s.decision.rule and s.decision.rule.is_default),
                    "uncertain": [u.name for u in s.decision.uncertain],
                    "explanation": s.decision.describe(),
                }
                for s in spans
            ],
        }, indent=2))
    else:
        target = ", ".join(destinations) if not dest_note else "its resources"
        click.echo(f"NSG {nsg.name or nsg_file}: {direction.capitalize()} {protocol.upper()} from "
                   f"{', '.join(sources)} to {target}, port {ports}")
        multi = len({(s.source, s.destination) for s in spans}) > 1
        for span in spans:
            click.echo(_span_line(span, multi))
        for note in notes:
            click.echo(f"  note: {note}")
        total = sum(s.end - s.start + 1 for s in spans)
        denied = sum(s.end - s.start + 1 for s in spans if s.decision.verdict is Verdict.DENY)
        click.echo(f"Verdict: {verdict.value.upper()} ({denied} of {total} port/address combinations denied)"
                   if multi else f"Verdict: {verdict.value.upper()} ({denied} of {total} ports denied)")
    if verdict is Verdict.DENY:
        sys.exit(EXIT_DENIED)
    if verdict is Verdict.UNKNOWN:
        sys.exit(EXIT_UNKNOWN)
