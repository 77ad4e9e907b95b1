"""Target readiness, security and monitoring: TLS, Entra admin, Defender, auditing, public endpoint, diagnostics (audit)."""

from __future__ import annotations

from collections.abc import Iterator

from linkready.checks._directions import AUDITED_CONFIG
from linkready.checks._target import AUDIT, MI_DOCS, azcli_block, mi_id, placeholder_names, target_facts

from linkready.domain.docs import DOCS_DEFENDER, DOCS_ENTRA_ADMIN
from linkready.facts import Facts
from linkready.model import (
    Area,
    CodeBlock,
    Owner,
    Result,
    Settings,
    Severity,
    errored,
    failed,
    passed,
    skipped,
    warned,
)
from linkready.registry import check

#: TLS versions in order; "None" lets clients use any version, so it ranks below 1.0.
_TLS_ORDER = ("None", "1.0", "1.1", "1.2", "1.3")


# ---------------------------------------------------------------------------------------------
# Security


@check(
    id="TGT-004",
    title="Minimal TLS version is 1.2 or higher",
    area=Area.TARGET,
    severity=Severity.HIGH,
    rationale=(
        "TLS 1.0 and 1.1 are deprecated and broken; a managed instance that still accepts them lets any "
        "client downgrade the connection. Once production data arrives through the link it is exposed to "
        "every client the instance accepts."
    ),
    remediation="Set the minimal TLS version to 1.2 with 'az sql mi update --minimal-tls-version 1.2'.",
    docs=f"{MI_DOCS}/minimal-tls-version-configure",
    owner=Owner.AZURE,
    requires=("target", "target.minimal_tls_version"),
    tags=AUDIT,
    directions=AUDITED_CONFIG,
)
def minimal_tls_is_current(facts: Facts, settings: Settings) -> Iterator[Result]:
    version = target_facts(facts).minimal_tls_version or "None"
    _, group, name = placeholder_names(facts)
    rank = _TLS_ORDER.index(version) if version in _TLS_ORDER else -1
    if rank >= _TLS_ORDER.index("1.2"):
        yield passed(f"Clients must use TLS {version} or newer", target=name, observed=version, expected=">= 1.2")
        return
    what = "any TLS version" if version == "None" else f"TLS {version}"
    yield failed(
        f"The managed instance accepts {what}; TLS 1.0 and 1.1 are deprecated",
        target=name, observed=version, expected=">= 1.2",
        fix=(
            azcli_block(
                f"az sql mi update --resource-group {group} --name {name} --minimal-tls-version 1.2",
                "Refuse clients older than TLS 1.2 (check old drivers first)",
            ),
        ),
    )


@check(
    id="TGT-005",
    title="A Microsoft Entra administrator is configured",
    area=Area.TARGET,
    severity=Severity.MEDIUM,
    rationale=(
        "Without an Entra admin, only SQL logins can manage the instance: no MFA, no conditional access, no "
        "central offboarding, and the applications that move to the instance cannot use managed identities."
    ),
    remediation="Set an Entra group as administrator with 'az sql mi ad-admin create'.",
    docs=DOCS_ENTRA_ADMIN,
    owner=Owner.AZURE,
    requires=("target", "target.entra_admins"),
    tags=AUDIT,
    directions=AUDITED_CONFIG,
)
def entra_admin_is_configured(facts: Facts, settings: Settings) -> Iterator[Result]:
    target = target_facts(facts)
    _, group, name = placeholder_names(facts)
    admins = target.entra_admins or ()
    if admins:
        logins = ", ".join(a.login for a in admins)
        only = " (Entra-only authentication)" if target.entra_only_authentication else ""
        yield passed(f"Entra administrator: {logins}{only}", target=name, observed=logins,
                     expected="an Entra administrator")
        return
    yield warned(
        "No Microsoft Entra administrator is configured: only SQL logins can administer the instance",
        target=name, observed="none", expected="an Entra administrator (preferably a group)",
        fix=(
            azcli_block(
                f"az sql mi ad-admin create --resource-group {group} --mi {name} \\\n"
                "  --display-name <entra-group-name> --object-id <entra-group-object-id>",
                "Make an Entra group the instance administrator",
            ),
        ),
    )


