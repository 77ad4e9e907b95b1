"""SQL Server instance checks: version, build, edition and host, Always On, master key, trace flags,
the probe's own permissions, and the stored procedures the link's required update adds."""

from __future__ import annotations

from collections.abc import Iterator

from linkready.checks._directions import SQL_SERVER_SETUP

from linkready.domain import sql_builds
from linkready.domain.docs import DOCS_EXTEND, DOCS_OVERVIEW, DOCS_PREP
from linkready.facts import Facts
from linkready.facts.sql import SqlInstance
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
    warned,
)
from linkready.registry import check

SUPPORTED_EDITIONS = ("Enterprise", "Standard", "Developer")
#: What the checks need beyond CONNECT SQL (see `linkready grant-script`).
NEEDED_PERMISSIONS = ("VIEW SERVER STATE", "VIEW ANY DEFINITION", "SELECT ON msdb.dbo.backupset")


def _instance(facts: Facts) -> SqlInstance:
    """The instance facts (the engine only calls a check when its ``requires`` are present)."""
    assert facts.sql is not None and facts.sql.instance is not None
    return facts.sql.instance


def _build(instance: SqlInstance) -> sql_builds.SqlBuild | None:
    try:
        return sql_builds.parse_build(instance.product_version)
    except ValueError:
        return None


def _observed(instance: SqlInstance) -> str:
    level = "-".join(x for x in (instance.product_level, instance.product_update_level) if x)
    return f"{instance.product_version} ({level}), {instance.edition}"


def _multidb_planned(facts: Facts) -> bool:
    return any(link.link_mode == "MultiDatabase" for link in facts.plan.links)


@check(
    id="SQL-001",
    title="SQL Server major version can host a link (2016 SP3 or later)",
    area=Area.SQL,
    severity=Severity.CRITICAL,
    rationale=(
        "The link is a distributed availability group. SQL Server 2016 (Windows only), 2017, 2019, 2022 and 2025 "
        "can host one with the right update; SQL Server 2014 and earlier cannot at all."
    ),
    remediation="Upgrade to SQL Server 2019 CU20 or later (2022 or 2025 for failback and two-way disaster recovery).",
    docs=DOCS_OVERVIEW,
    owner=Owner.DBA,
    requires=("sql.instance",),
    directions=Directions.insensitive(
        "the major version's floor for any link; the minimums of each direction are SQL-002's and MI-003's"
    ),
)
def major_version_can_host_link(facts: Facts, settings: Settings) -> Iterator[Result]:
    instance = _instance(facts)
    build = _build(instance)
    if build is None:
        yield errored(f"The product version {instance.product_version!r} is not a build number",
                      observed=instance.product_version)
        return
    name = sql_builds.version_name(build.major)
    evidence = (f"@@SERVERNAME {instance.server_name}", f"server collation {instance.collation}")
    expected = "SQL Server 2016 (Windows), 2017, 2019, 2022 or 2025"
    if build.major <= 12:
        yield failed(f"{name} cannot host a Managed Instance link", observed=_observed(instance),
                     expected=expected, evidence=evidence)
    elif build.major == 13 and instance.host_platform and instance.host_platform != "Windows":
        yield failed(f"{name} can host a link on Windows Server only", observed=_observed(instance),
                     expected=expected, evidence=evidence)
    elif build.major > 17:
        yield warned(f"{name} is newer than this version of linkready knows", observed=_observed(instance),
                     expected=expected, evidence=evidence)
    else:
        yield passed(f"{name} can host a link", observed=_observed(instance), expected=expected, evidence=evidence)


