"""Helpers every command shares: option groups, loading inputs as one-line usage errors, output.

Commands import from here, never from cli.py, so the arrows run one way (cli → commands → tools).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

import click

if TYPE_CHECKING:
    from linkready.config import Config
    from linkready.policy import Profile
    from linkready.probes import Secrets
    from linkready.report import Branding, Report
    from linkready.snapshot import Snapshot

EXIT_USAGE = 2
#: A crash: distinct from 1 (not ready) so that a pipeline never reads a bug as a verdict.
EXIT_INTERNAL = 4


def fail_usage(message: str) -> NoReturn:
    """One line on stderr, exit 2: the contract for every configuration or input error."""
    click.echo(f"linkready: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


class StdoutClosed(Exception):
    """stdout's reader went away; not an OSError, so click does not map it to exit 1."""


def output_problem(what: Path, exc: OSError) -> str:
    """One line for a file that cannot be written: the path and the reason, no errno noise."""
    reason = exc.strerror or str(exc)
    if isinstance(exc, (NotADirectoryError, FileExistsError)):
        reason = "a parent of it is a file, not a directory"
    return f"cannot write {what}: {reason}"


def silence_stdout() -> None:
    """The reader of stdout went away (``| head``): drop the rest of the output quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def report_options(function: Any) -> Any:
    from linkready.reports import format_help

    for option in reversed(
        [
            click.option("--profile", "profile_name", help="preflight (default), audit, pipeline, failover, or a TOML file."),
            click.option("--waivers", type=click.Path(dir_okay=False, path_type=Path), help="Waivers TOML file."),
            click.option("--format", "formats", help=format_help()),
            click.option("--output", "-o", "output", type=click.Path(file_okay=False, path_type=Path),
                         help="Directory for report files."),
            click.option("--quiet", "-q", is_flag=True, help="No console summary; files and exit code only."),
            click.option("--no-color", is_flag=True, help="No colour (also honoured: NO_COLOR)."),
            click.option("--customer", help="Customer name for the report header."),
            click.option("--prepared-by", help="Consultant or team named in the report."),
            click.option("--summary", callback=_remember_summary, expose_value=False,
                         help="Executive summary for the report: TEXT, or @FILE (default: written from the findings)."),
            click.option("--name-template", callback=_remember_name_template, expose_value=False,
                         help="Report file names, e.g. '{customer}-{server}-{date}' (fields: customer, server, "
                              "instance, date, time, verdict, profile; default linkready-report). With --estate: "
                              "each target's files and the estate's ({server} is the estate's name)."),
            click.option("--logo", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                         help="PNG/SVG logo embedded in the HTML report."),
            click.option("--baseline", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                         help="An earlier JSON report or snapshot: the HTML/PDF report shows the changes since."),
            click.option("--sarif-root", type=click.Path(file_okay=False, path_type=Path), callback=_remember,
                         expose_value=False, help="Repository root SARIF locations are relative to (default: .)."),
            click.option("--sarif-waived", is_flag=True, callback=_remember, expose_value=False,
                         help="Waived findings as suppressed SARIF results (default: left out)."),
        ]
    ):
        function = option(function)
    return function


_F = TypeVar("_F", bound=Callable[..., Any])


def machine_format(param: str) -> Callable[[_F], _F]:
    """``--format text|json`` with ``--json`` kept as its alias, for a one-shot tool's ``param`` flag.

    One convention across commands: wherever a machine format exists it is ``--format json``. The
    decorated function still receives ``param`` (True for JSON), whichever spelling was used.
    """
    import functools

    def decorate(function: _F) -> _F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            chosen = kwargs.pop("machine_format", None)
            kwargs[param] = bool(kwargs.get(param)) or chosen == "json"
            return function(*args, **kwargs)

        wrapper = click.option("--json", param, is_flag=True, help="Same as --format json.")(wrapper)
        wrapper = click.option("--format", "machine_format", type=click.Choice(["text", "json"], case_sensitive=False),
                               help="Output: text (default) or json.")(wrapper)
        return cast(_F, wrapper)

    return decorate


def config_options(function: Any) -> Any:
    for option in reversed(
        [
            click.option("--config", "-c", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                         help="Target file (see `linkready init`)."),
            click.option("--server", help="SQL Server: host, host,port or host\\instance."),
            click.option("--mi", "mi_resource_id", help="Managed instance resource ID."),
            click.option("--databases", help="Comma-separated databases of the planned link."),
            click.option("--partner-endpoint", help="TCP://<SQL Server host>:5022"),
            click.option("--probe-timeout", type=click.FloatRange(min=0, min_open=True, max=86400),
                         help="Seconds each probe may take (also bounds every read and retry)."),
            click.option("--deadline", type=click.FloatRange(min=1, max=86400),
                         help="Seconds the whole run may take, reports included; past it: exit 3."),
        ]
    ):
        function = option(function)
    return function


def estate_options(function: Any) -> Any:
    function = click.option("--concurrency", type=int, help="Estate targets in flight at once.")(function)
    return click.option("--estate", type=click.Path(dir_okay=False, path_type=Path),
                        help="Estate file listing many targets (see linkready/tools/estate/file.py).")(function)


def load_config(config_path: Path | None, **flags: Any) -> Config:
    from linkready.config import ConfigError, load_config

    mapping = {
        "server": "source.server",
        "mi_resource_id": "managed_instance.resource_id",
        "databases": "link.databases",
        "partner_endpoint": "link.partner_endpoint",
        "probe_timeout": "options.probe_timeout",
    }
    overrides = {mapping[key]: value for key, value in flags.items() if key in mapping and value is not None}
    if config_path is None and not overrides:
        fail_usage("no target: give --config FILE (see `linkready init`) or --server/--mi")
    if config_path is None and "link.databases" in overrides:
        overrides = {**link_defaults(str(overrides["link.databases"])), **overrides}
        if "source.server" not in overrides and "managed_instance.resource_id" not in overrides:
            # A plan with nothing to probe would judge only its own names: never a verdict.
            fail_usage("--databases without a target file needs --server (the SQL Server) and/or --mi "
                       "(the managed instance) to check")
        if "link.partner_endpoint" not in overrides:
            if "source.server" not in overrides:
                fail_usage("--databases without a target file needs --server (the partner endpoint defaults to "
                           "its host) or --partner-endpoint TCP://<SQL Server host>:5022")
            overrides["link.partner_endpoint"] = default_partner_endpoint(str(overrides["source.server"]))
    try:
        return load_config(config_path, overrides)
    except ConfigError as exc:
        fail_usage(str(exc))


def default_partner_endpoint(server: str) -> str:
    """``TCP://<host of --server>:5022``: the endpoint a default instance's link uses (`linkready init` writes it)."""
    from linkready.domain.ports import MI_ENDPOINT_PORT
    from linkready.probes.network import server_host

    return f"TCP://{server_host(server)}:{MI_ENDPOINT_PORT}"