@check(
    id="TGT-006",
    title="Microsoft Defender for SQL (advanced threat protection) is enabled",
    area=Area.TARGET,
    severity=Severity.MEDIUM,
    rationale=(
        "Defender for SQL raises alerts on SQL injection, brute force and unusual access. A target that will "
        "hold production data without it cannot notice an attack on the data the link copies there."
    ),
    remediation="Enable advanced threat protection with 'az sql mi advanced-threat-protection-setting update'.",
    docs=DOCS_DEFENDER,
    owner=Owner.AZURE,
    requires=("target",),
    tags=AUDIT,
    directions=AUDITED_CONFIG,
)
def defender_is_enabled(facts: Facts, settings: Settings) -> Iterator[Result]:
    target = target_facts(facts)
    _, group, name = placeholder_names(facts)
    states = {"security alert policy": target.defender_state, "advanced threat protection": target.atp_state}
    read = {k: v for k, v in states.items() if v is not None}
    if not read:
        error = facts.error_for("target.defender_state") or facts.error_for("target.atp_state")
        if error is not None:
            yield errored(f"Could not evaluate: the Defender settings could not be read: {error.reason}")
        else:
            yield skipped("Not applicable: the Defender settings were not collected")
        return
    observed = ", ".join(f"{k}: {v}" for k, v in read.items())
    if any(v.lower() == "enabled" for v in read.values()):
        yield passed("Microsoft Defender for SQL is enabled", target=name, observed=observed, expected="Enabled")
        return
    yield warned(
        "Microsoft Defender for SQL is not enabled: no alerts on injection, brute force or unusual access",
        target=name, observed=observed, expected="Enabled",
        fix=(
            azcli_block(
                f"az sql mi advanced-threat-protection-setting update --resource-group {group} --name {name} "
                "--state Enabled",
                "Enable advanced threat protection on the instance",
            ),
        ),
    )


@check(
    id="TGT-007",
    title="SQL auditing sends audit records to Azure Monitor",
    area=Area.TARGET,
    severity=Severity.MEDIUM,
    rationale=(
        "On a managed instance, auditing is a server audit written TO EXTERNAL_MONITOR plus a diagnostic "
        "setting that routes the SQLSecurityAuditEvents category to Log Analytics, Event Hubs or storage. "
        "Without it there is no record of who read or changed the replicated data."
    ),
    remediation=(
        "Add a diagnostic setting with the SQLSecurityAuditEvents category, then create the server audit "
        "TO EXTERNAL_MONITOR on the managed instance."
    ),
    docs=f"{MI_DOCS}/auditing-configure",
    owner=Owner.AZURE,
    requires=("target", "target.diagnostic_settings"),
    tags=AUDIT,
    directions=AUDITED_CONFIG,
)
def auditing_is_enabled(facts: Facts, settings: Settings) -> Iterator[Result]:
    target = target_facts(facts)
    _, _, name = placeholder_names(facts)
    routed = target.auditing_settings or ()
    expected = "a diagnostic setting with SQLSecurityAuditEvents (or the audit / allLogs group)"
    if routed:
        where = "; ".join(f"{s.name} → {', '.join(s.destinations) or 'no destination'}" for s in routed)
        yield passed(
            f"Audit records are routed by {where}",
            target=name, observed=where, expected=expected,
            evidence=("The server audit itself (CREATE SERVER AUDIT … TO EXTERNAL_MONITOR) is T-SQL state on the "
                      "instance; confirm it with SELECT name, is_state_enabled FROM sys.server_audits",),
        )
        return
    yield warned(
        "No diagnostic setting routes SQL audit records (SQLSecurityAuditEvents): auditing to Azure Monitor is off",
        target=name, observed="no audit category in any diagnostic setting", expected=expected,
        evidence=("An audit written TO URL (blob storage) is configured in T-SQL only and is not visible "
                  "through Resource Manager; if you use one, waive this finding",),
        fix=(
            azcli_block(
                f"az monitor diagnostic-settings create --name sql-audit --resource {mi_id(facts)} \\\n"
                "  --workspace <log-analytics-workspace-resource-id> \\\n"
                "  --logs '[{\"category\": \"SQLSecurityAuditEvents\", \"enabled\": true}]'",
                "Route audit records to Log Analytics",
            ),
            CodeBlock(
                "tsql",
                "USE master;\nCREATE SERVER AUDIT [linkready_audit] TO EXTERNAL_MONITOR;\n"
                "CREATE SERVER AUDIT SPECIFICATION [linkready_audit_spec] FOR SERVER AUDIT [linkready_audit]\n"
                "  ADD (SUCCESSFUL_LOGIN_GROUP), ADD (FAILED_LOGIN_GROUP), ADD (BATCH_COMPLETED_GROUP)\n"
                "  WITH (STATE = ON);\nALTER SERVER AUDIT [linkready_audit] WITH (STATE = ON);",
                "Then, on the managed instance: write the audit to Azure Monitor",
            ),
        ),
    )