@check(
    id="SQL-002",
    title="SQL Server build is at or above the link's minimum for the planned direction and mode",
    area=Area.SQL,
    severity=Severity.CRITICAL,
    rationale=(
        "Each version needs a minimum update: 2016 SP3 plus its Azure Connect pack, 2017 CU31 plus its Azure "
        "Connect pack, 2019 CU20; 2022 needs CU10 when the managed instance is the initial primary, CU13 to fail "
        "over with T-SQL and CU27 for the multiple-database mode (2025: CU9). Builds compare by number, so a "
        "later security-only GDR on an older branch does not count."
    ),
    remediation="Install the update the finding names (its KB article links the download), then re-run linkready.",
    docs=DOCS_OVERVIEW,
    owner=Owner.DBA,
    requires=("sql.instance",),
    directions=Directions.sensitive(
        sql_first="the minimum build for a link created from SQL Server (and for T-SQL failover, multiple-database "
                  "mode when planned)",
        mi_first="the higher minimum for a link from the instance: SQL Server 2022 CU10 or 2025; 2016-2019 cannot",
        failback="as with SQL Server first (what failing back needs is MI-003's and FO-004's)",
    ),
)
def build_meets_link_minimum(facts: Facts, settings: Settings) -> Iterator[Result]:
    instance = _instance(facts)
    build = _build(instance)
    if build is None:
        yield errored(f"The product version {instance.product_version!r} is not a build number")
        return
    plan = facts.plan
    verdict = sql_builds.assess(
        build, mi_initial_primary=plan.initial_primary == "ManagedInstance", tsql_failover=plan.tsql_failover,
        multidb=_multidb_planned(facts), update_level=instance.product_update_level,
    )
    expected = "; ".join(r.describe(verdict.version) for r in sql_builds.requirements(
        build.major, mi_initial_primary=plan.initial_primary == "ManagedInstance",
        tsql_failover=plan.tsql_failover, multidb=_multidb_planned(facts))) or "SQL Server 2016 SP3 or later"
    catalogue = sql_builds.catalogue()
    kw = {"observed": f"{build} = {verdict.version} {verdict.identity}", "expected": expected,
          "evidence": (*verdict.reasons, f"judged with the {catalogue.describe()}")}
    # Why the catalogue cannot vouch for the verdict: it predates the build (update it).
    stale = f"; {verdict.stale_catalogue}" if verdict.stale_catalogue else ""
    if verdict.can_host is False:
        impossible = [m.purpose for m in verdict.missing if m.name == sql_builds.NOT_SUPPORTED]
        if impossible:  # no update helps: the version cannot serve this direction or mode at all
            yield failed(f"{verdict.version} cannot host {' or '.join(impossible)} at any build: upgrade to SQL "
                         f"Server 2022 or 2025{stale}", **kw)
        elif verdict.missing:
            names = ", ".join(m.describe(verdict.version) for m in verdict.missing)
            yield failed(f"Build {build} is below the link's minimum: install {names}{stale}", **kw)
        else:
            yield failed(f"Build {build}: {verdict.reasons[0]}{stale}", **kw)
    elif verdict.can_host is None:
        yield warned(f"Build {build} could not be confirmed against every minimum{stale}", **kw)
    elif verdict.retired:
        yield warned(f"Build {build} meets the link's minimum but {verdict.retired}", **kw)
    else:
        yield passed(f"Build {build} meets the link's minimum{stale}", **kw)


