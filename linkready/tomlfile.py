"""Reading a TOML file with one-line errors: the config, profiles, waivers and estate files share it.

Core, not domain: it reads files. Each caller passes its own error type so that the CLI's edge
still maps ConfigError, PolicyError and EstateError to exit 2 as before.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any


def parse_toml(text: str, origin: str, error: Callable[[str], Exception]) -> dict[str, Any]:
    """``text`` as TOML; ``error("<origin>: not valid TOML: …")`` when it is not."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The decoder's message can span lines (it quotes the document): the error is one line.
        first = str(exc).splitlines()[0] if str(exc) else "syntax error"
        raise error(f"{origin}: not valid TOML: {first}") from None


def read_text(path: Path, error: Callable[[str], Exception], missing: str = "no such file") -> str:
    """The file as UTF-8 text; a missing, unreadable or non-UTF-8 file is one ``error`` line naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: {missing}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read: {exc.strerror or exc}") from None


def read_toml(path: Path, error: Callable[[str], Exception], missing: str = "no such file") -> dict[str, Any]:
    """The file as TOML; every failure (missing, unreadable, not UTF-8, not TOML) is one ``error`` line."""
    return parse_toml(read_text(path, error, missing), str(path), error)
