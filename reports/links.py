"""The ``links`` inventory as console table, JSON and HTML (a page, or a section to append to a report)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from linkready.serde import to_data

if TYPE_CHECKING:
    from rich.console import Console

    from linkready.tools.links import Inventory


def render_html(inventory: Inventory, *, standalone: bool = True) -> str:
    """The links section (or a self-contained page); consultants append the section to the report."""
    from linkready.reports.html import environment

    from linkready import __version__
    from linkready.tools.links import is_ip

    template = environment().get_template("links.html")
    return str(template.render(inv=inventory, standalone=standalone, fmt_lag=fmt_lag, is_ip=is_ip,
                               tool_version=__version__))


def render_json(inventory: Inventory) -> str:
    return json.dumps(to_json(inventory), indent=2, ensure_ascii=False) + "\n"


def print_console(inventory: Inventory, console: Console) -> None:
    from rich.table import Table
    from rich.text import Text


    if inventory.error:
        console.print(Text(f"links on {inventory.instance}: could not be read", style="bold magenta"))
        console.print(inventory.error, highlight=False)
        return
    flagged = len(inventory.flagged)
    style = {0: "bold green", 3: "bold magenta"}.get(inventory.exit_code, "bold red")
    unknown = f", {len(inventory.unknown)} target(s) could not be evaluated" if inventory.unknown else ""
    console.print(Text(f"links on {inventory.instance}: {len(inventory.links)} link(s), {flagged} not meeting "
                       f"targets{unknown}", style=style))
    if inventory.links:
        table = Table(show_lines=False, expand=False)
        for column in ("Link", "Database", "State", "Health", "Connected", "Lag send/redo", "Last hardened",
                       "Partner certificate", "Most recent error"):
            table.add_column(column, overflow="fold")
        for link in inventory.links:
            name = Text(link.name, style="green" if link.ok else "bold red")
            for index, db in enumerate(link.databases):
                cert = db.partner_cert_name or "?"
                if db.partner_cert_expiry:
                    cert += f" until {db.partner_cert_expiry:%Y-%m-%d} ({db.cert_days_left} d)"
                state = db.replica_state or "?"
                if db.seeding_progress:
                    state += f" ({db.seeding_progress})"
                table.add_row(
                    name if index == 0 else "", db.name, state, db.synchronization_health or "?",
                    db.connected_state or "?", f"{fmt_lag(db.send_lag_seconds)} / {fmt_lag(db.redo_lag_seconds)}",
                    f"{db.last_hardened_time:%Y-%m-%d %H:%M:%S}" if db.last_hardened_time else "?",
                    cert, db.most_recent_error or "",
                )
            if not link.databases:
                table.add_row(name, "(no database)", "", "", "", "", "", "", "")
        console.print(table)
    for link in inventory.links:
        resolves = {True: "", False: " (does not resolve)", None: ""}[link.partner_resolves]
        console.print(
            f"  {link.name}: MI {link.instance_role or '?'} / partner {link.partner_role or '?'}, "
            f"{link.replication_mode or '?'}, failover {link.failover_mode or '?'}, seeding {link.seeding_mode or '?'}, "
            f"partner {link.partner_endpoint}{resolves}",
            highlight=False, markup=False,
        )
    for link in inventory.flagged:
        for flag in link.flags:
            console.print(f"  {link.name}: [{flag.code}] {flag.message}", highlight=False, markup=False)
    for link, reason in inventory.unknown:
        console.print(f"  {link.name}: [could not evaluate] {reason}", highlight=False, markup=False)
    for link in inventory.links:
        if link.sql_server_view:
            console.print(f"  {link.name}: SQL Server view: {link.sql_server_view}", highlight=False, markup=False)
    for note in inventory.notes:
        console.print(f"note: {note}", style="dim", highlight=False)


def to_json(inventory: Inventory) -> dict[str, Any]:
    """A stable, machine-readable form (the ``--format json`` output)."""
    data: dict[str, Any] = {
        "instance": inventory.instance,
        "as_of": inventory.as_of.isoformat(),
        "exit_code": inventory.exit_code,
        "targets": to_data(inventory.targets),
        "summary": {"links": len(inventory.links), "flagged": len(inventory.flagged),
                    "unknown": len(inventory.unknown)},
        "notes": list(inventory.notes),
        "error": inventory.error,
        "links": [],
    }
    for link in inventory.links:
        entry = to_data(link)
        entry["ok"] = link.ok
        data["links"].append(entry)
    return data


def fmt_lag(seconds: float | None) -> str:
    return "?" if seconds is None else f"{seconds:g} s"
