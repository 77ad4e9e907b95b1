"""Target readiness (audit profile): is the managed instance finished before data is replicated into it?

The most common regret with a Managed Instance link is creating it against a managed instance that
is not yet production-grade: short backups, weak TLS, nobody can sign in with Entra ID, no alerts,
no audit trail, no monitoring, or too small for the workload it will take over. Every check here
is tagged ``audit`` so the preflight profile (what the link strictly needs) leaves them out.
"""

from __future__ import annotations

from collections.abc import Iterator

from linkready.domain import resource_ids
from linkready.domain.docs import DOCS_DEFENDER, DOCS_ENTRA_ADMIN, DOCS_MAINTENANCE_WINDOW, DOCS_MI
from linkready.facts import Facts
from linkready.facts.target import TargetFacts
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

AUDIT = ("audit",)
_MI_DOCS = DOCS_MI
#: TLS versions in order; "None" lets clients use any version, so it ranks below 1.0.
_TLS_ORDER = ("None", "1.0", "1.1", "1.2", "1.3")
#: Gen5 standard-series memory per vCore (GB): used only when ARM does not report memory_size_in_gb.
_GB_PER_VCORE = 5.1
#: The two public maintenance windows a managed instance can choose besides the default.
_WINDOWS = {
    "MI_1": "Monday to Thursday, 10 PM to 6 AM local time",
    "MI_2": "Friday to Sunday, 10 PM to 6 AM local time",
}


# ---------------------------------------------------------------------------------------------
# Helpers: placeholders from facts, and facts whose empty value is meaningful.


def _names(facts: Facts) -> tuple[str, str, str]:
    """(subscription, resource group, instance) from the configured resource ID, with placeholders."""
    rid = resource_ids.parse(facts.plan.mi_resource_id)
    if rid:
        return rid.subscription, rid.group, rid.name
    name = facts.target.instance_name if facts.target and facts.target.instance_name else resource_ids.INSTANCE_PLACEHOLDER
    return resource_ids.SUBSCRIPTION_PLACEHOLDER, resource_ids.GROUP_PLACEHOLDER, name


def _mi_id(facts: Facts) -> str:
    if facts.plan.mi_resource_id:
        return facts.plan.mi_resource_id
    sub, group, name = _names(facts)
    return resource_ids.managed_instance_id(sub, group, name)


def _azcli(code: str, title: str) -> CodeBlock:
    return CodeBlock("azcli", code, title)


def _target(facts: Facts) -> TargetFacts:
    assert facts.target is not None  # every check requires "target"
    return facts.target


def _planned_or_existing(facts: Facts) -> list[str]:
    """Databases the audit judges: the planned ones first, then every other user database present."""
    target = _target(facts)
    names = list(facts.plan.databases)
    known = {n.lower() for n in names}
    for name in target.databases or ():
        if name.lower() not in known:
            names.append(name)
            known.add(name.lower())
    return names


# ---------------------------------------------------------------------------------------------
# Backups


@check(
    id="TGT-001",
    title="Short-term backup retention meets the profile's minimum",
    area=Area.TARGET,
    severity=Severity.MEDIUM,
    rationale=(
        "Point-in-time restore on the managed instance is the safety net once the link fails over or the "
        "database is cut over. Retention shorter than the organisation's policy (the service default is 7 days, "
        "the minimum 1) leaves too few days to notice and undo a bad change."
    ),
    remediation="Raise the retention per database with 'az sql midb short-term-retention-policy set'.",
    docs=f"{_MI_DOCS}/automated-backups-overview",
    owner=Owner.AZURE,
    requires=("target", "target.backup_retention"),
    tags=AUDIT,
)
def backup_retention_meets_minimum(facts: Facts, settings: Settings) -> Iterator[Result]:
    target = _target(facts)
    minimum = int(settings.get("backup_retention_days_min", 7))
    _, group, name = _names(facts)
    by_db = {r.database.lower(): r for r in target.backup_retention or ()}
    expected = f">= {minimum} days"
    for database in _planned_or_existing(facts):
        fix = _azcli(
            f"az sql midb short-term-retention-policy set --resource-group {group} --mi {name} \\\n"
            f"  --name {database} --retention-days {minimum}",
            f"Keep {minimum} days of point-in-time restore for {database}",
        )
        retention = by_db.get(database.lower())
        if retention is None:
            days = target.default_retention_days
            status = passed if days >= minimum else warned
            yield status(
                f"{database} is not on the managed instance yet; the link will create it with the default "
                f"retention of {days} days",
                target=database, observed=f"{days} days (service default for a new database)",
                expected=expected, fix=() if days >= minimum else (fix,),
            )
        elif retention.retention_days is None:
            yield errored(f"The retention policy of {database} has no retentionDays", target=database)
        elif retention.retention_days < minimum:
            yield warned(
                f"{database} keeps {retention.retention_days} days of backups, below the minimum of {minimum}",
                target=database, observed=f"{retention.retention_days} days", expected=expected, fix=(fix,),
            )
        else:
            yield passed(
                f"{database} keeps {retention.retention_days} days of backups",
                target=database, observed=f"{retention.retention_days} days", expected=expected,
            )


