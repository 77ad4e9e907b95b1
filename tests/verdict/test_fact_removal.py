"""Issue 13: remove (and separately empty) every fact path of the demo snapshot; the run must not
stay "Ready" unless the path is optional for the verdict (ALLOWED, each with its reason).

KNOWN_GAPS (tests/verdict/known_gaps.txt) lists the paths that still leave the run "Ready" and
are not yet judged optional or fixed: the test fails when a new path joins them, and when one is
fixed but not removed from the file, so the list only shrinks.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from linkready.model import Verdict
from tests.verdict.removal import (
    CERT_CHECKS,
    baseline_findings,
    changed,
    demo_data,
    fact_paths,
    silent,
    sound_certificates,
    verdict_of,
    waivers_for_baseline,
)

#: Optional for the verdict, with the reason (regular expressions over "remove|empty <path>").
ALLOWED: dict[str, str] = {
    r"(remove|empty) collector(\..*)?": "where the probes ran: shown in the report, judged by no check",
    r"(remove|empty) (sql\.(login|driver|trace_flags_source)|azure\.(sql_api_version|dns_suffix))":
        "provenance text shown in the evidence, judged by no check",
    r"empty azure\.(links|failover_groups|operations|vnet\.peerings)": "an empty list is a collected answer: none exist",
    r"empty azure\.links\[0\]\.(instance|partner)_role":
        "read only by the failover preflight (FO-007, FO-008: profile failover), which ERRORs on an empty role "
        "(tests/checks/test_failover.py::test_fo_007_roles); the older API shape carries no roles at all, so an "
        "empty role is not inconsistent for the preflight the demo runs",
    r"empty azure\.vnet\.dns_servers":
        "the VNet uses Azure-provided DNS (a documented answer); DNS-003 takes the servers the network probe "
        "queried (network.vnet_dns_servers) first and falls back to these",
    r"(remove|empty) target\.(instance_name|location|tier|license_type)": "descriptive: shown, not judged",
    r"remove [a-z_.]+(\[0\]\.[a-z_]+)*\[0\]":
        "one item fewer in a collected list is another consistent answer, judged on the items left (a planned "
        "database or the endpoint's certificate going missing FAILs: DB-001, CERT-001 tests)",
    r"(remove|empty) network\.(mi_fqdn|partner_hosts)":
        "the names the network probe looked up, shown in the evidence; the checks name each DNS answer's own host",
    r"empty network\.(mi_ports|sql_endpoint_port)\.runs\[0\]\.connect_ms":
        "a run without measured connect times (filtered ports have none): shown as evidence, judged by no check",
    r"empty azure\.permissions\[0\]\.not_actions":
        "ARM's answer for most roles (Owner, SQL Managed Instance Contributor): fewer denials is another consistent "
        "answer, and MI-009 judges the actions granted minus those denied (test_managed_instance::test_mi_009_rbac)",
    r"empty (azure\.server_trust_certificates\[0\]\.(thumbprint|public_blob_hex)|sql\.certificates\[0\]\.public_der_hex)":
        "CERT-003 matches a trusted certificate by thumbprint or by key, so either alone is a consistent answer; a "
        "trusted certificate with neither ERRORs (tests/checks/test_emptied_facts.py)",
    r"(remove|empty) (sql\.(certificates|endpoints)|azure\.(server_trust_certificates|endpoint_certificate_hex))\b.*":
        "walked on the sound endpoint (test_no_certificate_fact_goes_missing_silently_on_a_sound_endpoint), where the "
        "demo's own certificate FAILs do not hide them",
    r"empty plan\.(source_server|source_address|source_prefixes|mi_resource_id|cloud)":
        "optional config with a documented fallback (partner endpoint IPs, the Azure facts' id and DNS suffix)",
    r"(remove|empty) sql\.databases\[\d+\]\.files\[\d+\]\.(growth|max_size_mb)":
        "a file's growth settings: shown in SVC-005's evidence, judged by no check",
    r"empty target\.diagnostic_settings\[0\]\.metrics":
        "a diagnostic setting may route logs only: no metrics is another consistent answer, and TGT-009 judges the "
        "setting by its logs or its metrics",
    r"(remove|empty) azure\.encryption_protector\..*":
        "judged only when data replicates from the instance to SQL Server (SVC-008); the demo plan does not",
}
KNOWN_GAPS = Path(__file__).with_name("known_gaps.txt")
#: Where a fact field can be read on the way to a verdict: the checks, the domain helpers they call,
#: the facts' own methods, the engine.
_JUDGING_CODE = ("checks", "linkready/domain", "linkready/facts", "linkready/engine.py")


def _judging_source() -> str:
    root = Path(__file__).resolve().parents[2]
    files = [p for part in _JUDGING_CODE for p in ((root / part).rglob("*.py") if (root / part).is_dir()
                                                     else [root / part])]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def read_by_no_check(change: str, source: str) -> bool:
    """Rule: a field whose name no judging code reads (``.field``) cannot change a verdict; it is
    shown in reports only. Checked against the code, so a check that starts reading it ends the exemption."""
    leaf = re.sub(r"\[\d+\]", "", change.split(" ", 1)[1]).rsplit(".", 1)[-1]
    # ``ipaddress.ip_address(...)`` is the standard library, not a read of a field named ip_address.
    return re.search(_FIELD_READ.format(leaf=re.escape(leaf)), source) is None


_FIELD_READ = r"(?<!\bipaddress)\.{leaf}\b"


def shown_only(change: str, source: str) -> bool:
    """Rule: a field the judging code reads only inside f-string braces (``f"... {x.sku_name} ..."``) is
    printed, never compared or branched on, so it cannot change a verdict. Checked against the code like
    :func:`read_by_no_check`: one read outside an f-string ends the exemption."""
    leaf = re.escape(re.sub(r"\[\d+\]", "", change.split(" ", 1)[1]).rsplit(".", 1)[-1])
    reads = [(line, m.start()) for line in source.splitlines() for m in re.finditer(_FIELD_READ.format(leaf=leaf), line)]
    return bool(reads) and all(line.rfind("{", 0, at) > line.rfind("}", 0, at) and re.search(r"\bf[\"']", line[:at])
                               for line, at in reads)


def _ready_paths(data: dict[str, Any] | None = None, under: tuple[str, ...] = ("",)) -> set[str]:
    data = demo_data() if data is None else data
    waivers, today = waivers_for_baseline(data)
    assert verdict_of(data, waivers, today) is Verdict.READY  # the baseline the test measures from
    baseline = baseline_findings(data, today)
    ready = set()
    for how in ("remove", "empty"):
        for path in fact_paths(data["facts"]):
            if not path.startswith(under):
                continue
            variant = changed(data, path, how)
            if variant is not None and silent(variant, waivers, today, baseline):
                ready.add(f"{how} {path}")
    return ready


def test_no_fact_goes_missing_silently() -> None:
    ready = _ready_paths()
    source = _judging_source()
    allowed = {p for p in ready if any(re.fullmatch(rule, p) for rule in ALLOWED) or read_by_no_check(p, source)
               or shown_only(p, source)}
    gaps = {line.strip() for line in KNOWN_GAPS.read_text().splitlines() if line.strip() and not line.startswith("#")}
    new = sorted(ready - allowed - gaps)
    assert not new, f"these facts can go missing and the run stays Ready: {new}"
    fixed = sorted(gaps - ready)
    assert not fixed, f"fixed: remove from {KNOWN_GAPS.name}: {fixed}"
    assert not gaps & allowed, "a known gap is also allowed: drop it from the gap list"


#: The facts CERT-001..005, EP-* and FO-005 read: the demo's own certificate FAILs hide their removal.
_CERT_FACTS = ("sql.certificates", "sql.endpoints", "azure.server_trust_certificates", "azure.endpoint_certificate_hex")


def test_no_certificate_fact_goes_missing_silently_on_a_sound_endpoint() -> None:
    # The demo's endpoint uses Windows auth, so every certificate change left CERT-001..005 failing with
    # the same text; on the repaired endpoint they all PASS, so a lost certificate fact must move one.
    data = sound_certificates(demo_data())
    _, today = waivers_for_baseline(data)
    cert = [f for f in baseline_findings(data, today).values() if f.check_id.startswith(CERT_CHECKS)]
    assert cert and {f.status.name for f in cert} == {"PASS"}, "the repaired endpoint must pass every certificate check"
    ready = _ready_paths(data, _CERT_FACTS)
    source = _judging_source()
    new = sorted(p for p in ready if not any(re.fullmatch(rule, p) for rule in ALLOWED)
                 and not read_by_no_check(p, source))
    assert not new, f"these certificate facts can go missing and the run stays Ready: {new}"


def test_the_unread_field_rule_can_refuse() -> None:
    # The exemption must be able to fail: fields the checks do read are not exempt.
    source = _judging_source()
    assert not read_by_no_check("empty sql.databases[0].recovery_model", source)
    assert not read_by_no_check("empty azure.managed_instance.provisioning_state", source)
    assert read_by_no_check("empty target.entra_admins[0].tenant_id", source)
    # The shown-only rule too: a field some check compares is not exempt, one only printed is.
    assert not shown_only("empty azure.managed_instance.provisioning_state", source)
    assert not shown_only("empty azure.vnet.peerings[0].state", source)
    assert shown_only("empty azure.managed_instance.sku_name", source)


def test_removing_a_whole_area_is_never_ready() -> None:
    data = demo_data()
    waivers, today = waivers_for_baseline(data)
    for area in ("sql", "azure", "network", "target"):
        variant = changed(data, area, "remove")
        assert variant is not None
        assert verdict_of(variant, waivers, today) is not Verdict.READY, area
