"""Pure helpers of the bounded throughput test (``linkready throughput``): units, wire format, estimates.

The test is one TCP stream from the SQL Server side to a listener the user starts on the far side
(a VM next to the managed instance). Its wire format is deliberately tiny, so that anything else
that connects is refused and nothing is ever interpreted beyond one header line and one report line:

1. sender → listener: ``LINKREADY-THROUGHPUT/1`` and a newline;
2. listener → sender: ``READY`` (or ``BUSY``: one test at a time) and a newline;
3. sender → listener: payload bytes, then end of stream (half close);
4. listener → sender: one JSON line ``{"bytes": n, "seconds": s, "bytes_per_second": r}``, then close.

The listener's figures are the ones reported: they count what arrived, not what left a send buffer.
Sizes follow the seeding checks: GB means 1024³ bytes, as SQL Server's MB/1024.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass

from linkready.domain.seeding import CANCEL_AFTER_HOURS, duration, seeding_hours

HEADER = b"LINKREADY-THROUGHPUT/1\n"
READY = b"READY\n"
BUSY = b"BUSY\n"
#: The listener's default port (iperf3's, familiar to network teams); any free port works.
DEFAULT_PORT = 5201
GIB = 1024**3
MIB = 1024**2


class ThroughputError(Exception):
    """The test could not run or could not measure; the message is one line for the user."""


def parse_target(text: str) -> tuple[str, int]:
    """``host:port``, ``[v6]:port`` or ``v4:port`` → (host, port); ValueError with the reason otherwise."""
    value = text.strip()
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise ValueError(f"{text!r}: an IPv6 address needs the form [address]:port")
        port_text = rest[1:]
        try:
            ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise ValueError(f"{text!r}: {host!r} is not an IPv6 address") from exc
    else:
        host, sep, port_text = value.rpartition(":")
        if not sep or not host:
            raise ValueError(f"{text!r} is not HOST:PORT")
        if ":" in host:
            raise ValueError(f"{text!r}: write an IPv6 address as [address]:port")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"{text!r}: the port must be 1-65535")
    return host, int(port_text)


def gb_per_hour(byte_count: int, seconds: float) -> float:
    """Bytes moved in ``seconds`` → GB (1024³) per hour."""
    if seconds <= 0:
        raise ValueError("seconds must be positive")
    return byte_count / seconds * 3600 / GIB


def config_line(rate_gb_per_hour: float) -> str:
    """The line to paste under ``[network]`` so that SEED-001/002 use the measured rate."""
    return f"seeding_throughput_gb_per_hour = {rate_gb_per_hour:.1f}"


@dataclass(frozen=True)
class Report:
    """What the listener measured for one test."""

    byte_count: int
    seconds: float

    @property
    def bytes_per_second(self) -> float:
        return self.byte_count / self.seconds if self.seconds > 0 else 0.0

    def encode(self) -> bytes:
        data = {"bytes": self.byte_count, "seconds": round(self.seconds, 6),
                "bytes_per_second": round(self.bytes_per_second, 1)}
        return json.dumps(data).encode() + b"\n"

    @classmethod
    def decode(cls, line: bytes) -> Report:
        """Parse the listener's report line; ValueError when it is not one."""
        try:
            data = json.loads(line.decode("utf-8"))
            report = cls(int(data["bytes"]), float(data["seconds"]))
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a throughput report: {line[:80]!r}") from exc
        if report.byte_count < 0 or report.seconds < 0:
            raise ValueError(f"not a throughput report: {line[:80]!r}")
        return report


@dataclass(frozen=True)
class Measurement:
    """One finished test, as the sender reports it."""

    target: str
    byte_count: int
    seconds: float
    #: "listener" when the far side's report arrived; "sender" when only the local count is known.
    measured_by: str
    sent_bytes: int
    send_seconds: float
    from_host: str = ""
    source_address: str = ""

    @property
    def gb_per_hour(self) -> float:
        return gb_per_hour(self.byte_count, self.seconds)

    @property
    def mb_per_second(self) -> float:
        return self.byte_count / self.seconds / MIB

    @property
    def mbit_per_second(self) -> float:
        return self.byte_count * 8 / self.seconds / 1e6


@dataclass(frozen=True)
class SeedingEstimate:
    """How long the planned databases take to seed at a rate, each and all at once."""

    rate_gb_per_hour: float
    #: (database, size GB, hours alone, hours when all seed at once)
    databases: tuple[tuple[str, float, float, float], ...]
    missing: tuple[str, ...] = ()

    @property
    def total_gb(self) -> float:
        return sum(size for _, size, _, _ in self.databases)

    @property
    def total_hours(self) -> float:
        return self.total_gb / self.rate_gb_per_hour

    def lines(self) -> list[str]:
        """Human-readable estimate, one line per database and one for all links together."""
        out = [f"  {name}: {size:.1f} GB, {duration(alone)} alone, {duration(shared)} with all links seeding at once"
               for name, size, alone, shared in self.databases]
        total = self.total_hours
        verdict = ("over the 6-day limit: link creation would be cancelled" if total >= CANCEL_AFTER_HOURS
                   else "close to the 6-day limit" if total >= CANCEL_AFTER_HOURS / 2
                   else "well within the 6-day limit")
        out.append(f"  All planned databases: {self.total_gb:.1f} GB in {duration(total)} ({verdict})")
        out += [f"  {name}: not found on SQL Server" for name in self.missing]
        return out

    def as_dict(self) -> dict[str, object]:
        return {
            "rate_gb_per_hour": round(self.rate_gb_per_hour, 1),
            "databases": [{"name": n, "size_gb": round(s, 2), "hours_alone": round(a, 2),
                           "hours_all_at_once": round(h, 2)} for n, s, a, h in self.databases],
            "total_gb": round(self.total_gb, 2),
            "total_hours": round(self.total_hours, 2),
            "missing": list(self.missing),
        }


def estimate_seeding(sizes_gb: dict[str, float], rate_gb_per_hour: float,
                     missing: tuple[str, ...] = ()) -> SeedingEstimate:
    """The seeding time of each database alone and when all share the rate (as SEED-001 estimates)."""
    shared = seeding_hours(sizes_gb, rate_gb_per_hour)
    rows = tuple((name, size, size / rate_gb_per_hour, shared[name]) for name, size in sizes_gb.items())
    return SeedingEstimate(rate_gb_per_hour, rows, missing)
