"""`linkready sql-build BUILD|@@VERSION`: what a SQL Server build is and whether it can host a link."""

from __future__ import annotations

import json
import sys

import click

from linkready.domain import sql_builds

EXIT_CAN_HOST, EXIT_CANNOT, EXIT_BAD_INPUT = 0, 1, 2


@click.command(name="sql-build")
@click.argument("text", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--mi-initial-primary", is_flag=True, help="The managed instance will be the initial primary.")
@click.option("--tsql-failover", is_flag=True, help="Planned failovers will be run with T-SQL.")
@click.option("--multidb", is_flag=True, help="The multiple-database link mode is planned.")
def command(text: tuple[str, ...], as_json: bool, mi_initial_primary: bool, tsql_failover: bool,
            multidb: bool) -> None:
    """Identify a build (15.0.4335.1, 15.0.4335 or pasted SELECT @@VERSION output).

    \b
    Exit codes: 0 the build can host a link, 1 it cannot (or cannot be confirmed), 2 bad input.
    """
    joined = " ".join(text)
    if joined.strip() == "-":
        joined = sys.stdin.read()
    try:
        parsed = sql_builds.parse_version_text(joined)
    except ValueError as exc:
        click.echo(f"linkready: error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    verdict = sql_builds.assess(parsed.build, mi_initial_primary=mi_initial_primary, tsql_failover=tsql_failover,
                                multidb=multidb, update_level=parsed.update_level)
    reasons = list(verdict.reasons)
    can_host = verdict.can_host
    host = (parsed.host or "").lower()
    if "windows 10" in host or "windows 11" in host:
        can_host = False
        reasons.append(f"{parsed.host} is a client OS: availability groups cannot be enabled on it")
    edition = (parsed.edition or "").split(" Edition")[0]
    if parsed.edition and not edition.startswith(("Enterprise", "Standard", "Developer", "Evaluation")):
        can_host = False
        reasons.append(f"{edition} edition cannot host a link")
    if verdict.windows_only and host.startswith("linux"):
        can_host = False
        reasons.append(f"{verdict.version} can host a link on Windows Server only")
    entry = verdict.entry
    if as_json:
        click.echo(json.dumps({
            "build": str(parsed.build),
            "version": verdict.version,
            "name": entry.name if entry else None,
            "kind": entry.kind if entry else None,
            "kb": entry.kb if entry else None,
            "released": entry.released if entry else None,
            "identity": verdict.identity,
            "in_catalogue": entry is not None,
            "edition": parsed.edition,
            "host": parsed.host,
            "can_host_link": can_host,
            "reasons": reasons,
            "install": [m.describe(verdict.version) for m in verdict.missing],
        }, indent=2))
    else:
        click.echo(f"{parsed.build}: {verdict.version} {verdict.identity}")
        if parsed.edition or parsed.host:
            click.echo(f"  {parsed.edition or 'edition unknown'} on {parsed.host or 'an unknown host'}")
        for reason in reasons:
            click.echo(f"  - {reason}")
        word = {True: "CAN host a Managed Instance link", False: "CANNOT host a Managed Instance link",
                None: "cannot be confirmed to host a Managed Instance link"}[can_host]
        click.echo(f"Verdict: this build {word}.")
    sys.exit(EXIT_CAN_HOST if can_host else EXIT_CANNOT)
