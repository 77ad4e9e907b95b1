"""File layout against the target tier (SVC-005, SVC-006) and DEFUNCT files (SVC-007).

The service refuses a link whose database files the target cannot hold: a file over the tier's size limit
(ManagedInstanceFileExceededMaxAzureStorageFileSizeLimit), more files than General Purpose's 280 per
instance or its 35 TB of premium disks (ManagedInstanceExceedMaxAzureStorage), a Next-gen General Purpose
database over its file limit (ManagedInstanceUpdateSloGPv2PerDatabaseFileLimitExceeded), and a source
database with DEFUNCT files (ManagedInstanceLinkSourceDbHasDefunctFiles). Limits: linkready.domain.file_limits.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from linkready.checks._directions import SEEDED_FROM_SQL_SERVER
from linkready.checks.databases import MI_FIRST, each_planned

from linkready.domain.docs import DOCS_RESOURCE_LIMITS, DOCS_SMALL_FILES, DOCS_TROUBLE
from linkready.domain.file_limits import (
    BC_MAX_FILES_PER_DATABASE,
    GIB_PER_TIB,
    GP_DISK_SIZES_GIB,
    GP_MAX_DATA_FILE_GIB,
    GP_MAX_DISK_ALLOCATION_GIB,
    GP_MAX_FILES_PER_INSTANCE,
    MAX_LOG_FILE_GIB,
    MB_PER_GIB,
    NEXT_GEN_KNOWN_FITTING_FILES,
    TierKind,
    disk_allocation_gib,
    tier_kind,
)
from linkready.domain.tsql import quote_name
from linkready.facts import Facts, FactState
from linkready.facts.sql import DatabaseFile, SqlDatabase
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

REQUIRES = ("sql.databases", "plan.links")
#: Share of a General Purpose limit above which a lower-bound estimate is too close to call a PASS.
NEAR_LIMIT = 0.9
#: Files listed one by one in a finding's evidence.
EVIDENCE_FILES = 10


@dataclass(frozen=True)
class Tier:
    """The target's file rules, or why they are unknown (``kind`` None)."""

    kind: TierKind | None
    #: NOT_ASKED: no Azure side in this run (judged against General Purpose, the strictest published);
    #: NOT_COLLECTED: the instance could not be read (tier-specific limits cannot be judged).
    state: FactState
    reason: str = ""


def target_tier(facts: Facts) -> Tier:
    state, reason = facts.state_of("azure.managed_instance")
    mi = facts.azure.managed_instance if facts.azure else None
    if mi is None:
        return Tier(None, state if state is not FactState.COLLECTED else FactState.NOT_COLLECTED, reason)
    return Tier(tier_kind(mi.tier, mi.is_general_purpose_v2), FactState.COLLECTED)


def files_unknown(db: SqlDatabase) -> str | None:
    """Why the database's files are unknown, or None when they were read.

    Every database has a data file and a log file: a list without one is a partial answer (rows hidden or
    lost), not a fact to judge; so is a file whose name, type or state was not read.
    """
    if db.files is None:
        return db.unreadable_part("master_files") or "sys.master_files was not collected"
    types = {f.type for f in db.files}
    if "ROWS" not in types or "LOG" not in types:
        return f"sys.master_files lists {len(db.files)} file(s) for it but not both a data and a log file"
    blank = [str(f.file_id) for f in db.files if not (f.name and f.type and f.state)]
    if blank:
        return f"the name, type or state of file(s) {', '.join(blank)} was not read"
    return None


def seeded_files(files: Sequence[DatabaseFile]) -> list[DatabaseFile]:
    """The data and log files the link seeds (a DEFUNCT file is SVC-007's, and holds no data)."""
    return [f for f in files if f.type in ("ROWS", "LOG") and f.state != "DEFUNCT"]


def _gib(size_mb: float) -> str:
    gib = size_mb / MB_PER_GIB
    return f"{gib / GIB_PER_TIB:.2f} TiB" if gib >= GIB_PER_TIB else f"{gib:.1f} GiB"


def _layout(files: Sequence[DatabaseFile]) -> str:
    data = [f for f in files if f.type == "ROWS"]
    logs = [f for f in files if f.type == "LOG"]
    largest = max((f.size_mb for f in data), default=0.0)
    largest_log = max((f.size_mb for f in logs), default=0.0)
    return (f"{len(data)} data file(s) (largest {_gib(largest)}), {len(logs)} log file(s) "
            f"(largest {_gib(largest_log)})")


