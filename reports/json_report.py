"""JSON report: stable, documented schema (``reports/report.schema.json``)."""

from __future__ import annotations

import json
from typing import Any

from linkready.reports import flows

from linkready.report import Report
from linkready.serde import to_data

SCHEMA_ID = "linkready-report/1"


def report_data(report: Report) -> dict[str, Any]:
    return {
        "schema": SCHEMA_ID,
        "tool_version": report.tool_version,
        "generated_at": report.generated_at.isoformat(),
        "profile": report.profile,
        "verdict": report.verdict.value,
        "exit_code": report.verdict.exit_code,
        "snapshot": {
            "digest": report.digest,
            "schema_version": report.snapshot.schema_version,
            "collected_at": report.snapshot.collected_at.isoformat(),
            "collected_with": report.snapshot.tool_version,
        },
        "target": report.target_summary,
        "checks": {"selected": report.checks_selected, "ran": report.checks_ran},
        "counts": {status.value: count for status, count in report.counts.items()},
        "findings": [to_data(finding) for finding in report.findings],
        "network_flows": flows.data(report),
    }


def render(report: Report) -> str:
    return json.dumps(report_data(report), indent=2, ensure_ascii=False) + "\n"
