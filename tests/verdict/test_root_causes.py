"""One fault, one blocker (issue 13): dependents of a failing root point to it and leave the top-blocker list."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from linkready.checks import load_profile

from linkready.engine import evaluate, make_report
from linkready.model import Status
from linkready.policy import Profile
from linkready.snapshot import load
from tests.builders.sql_facts import AS_OF, CERT, facts
from tests.conftest import ROOT


def test_expired_endpoint_certificate_is_one_blocker() -> None:
    expired = facts(certificates=(replace(CERT, not_after=AS_OF - timedelta(days=1)),))
    findings = evaluate(expired, Profile("all"), today=AS_OF.date())
    by_id = {f.check_id: f for f in findings}
    assert by_id["CERT-001"].status is Status.FAIL and not by_id["CERT-001"].blocked_by
    dependents = [f for f in findings if f.blocked_by]
    for f in dependents:
        assert f.blocked_by == "CERT-001" and f.message.startswith("Blocked by CERT-001: ")
        assert f.status is Status.FAIL  # still visible


def test_demo_blockers_are_root_causes_only() -> None:
    snapshot = load(ROOT / "linkready" / "data" / "demo_snapshot.json")
    report = make_report(snapshot, load_profile("preflight"), now=snapshot.collected_at)
    blocked = [f for f in report.findings if f.blocked_by]
    assert blocked, "the demo has a root cause with dependents (EP-003 -> CERT-001, NSG-002 -> NET-002)"
    blocker_ids = {f.check_id for f in report.blockers()}
    for f in blocked:
        assert f.blocked_by in blocker_ids and f not in report.blockers()