def _evidence(files: Sequence[DatabaseFile]) -> tuple[str, ...]:
    shown = [f"{f.type.lower()} file {f.name}: {_gib(f.size_mb)}, max "
             f"{'unlimited' if f.max_size_mb is None else _gib(f.max_size_mb)}, growth {f.growth or 'not read'}"
             for f in files[:EVIDENCE_FILES]]
    more = [f"... and {len(files) - EVIDENCE_FILES} more file(s)"] if len(files) > EVIDENCE_FILES else []
    return (*shown, *more)


def _size_problems(files: Sequence[DatabaseFile], data_limit_gib: int | None) -> list[str]:
    """Files over the log limit (every tier) and, when given, over the data file limit."""
    out = [f"log file {f.name} is {_gib(f.size_mb)} (limit {MAX_LOG_FILE_GIB // GIB_PER_TIB} TiB)"
           for f in files if f.type == "LOG" and f.size_mb > MAX_LOG_FILE_GIB * MB_PER_GIB]
    if data_limit_gib is not None:
        out += [f"data file {f.name} is {_gib(f.size_mb)} (limit {data_limit_gib // GIB_PER_TIB} TiB)"
                for f in files if f.type == "ROWS" and f.size_mb > data_limit_gib * MB_PER_GIB]
    return out


@check(
    id="SVC-005",
    title="Each planned database's files fit the target tier's file limits",
    area=Area.DATABASES,
    severity=Severity.HIGH,
    rationale=(
        "The link seeds every file of the database onto the managed instance. A log file is limited to 2 TB on "
        "every tier and a General Purpose data file to 8 TB; Business Critical allows 32,767 files per database; "
        "Next-gen General Purpose limits the files of one database (the resource limits page does not publish "
        "the number). The service refuses the link with ManagedInstanceFileExceededMaxAzureStorageFileSizeLimit "
        "or ManagedInstanceUpdateSloGPv2PerDatabaseFileLimitExceeded."
    ),
    remediation=(
        "Split a data file over 8 TB into several (ALTER DATABASE ... ADD FILE, then DBCC SHRINKFILE with "
        "EMPTYFILE on the large one); shrink a log over 2 TB after a log backup; on Next-gen General Purpose "
        "keep to as few files as the database needs."
    ),
    docs=DOCS_RESOURCE_LIMITS,
    owner=Owner.DBA,
    requires=REQUIRES,
    directions=SEEDED_FROM_SQL_SERVER,
)
def database_files_fit_tier(facts: Facts, settings: Settings) -> Iterator[Result]:
    tier = target_tier(facts)
    yield from each_planned(facts, settings, lambda db, f, s: _fits_tier(db, tier))


def _fits_tier(db: SqlDatabase, tier: Tier) -> Result:
    why = files_unknown(db)
    if why is not None or db.files is None:
        return errored(f"Could not evaluate {db.name}: {why}", target=db.name)
    files = seeded_files(db.files)
    observed = _layout(files)
    kw: dict[str, Any] = {"target": db.name, "observed": observed, "evidence": _evidence(files)}
    if tier.kind is None:
        return _fits_unknown_tier(db, files, tier, kw)
    data_limit = GP_MAX_DATA_FILE_GIB if tier.kind is TierKind.GENERAL_PURPOSE else None
    expected = _expected(tier.kind)
    problems = _size_problems(files, data_limit)
    if tier.kind is TierKind.BUSINESS_CRITICAL and len(files) > BC_MAX_FILES_PER_DATABASE:
        problems.append(f"{len(files)} files (Business Critical allows {BC_MAX_FILES_PER_DATABASE:,})")
    if problems:
        return failed(f"{db.name} does not fit {tier.kind.value}: {'; '.join(problems)} "
                      "(ManagedInstanceFileExceededMaxAzureStorageFileSizeLimit)", expected=expected, **kw)
    if tier.kind is TierKind.NEXT_GEN_GENERAL_PURPOSE and len(files) > NEXT_GEN_KNOWN_FITTING_FILES:
        return warned(
            f"{db.name} has {len(files)} files; Next-gen General Purpose limits the files per database and the "
            "documentation does not give the number: the service refuses an over-limit database with "
            "ManagedInstanceUpdateSloGPv2PerDatabaseFileLimitExceeded", expected=expected, **kw)
    return passed(f"{db.name}'s files fit {tier.kind.value}", expected=expected, **kw)


def _expected(kind: TierKind) -> str:
    if kind is TierKind.GENERAL_PURPOSE:
        return "data files up to 8 TiB, log files up to 2 TiB"
    if kind is TierKind.BUSINESS_CRITICAL:
        return f"log files up to 2 TiB, at most {BC_MAX_FILES_PER_DATABASE:,} files"
    return "log files up to 2 TiB, within Next-gen General Purpose's per-database file limit (not published)"


