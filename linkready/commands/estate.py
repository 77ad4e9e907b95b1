"""``check --estate`` / ``evaluate --estate``: the command-line side of estate mode (linkready.tools.estate)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from linkready.commands import _common as common
from linkready.reports.estate import (
    estate_filenames,
    estate_name,
    print_summary,
    warm_up,
    write_estate,
    write_target_files,
)
from linkready.reports.pdf import PdfError
from linkready.tools.estate import TARGET_FORMATS, EstateError, RunOptions, TargetOutcome, load_estate, run_estate


def run_command(
    estate_path: Path,
    *,
    live: bool,
    profile_name: str | None,
    waivers_path: Path | None,
    formats: str | None,
    output: Path | None,
    quiet: bool,
    no_color: bool,
    customer: str | None = None,
    prepared_by: str | None = None,
    logo: Path | None = None,
    concurrency: int | None = None,
    conflicting: Sequence[str] = (),
) -> None:
    """``check --estate`` / ``evaluate --estate``: run, write, print, exit with the estate's code."""
    if conflicting:
        common.fail_usage(f"--estate cannot be combined with {', '.join(conflicting)}")
    try:
        estate = load_estate(estate_path)
    except EstateError as exc:
        common.fail_usage(str(exc))
    if concurrency is not None:
        if concurrency < 1:
            common.fail_usage("--concurrency must be at least 1")
        estate = replace(estate, concurrency=concurrency)
    if profile_name:
        common.profile(profile_name)  # a bad --profile is a usage error, not 200 unknown targets
    chosen = _target_formats(formats) if formats else TARGET_FORMATS
    asked = _format_names(formats) if formats is not None else set()
    directory = output or Path("linkready-estate")
    options = RunOptions(
        output=directory, live=live, profile=profile_name, waivers=tuple(common.waivers(waivers_path)),
        formats=chosen, writer=write_target_files, warm=warm_up, name_template=common.name_template(),
    )
    branding = common.branding(None, customer, prepared_by, logo)
    progress = common.make_console(no_color, stderr=True)

    def on_done(outcome: TargetOutcome) -> None:
        if not quiet:
            detail = f": {outcome.reason}" if outcome.reason else ""
            progress.print(f"target {outcome.name}: {outcome.verdict.value} in {outcome.seconds:.2f} s{detail}",
                           highlight=False)

    report = run_estate(estate, options, branding=branding, on_done=on_done)
    name = estate_name(report, options.name_template) if options.name_template else ""
    try:
        written = write_estate(report, directory, pdf="pdf" in asked, xlsx="xlsx" in asked, name=name)
    except PdfError as exc:
        files = estate_filenames(name)
        common.fail_usage(f"{files['pdf']}: {exc} ({files['html']}, {files['json']} and {files['junit']} are written)")
    if not quiet:
        console = common.make_console(no_color)
        print_summary(report, console)
        for path in written:
            console.print(f"wrote {path}", highlight=False)
    sys.exit(report.exit_code)


def _format_names(text: str) -> set[str]:
    from linkready.reports import parse_formats

    return {f.value for f in parse_formats(text)}


def _target_formats(text: str) -> tuple[str, ...]:
    from linkready.reports import Format, parse_formats

    try:
        chosen = parse_formats(text)
    except ValueError as exc:
        common.fail_usage(str(exc))
    if Format.XLSX in chosen:
        from linkready.reports.xlsx_export import XlsxError, require_openpyxl

        try:
            require_openpyxl()  # checked once here: in the workers it would make every target unknown
        except XlsxError as exc:
            common.fail_usage(str(exc))
    # The console format is the estate summary; PDF is the estate page printed once (estate.pdf: a
    # PDF per target would start a browser per target); every other format is written per target.
    return tuple(f.value for f in chosen if f not in (Format.CONSOLE, Format.PDF))
