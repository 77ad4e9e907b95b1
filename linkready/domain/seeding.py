"""Seeding math: how long the initial copy of the planned databases takes at a given throughput.

Shared by SEED-001 and ``linkready throughput`` (the estimate per planned database), so the check
and the tool give the same hours for the same sizes.
"""

from __future__ import annotations

#: The link cancels seeding that has not finished after six days (reference: troubleshooting guide).
CANCEL_AFTER_HOURS = 6 * 24


def duration(value: float) -> str:
    """A duration given in hours, in the unit a reader wants (minutes, hours, days)."""
    if value < 1:
        return "under 1 min" if value * 60 < 1 else f"{value * 60:.0f} min"
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} days"


def seeding_hours(sizes: dict[str, float], throughput: float) -> dict[str, float]:
    """When each database finishes seeding when all seed at once and share ``throughput`` equally.

    With equal shares, a database of size s finishes once every database has sent min(its size, s):
    the smaller ones finish first and hand their share to the rest. The largest finishes at total/throughput.
    """
    return {name: sum(min(other, gb) for other in sizes.values()) / throughput for name, gb in sizes.items()}