@check(
    id="SQL-003",
    title="Edition is Enterprise, Standard or Developer and the host is Windows Server or Linux",
    area=Area.SQL,
    severity=Severity.CRITICAL,
    rationale=(
        "Only Enterprise, Developer and Standard editions can host a link (Express and Web cannot; Standard "
        "cannot use the multiple-database mode). Windows 10 and 11 clients cannot enable availability groups."
    ),
    remediation="Move the databases to an Enterprise, Standard or Developer instance on Windows Server 2012+ or Linux.",
    docs=DOCS_OVERVIEW,
    owner=Owner.DBA,
    requires=("sql.instance",),
    directions=SQL_SERVER_SETUP,
)
def edition_and_host_supported(facts: Facts, settings: Settings) -> Iterator[Result]:
    instance = _instance(facts)
    host_error = facts.error_for("sql.instance.host_platform")
    host = " ".join(x for x in (instance.host_platform, instance.host_distribution) if x)
    observed = f"{instance.edition} on {host or 'an unknown host'}"
    expected = "Enterprise, Standard or Developer edition on Windows Server 2012+ or Linux"
    edition = instance.edition.split(" Edition")[0].strip()
    problems, warnings = [], []
    if not edition.startswith(SUPPORTED_EDITIONS):
        if edition.startswith("Evaluation"):
            warnings.append("Evaluation edition is not listed as supported for the link")
        else:
            problems.append(f"{edition or 'this'} edition cannot host a link")
    elif edition.startswith("Standard") and _multidb_planned(facts):
        problems.append("Standard edition cannot use the multiple-database link mode (basic AGs hold one database)")
    distribution = instance.host_distribution.lower()
    major = instance.major_version
    if instance.host_platform.lower() == "linux" and major is not None and major < 14:
        # SQL Server runs on Linux from 2017 (14.x): an older build on Linux is not a supported host, whatever
        # SQL-001 says about the version, so the two never contradict each other.
        problems.append(f"SQL Server {instance.product_version} does not run on Linux as a supported host (Linux needs "
                        "SQL Server 2017 or later; see SQL-001)")
    if "windows 10" in distribution or "windows 11" in distribution:
        problems.append(f"{instance.host_distribution} is a client OS: availability groups cannot be enabled on it")
    if problems:
        yield failed("; ".join(problems), observed=observed, expected=expected)
    elif not instance.host_platform:
        # Unknown is never "supported": neither sys.dm_os_host_info nor @@VERSION named the host OS.
        why = host_error.reason if host_error is not None else "sys.dm_os_host_info and @@VERSION did not name it"
        yield errored(f"The host OS could not be read: {why}", observed=observed, expected=expected)
    elif warnings:
        yield warned("; ".join(warnings), observed=observed, expected=expected)
    else:
        yield passed("Edition and host OS are supported", observed=observed, expected=expected)


@check(
    id="SQL-004",
    title="Always On availability groups are enabled (IsHadrEnabled = 1)",
    area=Area.SQL,
    severity=Severity.CRITICAL,
    rationale="The link is a distributed availability group: the feature must be enabled and its manager running.",
    remediation=(
        "Windows: enable 'Always On availability groups' in SQL Server Configuration Manager (or "
        "Enable-SqlAlwaysOn) and restart the service; SQL Server 2016 also needs a Windows Server failover "
        "cluster. Linux: sudo /opt/mssql/bin/mssql-conf set hadr.hadrenabled 1 and restart."
    ),
    docs=DOCS_PREP,
    owner=Owner.DBA,
    requires=("sql.instance",),
    directions=SQL_SERVER_SETUP,
)
def availability_groups_enabled(facts: Facts, settings: Settings) -> Iterator[Result]:
    instance = _instance(facts)
    observed = f"IsHadrEnabled = {int(instance.is_hadr_enabled)}, HadrManagerStatus = {instance.hadr_manager_status}"
    expected = "IsHadrEnabled = 1, HadrManagerStatus = 1 (started)"
    fix = (CodeBlock("powershell", f"Enable-SqlAlwaysOn -ServerInstance '{instance.server_name}' -Force",
                     "Windows: enable Always On (restarts the service)"),
           CodeBlock("shell", "sudo /opt/mssql/bin/mssql-conf set hadr.hadrenabled 1\nsudo systemctl restart mssql-server",
                     "Linux"))
    if not instance.is_hadr_enabled:
        yield failed("Always On availability groups are disabled", observed=observed, expected=expected, fix=fix)
    elif instance.hadr_manager_status == 2:
        yield failed("Always On is enabled but its manager failed to start (see the error log)",
                     observed=observed, expected=expected)
    elif instance.hadr_manager_status == 0:
        yield warned("Always On is enabled but its manager has not started yet", observed=observed, expected=expected)
    else:
        yield passed("Always On availability groups are enabled", observed=observed, expected=expected)


