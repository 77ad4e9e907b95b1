"""``linkready network-test``: print the managed instance → SQL Server test for the DBA (printing is the default).

The T-SQL comes from :mod:`linkready.domain.network_tsql`; this command fills it from the plan and runs nothing.
"""

from __future__ import annotations

from pathlib import Path

import click

from linkready.domain.endpoints import parse_endpoint
from linkready.domain.network_tsql import tsql_for


@click.command(name="network-test")
@click.option("--print-tsql", is_flag=True, help="Print the T-SQL for the DBA: the default and only mode (nothing is run).")
@click.option("--partner-endpoint", help="TCP://<SQL Server host>:<port> (default: the plan's first link).")
@click.option("--config", "-c", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Target file: the partner endpoint of its first [[link]].")
@click.option("--snapshot", "snapshot_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Snapshot: the partner endpoint of its first planned link.")
@click.option("--from-mi", is_flag=True, hidden=True)
def command(print_tsql: bool, partner_endpoint: str | None, config_path: Path | None,
            snapshot_path: Path | None, from_mi: bool) -> None:
    """Test the managed instance -> SQL Server direction: prints the documented T-SQL to run on the MI."""
    from linkready.commands._common import fail_usage
    from linkready.commands._common import load_config as _load_config
    from linkready.commands._common import load_snapshot as _load_snapshot

    del print_tsql  # kept so scripts that spell it out keep working; printing is what the command does
    if from_mi:
        fail_usage(
            "linkready never runs the active managed instance -> SQL Server test itself (it creates a SQL Agent "
            "job on the managed instance); hand the printed T-SQL to the DBA"
        )
    endpoint = partner_endpoint
    if endpoint is None and config_path is not None:
        links = _load_config(config_path).plan().links
        endpoint = links[0].partner_endpoint if links else None
    if endpoint is None and snapshot_path is not None:
        links = _load_snapshot(snapshot_path).facts.plan.links
        endpoint = links[0].partner_endpoint if links else None
    if endpoint is None:
        fail_usage("no partner endpoint: give --partner-endpoint TCP://host:port, --config or --snapshot")
    parsed = parse_endpoint(endpoint)
    if parsed is None or not parsed.port_in_range:
        fail_usage(f"partner endpoint {endpoint!r} is not TCP://host:port")
    try:
        click.echo(tsql_for(parsed.raw_host, parsed.port), nl=False)
    except ValueError as exc:
        fail_usage(str(exc))
