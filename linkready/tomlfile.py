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
        raise error(f"{origin}: not valid TOML: {exc}") from None


def read_toml(path: Path, error: Callable[[str], Exception], missing: str = "no such file") -> dict[str, Any]:
    """The file as TOML; every failure (missing, unreadable, not UTF-8, not TOML) is one ``error`` line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: {missing}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot be read: {exc}") from None
    return parse_toml(text, str(path), error)