def _fits_unknown_tier(db: SqlDatabase, files: Sequence[DatabaseFile], tier: Tier, kw: dict[str, Any]) -> Result:
    hard = _size_problems(files, None)
    if hard:
        return failed(f"{db.name} does not fit any tier: {'; '.join(hard)} "
                      "(ManagedInstanceFileExceededMaxAzureStorageFileSizeLimit)",
                      expected="log files up to 2 TiB", **kw)
    if tier.state is FactState.NOT_COLLECTED:
        return errored(f"Could not evaluate {db.name} against the target tier: {tier.reason}", target=db.name)
    # No Azure side in this run: judge against General Purpose, whose limits are the strictest published.
    expected = "General Purpose's limits (the tier was not read): data files up to 8 TiB, log files up to 2 TiB"
    over = _size_problems(files, GP_MAX_DATA_FILE_GIB)
    if over:
        return warned(f"{db.name} would not fit a General Purpose instance: {'; '.join(over)} "
                      f"(the target tier was not read: {tier.reason})", expected=expected, **kw)
    note = (f"; with {len(files)} files it may exceed Next-gen General Purpose's per-database file limit"
            if len(files) > NEXT_GEN_KNOWN_FITTING_FILES else "")
    return passed(f"{db.name}'s files fit General Purpose's size limits, the strictest published "
                  f"(the target tier was not read){note}", expected=expected, **kw)


@check(
    id="SVC-006",
    title="A General Purpose target can hold the planned files: 280 files and 35 TB of premium disks per instance",
    area=Area.DATABASES,
    severity=Severity.HIGH,
    rationale=(
        "General Purpose places every database file on a premium disk of its own, rounded up to the disk sizes "
        "128 GB, 256 GB, 512 GB, 1 TB, 4 TB (8 TB for a larger data file), and holds at most 280 files and 35 TB "
        "of disks per instance, its existing databases included. Small files can exhaust the 35 TB long before "
        "the instance's storage is used (ManagedInstanceExceedMaxAzureStorage)."
    ),
    remediation=(
        "Merge small data files (DBCC SHRINKFILE ... EMPTYFILE, then ALTER DATABASE ... REMOVE FILE), grow "
        "small files to fill their disk rather than adding files, move databases to another instance, or "
        "target Business Critical. Count the instance's own files and their MB on the managed instance "
        "(SELECT COUNT(*), SUM(size) / 128 FROM sys.master_files)."
    ),
    docs=DOCS_SMALL_FILES,
    owner=Owner.DBA,
    requires=REQUIRES,
    directions=SEEDED_FROM_SQL_SERVER,
)
def planned_files_fit_gp_instance(facts: Facts, settings: Settings) -> Iterator[Result]:
    if facts.plan.initial_primary == "ManagedInstance":
        yield skipped(MI_FIRST)  # the databases already live on the instance: nothing is seeded onto it
        return
    tier = target_tier(facts)
    if tier.kind is not None and tier.kind is not TierKind.GENERAL_PURPOSE:
        yield skipped(f"Not applicable: the 280-file and 35 TB limits are General Purpose's; the target is "
                      f"{tier.kind.value}")
        return
    planned, unknown = _planned_files(facts)
    if unknown:
        yield errored(f"Could not evaluate: {'; '.join(unknown)}")
        return
    if tier.kind is None and tier.state is FactState.NOT_COLLECTED:
        yield errored(f"Could not evaluate: the target tier is unknown: {tier.reason}")
        return
    yield _instance_totals(facts, planned, tier)


def _planned_files(facts: Facts) -> tuple[list[DatabaseFile], list[str]]:
    sql = facts.sql
    by_name = {d.name.lower(): d for d in (sql.databases if sql else None) or ()}
    files: list[DatabaseFile] = []
    unknown: list[str] = []
    for name in facts.plan.databases:
        db = by_name.get(name.lower())
        if db is None:
            unknown.append(f"database {name} was not found on SQL Server (see DB-001)")
            continue
        why = files_unknown(db)
        if why is not None or db.files is None:
            unknown.append(f"{db.name}'s files: {why}")
            continue
        files += seeded_files(db.files)
    return files, unknown


