"""The discovery pre-assessment (`linkready discover`) as JSON, Markdown and HTML.

Same report room as the estate: the HTML uses the shared stylesheet and status badges; the
JSON is the machine view (one object per SQL Server with its findings and suggested pairing).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from linkready.reports.markdown import cell

from linkready.model import Finding
from linkready.tools.discover import LIVE_ONLY, Assessment, Inventory

SCHEMA_ID = "linkready-discovery/1"


def _finding(f: Finding) -> dict[str, Any]:
    return {"id": f.check_id, "status": f.status.value, "severity": f.severity.value, "message": f.message,
            "observed": f.observed, "expected": f.expected, "docs": f.docs, "owner": f.owner.value}


def to_data(inventory: Inventory, assessments: Sequence[Assessment], *, generated_at: datetime,
            version: str) -> dict[str, Any]:
    return {
        "schema": SCHEMA_ID,
        "linkready_version": version,
        "generated_at": generated_at.isoformat(),
        "managed_instances": [
            {"id": mi.id, "name": mi.name, "location": mi.location, "tier": mi.tier, "v_cores": mi.v_cores,
             "storage_size_gb": mi.storage_size_gb, "update_policy": mi.database_format, "state": mi.state}
            for mi in inventory.instances
        ],
        "sql_servers": [
            {"id": a.source.id, "name": a.source.name, "origin": a.source.origin, "location": a.source.location,
             "build": a.source.build, "edition": a.source.edition, "os": a.source.os_name,
             "databases": None if a.source.databases is None else [
                 {"name": d.name, "size_mb": d.size_mb, "recovery_model": d.recovery_model, "state": d.state}
                 for d in a.source.databases],
             "readiness": a.readiness.value,
             "findings": [_finding(f) for f in a.findings],
             "suggested_instance": a.pairing.instance.id if a.pairing else None,
             "pairing_reasons": list(a.pairing.reasons) if a.pairing else [],
             "notes": list(a.notes)}
            for a in assessments
        ],
        "needs_a_live_check": list(LIVE_ONLY),
        "incomplete_scopes": [{"scope": s, "kind": k, "reason": r} for s, k, r in inventory.gaps],
    }


def render_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _cell(value: object) -> str:
    return " ".join(cell("" if value is None else str(value)).split())


def render_markdown(data: dict[str, Any]) -> str:
    lines = ["# Managed Instance link discovery — pre-assessment", "",
             f"{len(data['sql_servers'])} SQL Server(s), {len(data['managed_instances'])} managed instance(s). "
             "Inventory facts only: every candidate still needs a live `linkready check`.", ""]
    if data["incomplete_scopes"]:
        lines += ["## Incomplete inventory", ""]
        lines += [f"- {_cell(g['scope'])} ({_cell(g['kind'])}): {_cell(g['reason'])}" for g in data["incomplete_scopes"]]
        lines.append("")
    lines += ["## SQL Servers", "", "| SQL Server | Build | Edition | Readiness | Suggested managed instance | Blockers |",
              "|---|---|---|---|---|---|"]
    for s in data["sql_servers"]:
        blockers = "; ".join(f"{f['id']}: {f['message']}" for f in s["findings"] if f["status"] in ("FAIL", "ERROR"))
        target = (s["suggested_instance"] or "").rsplit("/", 1)[-1]
        lines.append(f"| {_cell(s['name'])} | {_cell(s['build'] or 'unknown')} | {_cell(s['edition'] or 'unknown')} | "
                     f"{_cell(s['readiness'])} | {_cell(target or 'none')} | {_cell(blockers or '—')} |")
    lines += ["", "## What a live check adds", ""] + [f"- {item}" for item in data["needs_a_live_check"]]
    return "\n".join(lines) + "\n"


def render_html(data: dict[str, Any]) -> str:
    from linkready.reports.html import STATUS_STYLE, _env, css_string

    from linkready.model import Status
    from linkready.report import STATUS_ORDER

    text: str = _env().get_template("discovery.html").render(
        data=data, style=STATUS_STYLE, statuses=STATUS_ORDER, Status=Status, paper=None,
        page_header=css_string("linkready · discovery pre-assessment"),
    )
    return text
