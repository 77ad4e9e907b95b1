"""Report formats (import name ``linkready.reports``): one module per format, one ``render``."""

from __future__ import annotations

import contextlib
import enum
import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Annotations only: `linkready --help` and the side commands (probe-port, sql-build…) build the
    # --format help from this table without loading the report model, the snapshot and every fact.
    from linkready.report import Report
    from linkready.tools.diff import Diff


class Format(enum.StrEnum):
    CONSOLE = "console"
    JSON = "json"
    JUNIT = "junit"
    MARKDOWN = "md"
    HTML = "html"
    SARIF = "sarif"
    PDF = "pdf"
    CSV = "csv"
    XLSX = "xlsx"
    #: The network flows table (one row per flow and place), for the network team's pipeline.
    FLOWS_CSV = "flows-csv"

    @property
    def spec(self) -> FormatSpec:
        return FORMATS[self]

    @property
    def binary(self) -> bool:
        """Formats whose render returns bytes (written as-is, never printed)."""
        return self.spec.binary

    @property
    def filename(self) -> str:
        return self.spec.filename


@dataclass(frozen=True)
class FormatSpec:
    """One row of the format table: everything a new report format needs to declare."""

    format: Format
    #: The module in linkready.reports whose ``render(report)`` produces it.
    module: str
    #: The file ``write`` creates ("" for the console, which is printed).
    filename: str
    aliases: tuple[str, ...] = ()
    #: ``render`` returns bytes (written as-is, never printed).
    binary: bool = False
    #: Can show "changes since <date>" when given a baseline diff.
    with_changes: bool = False
    #: Added to a ``--name-template`` stem, so two formats with one extension keep two files.
    stem_suffix: str = ""


#: The one format table: names (in ``--format`` help order), aliases, files, binary, renderer module.
FORMATS: dict[Format, FormatSpec] = {
    spec.format: spec
    for spec in (
        FormatSpec(Format.CONSOLE, "console", ""),
        FormatSpec(Format.JSON, "json_report", "linkready-report.json"),
        FormatSpec(Format.JUNIT, "junit", "linkready-junit.xml"),
        FormatSpec(Format.MARKDOWN, "markdown", "linkready-report.md", aliases=("markdown",)),
        FormatSpec(Format.HTML, "html", "linkready-report.html", with_changes=True),
        FormatSpec(Format.SARIF, "sarif", "linkready.sarif"),
        FormatSpec(Format.PDF, "pdf", "linkready-report.pdf", binary=True, with_changes=True),
        FormatSpec(Format.CSV, "csv_export", "linkready-findings.csv"),
        FormatSpec(Format.XLSX, "xlsx_export", "linkready-findings.xlsx", binary=True),
        FormatSpec(Format.FLOWS_CSV, "flows", "linkready-flows.csv", aliases=("flows",), stem_suffix="-flows"),
    )
}
_BY_NAME = {name: spec.format for spec in FORMATS.values() for name in (spec.format.value, *spec.aliases)}


def format_help() -> str:
    """The ``--format`` help text, from the format table."""
    return "Comma-separated: " + ",".join(f.value for f in FORMATS) + "."


def choices(*formats: Format) -> list[str]:
    """The ``click.Choice`` names (aliases included) of a command that writes only some formats."""
    return [name for fmt in formats for name in (fmt.value, *fmt.spec.aliases)]


def parse_formats(text: str) -> list[Format]:
    """``"json,html"`` → formats; an unknown name raises ValueError naming it and the choices."""
    formats = []
    for name in (part.strip().lower() for part in text.split(",")):
        if name not in _BY_NAME:
            choices = ", ".join(f.value for f in FORMATS)
            raise ValueError(f"unknown format {name!r} (choose from {choices})")
        formats.append(_BY_NAME[name])
    return list(dict.fromkeys(formats))


#: Per-format rendering options (``{Format.SARIF: SarifOptions(...)}``), passed as ``options=``.
Options = Mapping[Format, Any]


def _module_render(fmt: Format, report: Report, changes: Diff | None, options: Options | None = None) -> str | bytes:
    module = importlib.import_module(f"linkready.reports.{fmt.spec.module}")
    kwargs: dict[str, Any] = {}
    if changes is not None and fmt.spec.with_changes:
        kwargs["changes"] = changes
    if options and fmt in options:
        kwargs["options"] = options[fmt]
    output: str | bytes = module.render(report, **kwargs)
    return output


def render(fmt: Format, report: Report, *, changes: Diff | None = None, options: Options | None = None) -> str:
    """A text format's output. Binary formats (``Format.binary``) go through :func:`render_bytes`."""
    if fmt.binary:
        raise ValueError(f"{fmt.value} is a binary format: use render_bytes()")
    output = _module_render(fmt, report, changes, options)
    assert isinstance(output, str)
    return output


def render_bytes(fmt: Format, report: Report, *, changes: Diff | None = None, options: Options | None = None) -> bytes:
    """Any format's output as bytes (text formats encoded as UTF-8)."""
    output = _module_render(fmt, report, changes, options)
    return output if isinstance(output, bytes) else output.encode("utf-8")


class ReportWriteError(Exception):
    """A report file could not be written (not a directory, not writable, disk full)."""

    def __init__(self, path: Path, cause: OSError) -> None:
        super().__init__(f"{path}: {cause}")
        self.path = path
        self.cause = cause


def write(report: Report, formats: list[Format], directory: Path, *, changes: Diff | None = None,
          options: Options | None = None, name: str = "") -> list[Path]:
    """Write every file format into ``directory``; the console format is the CLI's to print.

    ``changes`` (a diff against a baseline run) is embedded where the format can show it (HTML, PDF).
    ``name`` replaces the file name stem (``--name-template``); the extension stays the format's.
    A file that cannot be written raises :class:`ReportWriteError` and leaves no partial file; a
    format whose rendering crashes does not stop the others (its exception is raised after them).
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportWriteError(directory, exc) from None
    written = []
    crash: Exception | None = None
    for fmt in formats:
        if fmt is Format.CONSOLE:
            continue
        path = directory / (f"{name}{fmt.spec.stem_suffix}{Path(fmt.filename).suffix}" if name else fmt.filename)
        try:
            data = render_bytes(fmt, report, changes=changes, options=options)
        except Exception as exc:  # a bug in one format must not cost the others
            crash = crash or exc
            continue
        try:
            path.write_bytes(data)
        except OSError as exc:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
            raise ReportWriteError(path, exc) from None
        written.append(path)
    if crash is not None:
        raise crash
    return written
