"""Machine load beside every benchmark figure: the machine is shared, so a ratio means little without it."""

from __future__ import annotations

import os


def load_line() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"
