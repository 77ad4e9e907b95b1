"""Evaluation grows linearly with the planned databases: counted Python calls, never wall-clock.

The per-database cost of evaluating 1,000 planned databases (each in its own link and its own AG) must stay
within 2x the per-database cost at 100. A quadratic helper (a scan of every link or every database per
database) makes the ratio ~10x, so this test fails on one.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import date
from types import FrameType
from typing import Any

from linkready.checks import load_profile

from linkready.engine import evaluate
from linkready.facts import Facts, PlannedLink
from tests.builders.sql_facts import LINK, SALES, facts


def _estate(n: int) -> Facts:
    names = [f"Db{i:05d}" for i in range(n)]
    dbs = tuple(replace(SALES, name=name, database_id=5 + i, ag_name=f"AG_{name}", ag_database_count=1,
                        data_size_mb=1024 + i) for i, name in enumerate(names))
    links = tuple(PlannedLink(name=f"link-{name}", databases=(name,), instance_ag_name=f"MI_{name}",
                              partner_ag_name=f"AG_{name}", partner_endpoint=LINK.partner_endpoint)
                  for name in names)
    return facts(databases=dbs, plan={"links": links, "seeding_throughput_gb_per_hour": 500.0})


def _calls(f: Facts) -> int:
    """Python and C function calls made while evaluating every check of the full profile once."""
    profile = load_profile("audit")
    count = 0

    def tally(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(tally)
    try:
        findings = evaluate(f, profile, today=date(2026, 6, 1))
    finally:
        sys.setprofile(None)
    assert findings
    return count


def test_per_database_cost_stays_flat_from_100_to_1000_databases() -> None:
    small, large = _estate(100), _estate(1000)
    assert len(large.plan.databases) == 1000
    _calls(small)  # warm lazy imports and caches so that neither side pays them
    per_small = _calls(small) / 100
    per_large = _calls(large) / 1000
    assert per_large < 2 * per_small, f"{per_large:.0f} calls per database at 1,000 vs {per_small:.0f} at 100"
