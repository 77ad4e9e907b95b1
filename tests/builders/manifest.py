"""Facts whose manifest says some probes were not asked for (no [source], no [managed_instance])."""

from __future__ import annotations

from dataclasses import replace

from linkready.facts import Facts, ProbeManifest, ProbeState
from linkready.probes import PROBES


def not_asked(facts: Facts, *areas: str) -> Facts:
    """``facts`` with a manifest marking ``areas`` as not asked for, every other probe as collected."""
    entries = []
    for spec in PROBES:
        if spec.fact in areas:
            entries.append(ProbeManifest(spec.name, spec.fact, ProbeState.NOT_ASKED, spec.not_asked_reason))
        else:
            entries.append(ProbeManifest(spec.name, spec.fact, ProbeState.COLLECTED))
    return replace(facts, manifest=tuple(entries))
