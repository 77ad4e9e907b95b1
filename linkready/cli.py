"""Command line: parse, wire, print. Orchestration lives in engine.py.

Heavy modules (engine, pydantic, the Azure SDK, pyodbc) are imported inside commands so that
``linkready --help`` and ``linkready checks`` start fast.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from linkready import __version__
from linkready.commands import _common as common
from linkready.commands._guard import arm_deadlines

if TYPE_CHECKING:
    pass


#: Subcommands that live in their own modules, imported only when used: name → (target, one-line help).
#: The help is here so that `linkready --help` lists them without importing them.
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "sql-build": ("linkready.commands.sql_build:command", "What a SQL Server build is and whether it can host a link."),
    "grant-script": ("linkready.commands.grant_script:command", "Print least-privilege T-SQL for the probe login."),
    "nsg-eval": ("linkready.commands.nsg_eval:command", "Evaluate an NSG document for a source, ports and direction."),
    "probe-port": ("linkready.commands.probe_port:command", "Classify TCP ports: open, refused, filtered, unreachable."),
    "diff": ("linkready.commands.diff:command", "Compare two reports or snapshots: fixed, regressed, new."),
    "links": ("linkready.commands.links:command", "Inventory the links of a managed instance, with lag targets."),
    "runbook": ("linkready.commands.runbook:command", "Generate the ordered steps that create the planned links."),
    "network-test": ("linkready.commands.network_test:command", "Print the T-SQL network test from the managed instance."),
    "throughput": ("linkready.commands.throughput:command", "Opt-in bounded transfer test: GB/hour for seeding."),
    "discover": ("linkready.commands.discover:command", "Find link candidates in Azure Resource Graph (read-only)."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self._available()])

    @staticmethod
    def _available() -> list[str]:
        return [
            name
            for name, (target, _) in LAZY_COMMANDS.items()
            if importlib.util.find_spec(target.partition(":")[0]) is not None
        ]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS and name in self._available():
            module, _, attr = LAZY_COMMANDS[name][0].partition(":")
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BrokenPipeError as exc:
            # click would turn this into exit 1 ("not ready"); the guard ends quietly instead.
            raise common.StdoutClosed from exc

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in LAZY_COMMANDS:
                rows.append((name, LAZY_COMMANDS[name][1]))
            else:
                command = super().get_command(ctx, name)
                if command is not None and not command.hidden:
                    rows.append((name, command.get_short_help_str(limit=60)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """--version with the build catalogue's date, read only when asked (not on every start)."""
    if not value or ctx.resilient_parsing:
        return
    from linkready.domain import sql_builds

    click.echo(f"linkready, version {__version__} (SQL Server build catalogue of {sql_builds.catalogue().date})")
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, callback=_print_version, expose_value=False, is_eager=True,
              help="Show the version (and the build catalogue's date) and exit.")
def cli() -> None:
    """Is this SQL Server and this Azure SQL Managed Instance ready for a Managed Instance link?

    \b
    Exit codes: 0 ready, 1 not ready, 2 usage or configuration error, 3 could not evaluate,
    4 internal error (a bug in linkready: please report it; never a verdict).
    Start with `linkready demo`, then `linkready init` and `linkready check --config target.toml`.
    """


# --- commands ---------------------------------------------------------------------------------