def link_defaults(databases: str) -> dict[str, str]:
    """Names for a link planned on the command line, from its first database (as `linkready init` writes)."""
    first = databases.split(",")[0].strip() or "db"
    return {
        "link.name": f"link-{first}",
        "link.instance_ag_name": f"AG_{first}_MI",
        "link.partner_ag_name": f"AG_{first}",
    }


def secrets(config: Config) -> Secrets:
    from linkready.config import read_password
    from linkready.probes import Secrets

    if config.source is None or config.source.auth not in ("sql", "entra-password"):
        return Secrets()
    password = read_password(config.source)
    if password is None:
        if sys.stdin.isatty():
            password = click.prompt(f"Password for {config.source.username or 'the SQL login'}", hide_input=True)
        else:
            fail_usage(
                f"source.password_env: environment variable {config.source.password_env} is not set "
                "and there is no terminal to prompt on"
            )
    return Secrets(sql_password=password)


def profile(name: str | None, config: Config | None = None) -> Profile:
    from linkready.checks import load_profile
    from linkready.policy import PolicyError

    try:
        chosen: Profile = load_profile(name or (config.options.profile if config else "preflight"))
        return chosen  # typed above: mypy cannot follow the mapped checks/ package
    except PolicyError as exc:
        fail_usage(str(exc))


def waivers(path: Path | None, config: Config | None = None) -> list[Any]:
    from linkready.policy import PolicyError, load_waivers

    chosen = path or (Path(config.options.waivers) if config and config.options.waivers else None)
    if chosen is None:
        return []
    try:
        return load_waivers(chosen)
    except PolicyError as exc:
        fail_usage(str(exc))


