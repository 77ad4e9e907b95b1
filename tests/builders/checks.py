"""The one way tests run a check: by ID, over facts, with profile thresholds, through the engine.

``linkready.engine.run_check`` is what ``evaluate`` runs per check (missing facts become ERROR or
SKIP, an exception in a check becomes ERROR), so a test sees exactly what a report would show.
"""

from __future__ import annotations

from typing import Any

from linkready.checks import get

from linkready.engine import run_check
from linkready.facts import Facts
from linkready.model import Finding, Settings


def findings(check_id: str, facts: Facts, **thresholds: Any) -> list[Finding]:
    """Every finding of ``check_id`` over ``facts``; ``thresholds`` as a profile would set them."""
    spec = get(check_id)
    assert spec is not None, f"no check {check_id}"
    return run_check(spec, facts, Settings(thresholds))


def one(check_id: str, facts: Facts, **thresholds: Any) -> Finding:
    """The single finding of a check that yields one (fails the test when it yields more or none)."""
    found = findings(check_id, facts, **thresholds)
    assert len(found) == 1, found
    return found[0]