@check(
    id="TGT-002",
    title="Backup storage redundancy is one the profile accepts",
    area=Area.TARGET,
    severity=Severity.MEDIUM,
    rationale=(
        "Locally redundant backup storage keeps every copy in one datacenter: a regional or zonal outage can "
        "take the backups with the instance, and geo-restore is impossible. The redundancy can be changed "
        "later, but only new backups use the new setting."
    ),
    remediation="Choose geo- or zone-redundant backup storage with 'az sql mi update --backup-storage-redundancy'.",
    docs=f"{_MI_DOCS}/automated-backups-overview#backup-storage-redundancy",
    owner=Owner.AZURE,
    requires=("target", "target.backup_storage_redundancy"),
    tags=AUDIT,
)
def backup_storage_redundancy_is_accepted(facts: Facts, settings: Settings) -> Iterator[Result]:
    target = _target(facts)
    allowed = [str(v) for v in settings.get("backup_storage_redundancy_allowed", ["Geo", "GeoZone", "Zone"])]
    current = target.backup_storage_redundancy or ""
    requested = target.requested_backup_storage_redundancy or ""
    _, group, name = _names(facts)
    observed = current + (f" (change to {requested} requested)" if requested and requested != current else "")
    expected = " or ".join(allowed)
    if current.lower() in {a.lower() for a in allowed}:
        yield passed(f"Backups are stored {current}-redundant", target=name, observed=observed, expected=expected)
        return
    pending = requested and requested.lower() in {a.lower() for a in allowed}
    yield warned(
        f"Backups are stored {current}-redundant, which the profile does not accept"
        + (f"; the requested change to {requested} applies to new backups only" if pending else ""),
        target=name, observed=observed, expected=expected,
        fix=(
            _azcli(
                f"az sql mi update --resource-group {group} --name {name} --backup-storage-redundancy {allowed[0]}",
                f"Store backups {allowed[0]}-redundant",
            ),
        ),
    )