@check(
    id="TGT-008",
    title="Public data endpoint is disabled",
    area=Area.TARGET,
    severity=Severity.LOW,
    rationale=(
        "The link never uses the public data endpoint (port 3342): it runs over the VNet-local endpoint on "
        "5022 and 11000-11999. An enabled public endpoint only widens the attack surface of the instance "
        "that will hold the replicated data."
    ),
    remediation="Disable it with 'az sql mi update --public-data-endpoint-enabled false' unless a client needs it.",
    docs=f"{MI_DOCS}/public-endpoint-overview",
    owner=Owner.AZURE,
    requires=("target", "target.public_data_endpoint_enabled"),
    tags=AUDIT,
    directions=AUDITED_CONFIG,
)
def public_data_endpoint_is_disabled(facts: Facts, settings: Settings) -> Iterator[Result]:
    enabled = bool(target_facts(facts).public_data_endpoint_enabled)
    _, group, name = placeholder_names(facts)
    if not enabled:
        yield passed("The public data endpoint is disabled", target=name, observed="disabled", expected="disabled")
        return
    yield warned(
        "The public data endpoint is enabled; the link never uses it (it runs over the VNet-local endpoint), "
        "so it only adds attack surface",
        target=name, observed="enabled (port 3342)", expected="disabled unless a client needs it",
        fix=(
            azcli_block(
                f"az sql mi update --resource-group {group} --name {name} --public-data-endpoint-enabled false",
                "Disable the public data endpoint",
            ),
        ),
    )


# ---------------------------------------------------------------------------------------------
# Monitoring


@check(
    id="TGT-009",
    title="Diagnostic settings send the instance's logs and metrics somewhere",
    area=Area.TARGET,
    severity=Severity.MEDIUM,
    rationale=(
        "Without a diagnostic setting the instance's resource usage, errors and audit events stay inside the "
        "service: nobody sees CPU or storage run out while the link seeds, or the instance fall behind."
    ),
    remediation="Create a diagnostic setting with 'az monitor diagnostic-settings create' (allLogs + AllMetrics).",
    docs=f"{MI_DOCS}/monitoring-sql-managed-instance-azure-monitor",
    owner=Owner.AZURE,
    requires=("target", "target.diagnostic_settings"),
    tags=AUDIT,
    directions=AUDITED_CONFIG,
)
def diagnostic_settings_are_present(facts: Facts, settings: Settings) -> Iterator[Result]:
    found = target_facts(facts).diagnostic_settings or ()
    _, _, name = placeholder_names(facts)
    expected = "at least one diagnostic setting with a destination"
    useful = [s for s in found if s.destinations and (s.logs or s.metrics)]
    if useful:
        observed = "; ".join(
            f"{s.name}: {', '.join(s.logs + s.metrics)} → {', '.join(s.destinations)}" for s in useful
        )
        yield passed(f"{len(useful)} diagnostic setting(s) in place", target=name, observed=observed,
                     expected=expected)
        return
    observed = "none" if not found else "; ".join(f"{s.name}: nothing enabled or no destination" for s in found)
    yield warned(
        "No diagnostic setting sends the instance's logs or metrics anywhere",
        target=name, observed=observed, expected=expected,
        fix=(
            azcli_block(
                f"az monitor diagnostic-settings create --name mi-diagnostics --resource {mi_id(facts)} \\\n"
                "  --workspace <log-analytics-workspace-resource-id> \\\n"
                "  --logs '[{\"categoryGroup\": \"allLogs\", \"enabled\": true}]' \\\n"
                "  --metrics '[{\"category\": \"AllMetrics\", \"enabled\": true}]'",
                "Send logs and metrics to Log Analytics",
            ),
        ),
    )


