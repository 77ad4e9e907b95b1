"""Per-database checks (DB-001..010), each finding named after its database. DB-011..013 need the managed
instance's facts and live in checks/databases_target.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from linkready.checks._directions import SEEDED_FROM_SQL_SERVER

from linkready.domain.docs import DOCS_OVERVIEW, DOCS_PREP, DOCS_SCRIPTS, DOCS_TDE, DOCS_TROUBLE
from linkready.domain.tsql import quote_name as q
from linkready.facts import Facts, FactState
from linkready.facts.sql import SqlDatabase
from linkready.model import (
    Area,
    CodeBlock,
    Directions,
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
#: With the managed instance as initial primary the databases are seeded *to* SQL Server: the SQL-side
#: database checks have nothing to judge (DB-001 checks the databases are on the instance instead).
MI_FIRST = ("Not applicable: plan.initial_primary is ManagedInstance, so the planned databases are seeded to "
            "SQL Server by the link (see DB-001)")

Judge = Callable[[SqlDatabase, Facts, Settings], Result]


def each_planned(facts: Facts, settings: Settings, judge: Judge, part: str = "",
                  needs_existing: bool = True) -> Iterator[Result]:
    """Run ``judge`` on every planned database; unknown databases and unreadable parts are handled here."""
    sql = facts.sql
    assert sql is not None
    if facts.plan.initial_primary == "ManagedInstance":
        yield skipped(MI_FIRST)
        return
    by_name = {d.name.lower(): d for d in sql.databases or ()}
    for name in facts.plan.databases:
        db = by_name.get(name.lower())
        if db is None:
            if needs_existing:
                yield errored(f"Database {name} was not found on SQL Server (see DB-001)", target=name)
            continue
        reason = db.unreadable_part(part) if part else None
        if reason is not None:
            yield errored(f"Could not evaluate {db.name}: {reason}", target=db.name)
            continue
        yield judge(db, facts, settings)


@check(
    id="DB-001",
    title="Each planned database exists and is a user database",
    area=Area.DATABASES,
    severity=Severity.CRITICAL,
    rationale="Only user databases can be replicated; master, model, msdb and tempdb cannot.",
    remediation="Plan user databases only, spelled as in sys.databases.",
    docs=DOCS_OVERVIEW,
    owner=Owner.DBA,
    requires=REQUIRES,
    directions=Directions.sensitive(
        sql_first="each planned database exists on SQL Server and is a user database",
        mi_first="each planned database exists on the instance and is absent on SQL Server, where the link seeds it",
        failback="as with SQL Server first",
    ),
)
def database_is_user_database(facts: Facts, settings: Settings) -> Iterator[Result]:
    sql = facts.sql
    assert sql is not None
    by_name = {d.name.lower(): d for d in sql.databases or ()}
    if facts.plan.initial_primary == "ManagedInstance":
        yield from _mi_is_initial_primary(facts, by_name)
        return
    for name in facts.plan.databases:
        db = by_name.get(name.lower())
        if db is None:
            yield failed(f"Database {name} does not exist on {sql.instance.server_name if sql.instance else 'SQL Server'}",
                         target=name, observed="not in sys.databases", expected="an existing user database")
        elif db.is_system:
            yield failed(f"{db.name} is a system database and cannot be replicated", target=db.name,
                         observed=f"system database (id {db.database_id})", expected="a user database")
        else:
            yield passed(f"{db.name} is a user database", target=db.name, observed=f"database_id {db.database_id}",
                         expected="a user database")


def _mi_is_initial_primary(facts: Facts, on_sql: dict[str, SqlDatabase]) -> Iterator[Result]:
    """MI as initial primary: the database lives on the managed instance and must not yet exist on SQL Server."""
    state, reason = facts.state_of("azure.databases")
    on_mi = {d.name.lower(): d for d in ((facts.azure.databases if facts.azure else None) or ())}
    for name in facts.plan.databases:
        target = name
        if name.lower() in on_sql:
            yield failed(f"{name} already exists on SQL Server: with the managed instance as initial primary the "
                         "link seeds it there, so it must be absent", target=target,
                         observed="present in sys.databases", expected="absent on SQL Server, present on the managed instance")
        elif state is not FactState.COLLECTED:
            yield errored(f"Could not evaluate {name} on the managed instance: {reason}", target=target)
        elif name.lower() not in on_mi:
            yield failed(f"{name} does not exist on the managed instance (the initial primary)", target=target,
                         observed="not on the managed instance", expected="a database on the managed instance")
        else:
            yield passed(f"{name} is on the managed instance and absent on SQL Server, as the MI-first plan needs",
                         target=target, observed="on the managed instance; absent on SQL Server",
                         expected="absent on SQL Server, present on the managed instance")


def _online(db: SqlDatabase, facts: Facts, settings: Settings) -> Result:
    if db.state == "ONLINE":
        return passed(f"{db.name} is ONLINE", target=db.name, observed=db.state, expected="ONLINE")
    return failed(f"{db.name} is {db.state}", target=db.name, observed=db.state, expected="ONLINE",
                  fix=(CodeBlock("tsql", f"ALTER DATABASE {q(db.name)} SET ONLINE;", "Bring it online"),))


@check(
    id="DB-002",
    title="Each planned database is ONLINE",
    area=Area.DATABASES,
    severity=Severity.CRITICAL,
    rationale="Seeding reads the whole database; an offline, restoring or suspect database cannot join.",
    remediation="Bring the database ONLINE (finish the restore, repair or SET ONLINE).",
    docs=DOCS_PREP,
    owner=Owner.DBA,
    requires=REQUIRES,
    directions=SEEDED_FROM_SQL_SERVER,
)
def database_is_online(facts: Facts, settings: Settings) -> Iterator[Result]:
    yield from each_planned(facts, settings, _online)


def _full_recovery(db: SqlDatabase, facts: Facts, settings: Settings) -> Result:
    if db.recovery_model == "FULL":
        return passed(f"{db.name} uses the FULL recovery model", target=db.name, observed="FULL", expected="FULL")
    return failed(f"{db.name} uses the {db.recovery_model} recovery model", target=db.name,
                  observed=db.recovery_model, expected="FULL",
                  fix=(CodeBlock("tsql", f"ALTER DATABASE {q(db.name)} SET RECOVERY FULL;\n"
                                         f"BACKUP DATABASE {q(db.name)} TO DISK = N'<path>\\{db.name}.bak' WITH CHECKSUM;",
                                 "Switch to FULL and start the log chain with a full backup"),))


@check(
    id="DB-003",
    title="Each planned database uses the FULL recovery model",
    area=Area.DATABASES,
    severity=Severity.CRITICAL,
    rationale="Availability groups, and so the link, replicate the transaction log: only FULL recovery keeps it.",
    remediation="ALTER DATABASE ... SET RECOVERY FULL, then take a full backup.",
    docs=DOCS_SCRIPTS,
    owner=Owner.DBA,
    requires=REQUIRES,
    directions=SEEDED_FROM_SQL_SERVER,
)
def database_in_full_recovery(facts: Facts, settings: Settings) -> Iterator[Result]:
    yield from each_planned(facts, settings, _full_recovery)  # MI first: each_planned says why it skips


def _full_backup(db: SqlDatabase, facts: Facts, settings: Settings) -> Result:
    fix = (CodeBlock("tsql", f"BACKUP DATABASE {q(db.name)} TO DISK = N'<path>\\{db.name}.bak' WITH CHECKSUM;",
                     "Take a full backup (not COPY_ONLY)"),)
    last = f"{db.last_full_backup:%Y-%m-%d %H:%M}" if db.last_full_backup else "none"
    copy = f"{db.last_copy_only_backup:%Y-%m-%d %H:%M}" if db.last_copy_only_backup else "none"
    observed = f"last full backup {last}, last COPY_ONLY full backup {copy}"
    expected = "a full backup without COPY_ONLY taken after the switch to FULL recovery"
    if db.last_full_backup is None:
        extra = " (COPY_ONLY backups do not start a log chain)" if db.last_copy_only_backup else ""
        return failed(f"{db.name} has no full backup that is not COPY_ONLY{extra}", target=db.name,
                      observed=observed, expected=expected, fix=fix)
    if db.recovery_model != "FULL":
        return failed(f"{db.name} is in {db.recovery_model} recovery: after switching to FULL it needs a new full "
                      "backup to start the log chain", target=db.name, observed=observed, expected=expected, fix=fix)
    if db.full_backup_after_recovery_change is False:
        return failed(f"{db.name}'s log chain has not started: no full backup since it switched to FULL recovery",
                      target=db.name, observed=observed, expected=expected, fix=fix)
    return passed(f"{db.name} has a full backup from {last}", target=db.name, observed=observed, expected=expected)


@check(
    id="DB-004",
    title="Each planned database has a full backup that is not COPY_ONLY, after its last recovery-model change",
    area=Area.DATABASES,
    severity=Severity.CRITICAL,
    rationale=(
        "The link starts from the database's log chain. Without a non-COPY_ONLY full backup taken in FULL "
        "recovery, creating the link fails with error 1475."
    ),
    remediation="BACKUP DATABASE ... (without COPY_ONLY) after switching to FULL recovery.",
    docs=DOCS_SCRIPTS,
    owner=Owner.DBA,
    requires=REQUIRES,
    prevents=(1475,),
    directions=SEEDED_FROM_SQL_SERVER,
)
def database_has_full_backup(facts: Facts, settings: Settings) -> Iterator[Result]:
    yield from each_planned(facts, settings, _full_backup, part="backups")


def _one_log_file(db: SqlDatabase, facts: Facts, settings: Settings) -> Result:
    if db.log_file_count == 1:
        return passed(f"{db.name} has one log file", target=db.name, observed="1 log file", expected="1 log file")
    return failed(f"{db.name} has {db.log_file_count} log files; the managed instance supports one", target=db.name,
                  observed=f"{db.log_file_count} log files", expected="1 log file", fix=(CodeBlock(
                      "tsql", f"USE {q(db.name)};\n-- after a log backup empties it:\n"
                      "DBCC SHRINKFILE (N'<extra log file>', EMPTYFILE);\n"
                      f"ALTER DATABASE {q(db.name)} REMOVE FILE [<extra log file>];", "Remove the extra log file"),))


@check(
    id="DB-005",
    title="Each planned database has exactly one log file",
    area=Area.DATABASES,
    severity=Severity.CRITICAL,
    rationale="SQL Managed Instance does not support multiple log files, so such a database cannot be replicated.",
    remediation="Empty and remove the extra log files.",
    docs=DOCS_OVERVIEW,
    owner=Owner.DBA,
    requires=REQUIRES,
    directions=SEEDED_FROM_SQL_SERVER,
)
def database_has_one_log_file(facts: Facts, settings: Settings) -> Iterator[Result]:
    yield from each_planned(facts, settings, _one_log_file, part="files")


def _no_filestream(db: SqlDatabase, facts: Facts, settings: Settings) -> Result:
    found = [x for x, on in (("FILESTREAM filegroup", db.has_filestream), ("FileTable", db.has_filetable)) if on]
    if not found:
        return passed(f"{db.name} uses neither FILESTREAM nor FileTable", target=db.name, observed="none",
                      expected="no FILESTREAM, no FileTable")
    return failed(f"{db.name} uses {' and '.join(found)}, which the link cannot replicate", target=db.name,
                  observed=", ".join(found), expected="no FILESTREAM, no FileTable")


@check(
    id="DB-006",
    title="No planned database uses FILESTREAM or FileTable",
    area=Area.DATABASES,
    severity=Severity.CRITICAL,
    rationale="SQL Managed Instance has no FILESTREAM or FileTable; such databases cannot be replicated.",
    remediation="Move FILESTREAM/FileTable data out (e.g. to Azure Blob storage) and remove the filegroup.",
    docs=DOCS_OVERVIEW,
    owner=Owner.DBA,
    requires=REQUIRES,
    directions=SEEDED_FROM_SQL_SERVER,
)
def database_has_no_filestream(facts: Facts, settings: Settings) -> Iterator[Result]:
    yield from each_planned(facts, settings, _no_filestream, part="filegroups")


def _in_memory(db: SqlDatabase, facts: Facts, settings: Settings) -> Result:
    observed = f"{db.inmemory_filegroups} memory-optimized filegroup(s), {db.inmemory_files} container(s)"
    mi = facts.azure.managed_instance if facts.azure else None
    tier = mi.tier if mi else ""
    expected = "no In-Memory OLTP, or one container towards Business Critical"
    if not db.inmemory_filegroups:
        return passed(f"{db.name} does not use In-Memory OLTP", target=db.name, observed=observed, expected=expected)
    if db.inmemory_files > 1:
        return failed(f"{db.name} has {db.inmemory_files} In-Memory OLTP containers; the managed instance supports one",
                      target=db.name, observed=observed, expected=expected)
    if tier and "businesscritical" not in tier.replace(" ", "").lower():
        return failed(f"{db.name} uses In-Memory OLTP, which the {tier} tier does not support", target=db.name,
                      observed=f"{observed}; target tier {tier}", expected=expected)
    if not tier:
        return warned(f"{db.name} uses In-Memory OLTP: the managed instance must be Business Critical "
                      "(its tier was not read)", target=db.name, observed=observed, expected=expected)
    return passed(f"{db.name} uses In-Memory OLTP towards a Business Critical instance", target=db.name,
                  observed=f"{observed}; target tier {tier}", expected=expected)


@check(
    id="DB-007",
    title="In-Memory OLTP is used only towards Business Critical, with one container at most",
    area=Area.DATABASES,
    severity=Severity.HIGH,
    rationale=(
        "The General Purpose tier has no In-Memory OLTP, and no managed instance supports more than one "
        "In-Memory OLTP file; account for its memory on the target too."
    ),
    remediation="Target a Business Critical instance, and merge memory-optimized containers into one.",
    docs=DOCS_OVERVIEW,
    owner=Owner.DBA,
    requires=REQUIRES,
    directions=SEEDED_FROM_SQL_SERVER,
)
def in_memory_oltp_fits_target(facts: Facts, settings: Settings) -> Iterator[Result]:
    yield from each_planned(facts, settings, _in_memory, part="filegroups")


def _multidb_names(facts: Facts) -> frozenset[str]:
    """Databases planned in a multiple-database link, indexed once per evaluation (not scanned per database)."""
    return frozenset(name for link in facts.plan.links if link.link_mode == "MultiDatabase" for name in link.databases)


def _ag_membership(db: SqlDatabase, facts: Facts, settings: Settings, multidb_names: frozenset[str]) -> Result:
    multidb = db.name in multidb_names
    if db.ag_name is None:
        return passed(f"{db.name} is not in an availability group", target=db.name, observed="no AG",
                      expected="no AG, or an AG holding only this database")
    observed = f"in AG {db.ag_name} with {db.ag_database_count} database(s)"
    if db.ag_database_count > 1 and not multidb:
        return failed(f"{db.name} is in availability group {db.ag_name} with {db.ag_database_count - 1} other "
                      "database(s); a single-database link needs an AG of its own", target=db.name,
                      observed=observed, expected="an AG holding only this database")
    return passed(f"{db.name} is in {db.ag_name}, which the link can use", target=db.name, observed=observed,
                  expected="no AG, or an AG holding only this database")


@check(
    id="DB-008",
    title="No planned database is already in an availability group with other databases",
    area=Area.DATABASES,
    severity=Severity.HIGH,
    rationale=(
        "A single-database link places one database in one availability group; an existing AG can be reused "
        "only when it holds just that database (the multiple-database mode replicates the whole AG)."
    ),
    remediation="Create a separate AG for the database, or plan the multiple-database mode (SQL Server 2022 CU27+).",
    docs=DOCS_OVERVIEW,
    owner=Owner.DBA,
    requires=REQUIRES,
    prevents=(41976,),
    directions=SEEDED_FROM_SQL_SERVER,
)
def database_not_in_shared_ag(facts: Facts, settings: Settings) -> Iterator[Result]:
    # An empty list of availability groups is a fact; an unread one is not.
    error = facts.error_for("sql.availability_groups")
    if error is not None:
        yield errored(f"Could not evaluate: availability groups could not be read: {error.reason}")
        return
    multidb_names = _multidb_names(facts)
    yield from each_planned(facts, settings, lambda db, f, s: _ag_membership(db, f, s, multidb_names))


def _tde(db: SqlDatabase, facts: Facts, settings: Settings) -> Result:
    if not db.is_encrypted:
        return passed(f"{db.name} is not TDE-encrypted", target=db.name, observed="not encrypted",
                      expected="no TDE, or its certificate on the managed instance")
    thumb = db.tde_encryptor_thumbprint or "unknown"
    return warned(f"{db.name} is TDE-encrypted: migrate its certificate ({thumb}) to the managed instance "
                  "before creating the link", target=db.name,
                  observed=f"encrypted by {db.tde_encryptor_type or 'an encryptor'} {thumb}",
                  expected="the TDE certificate uploaded to the managed instance", fix=(CodeBlock(
                      "tsql", "USE [master];\nSELECT name FROM sys.certificates WHERE thumbprint = "
                      f"{thumb if thumb.startswith('0x') else '0x<thumbprint>'};\n"
                      "BACKUP CERTIFICATE [<name>] TO FILE = N'<path>.cer'\n"
                      "    WITH PRIVATE KEY (FILE = N'<path>.pvk', ENCRYPTION BY PASSWORD = N'<password>');\n"
                      "-- then: Add-AzSqlManagedInstanceTransparentDataEncryptionCertificate (see the docs link)",
                      "Export the TDE certificate for the managed instance"),))


@check(
    id="DB-009",
    title="A TDE-protected database has its certificate available to the managed instance",
    area=Area.DATABASES,
    severity=Severity.MEDIUM,
    rationale="The managed instance can only read the replicated TDE database with the same certificate.",
    remediation="Upload the TDE certificate (with its private key) to the managed instance before the link.",
    docs=DOCS_TDE,
    owner=Owner.DBA,
    requires=REQUIRES,
    directions=SEEDED_FROM_SQL_SERVER,
)
def tde_certificate_ready(facts: Facts, settings: Settings) -> Iterator[Result]:
    yield from each_planned(facts, settings, _tde, part="tde")


def _seeding(db: SqlDatabase, facts: Facts, settings: Settings) -> Result:
    limit = float(settings.get("log_used_percent_max", 70))
    for part in ("pvs", "log_space"):
        reason = db.unreadable_part(part)
        if reason is not None and (part == "log_space" or db.adr_enabled):
            return errored(f"Could not evaluate {db.name}: {reason}", target=db.name)
    problems = []
    if db.adr_enabled and db.pvs_filegroup and db.pvs_filegroup.upper() != "PRIMARY":
        problems.append(f"the ADR version store is on filegroup {db.pvs_filegroup}, not PRIMARY")
    if db.log_used_percent > limit:
        problems.append(f"the log is {db.log_used_percent:.0f}% used (over {limit:.0f}%)")
    adr = f"ADR {'on, version store on ' + (db.pvs_filegroup or 'PRIMARY') if db.adr_enabled else 'off'}"
    observed = f"{adr}; log {db.log_size_mb:.0f} MB, {db.log_used_percent:.0f}% used"
    expected = f"version store on PRIMARY; log under {limit:.0f}% used"
    fix = []
    if db.adr_enabled and db.pvs_filegroup and db.pvs_filegroup.upper() != "PRIMARY":
        fix.append(CodeBlock("tsql", f"ALTER DATABASE {q(db.name)} SET ACCELERATED_DATABASE_RECOVERY = OFF;\n"
                             f"ALTER DATABASE {q(db.name)} SET ACCELERATED_DATABASE_RECOVERY = ON "
                             "(PERSISTENT_VERSION_STORE_FILEGROUP = [PRIMARY]);", "Move the version store"))
    if db.log_used_percent > limit:
        fix.append(CodeBlock("tsql", f"BACKUP LOG {q(db.name)} TO DISK = N'<path>\\{db.name}.trn' WITH CHECKSUM;",
                             "Free log space before seeding"))
    if problems:
        return failed(f"{db.name}: " + "; ".join(problems), target=db.name, observed=observed, expected=expected,
                      fix=tuple(fix))
    return passed(f"{db.name} is ready for seeding", target=db.name, observed=observed, expected=expected)


@check(
    id="DB-010",
    title="Each planned database can seed: ADR version store on PRIMARY and log headroom",
    area=Area.DATABASES,
    severity=Severity.HIGH,
    rationale=(
        "A persistent version store outside PRIMARY makes restores on the managed instance fail; a log close "
        "to full stops replication when it reaches 100% and leaves no room while the database seeds."
    ),
    remediation="Move the version store to PRIMARY; back up the log (or grow it) before creating the link.",
    docs=DOCS_TROUBLE,
    owner=Owner.DBA,
    requires=REQUIRES,
    directions=SEEDED_FROM_SQL_SERVER,
)
def database_ready_for_seeding(facts: Facts, settings: Settings) -> Iterator[Result]:
    yield from each_planned(facts, settings, _seeding)
