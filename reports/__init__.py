"""Report formats (import name ``linkready.reports``): one module per format, one ``render``."""

from __future__ import annotations

import contextlib
import enum
import importlib
from pathlib import Path
from typing import TYPE_CHECKING

from linkready.report import Report

if TYPE_CHECKING:
    from linkready.tools.diff import Diff


class Format(enum.StrEnum):
    CONSOLE = "console"
    JSON = "json"
    JUNIT = "junit"
    MARKDOWN = "md"
    HTML = "html"
    SARIF = "sarif"
    PDF = "pdf"

    @property
    def binary(self) -> bool:
        """Formats whose render returns bytes (written as-is, never printed)."""
        return self is Format.PDF

    @property
    def filename(self) -> str:
        return {
            Format.CONSOLE: "",
            Format.JSON: "linkready-report.json",
            Format.JUNIT: "linkready-junit.xml",
            Format.MARKDOWN: "linkready-report.md",
            Format.HTML: "linkready-report.html",
            Format.SARIF: "linkready.sarif",
            Format.PDF: "linkready-report.pdf",
        }[self]


_MODULES = {
    Format.CONSOLE: "console",
    Format.JSON: "json_report",
    Format.JUNIT: "junit",
    Format.MARKDOWN: "markdown",
    Format.HTML: "html",
    Format.SARIF: "sarif",
    Format.PDF: "pdf",
}
#: Formats that can show "changes since <date>" when given a baseline.
_WITH_CHANGES = (Format.HTML, Format.PDF)


def parse_formats(text: str) -> list[Format]:
    """``"json,html"`` → formats; an unknown name raises ValueError naming it and the choices."""
    formats = []
    for name in (part.strip().lower() for part in text.split(",")):
        if name == "markdown":
            name = "md"
        try:
            formats.append(Format(name))
        except ValueError:
            choices = ", ".join(f.value for f in Format)
            raise ValueError(f"unknown format {name!r} (choose from {choices})") from None
    return list(dict.fromkeys(formats))


def _module_render(fmt: Format, report: Report, changes: Diff | None) -> str | bytes:
    module = importlib.import_module(f"linkready.reports.{_MODULES[fmt]}")
    if changes is not None and fmt in _WITH_CHANGES:
        output: str | bytes = module.render(report, changes=changes)
    else:
        output = module.render(report)
    return output


def render(fmt: Format, report: Report, *, changes: Diff | None = None) -> str:
    """A text format's output. Binary formats (``Format.binary``) go through :func:`render_bytes`."""
    if fmt.binary:
        raise ValueError(f"{fmt.value} is a binary format: use render_bytes()")
    output = _module_render(fmt, report, changes)
    assert isinstance(output, str)
    return output


def render_bytes(fmt: Format, report: Report, *, changes: Diff | None = None) -> bytes:
    """Any format's output as bytes (text formats encoded as UTF-8)."""
    output = _module_render(fmt, report, changes)
    return output if isinstance(output, bytes) else output.encode("utf-8")


class ReportWriteError(Exception):
    """A report file could not be written (not a directory, not writable, disk full)."""

    def __init__(self, path: Path, cause: OSError) -> None:
        super().__init__(f"{path}: {cause}")
        self.path = path
        self.cause = cause


def write(report: Report, formats: list[Format], directory: Path, *, changes: Diff | None = None) -> list[Path]:
    """Write every file format into ``directory``; the console format is the CLI's to print.

    ``changes`` (a diff against a baseline run) is embedded where the format can show it (HTML, PDF).
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
        path = directory / fmt.filename
        try:
            data = render_bytes(fmt, report, changes=changes)
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