@check(
    id="TGT-003",
    title="Long-term backup retention is configured for the linked databases",
    area=Area.TARGET,
    severity=Severity.LOW,
    rationale=(
        "Once the managed instance becomes the primary (failover or cutover), its automated backups are the "
        "database's backups. Without a long-term retention policy nothing older than the short-term window "
        "survives, which usually breaks a compliance requirement the on-premises backup job met."
    ),
    remediation="Set weekly/monthly/yearly retention per database with 'az sql midb ltr-policy set'.",
    docs=f"{_MI_DOCS}/long-term-backup-retention-configure",
    owner=Owner.AZURE,
    requires=("target", "target.ltr_policies"),
    tags=AUDIT,
)
def long_term_retention_is_configured(facts: Facts, settings: Settings) -> Iterator[Result]:
    target = _target(facts)
    _, group, name = _names(facts)
    by_db = {p.database.lower(): p for p in target.ltr_policies or ()}
    present = {d.lower() for d in target.databases or ()}
    expected = "weekly, monthly or yearly backups kept"
    for database in _planned_or_existing(facts):
        fix = _azcli(
            f"az sql midb ltr-policy set --resource-group {group} --mi {name} --name {database} \\\n"
            "  --weekly-retention P4W --monthly-retention P12M --yearly-retention P5Y --week-of-year 1",
            f"Keep long-term backups of {database} (adjust to your retention policy)",
        )
        policy = by_db.get(database.lower())
        if policy is None and database.lower() not in present:
            yield skipped(
                f"{database} is not on the managed instance yet: set its long-term retention once the link has "
                "seeded it",
                target=database, observed="database not present", expected=expected, fix=(fix,),
            )
        elif policy is None or not policy.configured:
            yield warned(
                f"{database} has no long-term retention: nothing older than the short-term window is kept",
                target=database, observed="none", expected=expected, fix=(fix,),
            )
        else:
            yield passed(
                f"{database} keeps long-term backups ({policy.describe()})",
                target=database, observed=policy.describe(), expected=expected,
            )


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
    docs=f"{_MI_DOCS}/minimal-tls-version-configure",
    owner=Owner.AZURE,
    requires=("target", "target.minimal_tls_version"),
    tags=AUDIT,
)
def minimal_tls_is_current(facts: Facts, settings: Settings) -> Iterator[Result]:
    version = _target(facts).minimal_tls_version or "None"
    _, group, name = _names(facts)
    rank = _TLS_ORDER.index(version) if version in _TLS_ORDER else -1
    if rank >= _TLS_ORDER.index("1.2"):
        yield passed(f"Clients must use TLS {version} or newer", target=name, observed=version, expected=">= 1.2")
        return
    what = "any TLS version" if version == "None" else f"TLS {version}"
    yield failed(
        f"The managed instance accepts {what}; TLS 1.0 and 1.1 are deprecated",
        target=name, observed=version, expected=">= 1.2",
        fix=(
            _azcli(
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
)
def entra_admin_is_configured(facts: Facts, settings: Settings) -> Iterator[Result]:
    target = _target(facts)
    _, group, name = _names(facts)
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
            _azcli(
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
)
def defender_is_enabled(facts: Facts, settings: Settings) -> Iterator[Result]:
    target = _target(facts)
    _, group, name = _names(facts)
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
            _azcli(
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
    docs=f"{_MI_DOCS}/auditing-configure",
    owner=Owner.AZURE,
    requires=("target", "target.diagnostic_settings"),
    tags=AUDIT,
)
def auditing_is_enabled(facts: Facts, settings: Settings) -> Iterator[Result]:
    target = _target(facts)
    _, _, name = _names(facts)
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
            _azcli(
                f"az monitor diagnostic-settings create --name sql-audit --resource {_mi_id(facts)} \\\n"
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
    docs=f"{_MI_DOCS}/public-endpoint-overview",
    owner=Owner.AZURE,
    requires=("target", "target.public_data_endpoint_enabled"),
    tags=AUDIT,
)
def public_data_endpoint_is_disabled(facts: Facts, settings: Settings) -> Iterator[Result]:
    enabled = bool(_target(facts).public_data_endpoint_enabled)
    _, group, name = _names(facts)
    if not enabled:
        yield passed("The public data endpoint is disabled", target=name, observed="disabled", expected="disabled")
        return
    yield warned(
        "The public data endpoint is enabled; the link never uses it (it runs over the VNet-local endpoint), "
        "so it only adds attack surface",
        target=name, observed="enabled (port 3342)", expected="disabled unless a client needs it",
        fix=(
            _azcli(
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
    docs=f"{_MI_DOCS}/monitoring-sql-managed-instance-azure-monitor",
    owner=Owner.AZURE,
    requires=("target", "target.diagnostic_settings"),
    tags=AUDIT,
)
def diagnostic_settings_are_present(facts: Facts, settings: Settings) -> Iterator[Result]:
    found = _target(facts).diagnostic_settings or ()
    _, _, name = _names(facts)
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
            _azcli(
                f"az monitor diagnostic-settings create --name mi-diagnostics --resource {_mi_id(facts)} \\\n"
                "  --workspace <log-analytics-workspace-resource-id> \\\n"
                "  --logs '[{\"categoryGroup\": \"allLogs\", \"enabled\": true}]' \\\n"
                "  --metrics '[{\"category\": \"AllMetrics\", \"enabled\": true}]'",
                "Send logs and metrics to Log Analytics",
            ),
        ),
    )


# ---------------------------------------------------------------------------------------------
# Capacity


@check(
    id="TGT-010",
    title="Managed instance vCores and memory match the SQL Server",
    area=Area.TARGET,
    severity=Severity.MEDIUM,
    rationale=(
        "After failover or cutover the managed instance carries the SQL Server's workload; while the link "
        "runs, a secondary that is much smaller than the primary falls behind on redo. Preparing for the "
        "link means matching CPU and memory with the SQL Server."
    ),
    remediation="Scale the instance with 'az sql mi update --capacity' (vCores); memory follows vCores and hardware.",
    docs=f"{_MI_DOCS}/managed-instance-link-preparation",
    owner=Owner.AZURE,
    requires=("target", "target.v_cores", "sql.instance"),
    tags=AUDIT,
)
def compute_matches_source(facts: Facts, settings: Settings) -> Iterator[Result]:
    target = _target(facts)
    assert facts.sql is not None and facts.sql.instance is not None
    source = facts.sql.instance
    _, group, name = _names(facts)
    ratio = float(settings.get("capacity_min_ratio", 1.0))
    v_cores = target.v_cores or 0
    if target.memory_size_gb is not None:
        memory_gb, memory_note = target.memory_size_gb, ""
    else:
        memory_gb, memory_note = round(v_cores * _GB_PER_VCORE, 1), " (estimated for standard-series)"
    cpus = source.cpu_count
    source_gb = round(source.physical_memory_mb / 1024, 1) if source.physical_memory_mb else None
    observed = (
        f"managed instance {v_cores} vCores / {memory_gb:g} GB{memory_note}; "
        f"SQL Server {cpus if cpus is not None else '?'} logical CPUs / "
        f"{f'{source_gb:g} GB' if source_gb is not None else '? GB'}"
    )
    log_summary, log_lines = _log_generation(facts)
    if log_summary:
        observed += f"; {log_summary}"
    if cpus is None and source_gb is None:
        yield skipped("Not applicable: the SQL Server's CPU count and memory were not read", target=name,
                      observed=observed, evidence=log_lines)
        return
    short = []
    if cpus is not None and v_cores < cpus * ratio:
        short.append(f"{v_cores} vCores for {cpus} logical CPUs")
    if source_gb is not None and memory_gb < source_gb * ratio:
        short.append(f"{memory_gb:g} GB of memory for {source_gb:g} GB")
    expected = "vCores >= SQL Server logical CPUs and memory >= SQL Server memory" + (
        f" (x{ratio:g})" if ratio != 1.0 else ""
    )
    if not short:
        yield passed("The managed instance is at least as large as the SQL Server", target=name,
                     observed=observed, expected=expected, evidence=log_lines)
        return
    wanted = max(v_cores, int(cpus * ratio + 0.999) if cpus else v_cores)
    yield warned(
        "The managed instance is smaller than the SQL Server: " + "; ".join(short),
        target=name, observed=observed, expected=expected,
        evidence=("Logical CPUs and physical memory are the host's (sys.dm_os_sys_info); if the SQL Server uses "
                  "a fraction of them (max server memory, affinity), size against that instead and waive",
                  *log_lines),
        fix=(
            _azcli(
                f"az sql mi update --resource-group {group} --name {name} --capacity {_valid_vcores(wanted)}",
                "Scale the managed instance (takes hours; plan it before creating the link)",
            ),
        ),
    )


def _log_generation(facts: Facts) -> tuple[str, list[str]]:
    """The planned databases' recent log generation on SQL Server: a summary and one line per database.

    The managed instance replays this log as the link's secondary, so it belongs next to its size.
    """
    if facts.sql is None or facts.sql.databases is None or not facts.plan.databases:
        return "", []
    found = {db.name.lower(): db for db in facts.sql.databases}
    lines: list[str] = []
    total, measured = 0.0, 0
    for planned in facts.plan.databases:
        db = found.get(planned.lower())
        if db is None:
            continue
        if db.log_generated_mb_per_day is None:
            lines.append(f"{db.name}: recent log generation not measured ({db.log_cadence_unknown()})")
            continue
        measured += 1
        total += db.log_generated_mb_per_day
        cadence = (f", log backups every {db.log_backup_interval_minutes:g} min"
                   if db.log_backup_interval_minutes is not None else "")
        lines.append(f"{db.name}: {_per_day(db.log_generated_mb_per_day)} of log per day over the last 7 days "
                     f"({db.log_backups_7d} log backups{cadence})")
    if not measured:
        return "", lines
    rate = total / 86400  # MB per second, on average; peaks are higher
    summary = (f"planned databases' recent log generation {_per_day(total)}/day "
               f"(average {rate:.2f} MB/s, from SQL Server's log backups)")
    return summary, lines


def _per_day(mb: float) -> str:
    return f"{mb / 1024:.1f} GB" if mb >= 1024 else f"{mb:.0f} MB"


def _valid_vcores(wanted: int) -> int:
    """The smallest vCore count a managed instance offers that is at least ``wanted``."""
    for size in (4, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 128):
        if size >= wanted:
            return size
    return 128


@check(
    id="TGT-011",
    title="Managed instance storage holds the planned databases with room to grow",
    area=Area.TARGET,
    severity=Severity.MEDIUM,
    rationale=(
        "Seeding copies every planned database in full; the instance also needs room for the databases' "
        "growth and for tempdb. Sizing storage against the sum of the planned databases, side by side with "
        "what is already used, avoids a seeding that stops when storage runs out."
    ),
    remediation="Raise the instance's storage with 'az sql mi update --storage'.",
    docs=f"{_MI_DOCS}/resource-limits",
    owner=Owner.AZURE,
    requires=("target", "target.storage_size_gb", "sql.databases", "plan.links"),
    tags=AUDIT,
)
def storage_matches_planned_databases(facts: Facts, settings: Settings) -> Iterator[Result]:
    target = _target(facts)
    assert facts.sql is not None
    _, group, name = _names(facts)
    headroom = float(settings.get("target_storage_growth_percent", 20))
    sizes = {d.name.lower(): d for d in facts.sql.databases or ()}
    planned, unknown = 0.0, []
    parts = []
    for database in facts.plan.databases:
        db = sizes.get(database.lower())
        if db is None:
            unknown.append(database)
            continue
        gb = (db.data_size_mb + db.log_size_mb) / 1024
        planned += gb
        parts.append(f"{database} {gb:.1f} GB")
    size = float(target.storage_size_gb or 0)
    used = target.storage_used_gb
    if used is None and facts.azure is not None and facts.azure.managed_instance is not None:
        used = facts.azure.managed_instance.storage_used_gb  # the Azure probe reads the usage metric
    used = used or 0.0
    needed = planned * (1 + headroom / 100)
    observed = (
        f"planned {planned:.1f} GB ({', '.join(parts) or 'none found'}) + {headroom:g}% growth = {needed:.1f} GB; "
        f"managed instance {size:g} GB, {used:.1f} GB used, {size - used:.1f} GB free"
    )
    expected = f"free storage >= planned size + {headroom:g}%"
    evidence = tuple(f"{db} was not found on the SQL Server; its size is not counted" for db in unknown)
    if needed <= size - used:
        yield passed("The managed instance's storage holds the planned databases with room to grow",
                     target=name, observed=observed, expected=expected, evidence=evidence)
        return
    new_size = int(-(-(used + needed) // 32) * 32)  # storage is set in multiples of 32 GB
    yield warned(
        f"The managed instance's free storage ({size - used:.1f} GB) is smaller than the planned databases "
        f"plus {headroom:g}% growth ({needed:.1f} GB)",
        target=name, observed=observed, expected=expected, evidence=evidence,
        fix=(
            _azcli(
                f"az sql mi update --resource-group {group} --name {name} --storage {new_size}GB",
                "Raise the instance's storage",
            ),
        ),
    )


@check(
    id="TGT-012",
    title="A maintenance window other than the default is chosen",
    area=Area.TARGET,
    severity=Severity.LOW,
    rationale=(
        "Planned maintenance fails the instance over, and link seeding is not resilient to it. The default "
        "window lets maintenance start at any time (8 AM to 5 PM local time included); a chosen window keeps "
        "it out of business hours and out of the seeding's way."
    ),
    remediation="Pick the weekday or weekend window with 'az sql mi update --maint-config-id'.",
    docs=DOCS_MAINTENANCE_WINDOW,
    owner=Owner.AZURE,
    requires=("target", "target.maintenance_configuration_id"),
    tags=AUDIT,
)
def maintenance_window_is_configured(facts: Facts, settings: Settings) -> Iterator[Result]:
    target = _target(facts)
    sub, group, name = _names(facts)
    config = target.maintenance_configuration_name
    for suffix, window in _WINDOWS.items():
        if config.upper().endswith(suffix):
            yield passed(f"Maintenance window {config}: {window}", target=name, observed=config,
                         expected="a chosen maintenance window")
            return
    if config and config != "SQL_Default":
        yield passed(f"Maintenance configuration {config} is chosen", target=name, observed=config,
                     expected="a chosen maintenance window")
        return
    region = target.location or "<region>"
    yield warned(
        "The default maintenance window applies: a failover for maintenance may start at any time, including "
        "during seeding",
        target=name, observed=config or "(none)", expected="SQL_<region>_MI_1 or SQL_<region>_MI_2",
        fix=(
            _azcli(
                f"az sql mi update --resource-group {group} --name {name} \\\n"
                f"  --maint-config-id /subscriptions/{sub}/providers/Microsoft.Maintenance/"
                f"publicMaintenanceConfigurations/SQL_{region}_MI_1",
                "Weekday window (Mon-Thu 10 PM-6 AM); use _MI_2 for Fri-Sun",
            ),
        ),
    )


@check(
    id="TGT-013",
    title="License-free passive DR replica usage is recorded and fits the plan",
    area=Area.TARGET,
    severity=Severity.LOW,
    rationale=(
        "A managed instance that is only a passive disaster-recovery replica of a licensed SQL Server can be "
        "marked Passive (hybrid failover rights) and is then not charged for the SQL license. Active usage "
        "is right when the instance serves reads; for a DR-only plan it pays for a license it does not need."
    ),
    remediation="Set hybridSecondaryUsage to Passive for a DR-only replica (or Active when it serves workloads).",
    docs=f"{_MI_DOCS}/managed-instance-link-disaster-recovery",
    owner=Owner.AZURE,
    requires=("target", "target.hybrid_secondary_usage"),
    tags=AUDIT,
)
def dr_replica_usage_fits_plan(facts: Facts, settings: Settings) -> Iterator[Result]:
    target = _target(facts)
    usage = target.hybrid_secondary_usage or ""
    _, _, name = _names(facts)
    purpose = str(settings.get("link_purpose", "")).lower()
    is_dr = purpose == "dr" or (not purpose and facts.plan.failback)
    detected = target.hybrid_secondary_usage_detected
    observed = f"{usage}" + (f" (detected: {detected})" if detected else "") + (
        f", license {target.license_type}" if target.license_type else ""
    )
    plan = "disaster recovery" if is_dr else (purpose or "not DR-only")
    if is_dr and usage.lower() == "active":
        yield warned(
            "The plan is disaster recovery but the instance is marked Active: the SQL license is charged for a "
            "replica that could be license-free while passive",
            target=name, observed=observed, expected="Passive for a DR-only replica",
            evidence=(f"plan purpose: {plan}",),
            fix=(
                _azcli(
                    f"az resource update --ids {_mi_id(facts)} --set properties.hybridSecondaryUsage=Passive",
                    "Mark the instance as a passive DR replica (only if it serves no workload)",
                ),
            ),
        )
        return
    yield passed(f"Hybrid secondary usage is {usage} (plan purpose: {plan})", target=name, observed=observed,
                 expected="recorded; Passive for a DR-only replica")
