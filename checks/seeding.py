"""Initial seeding (SEED-001..002): will the first copy of the databases finish, and keep its log chain?

Seeding copies each planned database (data + log) to the managed instance over the link. The
service cancels link creation when seeding has not finished after 6 days, and restarts seeding
from scratch after an interruption. Log backups taken while seeding can truncate log the seeding
still needs (errors 1408 / 1412); trace flag 12381 prevents that.
"""

from __future__ import annotations

from collections.abc import Iterator

from linkready.facts import Facts
from linkready.model import Area, CodeBlock, Owner, Result, Settings, Severity, failed, passed, skipped, warned
from linkready.registry import check

DOCS_TROUBLE = "https://learn.microsoft.com/azure/azure-sql/managed-instance/managed-instance-link-troubleshoot-how-to"
CANCEL_AFTER_HOURS = 6 * 24
#: The troubleshooting guide's example rate (100 GB in about 1.2 hours), used only when none is configured.
REFERENCE_GB_PER_HOUR = 84.0


def planned_sizes_gb(facts: Facts) -> dict[str, float]:
    """Data + log size of every planned database found on SQL Server, in GB."""
    databases = {db.name.lower(): db for db in (facts.sql.databases or ())} if facts.sql else {}
    sizes = {}
    for name in facts.plan.databases:
        db = databases.get(name.lower())
        if db is not None:
            sizes[db.name] = (db.data_size_mb + db.log_size_mb) / 1024
    return sizes


def _hours(value: float) -> str:
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} days"


@check(
    id="SEED-001",
    title="Initial seeding finishes well within the 6-day limit",
    area=Area.DATABASES,
    severity=Severity.MEDIUM,
    rationale=(
        "Link creation is cancelled when seeding has not finished after 6 days, and any interruption (network, "
        "instance restart or failover) restarts seeding from the beginning. All planned links seed at once and "
        "share the bandwidth, so the estate's total size over the throughput is what must fit."
    ),
    remediation=(
        "Seed fewer databases at once (stagger the links), raise bandwidth to the managed instance, enable "
        "trace flag 9567 (seeding compression), or migrate the largest databases another way."
    ),
    docs=DOCS_TROUBLE,
    owner=Owner.DBA,
    requires=("sql.databases", "plan.links"),
)
def seeding_fits_the_time_limit(facts: Facts, settings: Settings) -> Iterator[Result]:
    throughput = facts.plan.seeding_throughput_gb_per_hour
    if not throughput:
        yield skipped(
            "Not applicable: no seeding throughput given; set [network] seeding_throughput_gb_per_hour "
            f"(the troubleshooting guide's example: 100 GB in about 1.2 h, i.e. {REFERENCE_GB_PER_HOUR:g} GB/h)"
        )
        return
    sizes = planned_sizes_gb(facts)
    if not sizes:
        yield skipped("Not applicable: none of the planned databases was found on SQL Server")
        return
    warn_fraction = float(settings.get("seeding_warn_fraction", 0.5))
    total_gb = sum(sizes.values())
    total_hours = total_gb / throughput
    evidence = [f"{name}: {gb:.1f} GB, {_hours(gb / throughput)} alone" for name, gb in sizes.items()]
    observed = f"{total_gb:.1f} GB at {throughput:g} GB/h = {_hours(total_hours)} for all links in parallel"
    expected = f"well under {CANCEL_AFTER_HOURS // 24} days (warn above {_hours(CANCEL_AFTER_HOURS * warn_fraction)})"
    if total_hours >= CANCEL_AFTER_HOURS:
        yield failed(f"Seeding all planned databases would take {_hours(total_hours)}: link creation is cancelled "
                     "after 6 days", observed=observed, expected=expected, evidence=evidence)
    elif total_hours >= CANCEL_AFTER_HOURS * warn_fraction:
        yield warned(f"Seeding would take {_hours(total_hours)}, close to the 6-day cancellation; one interruption "
                     "restarts it", observed=observed, expected=expected, evidence=evidence)
    else:
        yield passed(f"Seeding should take about {_hours(total_hours)}", observed=observed, expected=expected,
                     evidence=evidence)


@check(
    id="SEED-002",
    title="Log backups during seeding cannot break it (trace flag 12381 when seeding outlasts a log backup)",
    area=Area.DATABASES,
    severity=Severity.MEDIUM,
    rationale=(
        "While a database seeds, a log backup can truncate log that seeding still needs; the link then fails "
        "with error 1408 or 1412 and seeding starts over. On builds that support it, trace flag 12381 prevents "
        "this premature truncation: enable it before creating links whose seeding outlasts the log backup "
        "interval, and disable it after seeding (watch log growth meanwhile)."
    ),
    remediation=(
        "Enable trace flag 12381 globally before creating the link (DBCC TRACEON (12381, -1) and -T12381 at "
        "startup), or pause log backups of the seeding databases; turn it off when seeding has finished."
    ),
    docs=DOCS_TROUBLE,
    owner=Owner.DBA,
    requires=("sql.databases", "sql.trace_flags", "plan.links"),
    prevents=(1408, 1412),
)
def log_backups_cannot_break_seeding(facts: Facts, settings: Settings) -> Iterator[Result]:
    assert facts.sql is not None and facts.sql.trace_flags is not None
    interval_minutes = float(settings.get("log_backup_interval_minutes", 15))
    sizes = planned_sizes_gb(facts)
    if not sizes:
        yield skipped("Not applicable: none of the planned databases was found on SQL Server")
        return
    throughput = facts.plan.seeding_throughput_gb_per_hour
    assumed = "" if throughput else f" (assumed {REFERENCE_GB_PER_HOUR:g} GB/h: no throughput configured)"
    rate = throughput or REFERENCE_GB_PER_HOUR
    enabled = any(flag.flag == 12381 and flag.enabled for flag in facts.sql.trace_flags)
    longest = max(sizes, key=lambda name: sizes[name])
    minutes = sizes[longest] / rate * 60
    observed = (f"{longest} seeds in about {_hours(minutes / 60)}{assumed}; trace flag 12381 "
                f"{'on' if enabled else 'off'}")
    expected = f"trace flag 12381 on when seeding outlasts the {interval_minutes:g}-minute log backup interval"
    if enabled:
        yield passed("Trace flag 12381 is on: log backups cannot truncate log that seeding needs",
                     observed=observed, expected=expected)
    elif minutes > interval_minutes:
        yield warned(
            f"{longest} seeds for longer than the {interval_minutes:g}-minute log backup interval with trace flag "
            "12381 off: a log backup during seeding can fail it with error 1408/1412",
            observed=observed, expected=expected,
            fix=(CodeBlock("tsql", "DBCC TRACEON (12381, -1);  -- also add -T12381 as a startup parameter\n"
                                   "-- after seeding: DBCC TRACEOFF (12381, -1);",
                           "Enable trace flag 12381 for the seeding window"),),
        )
    else:
        yield passed("Seeding finishes within one log backup interval", observed=observed, expected=expected)
