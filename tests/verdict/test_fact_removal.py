"""Issue 13: remove (and separately empty) every fact path of the demo snapshot; the run must not
stay "Ready" unless the path is optional for the verdict (ALLOWED, each with its reason).

KNOWN_GAPS (tests/verdict/known_gaps.txt) lists the paths that still leave the run "Ready" and
are not yet judged optional or fixed: the test fails when a new path joins them, and when one is
fixed but not removed from the file, so the list only shrinks.
"""

from __future__ import annotations

import re
from pathlib import Path

from linkready.model import Verdict
from tests.verdict.removal import changed, demo_data, fact_paths, verdict_of, waivers_for_baseline

#: Optional for the verdict, with the reason (regular expressions over "remove|empty <path>").
ALLOWED: dict[str, str] = {
    r"(remove|empty) collector(\..*)?": "where the probes ran: shown in the report, judged by no check",
    r"(remove|empty) (sql\.(login|driver|trace_flags_source)|azure\.(sql_api_version|dns_suffix))":
        "provenance text shown in the evidence, judged by no check",
    r"empty azure\.(links|failover_groups|operations)": "an empty list is a collected answer: none exist",
    r"(remove|empty) target\.(instance_name|location|tier|license_type)": "descriptive: shown, not judged",
    r"(remove|empty) sql\.databases\[\d+\]\.files\[\d+\]\.(growth|max_size_mb)":
        "a file's growth settings: shown in SVC-005's evidence, judged by no check",
    r"(remove|empty) azure\.encryption_protector\..*":
        "judged only when data replicates from the instance to SQL Server (SVC-008); the demo plan does not",
}
KNOWN_GAPS = Path(__file__).with_name("known_gaps.txt")


def _ready_paths() -> set[str]:
    data = demo_data()
    waivers, today = waivers_for_baseline(data)
    assert verdict_of(data, waivers, today) is Verdict.READY  # the baseline the test measures from
    ready = set()
    for how in ("remove", "empty"):
        for path in fact_paths(data["facts"]):
            variant = changed(data, path, how)
            if variant is not None and verdict_of(variant, waivers, today) is Verdict.READY:
                ready.add(f"{how} {path}")
    return ready


def test_no_fact_goes_missing_silently() -> None:
    ready = _ready_paths()
    allowed = {p for p in ready if any(re.fullmatch(rule, p) for rule in ALLOWED)}
    gaps = {line.strip() for line in KNOWN_GAPS.read_text().splitlines() if line.strip() and not line.startswith("#")}
    new = sorted(ready - allowed - gaps)
    assert not new, f"these facts can go missing and the run stays Ready: {new}"
    fixed = sorted(gaps - ready)
    assert not fixed, f"fixed: remove from {KNOWN_GAPS.name}: {fixed}"
    assert not gaps & allowed, "a known gap is also allowed: drop it from the gap list"


def test_removing_a_whole_area_is_never_ready() -> None:
    data = demo_data()
    waivers, today = waivers_for_baseline(data)
    for area in ("sql", "azure", "network", "target"):
        variant = changed(data, area, "remove")
        assert variant is not None
        assert verdict_of(variant, waivers, today) is not Verdict.READY, area
