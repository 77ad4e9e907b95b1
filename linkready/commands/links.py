"""``linkready links``: list every link on a managed instance and flag the ones missing their targets.

Collects with the same probes as ``check`` (Azure for the links; SQL Server when ``--sql-server``
or the config's [source] is given; DNS for partner endpoints when the DNS probe module is in
this build), then judges with :mod:`linkready.tools.links`. Exit 0 when every link meets its targets,
1 when one does not, 2 on usage errors, 3 when the links could not be read.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from linkready.commands._common import fail_usage, load_snapshot
from linkready.domain import resource_ids
from linkready.reports import Format, choices

if TYPE_CHECKING:

    from linkready.config import Config
    from linkready.facts import Facts
    from linkready.facts.network import DnsAnswer
    from linkready.probes import ProbeSpec
    from linkready.snapshot import Snapshot
    from linkready.tools.links import Inventory, LinkTargets

FORMATS = choices(Format.CONSOLE, Format.JSON, Format.HTML)


@click.command(name="links")
@click.option("--mi", "mi_resource_id", help="Managed instance resource ID.")
@click.option("--config", "-c", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Target file (Azure credential, endpoint and TLS settings; optional [source]).")
@click.option("--sql-server", help="Also read the SQL Server's view of the distributed AGs (host, host,port).")
@click.option("--max-lag", type=click.FloatRange(min=0), metavar="SECONDS", help="Freshness target: flag send/redo lag above SECONDS.")
@click.option("--cert-warn-days", type=click.IntRange(min=0), metavar="DAYS",
              help="Flag partner certificates expiring within DAYS (default: the profile's threshold).")
@click.option("--profile", "profile_name", help="Profile whose cert_expiry_warn_days applies (default preflight).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="console", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the json/html output to FILE instead of stdout.")
@click.option("--fragment", is_flag=True,
              help="With --format html: only the <section>, to append to a readiness report.")
@click.option("--snapshot", "snapshot_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Judge the links in a saved snapshot (from `linkready collect`) instead of reading Azure.")
@click.option("--probe-timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS", help="Seconds each probe may take.")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines on stderr.")
@click.option("--no-color", is_flag=True)
def command(mi_resource_id: str | None, config_path: Path | None, sql_server: str | None, max_lag: float | None,
            cert_warn_days: int | None, profile_name: str | None, fmt: str, output: Path | None,
            snapshot_path: Path | None, probe_timeout: float | None, quiet: bool, no_color: bool,
            fragment: bool) -> None:
    """List every link on a managed instance with its health, lag and certificate; flag what misses targets.

    \b
    Exit codes: 0 every link meets its targets, 1 at least one does not,
    2 usage or configuration error, 3 the links could not be read.
    """
    from linkready.tools.links import LinkTargets

    if fragment and fmt != "html":
        fail_usage("--fragment applies to --format html only")
    targets = LinkTargets(max_lag_seconds=max_lag, cert_expiry_warn_days=_cert_days(cert_warn_days, profile_name))
    if snapshot_path is not None:
        if mi_resource_id or config_path or sql_server:
            fail_usage("--snapshot judges saved facts: do not combine it with --mi, --config or --sql-server")
        inventory = _from_snapshot(load_snapshot(snapshot_path), targets)
    else:
        config = _config(config_path, mi_resource_id, sql_server, probe_timeout)
        inventory = _collect(config, targets, quiet, no_color)
    _emit(inventory, fmt, output, no_color, fragment)
    sys.exit(inventory.exit_code)


# --- input ------------------------------------------------------------------------------------


def _cert_days(explicit: int | None, profile_name: str | None) -> int:
    if explicit is not None:
        return explicit
    from linkready.checks import load_profile
    from linkready.policy import PolicyError

    try:
        profile = load_profile(profile_name or "preflight")
    except PolicyError as exc:
        fail_usage(str(exc))
    return int(profile.thresholds.get("cert_expiry_warn_days", 30))


def _config(config_path: Path | None, mi: str | None, sql_server: str | None, probe_timeout: float | None) -> Config:
    from linkready.config import ConfigError, load_config

    overrides: dict[str, Any] = {}
    if mi:
        overrides["managed_instance.resource_id"] = mi
    if sql_server:
        overrides["source.server"] = sql_server
    if probe_timeout is not None:
        overrides["options.probe_timeout"] = probe_timeout
    if config_path is None and not mi:
        fail_usage("no managed instance: give --mi RESOURCE_ID or --config FILE (or --snapshot FILE)")
    try:
        config = load_config(config_path, overrides)
    except ConfigError as exc:
        fail_usage(str(exc))
    if config.managed_instance is None:
        fail_usage(f"{config_path}: no [managed_instance] resource_id (or give --mi RESOURCE_ID)")
    return config


def _instance_name(resource_id: str) -> str:
    rid = resource_ids.parse(resource_id)
    return rid.name if rid else resource_id or "(unknown managed instance)"


def _from_snapshot(snapshot: Snapshot, targets: LinkTargets) -> Inventory:
    from linkready.tools.links import build_inventory, resolution_by_host

    facts = snapshot.facts
    azure = facts.azure
    name = azure.managed_instance.name if azure and azure.managed_instance else _instance_name(facts.plan.mi_resource_id)
    groups = facts.sql.availability_groups if facts.sql else None
    answers = facts.network.partner_dns if facts.network else None
    return build_inventory(
        azure.links if azure else None,
        instance=name,
        as_of=facts.as_of,
        targets=targets,
        errors=facts.errors if azure else (*facts.errors, _not_collected()),
        sql_groups=groups,
        sql_hosts=sql_hosts(facts),
        resolved=resolution_by_host(answers) if answers else None,
    )


def sql_hosts(facts: Facts) -> list[str]:
    """Names and addresses of the SQL Server the facts describe (to match links' partner endpoints)."""
    hosts = [facts.plan.source_address]
    server = facts.plan.source_server
    if server:
        # host, host,port, host\instance, tcp:host
        hosts.append(server.removeprefix("tcp:").split(",")[0].split("\\")[0])
    instance = facts.sql.instance if facts.sql else None
    if instance is not None:
        hosts += [instance.machine_name, instance.server_name.split("\\")[0]]
    return [h for h in hosts if h]


def _not_collected() -> Any:
    from linkready.facts import ProbeError

    return ProbeError("azure", "azure", "config", "the snapshot holds no Azure facts (collected without --mi)")


# --- collection -------------------------------------------------------------------------------


def _collect(config: Config, targets: LinkTargets, quiet: bool, no_color: bool,
             probes: Sequence[ProbeSpec] | None = None) -> Inventory:
    """Run the Azure probe (and the SQL probe with a [source]) through the engine, then judge."""
    from linkready.commands._common import progress as _progress
    from linkready.commands._common import secrets as _secrets
    from linkready.engine import collect
    from linkready.probes import PROBES
    from linkready.tools.links import build_inventory

    wanted = {"azure"} | ({"sql"} if config.source is not None else set())
    specs = [spec for spec in (probes if probes is not None else PROBES) if spec.name in wanted]
    snapshot = collect(config, _secrets(config), on_event=_progress(quiet, no_color), probes=specs)
    facts = snapshot.facts
    links = facts.azure.links if facts.azure else None
    notes: list[str] = []
    resolved: dict[str, bool] | None = None
    if links:
        vnet = facts.azure.vnet if facts.azure else None
        resolved, dns_notes = _resolve(links, config, vnet.dns_servers if vnet else ())
        notes.extend(dns_notes)
    groups = None
    if config.source is not None:
        if facts.sql is not None and facts.sql.availability_groups is not None:
            groups = facts.sql.availability_groups
        else:
            reason = next((e.reason for e in facts.errors if e.probe == "sql"), "not read")
            notes.append(f"the SQL Server's view of the links could not be read: {reason}")
    assert config.managed_instance is not None
    mi = facts.azure.managed_instance if facts.azure else None
    return build_inventory(
        links,
        instance=mi.name if mi else config.managed_instance.name,
        as_of=facts.as_of,
        targets=targets,
        errors=facts.errors,
        sql_groups=groups,
        sql_hosts=sql_hosts(facts),
        resolved=resolved,
        notes=notes,
    )


def resolve_partner_hosts(hosts: Sequence[str], *, servers: Sequence[str] = (), vnet_servers: Sequence[str] = (),
                          system: bool = True, timeout: float = 3.0) -> tuple[dict[str, bool], list[str]]:
    """Resolve partner hosts with linkready's DNS probe: this host's resolver, the configured DNS
    servers and the managed instance VNet's DNS servers. Returns ({host: resolves}, notes)."""
    from linkready.probes.dns import VIA_CONFIGURED, VIA_VNET, DnsServerSpecError, parse_server, resolve_all
    from linkready.tools.links import resolution_by_host

    notes: list[str] = []
    parsed = []
    for label, texts in ((VIA_CONFIGURED, servers), (VIA_VNET, vnet_servers)):
        for text in texts:
            try:
                parsed.append((label, parse_server(text)))
            except DnsServerSpecError as exc:
                notes.append(f"DNS server {text!r} skipped: {exc}")
    answers: list[DnsAnswer] = []
    for host in hosts:
        answers.extend(resolve_all(host, system=system, timeout=timeout, servers=()))
        answers.extend(
            answer
            for via, server in parsed
            for answer in resolve_all(host, system=False, timeout=timeout, servers=[server], via=via)
        )
    return resolution_by_host(answers), notes


def _resolve(links: Sequence[Any], config: Config, vnet_servers: Sequence[str]) -> tuple[dict[str, bool], list[str]]:
    from linkready.tools.links import hosts_to_resolve

    hosts = hosts_to_resolve(links)
    if not hosts:
        return {}, []
    return resolve_partner_hosts(hosts, servers=config.network.dns_servers, vnet_servers=vnet_servers,
                                 timeout=config.network.dns_timeout)


def _emit(inventory: Inventory, fmt: str, output: Path | None, no_color: bool, fragment: bool = False) -> None:
    import os

    from rich.console import Console

    from linkready.reports.links import print_console, render_html, render_json

    if fmt == "console":
        console = Console(no_color=no_color or "NO_COLOR" in os.environ, highlight=False, markup=False,
                          width=None if sys.stdout.isatty() else 200)
        print_console(inventory, console)
        return
    text = render_json(inventory) if fmt == "json" else render_html(inventory, standalone=not fragment)
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}", err=True)