@check(
    id="SQL-005",
    title="A database master key exists in master",
    area=Area.SQL,
    severity=Severity.HIGH,
    rationale="The master key in master protects the private key of the certificate the link's endpoint uses.",
    remediation="Create the master key in master with a strong password and back it up.",
    docs=DOCS_PREP,
    owner=Owner.DBA,
    requires=("sql.master_key_present",),
    directions=SQL_SERVER_SETUP,
)
def master_key_exists(facts: Facts, settings: Settings) -> Iterator[Result]:
    present = facts.sql.master_key_present  # type: ignore[union-attr]
    expected = "a row in master.sys.symmetric_keys with symmetric_key_id = 101"
    if present:
        yield passed("The database master key exists in master", observed="present", expected=expected)
    else:
        yield failed("There is no database master key in master", observed="absent", expected=expected, fix=(
            CodeBlock("tsql", "USE [master];\nCREATE MASTER KEY ENCRYPTION BY PASSWORD = N'<strong password>';\n"
                              "BACKUP MASTER KEY TO FILE = N'<path>\\master.key'\n"
                              "    ENCRYPTION BY PASSWORD = N'<another strong password>';",
                      "Create and back up the master key"),))


@check(
    id="SQL-006",
    title="Recommended trace flags are set (1800, 9567 at startup; 12381 while a large database seeds)",
    area=Area.SQL,
    severity=Severity.LOW,
    rationale=(
        "-T1800 avoids log write problems between disks of different sector sizes (common between on-premises "
        "and Azure storage); -T9567 compresses the seeding stream; 12381, on only while a large database seeds, "
        "keeps the log from being truncated (errors 1408/1412). Recommended, not required."
    ),
    remediation=("Enable 1800 and 9567 now (DBCC TRACEON) and as startup parameters (-T); turn on 12381 only for "
                 "the seeding window of a large database (DBCC TRACEON before, DBCC TRACEOFF after), never at "
                 "startup. Both states are read: DBCC TRACESTATUS(-1) for now, the registry for startup."),
    docs=DOCS_PREP,
    owner=Owner.DBA,
    requires=("sql.trace_flags",),
    prevents=(1408, 1412),
    directions=Directions.sensitive(
        sql_first="1800 and 9567, and 12381 while a large planned database seeds from SQL Server",
        mi_first="1800 and 9567 only: seeding runs from the instance, so 12381 on SQL Server does not apply",
        failback="as with SQL Server first",
    ),
)
def recommended_trace_flags(facts: Facts, settings: Settings) -> Iterator[Result]:
    sql = facts.sql
    assert sql is not None
    flags = {f.flag: f for f in sql.trace_flags or ()}
    if any(tf.running is None for tf in flags.values()):
        # Unknown is never ready: a flag's state now (DBCC TRACESTATUS(-1)) that was not read is not "as at startup".
        yield errored("The trace flags on now were not read (DBCC TRACESTATUS(-1)): sql.trace_flags[].running is "
                      "missing", observed=_trace_observed({f for f, tf in flags.items() if tf.enabled}, None,
                                                          sql.trace_flags_source))
        return
    startup = {f for f, tf in flags.items() if tf.enabled}
    now = {f for f, tf in flags.items() if tf.on_now}
    read_running = any(tf.running is not None for tf in flags.values())
    large_gb = float(settings.get("large_database_gb", 100))
    planned = {d.lower() for d in facts.plan.databases}
    # With the instance as initial primary, seeding runs from the instance: SQL Server's 12381 has nothing to hold.
    large = [] if facts.plan.initial_primary == "ManagedInstance" else [
        d.name for d in sql.databases or () if d.name.lower() in planned
        and (d.data_size_mb + d.log_size_mb) / 1024 >= large_gb]
    # 1800 and 9567 belong on now and at startup; 12381 only while a large database seeds (troubleshooting
    # page), never at startup. Advice follows the evidence: only what is missing, where it is missing.
    off_now = [f for f in (1800, 9567) if f not in now]
    not_at_startup = [f for f in (1800, 9567) if f not in startup]
    seeding_window = bool(large) and 12381 not in now
    kw = {"observed": _trace_observed(startup, now if read_running else None, sql.trace_flags_source),
          "expected": "1800 and 9567 on now and at startup" + ("; 12381 on during seeding only" if large else
                                                               "; 12381 never at startup")}
    fix = _trace_fixes(off_now, not_at_startup, 12381 in startup, large if seeding_window else [])
    parts = ([f"off now: {', '.join(map(str, off_now))}"] if off_now else []) + (
        [f"not startup parameters: {', '.join(map(str, not_at_startup))}"] if not_at_startup else []) + (
        ["12381 is a startup parameter: it should be on only while seeding"] if 12381 in startup else []) + (
        [f"12381 not on for seeding {', '.join(large)} (≥ {large_gb:g} GB)"] if seeding_window else [])
    if parts:
        yield warned("Trace flags " + "; ".join(parts), **kw, fix=tuple(fix))
    elif 12381 in now and not large:
        yield passed("The recommended trace flags are set (12381 is on: turn it off once seeding is done)", **kw)
    else:
        yield passed("The recommended trace flags are set", **kw)


