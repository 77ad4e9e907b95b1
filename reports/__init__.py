"""Report formats (import name ``linkready.reports``): one module per format, one ``render``."""

from __future__ import annotations

import enum
import importlib
from pathlib import Path

from linkready.report import Report


class Format(enum.StrEnum):
    CONSOLE = "console"
    JSON = "json"
    JUNIT = "junit"
    MARKDOWN = "md"
    HTML = "html"

    @property
    def filename(self) -> str:
        return {
            Format.CONSOLE: "",
            Format.JSON: "linkready-report.json",
            Format.JUNIT: "linkready-junit.xml",
            Format.MARKDOWN: "linkready-report.md",
            Format.HTML: "linkready-report.html",
        }[self]


_MODULES = {
    Format.CONSOLE: "console",
    Format.JSON: "json_report",
    Format.JUNIT: "junit",
    Format.MARKDOWN: "markdown",
    Format.HTML: "html",
}


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


def render(fmt: Format, report: Report) -> str:
    module = importlib.import_module(f"linkready.reports.{_MODULES[fmt]}")
    text: str = module.render(report)
    return text


def write(report: Report, formats: list[Format], directory: Path) -> list[Path]:
    """Write every file format into ``directory``; the console format is the CLI's to print."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        if fmt is Format.CONSOLE:
            continue
        path = directory / fmt.filename
        path.write_text(render(fmt, report), encoding="utf-8")
        written.append(path)
    return written
