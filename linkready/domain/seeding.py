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
    # Sorted once with running sums: each database's figure is (sizes up to its own) + its size x (larger ones),
    # so the check stays linear-logarithmic in the planned databases instead of quadratic.
    ordered = sorted(sizes.values())
    sent_below: dict[float, float] = {}
    running = 0.0
    for index, gb in enumerate(ordered):
        running += gb
        larger = len(ordered) - index - 1
        sent_below[gb] = running + gb * larger  # the last of equal sizes wins: it counts all of them
    return {name: sent_below[gb] / throughput for name, gb in sizes.items()}
