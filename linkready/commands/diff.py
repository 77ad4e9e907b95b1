"""``linkready diff OLD NEW``: what was fixed, what regressed, what is new between two runs.

Each side is a JSON report (``--format json``) or a facts snapshot (``collect``); snapshots are
evaluated under ``--profile``. Exit codes: 0 no regressions, 1 regressions, 2 bad input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from linkready.reports import Format, choices, parse_formats
from linkready.reports.diff import render as render_diff
from linkready.tools.diff import Diff, DiffError, compare, side_from_data

if TYPE_CHECKING:
    from linkready.policy import Profile
    from linkready.tools.diff import Side

DIFF_FORMATS = choices(Format.CONSOLE, Format.MARKDOWN, Format.HTML)


def _fail(message: str) -> NoReturn:
    click.echo(f"linkready: error: {message}", err=True)
    sys.exit(2)


def load_side(path: Path, profile: Profile | None = None) -> Side:
    """Read one JSON report or snapshot from disk; DiffError (one line) if it is neither."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DiffError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DiffError(f"{path}: cannot be read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DiffError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    return side_from_data(data, str(path), profile=profile)


def diff_files(old: Path, new: Path, profile: Profile | None = None) -> Diff:
    return compare(load_side(old, profile), load_side(new, profile))


@click.command(name="diff")
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(DIFF_FORMATS), default="console",
              show_default=True, help="console (text), md (for PR comments) or html (a page).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of stdout.")
@click.option("--profile", "profile_name", help="Profile for evaluating snapshots (default preflight).")
def command(old: Path, new: Path, fmt: str, output: Path | None, profile_name: str | None) -> None:
    """Compare two runs (JSON reports or snapshots): fixed, regressed, new.

    \b
    Exit codes: 0 no regressions, 1 regressions (a status got worse, or a new
    WARN/ERROR/FAIL appeared), 2 unreadable or unsupported input.
    """
    profile = None
    if profile_name:
        from linkready.checks import load_profile
        from linkready.policy import PolicyError

        try:
            profile = load_profile(profile_name)
        except PolicyError as exc:
            _fail(str(exc))
    try:
        diff = diff_files(old, new, profile)
    except DiffError as exc:
        _fail(str(exc))
    text = render_diff(parse_formats(fmt)[0], diff)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(diff.exit_code)
