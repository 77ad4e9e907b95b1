"""Initial seeding (SEED-001..002): will the first copy of the databases finish, and keep its log chain?

Seeding copies each planned database (data + log) to the managed instance over the link. The
service cancels link creation when seeding has not finished after 6 days, and restarts seeding
from scratch after an interruption. Log backups taken while seeding can truncate log the seeding
still needs (errors 1408 / 1412); trace flag 12381 prevents that, and then the log written during
seeding stays in the log file until seeding ends, so the file must hold it (error 9002 otherwise).

The log backup cadence and the log generation rate come from the last 7 days of
msdb.dbo.backupset when the probe could read them; the profile's thresholds stand in otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator

from linkready.checks._directions import SEEDED_FROM_SQL_SERVER, mi_is_initial_primary

from linkready.domain.docs import DOCS_TROUBLE
from linkready.domain.seeding import CANCEL_AFTER_HOURS, duration, seeding_hours
from linkready.facts import Facts
from linkready.facts.sql import SqlDatabase
from linkready.model import Area, CodeBlock, Owner, Result, Settings, Severity, failed, passed, skipped, warned
from linkready.registry import check

#: The troubleshooting guide's example rate (100 GB in about 1.2 hours), used only when none is configured.
REFERENCE_GB_PER_HOUR = 84.0
SEEDED_TO_SQL_SERVER = ("Not applicable: plan.initial_primary is ManagedInstance: seeding runs from the instance to "
                        "SQL Server")


def planned_sizes_gb(facts: Facts) -> dict[str, float]:
    """Data + log size of every planned database found on SQL Server, in GB."""
    databases = {db.name.lower(): db for db in (facts.sql.databases or ())} if facts.sql else {}
    sizes = {}
    for name in facts.plan.databases:
        db = databases.get(name.lower())
        if db is not None:
            sizes[db.name] = (db.data_size_mb + db.log_size_mb) / 1024
    return sizes


def _gb(mb: float) -> str:
    return f"{mb / 1024:.1f} GB" if mb >= 1024 else f"{mb:.0f} MB"


def _planned_databases(facts: Facts) -> dict[str, SqlDatabase]:
    found = {db.name.lower(): db for db in (facts.sql.databases or ())} if facts.sql else {}
    return {found[n.lower()].name: found[n.lower()] for n in facts.plan.databases if n.lower() in found}


@check(
    id="SEED-001",
    title="Initial seeding finishes well within the 6-day limit, and the log holds what is written meanwhile",
    area=Area.DATABASES,
    severity=Severity.MEDIUM,
    rationale=(
        "Link creation is cancelled when seeding has not finished after 6 days, and any interruption (network, "
        "instance restart or failover) restarts seeding from the beginning. All planned links seed at once and "
        "share the bandwidth, so the estate's total size over the throughput is what must fit. While a database "
        "seeds with its log truncation held back (trace flag 12381, or log backups paused), every MB of log it "
        "writes stays in the log file: a file that cannot hold it fills, the database stops with error 9002, and "
        "replication stops while the log is full."
    ),
    remediation=(
        "Seed fewer databases at once (stagger the links), raise bandwidth to the managed instance, enable "
        "trace flag 9567 (seeding compression), or migrate the largest databases another way. Grow the log file "
        "(or make sure autogrowth has disk room) for the log written during seeding, or seed in a quiet period."
    ),
    docs=DOCS_TROUBLE,
    owner=Owner.DBA,
    requires=("sql.databases", "plan.links"),
    prevents=(9002,),
    directions=SEEDED_FROM_SQL_SERVER,
)
def seeding_fits_the_time_limit(facts: Facts, settings: Settings) -> Iterator[Result]:
    if mi_is_initial_primary(facts):
        yield skipped(SEEDED_TO_SQL_SERVER)
        return
    throughput = facts.plan.seeding_throughput_gb_per_hour
    if not throughput:
        yield skipped(
            "Not applicable: no seeding throughput given; set [network] seeding_throughput_gb_per_hour "
            "or measure it with 'linkready throughput test' "
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
    finish = seeding_hours(sizes, throughput)
    evidence = [f"{name}: {gb:.1f} GB, {duration(gb / throughput)} alone" for name, gb in sizes.items()]
    log_lines, overflowing = _log_during_seeding(_planned_databases(facts), finish)
    evidence += log_lines
    observed = f"{total_gb:.1f} GB at {throughput:g} GB/h = {duration(total_hours)} for all links in parallel"
    expected = (f"well under {CANCEL_AFTER_HOURS // 24} days (warn above {duration(CANCEL_AFTER_HOURS * warn_fraction)})"
                "; the log written during seeding fits in the log file")
    fix = tuple(_grow_log_fix(db, need_mb) for db, need_mb in overflowing)
    log_note = ""
    if overflowing:
        names = ", ".join(db.name for db, _ in overflowing)
        log_note = (f"; the log written during seeding would fill the log file of {names} (error 9002: the database "
                    "stops and replication stops until log space is freed)")
    if total_hours >= CANCEL_AFTER_HOURS:
        yield failed(f"Seeding all planned databases would take {duration(total_hours)}: link creation is cancelled "
                     f"after 6 days{log_note}", observed=observed, expected=expected, evidence=evidence, fix=fix)
    elif total_hours >= CANCEL_AFTER_HOURS * warn_fraction:
        yield warned(f"Seeding would take {duration(total_hours)}, close to the 6-day cancellation; one interruption "
                     f"restarts it{log_note}", observed=observed, expected=expected, evidence=evidence, fix=fix)
    elif overflowing:
        yield warned(f"Seeding should take about {duration(total_hours)}, but{log_note.removeprefix(';')}",
                     observed=observed, expected=expected, evidence=evidence, fix=fix)
    else:
        yield passed(f"Seeding should take about {duration(total_hours)}", observed=observed, expected=expected,
                     evidence=evidence)


def _log_during_seeding(databases: dict[str, SqlDatabase], finish: dict[str, float]
                        ) -> tuple[list[str], list[tuple[SqlDatabase, float]]]:
    """Evidence on the log each database writes while it seeds, and those whose log file would overflow.

    Assumes truncation is held back for the whole seeding (trace flag 12381 or paused log backups, as
    SEED-002 advises): the log in use now plus the log generated meanwhile must fit in the file.
    Returns (evidence lines, [(database, MB the log file must hold)]).
    """
    lines: list[str] = []
    overflowing: list[tuple[SqlDatabase, float]] = []
    for name, db in databases.items():
        hours = finish.get(name)
        if hours is None:
            continue
        if db.log_generated_mb_per_day is None:
            lines.append(f"{name}: log generation not measured ({db.log_cadence_unknown()}): the log written during "
                         "seeding is not estimated")
            continue
        written = db.log_generated_mb_per_day / 24 * hours
        used = db.log_size_mb * db.log_used_percent / 100
        need = used + written
        line = (f"{name}: about {_gb(written)} of log written during its {duration(hours)} of seeding "
                f"({_gb(db.log_generated_mb_per_day)}/day over the last 7 days' log backups); the log file is "
                f"{_gb(db.log_size_mb)}, {db.log_used_percent:g}% used"
                + (" (use not read: taken as 0%)" if db.unreadable_part("log_space") else ""))
        if db.log_size_mb <= 0:
            lines.append(f"{line}: the log file size is unknown")
            continue
        percent = 100 * need / db.log_size_mb
        lines.append(f"{line}: it would reach {percent:.0f}%")
        if percent >= 100:
            overflowing.append((db, need))
    return lines, overflowing


def _grow_log_fix(db: SqlDatabase, need_mb: float) -> CodeBlock:
    # 25% headroom above the estimate: log generation varies during the day.
    target_mb = int(need_mb * 1.25 / 1024 + 1) * 1024
    quoted = "[" + db.name.replace("]", "]]") + "]"
    return CodeBlock(
        "tsql",
        f"-- {db.name}: the log file must hold about {_gb(need_mb)} while seeding (log in use + log written).\n"
        f"USE {quoted};\n"
        "SELECT name, size / 128 AS size_mb, max_size, growth, is_percent_growth FROM sys.database_files WHERE type = 1;\n"
        f"-- then grow it (or make sure autogrowth can reach this size on a disk with room):\n"
        f"-- ALTER DATABASE {quoted} MODIFY FILE (NAME = N'<log file name from the query>', SIZE = {target_mb}MB);",
        f"Make room in {db.name}'s log for the seeding window",
    )


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
        "Enable trace flag 12381 globally before creating the link (DBCC TRACEON (12381, -1), not as a startup "
        "parameter), or pause log backups of the seeding databases; turn it off when seeding has finished."
    ),
    docs=DOCS_TROUBLE,
    owner=Owner.DBA,
    requires=("sql.databases", "sql.trace_flags", "plan.links"),
    prevents=(1408, 1412),
    directions=SEEDED_FROM_SQL_SERVER,
)
def log_backups_cannot_break_seeding(facts: Facts, settings: Settings) -> Iterator[Result]:
    assert facts.sql is not None and facts.sql.trace_flags is not None
    if mi_is_initial_primary(facts):
        yield skipped(SEEDED_TO_SQL_SERVER + ", and SQL Server's log backups do not touch it")
        return
    fallback = float(settings.get("log_backup_interval_minutes", 15))
    sizes = planned_sizes_gb(facts)
    if not sizes:
        yield skipped("Not applicable: none of the planned databases was found on SQL Server (see DB-001)")
        return
    throughput = facts.plan.seeding_throughput_gb_per_hour
    finish = seeding_hours(sizes, throughput or REFERENCE_GB_PER_HOUR)
    # On now (DBCC TRACESTATUS(-1)) is what protects a seeding that starts now; a -T not yet restarted does not.
    enabled = any(flag.flag == 12381 and flag.on_now for flag in facts.sql.trace_flags)
    databases = _planned_databases(facts)
    evidence: list[str] = []
    at_risk: list[str] = []
    parts: list[str] = []
    sources: set[str] = set()
    for name in sizes:
        db = databases[name]
        hours = finish[name]
        measured = db.log_backup_interval_minutes
        if measured is not None:
            interval, source = measured, "measured"
            evidence.append(f"{name}: log backups every {measured:g} min, measured from msdb.dbo.backupset "
                            f"({db.log_backups_7d} log backups in the last 7 days, median gap)")
        else:
            interval, source = fallback, "profile threshold"
            evidence.append(f"{name}: log backup interval not measured ({db.log_cadence_unknown()}); the profile "
                            f"threshold log_backup_interval_minutes = {fallback:g} is used")
        sources.add(source)
        parts.append(f"{name} seeds in about {duration(hours)}, log backups every {interval:g} min ({source})")
        if hours * 60 > interval:
            at_risk.append(f"{name} ({duration(hours)} of seeding, log backups every {interval:g} min, {source})")
    rate = (f"at {throughput:g} GB/h" if throughput
            else f"at an assumed {REFERENCE_GB_PER_HOUR:g} GB/h (no throughput configured)")
    observed = f"Seeding {rate}: " + "; ".join(parts) + f"; trace flag 12381 {'on' if enabled else 'off'}"
    expected = ("trace flag 12381 on when seeding outlasts the log backup interval (measured from the last 7 days "
                f"of log backups; the profile's {fallback:g} minutes when not measured)")
    used = " and ".join(sorted(sources))
    if enabled:
        yield passed("Trace flag 12381 is on: log backups cannot truncate log that seeding needs",
                     observed=observed, expected=expected, evidence=evidence)
    elif at_risk:
        yield warned(
            "Seeding outlasts the log backup interval with trace flag 12381 off: a log backup during seeding can "
            f"fail it with error 1408/1412: {'; '.join(at_risk)}",
            observed=observed, expected=expected, evidence=evidence,
            fix=(CodeBlock("tsql", "DBCC TRACEON (12381, -1);  -- for the seeding window only, not at startup\n"
                                   "-- after seeding: DBCC TRACEOFF (12381, -1);",
                           "Enable trace flag 12381 for the seeding window"),),
        )
    else:
        yield passed(f"Every planned database seeds within one log backup interval ({used})", observed=observed,
                     expected=expected, evidence=evidence)
