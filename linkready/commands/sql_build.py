"""`linkready sql-build BUILD|@@VERSION`: what a SQL Server build is and whether it can host a link."""

from __future__ import annotations

import json
import os
import ssl
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click

from linkready.commands._common import machine_format
from linkready.domain import sql_builds

EXIT_CAN_HOST, EXIT_CANNOT, EXIT_BAD_INPUT, EXIT_NOT_EVALUATED = 0, 1, 2, 3

# Where linkready's maintainers publish the generator's output (schema 2). A placeholder until the
# project has a release host: set --url or LINKREADY_CATALOGUE_URL.
DEFAULT_URL = "https://linkready.invalid/catalogue/sql-builds-v2.json"
URL_ENV = "LINKREADY_CATALOGUE_URL"
TIMEOUT_ENV = "LINKREADY_CATALOGUE_TIMEOUT"
MAX_BYTES = 4 * 1024 * 1024  # today's catalogue is ~70 KB; anything this big is not a catalogue


class UpdateError(Exception):
    """One line saying why the catalogue was not updated (the catalogue in use is untouched)."""


def _download(url: str) -> bytes:
    if not url.lower().startswith("https://"):
        raise UpdateError(f"refusing {url}: the catalogue is only downloaded over HTTPS")
    timeout = float(os.environ.get(TIMEOUT_ENV, "30"))
    context = ssl.create_default_context()  # verifies the certificate and host name (SSL_CERT_FILE honoured)
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > MAX_BYTES:
                raise UpdateError(f"{url} is {int(declared)} bytes, over the {MAX_BYTES}-byte limit")
            body: bytes = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise UpdateError(f"{url} answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise UpdateError(f"cannot download {url}: {exc.reason}") from None
    except TimeoutError:
        raise UpdateError(f"{url} did not answer within {timeout:g} s") from None
    except OSError as exc:
        raise UpdateError(f"cannot download {url}: {exc}") from None
    if len(body) > MAX_BYTES:
        raise UpdateError(f"{url} sent more than the {MAX_BYTES}-byte limit")
    return body


def _validated(raw: bytes, where: str) -> tuple[Any, str]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise UpdateError(f"{where} is not a JSON build catalogue") from None
    try:
        _entries, when = sql_builds.parse_catalogue(data)
    except ValueError as exc:
        raise UpdateError(f"{where}: {exc}") from None
    return data, when


def _install(raw: bytes, where: str) -> str:
    """Validate and atomically place a catalogue in the cache; the message to print."""
    _data, when = _validated(raw, where)
    current = sql_builds.catalogue()
    if when <= current.date:
        return (f"{where} is of {when}, not newer than the catalogue in use ({current.date}, {current.origin}); "
                "kept the catalogue in use")
    target = sql_builds.cached_catalogue_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".sql-builds-", suffix=".json", dir=target.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
        os.replace(tmp, target)  # atomic on one file system: readers see the old or the new file, never half
    except OSError as exc:
        raise UpdateError(f"cannot write {target}: {exc}") from None
    sql_builds.catalogue.cache_clear()
    return f"updated the SQL Server build catalogue to {when} ({target})"


def _update(url: str | None, source: Path | None) -> None:
    try:
        if source is not None:
            try:
                raw = source.read_bytes()[: MAX_BYTES + 1]
            except OSError as exc:
                raise UpdateError(f"cannot read {source}: {exc.strerror or exc}") from None
            if len(raw) > MAX_BYTES:
                raise UpdateError(f"{source} is over the {MAX_BYTES}-byte limit")
            message = _install(raw, str(source))
        else:
            address = url or os.environ.get(URL_ENV) or DEFAULT_URL
            message = _install(_download(address), address)
    except UpdateError as exc:
        click.echo(f"linkready: error: {exc}; the catalogue in use is unchanged", err=True)
        sys.exit(EXIT_NOT_EVALUATED)
    click.echo(message)
    sys.exit(0)


def _catalogue_info(as_json: bool) -> None:
    cat = sql_builds.catalogue()
    info = {"date": cat.date, "origin": cat.origin, "builds": len(cat.entries),
            "bundled_date": sql_builds.bundled_date(), "cache_path": str(sql_builds.cached_catalogue_path())}
    if as_json:
        click.echo(json.dumps(info, indent=2))
    else:
        click.echo(f"In use: {cat.describe()}, {len(cat.entries)} builds")
        click.echo(f"Bundled catalogue: {info['bundled_date']}; cache: {info['cache_path']}")
        click.echo(f"Update with `{sql_builds.UPDATE_COMMAND}` (or --update --from FILE on an air-gapped box).")
    sys.exit(0)


@click.command(name="sql-build")
@click.argument("text", nargs=-1)
@click.option("--mi-initial-primary", is_flag=True, help="The managed instance will be the initial primary.")
@click.option("--tsql-failover", is_flag=True, help="Planned failovers will be run with T-SQL.")
@click.option("--multidb", is_flag=True, help="The multiple-database link mode is planned.")
@click.option("--update", is_flag=True, help="Download the newest build catalogue published for linkready.")
@click.option("--from", "source", type=click.Path(path_type=Path, dir_okay=False),
              help="With --update: take the catalogue from this local file (air-gapped boxes).")
@click.option("--url", help=f"With --update: the catalogue's HTTPS address (default ${URL_ENV} or {DEFAULT_URL}).")
@click.option("--catalogue-info", is_flag=True, help="Say which build catalogue is in use and how old it is.")
@machine_format("as_json")
def command(text: tuple[str, ...], as_json: bool, mi_initial_primary: bool, tsql_failover: bool,
            multidb: bool, update: bool, source: Path | None, url: str | None, catalogue_info: bool) -> None:
    """Identify a build (15.0.4335.1, 15.0.4335 or pasted SELECT @@VERSION output).

    \b
    Exit codes: 0 the build can host a link, 1 it cannot (or cannot be confirmed), 2 bad input,
    3 the catalogue could not be updated.
    """
    if (source is not None or url is not None) and not update:
        click.echo("linkready: error: --from and --url go with --update", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if update:
        _update(url, source)
    if catalogue_info:
        _catalogue_info(as_json)
    if not text:
        click.echo("linkready: error: give a build (15.0.4335.1) or SELECT @@VERSION text, "
                   "or --update / --catalogue-info", err=True)
        sys.exit(EXIT_BAD_INPUT)
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
            "retired": entry.retired if entry else False,
            "replaced_by": entry.replaced_by if entry else None,
            "catalogue_date": verdict.catalogue_date,
            "catalogue_older_than_build": verdict.stale_catalogue is not None,
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
        click.echo(f"(Judged with the {sql_builds.catalogue().describe()}.)")
    sys.exit(EXIT_CAN_HOST if can_host else EXIT_CANNOT)
