"""`linkready discover`: find every link candidate in Azure Resource Graph before touching a server.

Reads (read-only Resource Graph queries) the managed instances, Arc-enabled SQL Servers with their
databases and machines, and SQL Server on Azure VMs in the scopes given; pre-assesses each SQL
Server from inventory facts alone; suggests a managed instance for it; writes the inventory, the
pre-assessment report, a target file per suggested pair and an estate file for
`linkready check --estate`. Exit 0: inventory complete; 3: some scope could not be read (the
files are still written and name it); 2: usage.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from linkready.commands._common import fail_usage, make_console

EXIT_INCOMPLETE = 3


def _azure_table(path: Path | None) -> dict[str, Any]:
    """The [azure] table as the user wrote it: how to reach Azure, copied into each target file too."""
    from linkready.tomlfile import read_toml

    if path is None:
        return {}
    try:
        section = read_toml(path, ValueError).get("azure", {})
    except ValueError as exc:
        fail_usage(str(exc))
    if not isinstance(section, dict):
        fail_usage(f"{path}: 'azure' must be a table")
    return dict(section)


def _azure_config(table: dict[str, Any], where: str, credential: str | None) -> Any:
    from pydantic import ValidationError

    from linkready.config import AzureConfig

    try:
        return AzureConfig.model_validate({**table, **({"credential": credential} if credential else {})})
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        fail_usage(f"{where}: azure.{key}: {first['msg']}")


@click.command(name="discover")
@click.option("--subscription", "subscriptions", multiple=True, help="Subscription ID to search (repeatable).")
@click.option("--management-group", "groups", multiple=True, help="Management group ID to search (repeatable).")
@click.option("--config", "-c", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="A TOML file whose [azure] table says how to reach Azure (cloud, credential, ...).")
@click.option("--credential", type=click.Choice(["default", "cli", "environment", "managed-identity",
                                                  "workload-identity"]), help="Azure credential (overrides --config).")
@click.option("--confirm", "confirmed", multiple=True,
              help="Write targets only for these SQL Server names (repeatable; default: every suggested pair).")
@click.option("--name", "estate_name", default="discovered", show_default=True, help="Name of the estate.")
@click.option("--timeout", type=click.FloatRange(min=1), default=120, show_default=True,
              help="Seconds the whole inventory may take.")
@click.option("--output", "-o", "output", type=click.Path(file_okay=False, path_type=Path),
              default=Path("linkready-discovery"), show_default=True, help="Directory for the files.")
@click.option("--quiet", "-q", is_flag=True, help="No console summary.")
@click.option("--no-color", is_flag=True)
def command(subscriptions: tuple[str, ...], groups: tuple[str, ...], config_path: Path | None,
            credential: str | None, confirmed: tuple[str, ...], estate_name: str, timeout: float, output: Path,
            quiet: bool, no_color: bool) -> None:
    """Find link candidates in Azure Resource Graph and pre-assess them (read-only)."""
    from linkready import __version__
    from linkready.probes.azure import make_credential
    from linkready.probes.resource_graph import read_inventory
    from linkready.reports import discovery
    from linkready.tools.discover import assess, build_inventory, write_outputs

    azure = _azure_table(config_path)
    az = _azure_config(azure, str(config_path or "azure"), credential)
    rows = read_inventory(az, make_credential(az), subscriptions=subscriptions, management_groups=groups,
                          timeout=timeout)
    inventory = build_inventory(rows.rows, [(e.scope, e.kind, e.reason) for e in rows.errors])
    assessments = assess(inventory)
    data = discovery.to_data(inventory, assessments, generated_at=datetime.now(UTC), version=__version__)
    try:
        written = write_outputs(assessments, output, name=estate_name, confirmed=set(confirmed) or None,
                                azure=azure)
        for name, text in (("inventory.json", discovery.render_json(data)),
                           ("discovery.md", discovery.render_markdown(data)),
                           ("discovery.html", discovery.render_html(data))):
            (output / name).write_text(text, encoding="utf-8")
            written.append(output / name)
    except OSError as exc:
        fail_usage(f"{output}: cannot write: {exc.strerror or exc}")
    if not quiet:
        # The console prints values as literal text (markup off): names need no escaping.
        console = make_console(no_color)
        for a in assessments:
            target = a.pairing.instance.name if a.pairing else "no managed instance fits"
            console.print(f"{a.source.name}: {a.readiness.value} -> {target}", highlight=False)
        for scope, kind, reason in inventory.gaps:
            console.print(f"incomplete: {scope} ({kind}): {reason}", highlight=False)
        for path in written:
            console.print(f"wrote {path}", highlight=False)
    sys.exit(EXIT_INCOMPLETE if inventory.gaps else 0)

