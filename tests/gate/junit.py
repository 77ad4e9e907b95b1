"""The JUnit gate rule, shared by every test that writes a JUnit file: parse strictly, agree with the exit code.

A CI system reads the file, not our exit code: a run that exits 1 (not ready) must show failed
tests, 3 (could not evaluate) errored ones, and 0 none. expat rejects a NUL or any character XML
does not allow, so an unparseable file fails here as it would in the CI's test tab.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class JunitCounts:
    tests: int
    failures: int
    errors: int


def junit_counts(path: Path) -> JunitCounts:
    """Counted from the testcases themselves (not the attributes a renderer could get wrong)."""
    root = ET.fromstring(path.read_bytes())
    cases = list(root.iter("testcase"))
    failures = sum(1 for case in cases if case.find("failure") is not None)
    errors = sum(1 for case in cases if case.find("error") is not None)
    declared = [(int(s.get("failures", 0)), int(s.get("errors", 0))) for s in root.iter("testsuite")]
    assert declared, f"{path}: no <testsuite>"
    assert sum(f for f, _ in declared) == failures and sum(e for _, e in declared) == errors, (path, declared)
    return JunitCounts(len(cases), failures, errors)


def assert_junit_agrees(path: Path, exit_code: int) -> JunitCounts:
    """Exit 0: nothing failed or errored; 1: something failed; 3: something errored, nothing failed."""
    counts = junit_counts(path)
    if exit_code == 0:
        assert counts.failures == counts.errors == 0, (path, counts)
    elif exit_code == 1:
        assert counts.failures > 0, (path, counts)
    elif exit_code == 3:
        assert counts.errors > 0 and counts.failures == 0, (path, counts)
    else:
        raise AssertionError(f"{path}: exit {exit_code} is not a verdict")
    return counts
