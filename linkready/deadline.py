"""The run's overall deadline, shared by every probe that waits (DNS lifetimes, ARM retries).

A per-read timeout from the target file (``network.dns_timeout = 120``) must not outlast the run:
readers take ``min(their timeout, remaining())``. The CLI arms it from ``probe_timeout`` and
``--deadline``; unarmed (library use, tests of one probe), ``remaining`` returns the given default.
"""

from __future__ import annotations

import threading
import time

_lock = threading.Lock()
_deadline: float | None = None


def arm(seconds: float) -> None:
    """The run must be done ``seconds`` from now (an earlier deadline already armed wins)."""
    global _deadline
    with _lock:
        candidate = time.monotonic() + seconds
        _deadline = candidate if _deadline is None else min(_deadline, candidate)


def disarm() -> None:
    global _deadline
    with _lock:
        _deadline = None


def remaining(default: float) -> float:
    """Seconds left (never below a small floor, so a read still gets one try), or ``default``."""
    with _lock:
        if _deadline is None:
            return default
        return max(0.05, min(default, _deadline - time.monotonic()))
