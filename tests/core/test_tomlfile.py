"""One TOML reader for config, profiles, waivers and estate files: every failure is one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkready.config import ConfigError, load_config
from linkready.policy import PolicyError, load_waivers
from linkready.tomlfile import read_toml
from linkready.tools.estate import EstateError, load_estate


class Oops(ValueError):
    pass


def test_reads_a_table(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text('[x]\ny = 1\n', encoding="utf-8")
    assert read_toml(path, Oops) == {"x": {"y": 1}}


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), (b"[x\n", "not valid TOML"), (b"\xff\xfe[x]", "not UTF-8 text (byte 0)"), ("dir", "cannot be read")],
)
def test_every_failure_is_one_line(tmp_path: Path, content: bytes | str | None, message: str) -> None:
    path = tmp_path / "a.toml"
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(Oops) as raised:
        read_toml(path, Oops)
    text = str(raised.value)
    assert text.startswith(f"{path}: {message}") and "\n" not in text


@pytest.mark.parametrize(
    ("load", "error"),
    [(load_config, ConfigError), (load_waivers, PolicyError), (load_estate, EstateError)],
)
def test_the_loaders_use_it(tmp_path: Path, load, error: type[Exception]) -> None:  # type: ignore[no-untyped-def]
    # A directory where a file is expected: the waivers loader used to let this IsADirectoryError through.
    with pytest.raises(error, match="cannot be read"):
        load(tmp_path)
