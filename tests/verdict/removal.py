"""Walk every fact path of the demo snapshot; remove it (and separately empty it); judge again.

The baseline is the demo with every FAIL/WARN waived, so it is "Ready": any change that leaves it
"Ready" is a fact the verdict silently does without. Waivers match a check and target whatever the
status, so they would also hide a change that a check *did* judge (a waived WARN turned FAIL, a
FAIL recomputed from the changed value): :func:`silent` compares the findings before waivers.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

from linkready.engine import decide, evaluate
from linkready.model import Finding, Status, Verdict, Waiver
from linkready.policy import Profile
from linkready.snapshot import SnapshotError, loads
from tests.conftest import ROOT

DEMO = ROOT / "linkready" / "data" / "demo_snapshot.json"
#: Bookkeeping, not facts: the manifest and errors are exercised by their own tests.
NOT_FACTS = {"errors", "manifest"}
#: Every check (preflight, audit and failover together): a fact no check of any profile needs is
#: the only kind that may go missing without changing the verdict.
ALL = Profile("all", include=("*",))


def demo_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEMO.read_text())
    return data


def fact_paths(node: Any, prefix: str = "") -> Iterator[str]:
    """Dotted paths of every dict key; a list's first item as ``path[0]`` (its keys walked too):
    the items of one list share one shape, so the first stands for all."""
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else key
            if not prefix and key in NOT_FACTS:
                continue
            yield path
            yield from fact_paths(value, path)
    elif isinstance(node, list) and node and isinstance(node[0], dict):
        path = f"{prefix}[0]"
        yield path
        yield from fact_paths(node[0], path)


def _parent(root: Any, path: str) -> tuple[Any, str | int]:
    parts: list[str | int] = []
    for piece in path.split("."):
        name, _, rest = piece.partition("[")
        parts.append(name)
        for index in rest.rstrip("]").split("]["):
            if index:
                parts.append(int(index))
    node = root
    for part in parts[:-1]:
        node = node[part]
    return node, parts[-1]


def changed(data: dict[str, Any], path: str, how: str) -> dict[str, Any] | None:
    """A copy with ``path`` removed or emptied; None when emptying does not apply (numbers, bools)."""
    out = copy.deepcopy(data)
    parent, key = _parent(out["facts"], path)
    if how == "remove":
        del parent[key]
        return out
    value = parent[key]
    if isinstance(value, list):
        if not value:
            return None
        parent[key] = []
    elif isinstance(value, str):
        if not value:
            return None
        parent[key] = ""
    elif isinstance(value, dict):
        parent[key] = {}
    else:
        return None
    return out


def waivers_for_baseline(data: dict[str, Any]) -> tuple[list[Waiver], date]:
    snapshot = loads(json.dumps(data))
    today = snapshot.collected_at.date()
    findings = evaluate(snapshot.facts, ALL, today=today)
    waivers = [Waiver(f.check_id, "baseline", "test", date(2099, 1, 1), f.target)
               for f in findings if f.status in (Status.FAIL, Status.WARN)]
    return waivers, today


#: How bad a status is, for "did the change make a finding worse".
_RANK = {Status.PASS: 0, Status.SKIP: 0, Status.WAIVED: 0, Status.WARN: 1, Status.FAIL: 2, Status.ERROR: 3}


def baseline_findings(data: dict[str, Any], today: date) -> dict[tuple[str, str], Finding]:
    findings = evaluate(loads(json.dumps(data)).facts, ALL, today=today)
    return {(f.check_id, f.target): f for f in findings}


def silent(data: dict[str, Any], waivers: list[Waiver], today: date,
           baseline: dict[tuple[str, str], Finding]) -> bool:
    """True when the change leaves the run "Ready" and no check judged it worse.

    Judged worse: a finding's status is worse than the baseline's for the same check and target (or
    new and not PASS/SKIP), or a baseline WARN/FAIL that keeps its status with another message or
    observed value (the check recomputed it from the changed fact; a waived finding cannot show more).
    """
    if verdict_of(data, waivers, today) is not Verdict.READY:
        return False
    findings = evaluate(loads(json.dumps(data)).facts, ALL, today=today)
    for f in findings:
        before = baseline.get((f.check_id, f.target))
        if before is None:
            if _RANK[f.status] > 0:
                return False
            continue
        if _RANK[f.status] > _RANK[before.status]:
            return False
        if f.status is before.status and f.status in (Status.WARN, Status.FAIL) and \
                (f.message, f.observed) != (before.message, before.observed):
            return False
    return True


def verdict_of(data: dict[str, Any], waivers: list[Waiver], today: date) -> Verdict | None:
    """The verdict, or None when the snapshot is refused (a refusal is not "Ready" either)."""
    try:
        snapshot = loads(json.dumps(data))
    except SnapshotError:
        return None
    return decide(evaluate(snapshot.facts, ALL, waivers, today=today), ALL)


#: The demo's certificate faults (Windows-auth endpoint, the instance's key under another name, one root
#: missing, no server trust certificate, an endpoint certificate expiring in 20 days), repaired.
CERT_CHECKS = ("EP-", "CERT-", "FO-005")


def sound_certificates(data: dict[str, Any]) -> dict[str, Any]:
    """The demo with a certificate-authenticated endpoint the managed instance trusts, so CERT-001..005,
    EP-* and FO-005 all PASS and a certificate fact going missing is no longer hidden behind their FAILs."""
    out = copy.deepcopy(data)
    sql, azure = out["facts"]["sql"], out["facts"]["azure"]
    endpoint_cert, mi_cert = sql["certificates"][0], sql["certificates"][1]
    sql["endpoints"][0].update(connection_auth="CERTIFICATE", certificate_name=endpoint_cert["name"],
                               certificate_id=endpoint_cert["certificate_id"])
    endpoint_cert["not_after"] = "2030-12-10T09:30:00+00:00"  # past the failback window (FO-005)
    mi_cert["name"] = out["facts"]["network"]["mi_fqdn"] or "sqlmi-museum-prod.7b3c1d9e0f2a.database.windows.net"
    sql["certificates"].append({**sql["certificates"][2], "name": "DigiCertPKI", "certificate_id": 259,
                                "subject": "DigiCert Global Root G2", "issuer": "DigiCert Global Root G2"})
    azure["server_trust_certificates"] = [{"name": endpoint_cert["name"], "thumbprint": endpoint_cert["thumbprint"],
                                           "public_blob_hex": endpoint_cert["public_der_hex"]}]
    return out