@cli.command()
@common.config_options
@common.report_options
@click.option("--save-snapshot", type=click.Path(dir_okay=False, path_type=Path), help="Also write the facts.")
@common.estate_options
def check(config_path: Path | None, server: str | None, mi_resource_id: str | None, databases: str | None,
          partner_endpoint: str | None, probe_timeout: float | None, deadline: float | None, profile_name: str | None,
          waivers: Path | None, formats: str | None, output: Path | None, quiet: bool, no_color: bool,
          customer: str | None, prepared_by: str | None, logo: Path | None, baseline: Path | None,
          save_snapshot: Path | None, estate: Path | None, concurrency: int | None) -> None:
    """Collect facts and judge them: the full preflight.

    Same as `collect` then `evaluate`. With --estate, many targets at once.
    """
    from linkready.engine import collect, make_report

    if estate is not None:
        from linkready.commands.estate import run_command

        given = {"--config": config_path, "--server": server, "--mi": mi_resource_id, "--databases": databases,
                 "--partner-endpoint": partner_endpoint, "--save-snapshot": save_snapshot}
        run_command(estate, live=True, profile_name=profile_name, waivers_path=waivers, formats=formats,
                    output=output, quiet=quiet, no_color=no_color, customer=customer, prepared_by=prepared_by,
                    logo=logo, concurrency=concurrency, conflicting=[k for k, v in given.items() if v])
    config = common.load_config(config_path, server=server, mi_resource_id=mi_resource_id, databases=databases,
                          partner_endpoint=partner_endpoint, probe_timeout=probe_timeout)
    config = arm_deadlines(config, deadline)
    profile, waiver_list = common.profile(profile_name, config), common.waivers(waivers, config)
    branding = common.branding(config, customer, prepared_by, logo)
    snapshot = collect(config, common.secrets(config), on_event=common.progress(quiet, no_color))
    with common.snapshot_kept_on_failure(snapshot):
        if save_snapshot:
            common.write_snapshot(snapshot, save_snapshot)
        report = make_report(snapshot, profile, waiver_list, branding=branding)
        common.emit(report, formats, output, quiet, no_color, config.options.formats, config.options.output,
                    baseline, target_file=config_path)


@cli.command()
@common.config_options
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("linkready-snapshot.json"), show_default=True, help="Snapshot file to write.")
@click.option("--quiet", "-q", is_flag=True)
@click.option("--no-color", is_flag=True)
def collect(config_path: Path | None, server: str | None, mi_resource_id: str | None, databases: str | None,
            partner_endpoint: str | None, probe_timeout: float | None, deadline: float | None, output: Path, quiet: bool,
            no_color: bool) -> None:
    """Read the facts only and write a snapshot without secrets.

    Run it where the SQL Server and Azure are reachable; `evaluate` the snapshot anywhere.
    """
    from linkready.engine import collect as run_collect

    config = common.load_config(config_path, server=server, mi_resource_id=mi_resource_id, databases=databases,
                          partner_endpoint=partner_endpoint, probe_timeout=probe_timeout)
    config = arm_deadlines(config, deadline)
    snapshot = run_collect(config, common.secrets(config), on_event=common.progress(quiet, no_color))
    with common.snapshot_kept_on_failure(snapshot):
        common.write_snapshot(snapshot, output)
    if not quiet:
        errors = len(snapshot.facts.errors)
        click.echo(f"wrote {output} ({snapshot.digest}; {errors} fact(s) could not be read)")


@cli.command()
@click.argument("snapshot_path", metavar="SNAPSHOT", required=False,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--config", "-c", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Optional target file for options and branding (no probe runs).")
@common.report_options
@common.estate_options
def evaluate(snapshot_path: Path | None, config_path: Path | None, profile_name: str | None, waivers: Path | None,
             formats: str | None, output: Path | None, quiet: bool, no_color: bool, customer: str | None,
             prepared_by: str | None, logo: Path | None, baseline: Path | None, estate: Path | None,
             concurrency: int | None) -> None:
    """Judge a snapshot written by `collect`: no network, no credentials.

    With --estate, many targets at once.
    """
    from linkready.engine import make_report

    if estate is not None:
        from linkready.commands.estate import run_command

        given = {"SNAPSHOT": snapshot_path, "--config": config_path}
        run_command(estate, live=False, profile_name=profile_name, waivers_path=waivers, formats=formats,
                    output=output, quiet=quiet, no_color=no_color, customer=customer, prepared_by=prepared_by,
                    logo=logo, concurrency=concurrency, conflicting=[k for k, v in given.items() if v])
    if snapshot_path is None:
        common.fail_usage("give a SNAPSHOT file (or --estate FILE)")
    config = common.load_config(config_path) if config_path else None
    snapshot = common.load_snapshot(snapshot_path)
    report = make_report(snapshot, common.profile(profile_name, config), common.waivers(waivers, config),
                         branding=common.branding(config, customer, prepared_by, logo))
    defaults = config.options if config else None
    common.emit(report, formats, output, quiet, no_color,
          defaults.formats if defaults else ["console", "html", "json"],
          defaults.output if defaults else "linkready-report", baseline, target_file=config_path or snapshot_path)


