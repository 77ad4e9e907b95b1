"""Port specifications: parse ``"5022,11000-11999"``, compress port lists back into ranges, sample.

Pure functions, no I/O: the TCP probe, the ``probe-port`` command and the port checks share them,
so a port list is written the same way everywhere in the report.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

MIN_PORT = 1
MAX_PORT = 65535

#: Ports the managed instance link needs from SQL Server to the managed instance.
MI_ENDPOINT_PORT = 5022
MI_REDIRECT_RANGE = (11000, 11999)
#: The SQL Server endpoint's default port. Unlike the managed instance's, it may be changed (a named
#: instance needs its own): the managed instance connects to the port the partner endpoint names
#: (``linkready.domain.endpoints.sql_side_ports``).
SQL_DEFAULT_ENDPOINT_PORT = 5022


class PortSpecError(ValueError):
    """A port specification that cannot be parsed; the message names the offending part."""


def _parse_port(text: str, part: str) -> int:
    text = text.strip()
    if not text.isdigit():
        raise PortSpecError(f"not a port number: {text!r} in {part!r}")
    port = int(text)
    if not MIN_PORT <= port <= MAX_PORT:
        raise PortSpecError(f"port {port} out of range {MIN_PORT}-{MAX_PORT} in {part!r}")
    return port


def parse_port_spec(spec: str) -> tuple[int, ...]:
    """Parse ``"5022, 11000-11999"`` into sorted unique ports.

    Items are separated by commas; an item is a port or an inclusive ``low-high`` range.
    Raises :class:`PortSpecError` for empty specs, non-numbers, reversed ranges or ports outside 1-65535.
    """
    ports: set[int] = set()
    if not spec.strip():
        raise PortSpecError("empty port specification")
    for raw in spec.split(","):
        part = raw.strip()
        if not part:
            raise PortSpecError(f"empty item in port specification {spec!r}")
        if "-" in part:
            low_text, _, high_text = part.partition("-")
            low = _parse_port(low_text, part)
            high = _parse_port(high_text, part)
            if low > high:
                raise PortSpecError(f"range {part!r} runs backwards")
            ports.update(range(low, high + 1))
        else:
            ports.add(_parse_port(part, part))
    return tuple(sorted(ports))


def compress(ports: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted, merged inclusive ranges covering exactly ``ports`` (duplicates ignored)."""
    ranges: list[tuple[int, int]] = []
    for port in sorted(set(ports)):
        if ranges and port == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], port)
        else:
            ranges.append((port, port))
    return ranges


def format_ranges(ports: Iterable[int]) -> str:
    """``[5022, 11000, 11001, 11002]`` → ``"5022,11000-11002"``; empty input gives ``""``.

    The output parses back to the same set with :func:`parse_port_spec`.
    """
    return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in compress(ports))


def sample_ports(ports: Sequence[int], count: int, seed: int = 0) -> tuple[int, ...]:
    """Pick ``count`` ports from ``ports``: the lowest and highest always, the rest at random.

    The seed makes a sample reproducible (the same run twice tests the same ports); edges are
    kept because range rules in firewalls most often go wrong at their ends.
    """
    unique = sorted(set(ports))
    if count <= 0:
        raise ValueError("sample size must be positive")
    if count >= len(unique):
        return tuple(unique)
    chosen = {unique[0], unique[-1]} if count >= 2 else {unique[0]}
    middle = unique[1:-1]
    rng = random.Random(seed)
    chosen.update(rng.sample(middle, count - len(chosen)))
    return tuple(sorted(chosen))