def _instance_totals(facts: Facts, planned: Sequence[DatabaseFile], tier: Tier) -> Result:
    disks = disk_allocation_gib(f.size_mb for f in planned)
    mi = facts.azure.managed_instance if facts.azure else None
    target = mi.name if mi else ""
    expected = (f"at most {GP_MAX_FILES_PER_INSTANCE} files and {GP_MAX_DISK_ALLOCATION_GIB // GIB_PER_TIB} TiB "
                "of premium disks per instance")
    if tier.kind is None:
        observed = f"planned: {len(planned)} files on {disks:,} GiB of disks"
        if len(planned) > GP_MAX_FILES_PER_INSTANCE or disks > GP_MAX_DISK_ALLOCATION_GIB:
            return warned(f"The planned databases alone would not fit a General Purpose instance ({observed}; "
                          f"the target tier was not read: {tier.reason})", observed=observed, expected=expected)
        return passed(f"The planned databases fit a General Purpose instance ({observed}); the tier and the "
                      "instance's existing files were not read", observed=observed, expected=expected)
    state, reason = facts.state_of("azure.databases")
    if state is not FactState.COLLECTED or facts.azure is None or facts.azure.databases is None:
        return errored(f"Could not evaluate: the instance's existing databases are unknown: {reason}", target=target)
    existing = len(facts.azure.databases)
    # ARM lists the databases but not their files: each has at least one data and one log file, each on a
    # disk of at least the smallest size, so these totals are lower bounds whenever databases exist.
    files_low = len(planned) + 2 * existing
    disks_low = disks + 2 * existing * GP_DISK_SIZES_GIB[0]
    observed = (f"planned {len(planned)} files on {disks:,} GiB of disks; {existing} existing database(s) counted "
                f"at their minimum (a data and a log file, each on a {GP_DISK_SIZES_GIB[0]} GiB disk): at least {files_low} files "
                f"on {disks_low:,} GiB")
    kw = {"target": target, "observed": observed, "expected": expected}
    if files_low > GP_MAX_FILES_PER_INSTANCE or disks_low > GP_MAX_DISK_ALLOCATION_GIB:
        return failed(f"The instance cannot hold the planned files: at least {files_low} files on {disks_low:,} "
                      "GiB of premium disks (ManagedInstanceExceedMaxAzureStorage)", **kw)
    if existing and (files_low > NEAR_LIMIT * GP_MAX_FILES_PER_INSTANCE
                     or disks_low > NEAR_LIMIT * GP_MAX_DISK_ALLOCATION_GIB):
        return warned(f"Close to General Purpose's file limits with the existing databases counted at their "
                      f"minimum (at least {files_low} files, {disks_low:,} GiB): ARM does not show their files, "
                      "count them on the instance (sys.master_files)", **kw)
    if existing:
        return passed(f"The planned files fit: at least {files_low} files on {disks_low:,} GiB, with the existing "
                      "databases counted at their minimum (ARM does not show their files)", **kw)
    return passed(f"The planned files fit: {files_low} files on {disks_low:,} GiB of premium disks", **kw)


@check(
    id="SVC-007",
    title="No planned database has DEFUNCT files",
    area=Area.DATABASES,
    severity=Severity.HIGH,
    rationale=(
        "A file removed while its filegroup was offline stays in the catalog as DEFUNCT. The managed instance "
        "cannot seed such a database and refuses the link with ManagedInstanceLinkSourceDbHasDefunctFiles."
    ),
    remediation="Remove each DEFUNCT file from the catalog: ALTER DATABASE [db] REMOVE FILE [logical name].",
    docs=DOCS_TROUBLE,
    owner=Owner.DBA,
    requires=REQUIRES,
    directions=SEEDED_FROM_SQL_SERVER,
)
def no_defunct_files(facts: Facts, settings: Settings) -> Iterator[Result]:
    yield from each_planned(facts, settings, _defunct)


def _defunct(db: SqlDatabase, facts: Facts, settings: Settings) -> Result:
    why = files_unknown(db)
    if why is not None or db.files is None:
        return errored(f"Could not evaluate {db.name}: {why}", target=db.name)
    defunct = [f for f in db.files if f.state == "DEFUNCT"]
    expected = "every file ONLINE (none DEFUNCT)"
    if not defunct:
        return passed(f"{db.name} has no DEFUNCT file", target=db.name, observed=f"{len(db.files)} file(s), none "
                      "DEFUNCT", expected=expected)
    names = ", ".join(f.name for f in defunct)
    code = "\n".join(f"ALTER DATABASE {quote_name(db.name)} REMOVE FILE {quote_name(f.name)};" for f in defunct)
    return failed(f"{db.name} has {len(defunct)} DEFUNCT file(s): {names} "
                  "(ManagedInstanceLinkSourceDbHasDefunctFiles)", target=db.name,
                  observed=f"DEFUNCT: {names}", expected=expected,
                  fix=(CodeBlock("tsql", code, "Remove the DEFUNCT files"),))
