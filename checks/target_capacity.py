"""Target readiness, capacity: compute and storage against the source, maintenance window, DR replica (audit)."""

from __future__ import annotations

from collections.abc import Iterator

from linkready.checks._directions import (
    AUDITED_CONFIG,
    NOTHING_SEEDED_ONTO_THE_INSTANCE,
    SEEDED_ONTO_THE_INSTANCE,
    mi_is_initial_primary,
)
from linkready.checks._target import AUDIT, MI_DOCS, azcli_block, mi_id, placeholder_names, target_facts

from linkready.domain.docs import DOCS_MAINTENANCE_WINDOW
from linkready.domain.resource_ids import name_of
from linkready.facts import Facts
from linkready.model import (
    Area,
    Directions,
    Owner,
    Result,
    Settings,
    Severity,
    passed,
    skipped,
    warned,
)
from linkready.registry import check

#: Gen5 standard-series memory per vCore (GB): used only when ARM does not report memory_size_in_gb.
_GB_PER_VCORE = 5.1
#: The two public maintenance windows a managed instance can choose besides the default.
_WINDOWS = {
    "MI_1": "Monday to Thursday, 10 PM to 6 AM local time",
    "MI_2": "Friday to Sunday, 10 PM to 6 AM local time",
}


# ---------------------------------------------------------------------------------------------
# Capacity


#: Scaling, storage and update-policy changes the target audit recommends cannot run while a link seeds.
BEFORE_THE_LINK = (
    "Make the change before creating the link: while a link seeds, the instance refuses scaling, storage "
    "and update-policy changes (OperationCanNotStartDueToMiLink)."
)


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
    remediation=(
        "Scale the instance with 'az sql mi update --capacity' (vCores); memory follows vCores and hardware. "
        + BEFORE_THE_LINK
    ),
    docs=f"{MI_DOCS}/managed-instance-link-preparation",
    owner=Owner.AZURE,
    requires=("target", "target.v_cores", "sql.instance"),
    tags=AUDIT,
    directions=AUDITED_CONFIG,
)
def compute_matches_source(facts: Facts, settings: Settings) -> Iterator[Result]:
    target = target_facts(facts)
    assert facts.sql is not None and facts.sql.instance is not None
    source = facts.sql.instance
    _, group, name = placeholder_names(facts)
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
            azcli_block(
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
    remediation="Raise the instance's storage with 'az sql mi update --storage'. " + BEFORE_THE_LINK,
    docs=f"{MI_DOCS}/resource-limits",
    owner=Owner.AZURE,
    requires=("target", "target.storage_size_gb", "sql.databases", "plan.links"),
    tags=AUDIT,
    directions=SEEDED_ONTO_THE_INSTANCE,
)
def storage_matches_planned_databases(facts: Facts, settings: Settings) -> Iterator[Result]:
    target = target_facts(facts)
    assert facts.sql is not None
    if mi_is_initial_primary(facts):
        yield skipped(NOTHING_SEEDED_ONTO_THE_INSTANCE)
        return
    _, group, name = placeholder_names(facts)
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
            azcli_block(
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
    remediation=(
        "Pick the weekday or weekend window with 'az sql mi update --maint-config-id' (not on Next-gen General "
        "Purpose, which keeps the default window). " + BEFORE_THE_LINK
    ),
    docs=DOCS_MAINTENANCE_WINDOW,
    owner=Owner.AZURE,
    requires=("target", "target.maintenance_configuration_id"),
    tags=AUDIT,
    directions=AUDITED_CONFIG,
)
def maintenance_window_is_configured(facts: Facts, settings: Settings) -> Iterator[Result]:
    target = target_facts(facts)
    sub, group, name = placeholder_names(facts)
    mi = facts.azure.managed_instance if facts.azure else None
    if mi is not None and mi.is_general_purpose_v2:
        # The service refuses a custom window there (NextGenGPNotSupportedForCmwCustomers): never recommend one.
        yield skipped("Not applicable: Next-gen General Purpose cannot use a custom maintenance window "
                      "(NextGenGPNotSupportedForCmwCustomers); plan the seeding knowing maintenance may start at any "
                      "time", target=name)
        return
    config = name_of(target.maintenance_configuration_id or "")
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
            azcli_block(
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
    docs=f"{MI_DOCS}/managed-instance-link-disaster-recovery",
    owner=Owner.AZURE,
    requires=("target", "target.hybrid_secondary_usage"),
    tags=AUDIT,
    directions=Directions.sensitive(
        sql_first="the usage is recorded; Passive expected when the profile's link_purpose is dr",
        mi_first="Active expected: the instance is the primary and serves the workload, so Passive is a WARN",
        failback="Passive expected for the disaster-recovery replica (Active is a WARN)",
    ),
)
def dr_replica_usage_fits_plan(facts: Facts, settings: Settings) -> Iterator[Result]:
    target = target_facts(facts)
    usage = target.hybrid_secondary_usage or ""
    _, _, name = placeholder_names(facts)
    purpose = str(settings.get("link_purpose", "")).lower()
    is_dr = purpose == "dr" or (not purpose and facts.plan.failback)
    detected = target.hybrid_secondary_usage_detected
    observed = f"{usage}" + (f" (detected: {detected})" if detected else "") + (
        f", license {target.license_type}" if target.license_type else ""
    )
    plan = "disaster recovery" if is_dr else (purpose or "not DR-only")
    if mi_is_initial_primary(facts):
        yield _usage_of_a_primary(usage, name, observed)
        return
    if is_dr and usage.lower() == "active":
        yield warned(
            "The plan is disaster recovery but the instance is marked Active: the SQL license is charged for a "
            "replica that could be license-free while passive",
            target=name, observed=observed, expected="Passive for a DR-only replica",
            evidence=(f"plan purpose: {plan}",),
            fix=(
                azcli_block(
                    f"az resource update --ids {mi_id(facts)} --set properties.hybridSecondaryUsage=Passive",
                    "Mark the instance as a passive DR replica (only if it serves no workload)",
                ),
            ),
        )
        return
    yield passed(f"Hybrid secondary usage is {usage} (plan purpose: {plan})", target=name, observed=observed,
                 expected="recorded; Passive for a DR-only replica")


def _usage_of_a_primary(usage: str, name: str, observed: str) -> Result:
    """The instance as initial primary serves the workload: the license-free passive usage is for a secondary."""
    expected = "Active: the instance is the initial primary"
    if usage.lower() == "passive":
        return warned("The instance is the initial primary and serves the workload, but it is marked Passive: the "
                      "license-free passive usage covers a replica that serves no workload", target=name,
                      observed=observed, expected=expected, evidence=("plan: the managed instance is the initial "
                                                                      "primary",))
    return passed(f"Hybrid secondary usage is {usage}, as the initial primary needs", target=name, observed=observed,
                  expected=expected)