def branding(config: Config | None, customer: str | None, prepared_by: str | None, logo: Path | None) -> Branding:
    from linkready.report import Branding, logo_data_uri

    base = config.branding if config else None
    logo_path = logo or (Path(base.logo) if base and base.logo else None)
    try:
        uri = logo_data_uri(logo_path) if logo_path else ""
    except (ValueError, OSError) as exc:
        fail_usage(str(exc))
    return Branding(
        customer=customer or (base.customer if base else ""),
        prepared_by=prepared_by or (base.prepared_by if base else ""),
        logo_data_uri=uri,
        summary=_summary_option() or (base.summary if base else ""),
    )


#: Where --summary's value waits for branding(): the option is shared by every report command, so it
#: is kept on the click context instead of threading one more parameter through each signature.
_SUMMARY_KEY = "linkready.summary"


def _remember_summary(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    if value.startswith("@"):
        path = Path(value[1:])
        try:
            value = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            fail_usage(f"--summary {path}: cannot be read: {exc}")
        if not value:
            fail_usage(f"--summary {path}: the file is empty")
    if len(value) > 4000:
        fail_usage("--summary: at most 4,000 characters (a summary is read in one minute)")
    ctx.meta[_SUMMARY_KEY] = value


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    # Like --summary: options only one format reads wait on the context, not in every signature.
    if value is not None:
        ctx.meta[f"linkready.{param.name}"] = value


def _meta(name: str) -> Any:
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(f"linkready.{name}") if ctx is not None else None


def artifact_uri(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with POSIX separators, or its absolute file URI when outside it."""
    target, base = path.resolve(), root.resolve()
    try:
        return target.relative_to(base).as_posix()
    except ValueError:
        return target.as_uri()


def sarif_options(target_file: Path | None) -> Any:
    """Where SARIF results point: the target file the run used, relative to --sarif-root or the cwd."""
    from linkready.reports.sarif import DEFAULT_ARTIFACT, SarifOptions

    include_waived = bool(_meta("sarif_waived"))
    if target_file is None:
        return SarifOptions(DEFAULT_ARTIFACT, "", include_waived)
    try:
        text = target_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""  # the run already read it; a file gone since costs only the line numbers
    root = _meta("sarif_root") or Path.cwd()
    return SarifOptions(artifact_uri(target_file, root), text, include_waived)


_NAME_KEY = "linkready.name_template"


def _remember_name_template(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    from linkready.report import NameTemplateError, check_name_template

    if value is None:
        return
    try:
        ctx.meta[_NAME_KEY] = check_name_template(value)
    except NameTemplateError as exc:
        fail_usage(str(exc))


def name_template() -> str:
    """The --name-template given (checked already), or "" (the formats' default names)."""
    ctx = click.get_current_context(silent=True)
    return str(ctx.meta.get(_NAME_KEY, "")) if ctx is not None else ""


def report_name(report: Report) -> str:
    """The file name stem --name-template asks for, or "" (the formats' default names)."""
    from linkready.report import output_name

    template = name_template()
    return output_name(report, template) if template else ""


def _summary_option() -> str:
    ctx = click.get_current_context(silent=True)
    return str(ctx.meta.get(_SUMMARY_KEY, "")) if ctx is not None else ""


def make_console(no_color: bool, stderr: bool = False) -> Any:
    from rich.console import Console

    plain = no_color or "NO_COLOR" in os.environ
    # No escape sequences at all when colour is off (bold too): CI log viewers show them as noise.
    # markup=False: every printed value (link names, server messages, "[dbo].[t]") is literal text;
    # styling goes through Text/style= only, so no value can raise MarkupError or vanish.
    console = Console(stderr=stderr, no_color=plain, color_system=None if plain else "auto", highlight=False,
                      markup=False)
    if not console.is_terminal and not os.environ.get("COLUMNS", "").isdigit():
        # Pipeline logs have no width to ask; 80 columns would fold every finding into a tower.
        # COLUMNS, when set, is the user's answer (rich reads it).
        console.width = 140
    return console


def progress(quiet: bool, no_color: bool) -> Any:
    """Progress on stderr: a live line per probe on a terminal, plain lines otherwise."""
    from rich.text import Text

    console = make_console(no_color, stderr=True)

    def on_event(name: str, state: str, seconds: float, detail: str) -> None:
        if quiet:
            return
        # Text, not markup: a probe's detail quotes server messages that may hold "[...]".
        if state == "start":
            console.print(Text(f"probe {name}: running…", style="dim") if console.is_terminal
                          else Text(f"probe {name}: running"))
        else:
            suffix = f" ({detail})" if detail else ""
            console.print(Text(f"probe {name}: {state} in {seconds:.1f} s{suffix}"))

    return on_event


def changes(report: Report, baseline: Path | None) -> Any:
    """The diff between ``baseline`` (an earlier JSON report or snapshot) and this report, or None."""
    if baseline is None:
        return None
    from linkready.checks import load_profile
    from linkready.commands.diff import load_side
    from linkready.policy import PolicyError
    from linkready.tools.diff import DiffError, compare, side_from_report

    try:
        profile = load_profile(report.profile)
    except PolicyError:
        profile = None
    try:
        return compare(load_side(baseline, profile), side_from_report(report))
    except DiffError as exc:
        fail_usage(f"--baseline: {exc}")


def emit(report: Report, formats: str | None, output: Path | None, quiet: bool, no_color: bool,
          default_formats: list[str], default_output: str, baseline: Path | None = None,
          target_file: Path | None = None) -> NoReturn:
    from linkready.report import FormatUnavailable
    from linkready.reports import Format, ReportWriteError, parse_formats, write
    from linkready.reports.console import print_report

    try:
        chosen = parse_formats(formats) if formats else parse_formats(",".join(default_formats))
    except ValueError as exc:
        fail_usage(str(exc))
    directory = output or Path(default_output)
    try:
        options = {Format.SARIF: sarif_options(target_file)} if Format.SARIF in chosen else None
        written = write(report, chosen, directory, changes=changes(report, baseline), options=options,
                        name=report_name(report))
    except FormatUnavailable as exc:  # no PDF engine, no openpyxl: the other formats are written
        fail_usage(str(exc))
    except ReportWriteError as exc:
        fail_usage(output_problem(exc.path, exc.cause))
    if not quiet:
        try:
            console = make_console(no_color)
            if Format.CONSOLE in chosen:
                print_report(report, console)
            for path in written:
                console.print(f"wrote {path}", highlight=False, markup=False)
            sys.stdout.flush()
        except BrokenPipeError:
            # `linkready check | head`: the verdict is still the exit code.
            silence_stdout()
    sys.exit(report.verdict.exit_code)


def write_text_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all; raises OSError, leaves no partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        raise IsADirectoryError(21, "it is a directory", str(path))
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def write_snapshot(snapshot: Snapshot, path: Path) -> None:
    """The snapshot at ``path``, or exit 2 with one line (no partial file left behind)."""
    from linkready.snapshot import dumps

    try:
        write_text_file(path, dumps(snapshot))
    except OSError as exc:
        fail_usage(output_problem(path, exc))


@contextlib.contextmanager
def snapshot_kept_on_failure(snapshot: Snapshot) -> Iterator[None]:
    """After a live run, a usage error or crash while judging or writing must not lose the probing."""
    try:
        yield
    except BaseException as exc:
        failed = isinstance(exc, Exception) or (isinstance(exc, SystemExit) and exc.code == EXIT_USAGE)
        if failed:
            saved = rescue_snapshot(snapshot)
            if saved is not None:
                click.echo(f"linkready: the collected facts are saved in {saved} "
                           f"(judge them with: linkready evaluate {saved})", err=True)
        raise


def rescue_snapshot(snapshot: Snapshot) -> Path | None:
    """Save the probing of a live run where it cannot be lost (a temp dir) when its output failed."""
    import tempfile

    from linkready.snapshot import dumps

    path = Path(tempfile.gettempdir()) / f"linkready-snapshot-{os.getpid()}.json"
    try:
        write_text_file(path, dumps(snapshot))
    except OSError:
        return None
    return path


def load_snapshot(path: Path) -> Snapshot:
    from linkready.snapshot import SnapshotError, load

    try:
        return load(path)
    except SnapshotError as exc:
        fail_usage(str(exc))
    except RecursionError:
        fail_usage(f"{path}: corrupt snapshot: nested too deeply")
