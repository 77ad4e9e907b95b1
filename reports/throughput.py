"""``throughput test`` output: the measured rate, the seeding estimate and the config line, as text or JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from linkready.domain.throughput import MIB, config_line

if TYPE_CHECKING:
    from linkready.domain.throughput import Measurement, SeedingEstimate


def render_text(measurement: Measurement, estimate: SeedingEstimate | None, note: str) -> str:
    """The console text: the rate, the estimate, and the line to paste."""
    m = measurement
    by = ("as counted by the listener" if m.measured_by == "listener"
          else "as counted by this sender: the listener's report did not arrive")
    origin = f"from {m.from_host}" + (f" (source address {m.source_address})" if m.source_address else "")
    lines = [
        f"Sent {m.sent_bytes / MIB:.1f} MB to {m.target} {origin} in {m.send_seconds:.2f} s.",
        f"Throughput: {m.gb_per_hour:.1f} GB/hour ({m.mb_per_second:.1f} MB/s, {m.mbit_per_second:.0f} Mbit/s), "
        f"{by}: {m.byte_count / MIB:.1f} MB in {m.seconds:.2f} s.",
        "One TCP stream of incompressible data; seeding with trace flag 9567 (compression) can do better, and "
        "other traffic on the path can make it worse.",
    ]
    if estimate is not None:
        lines += ["", f"Seeding estimate at {estimate.rate_gb_per_hour:.1f} GB/hour:", *estimate.lines()]
    elif note:
        lines += ["", f"No seeding estimate: {note}."]
    lines += ["", "Paste into your config so that SEED-001/SEED-002 use this rate:", "[network]",
              config_line(m.gb_per_hour)]
    return "\n".join(lines) + "\n"


def render_json(measurement: Measurement, estimate: SeedingEstimate | None, note: str) -> str:
    """The ``--json`` output: the measurement, the line to paste, and the estimate (or why none)."""
    m = measurement
    data = {
        "target": m.target, "from_host": m.from_host, "source_address": m.source_address,
        "bytes": m.byte_count, "seconds": round(m.seconds, 6), "measured_by": m.measured_by,
        "sent_bytes": m.sent_bytes, "send_seconds": round(m.send_seconds, 6),
        "gb_per_hour": round(m.gb_per_hour, 2), "mb_per_second": round(m.mb_per_second, 2),
        "config_line": config_line(m.gb_per_hour),
        "seeding": estimate.as_dict() if estimate is not None else None,
        "seeding_note": note,
    }
    return json.dumps(data, indent=2) + "\n"