#: ``linkready demo --scenario``: the bundled snapshots (linkready/data; the others are made from the museum's by
#: scripts/make_demo_variants.py).
DEMO_SCENARIOS = {"museum": "demo_snapshot.json", "multidb": "demo_multidb_snapshot.json"}


@cli.command()
@common.report_options
@click.option("--open", "open_browser", is_flag=True, help="Open the HTML report in a browser.")
@click.option("--save-snapshot", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the bundled snapshot, to try `linkready evaluate` on it.")
@click.option("--scenario", type=click.Choice(sorted(DEMO_SCENARIOS)), default="museum", show_default=True,
              help="museum: two single-database links from SQL Server 2019. multidb: one availability group of "
                   "SQL Server 2022 in the multiple-database mode, with failback.")
def demo(profile_name: str | None, waivers: Path | None, formats: str | None, output: Path | None, quiet: bool,
         no_color: bool, customer: str | None, prepared_by: str | None, logo: Path | None, baseline: Path | None,
         open_browser: bool, save_snapshot: Path | None, scenario: str) -> None:
    """Try linkready on a bundled, realistic snapshot.

    No SQL Server and no Azure account needed.
    """
    from importlib import resources

    from linkready.engine import make_report
    from linkready.snapshot import loads

    text = resources.files("linkready.data").joinpath(DEMO_SCENARIOS[scenario]).read_text("utf-8")
    snapshot = loads(text, f"bundled demo snapshot ({scenario})")
    if save_snapshot:
        try:
            common.write_text_file(save_snapshot, text)
        except OSError as exc:
            common.fail_usage(common.output_problem(save_snapshot, exc))
        click.echo(f"wrote {save_snapshot}; try: linkready evaluate {save_snapshot}", err=True)
    report = make_report(snapshot, common.profile(profile_name), common.waivers(waivers),
                         branding=common.branding(None, customer or "Contoso Museums (demo)", prepared_by, logo))
    directory = output or Path("linkready-demo")
    if open_browser:
        import webbrowser

        from linkready.reports import Format, write

        html = write(report, [Format.HTML], directory, name=common.report_name(report))[0]
        if not webbrowser.open(html.resolve().as_uri()):
            click.echo(f"no browser available; open {html} yourself", err=True)
    common.emit(report, formats, directory, quiet, no_color, ["console", "html", "json"], str(directory), baseline)


@cli.command(name="checks")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown", "md"]), default="table",
              show_default=True)
@click.option("--profile", "profile_name", help="Only the checks this profile selects.")
def list_checks(fmt: str, profile_name: str | None) -> None:
    """List the check catalogue."""
    from linkready.checks import all_checks

    specs = all_checks()
    if profile_name:
        profile = common.profile(profile_name)
        specs = [s for s in specs if profile.selects(s)]
    if fmt == "json":
        from linkready.serde import to_data

        click.echo(json.dumps([to_data(s) for s in specs], indent=2))
    elif fmt in ("markdown", "md"):
        click.echo("| ID | Title | Area | Severity | Owner |\n|---|---|---|---|---|")
        for s in specs:
            click.echo(f"| {s.id} | {s.title} | {s.area.label} | {s.severity.value} | {s.owner.value} |")
    else:
        from rich.table import Table
        from rich.text import Text

        table = Table("ID", "Title", "Area", "Severity", "Owner")
        for s in specs:
            table.add_row(*(Text(v) for v in (s.id, s.title, s.area.label, s.severity.value, s.owner.value)))
        common.make_console(False).print(table)