def _trace_observed(startup: set[int], now: set[int] | None, source: str) -> str:
    def listed(flags: set[int]) -> str:
        return ", ".join(str(f) for f in sorted(flags)) or "none of 1800, 9567, 12381"

    running = f"running now: {listed(now)}" if now is not None else "running now: not read"
    return f"startup: {listed(startup)}; {running} ({source or 'startup parameters'})"


def _trace_fixes(off_now: list[int], not_at_startup: list[int], startup_12381: bool,
                 seeding: list[str]) -> list[CodeBlock]:
    fix: list[CodeBlock] = []
    if off_now:
        fix.append(CodeBlock("tsql", f"DBCC TRACEON({', '.join(map(str, off_now))}, -1);",
                             "Now, until the next restart"))
    if not_at_startup:
        fix += [
            CodeBlock("text", "SQL Server Configuration Manager > SQL Server service > Startup Parameters: add "
                      + "; ".join(f"-T{f}" for f in not_at_startup), "Windows: at every start"),
            CodeBlock("shell", "\n".join(f"sudo /opt/mssql/bin/mssql-conf traceflag {f} on" for f in not_at_startup)
                      + "\nsudo systemctl restart mssql-server", "Linux: at every start"),
        ]
    if startup_12381:
        fix.append(CodeBlock("text", "Remove the startup parameter -T12381 (SQL Server Configuration Manager, or "
                             "mssql-conf traceflag 12381 off on Linux): turn 12381 on only for a seeding window",
                             "12381 is not a permanent flag"))
    if seeding:
        fix.append(CodeBlock("tsql", "DBCC TRACEON(12381, -1);\n"
                             "-- after seeding has completed: DBCC TRACEOFF(12381, -1);",
                             f"Only for the seeding window of {', '.join(seeding)}"))
    return fix


@check(
    id="SQL-007",
    title="The probe login can read everything the checks need",
    area=Area.SQL,
    severity=Severity.MEDIUM,
    rationale=(
        "Without VIEW SERVER STATE, VIEW ANY DEFINITION and read access to msdb backup history, SQL Server "
        "refuses or silently hides what the checks judge, so their findings would be guesses."
    ),
    remediation="Run the T-SQL from `linkready grant-script` (read-only permissions only), then re-run.",
    docs=DOCS_PREP,
    owner=Owner.DBA,
    requires=("sql.permissions",),
    directions=SQL_SERVER_SETUP,
)
def probe_login_has_permissions(facts: Facts, settings: Settings) -> Iterator[Result]:
    sql = facts.sql
    assert sql is not None
    granted = set(sql.permissions or ())
    missing = [p for p in NEEDED_PERMISSIONS if p not in granted
               and not ("CONTROL SERVER" in granted and not p.startswith("SELECT"))]
    if sql.is_sysadmin:
        missing = []
    unread = facts.error_for("sql.is_sysadmin")
    if unread is not None:  # sysadmin lifts every missing permission: unknown is not "lacks" and not "has"
        yield errored(f"Could not evaluate: sql.is_sysadmin could not be read: {unread.reason}",
                      observed=", ".join(sorted(granted)) or "no server permissions",
                      expected=", ".join(NEEDED_PERMISSIONS))
        return
    blocked = sorted({e.fact for e in facts.errors if e.probe == "sql" and e.kind == "permission"})
    observed = ", ".join(sorted(granted)) or "no server permissions"
    expected = ", ".join(NEEDED_PERMISSIONS)
    if missing or blocked:
        detail = f"missing {', '.join(missing)}" if missing else "some statements were refused"
        if blocked:
            detail += f"; facts not read: {', '.join(blocked)}"
        login = sql.login or "<probe login>"
        yield errored(f"The probe login ({sql.login or 'unknown'}) lacks permissions: {detail}",
                      observed=observed, expected=expected, fix=(CodeBlock(
                          "tsql", f"-- linkready grant-script --login {login} prints the full script\n"
                          + "\n".join(f"GRANT {p} TO [{login}];" for p in missing if not p.startswith("SELECT"))
                          + ("\nUSE [msdb];\nGRANT SELECT ON dbo.backupset TO [" + login + "];"
                             if "SELECT ON msdb.dbo.backupset" in missing else ""),
                          "Grant the read-only permissions"),))
    else:
        yield passed("The probe login has every permission the checks need", observed=observed, expected=expected)


