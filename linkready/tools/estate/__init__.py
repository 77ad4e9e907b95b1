"""Estate mode: many targets judged in one run. ``file`` reads the estate file, ``runner`` runs it.

The renderers (estate HTML/JSON/JUnit, console summary) live in ``linkready.reports.estate``.
"""

from __future__ import annotations

from linkready.tools.estate.file import DEFAULT_CONCURRENCY, Estate, EstateError, EstateTarget, load_estate, slug
from linkready.tools.estate.outcomes import Blocker, EstateReport, TargetOutcome
from linkready.tools.estate.runner import (
    PROCESS_POOL_MIN_TARGETS,
    TARGET_FORMATS,
    RunOptions,
    choose_executor,
    run_estate,
    run_target,
)

__all__ = [
    "DEFAULT_CONCURRENCY",
    "PROCESS_POOL_MIN_TARGETS",
    "TARGET_FORMATS",
    "Blocker",
    "Estate",
    "EstateError",
    "EstateReport",
    "EstateTarget",
    "RunOptions",
    "TargetOutcome",
    "choose_executor",
    "load_estate",
    "run_estate",
    "run_target",
    "slug",
]