@cli.command()
@click.argument("check_id")
def explain(check_id: str) -> None:
    """Explain one check, or list the checks that prevent an error number or a service error code."""
    from linkready.checks import all_checks, get
    from linkready.checks.service import SERVICE_ERRORS, checks_preventing, code_named

    spec = get(check_id)
    if spec is None:
        # Not a check ID: an error number (41973) or a service error code (ManagedInstanceLink...).
        specs = all_checks()
        code = code_named(check_id)
        if check_id.strip().isdigit():
            number = int(check_id)
            preventing = [s for s in specs if number in s.prevents]
            if not preventing:
                common.fail_usage(f"no check prevents error {number} (see `linkready checks`)")
            heading = f"Error {number} is prevented by:"
        elif code is not None:
            ids = checks_preventing(code.name)
            preventing = [s for s in specs if s.id in ids]
            if preventing:
                verdict = "Prevented by:"
            elif code.unpreventable:
                verdict = f"No check can prevent it: {code.unpreventable}."
            else:
                verdict = "No check prevents it yet." + (f" A check would read: {code.gap}." if code.gap else "")
            heading = f"{code.name} (HTTP {code.status}): {code.meaning}.\nSource: {code.source}\n\n{verdict}"
        else:
            common.fail_usage(f"unknown check, error number or service error code {check_id!r} "
                              "(see `linkready checks`)")
        click.echo("\n".join([heading, *(f"  {s.id}  {s.title}" for s in preventing)]))
        return
    lines = [
        f"{spec.id}  {spec.title}",
        f"Area: {spec.area.label} · severity: {spec.severity.value} · owner: {spec.owner.value}",
        "",
        "Why it matters:",
        f"  {spec.rationale}",
        "",
        "How to fix:",
        f"  {spec.remediation}",
    ]
    if spec.prevents:
        lines += ["", f"Prevents errors: {', '.join(str(n) for n in spec.prevents)}"]
    if SERVICE_ERRORS.get(spec.id):
        lines += ["", f"Prevents service errors: {', '.join(SERVICE_ERRORS[spec.id])}"]
    lines += ["", f"Documentation: {spec.docs}"]
    click.echo("\n".join(lines))


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default=Path("linkready.toml"))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option("--estate", "estate", is_flag=True, help="Write an estate-file template (many targets) instead.")
def init(path: Path, force: bool, estate: bool) -> None:
    """Write a commented target-file (or, with --estate, estate-file) template."""
    from linkready.config import TEMPLATE
    from linkready.tools.estate_template import ESTATE_TEMPLATE

    if path.exists() and not force:
        common.fail_usage(f"{path} exists (use --force to overwrite)")
    path.write_text(ESTATE_TEMPLATE if estate else TEMPLATE, encoding="utf-8")
    if estate:
        click.echo(f"wrote {path}; list your targets, then: linkready check --estate {path}")
    else:
        click.echo(f"wrote {path}; edit it, set {'LINKREADY_SQL_PASSWORD'}, then: linkready check --config {path}")


def _survivable_console() -> None:
    """Never die on a console that cannot show a character (a cp1252 Windows console, a legacy pipe).

    The report text holds characters such as ≥ and → and customer names in any script; where the
    console's encoding has no glyph for one, it is shown as "?" instead of raising UnicodeEncodeError.
    Report files are always written as UTF-8 and are not affected.
    """
    import sys

    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        encoding = (getattr(stream, "encoding", "") or "").lower().replace("-", "")
        if reconfigure is not None and encoding not in ("utf8", "utf16", "utf32"):
            reconfigure(errors="replace")


def main() -> None:
    """The entry point: the command's exit code, and never a traceback (a crash exits 4)."""
    from linkready.commands._guard import run

    _survivable_console()
    run(cli, prog_name="linkready")