@check(
    id="SQL-008",
    title="The link procedure sp_certificate_add_issuer is present and the multiple-database mode fits the plan",
    area=Area.SQL,
    severity=Severity.HIGH,
    rationale=(
        "sys.sp_certificate_add_issuer arrives with the update that enables the link (the Azure Connect pack on "
        "2016/2017); without it the link wizard fails with Msg 2812. The multiple-database link mode needs "
        "sys.sp_multidb_milink (SQL Server 2022 CU27+, 2025 CU9+) enabled on every replica, and single- and "
        "multiple-database links cannot coexist on one instance."
    ),
    remediation="Install the update SQL-002 names; for the multiple-database mode run EXEC sys.sp_multidb_milink 1;",
    docs=DOCS_EXTEND,
    owner=Owner.DBA,
    requires=("sql.has_sp_certificate_add_issuer",),
    prevents=(2812,),
    directions=SQL_SERVER_SETUP,
)
def link_procedures_present(facts: Facts, settings: Settings) -> Iterator[Result]:
    sql = facts.sql
    assert sql is not None
    observed = (f"sp_certificate_add_issuer {'present' if sql.has_sp_certificate_add_issuer else 'missing'}, "
                f"sp_multidb_milink {'present' if sql.has_sp_multidb_milink else 'missing'}")
    multidb = _multidb_planned(facts)
    expected = "sp_certificate_add_issuer present" + ("; sp_multidb_milink present and enabled" if multidb else "")
    # Both are judged for every plan (a single-database plan FAILs when the mode is on), so a
    # snapshot or probe that lost one cannot pass as "absent" / "off".
    unread = facts.error_for("sql.has_sp_multidb_milink") or facts.error_for("sql.multidb_mode_enabled")
    if unread is not None:
        yield errored(f"Could not evaluate: {unread.fact} could not be read: {unread.reason}",
                      observed=observed, expected=expected)
        return
    if not sql.has_sp_certificate_add_issuer:
        yield failed("sys.sp_certificate_add_issuer is missing: the update that enables the link is not installed",
                     observed=observed, expected=expected)
    elif multidb and not sql.has_sp_multidb_milink:
        yield failed("The plan uses the multiple-database mode but sys.sp_multidb_milink does not exist "
                     "(needs SQL Server 2022 CU27+ or 2025 CU9+)", observed=observed, expected=expected)
    elif multidb and sql.multidb_mode_enabled is False:
        yield failed("The multiple-database mode is off", observed=observed, expected=expected,
                     fix=(CodeBlock("tsql", "EXEC sys.sp_multidb_milink 1;", "Enable the mode on every replica"),))
    elif not multidb and sql.multidb_mode_enabled:
        yield failed("The multiple-database mode is on, but the plan creates single-database links "
                     "(the two kinds cannot coexist)", observed=observed, expected=expected)
    elif multidb and sql.multidb_mode_enabled is None:
        yield warned("The multiple-database mode cannot be read with a SELECT; confirm it is enabled",
                     observed=observed, expected=expected,
                     fix=(CodeBlock("tsql", "EXEC sys.sp_multidb_milink;      -- 1 = enabled\n"
                                            "EXEC sys.sp_multidb_milink 1;    -- enable (no links may exist)",
                                    "Check, then enable on every replica"),))
    else:
        yield passed("The link's stored procedures are present", observed=observed, expected=expected)
