"""Planned-failover preflight of an existing link (FO-001..006, profile ``failover``; the roles, FO-007 and
FO-008, are in failover_roles).

Two kinds of failover exist for a Managed Instance link:

* **planned** (``az sql mi link failover --failover-type Planned``, SQL Server 2022+): the link is
  switched to synchronous commit, both sides wait until the secondary has hardened every
  transaction, then the roles swap. No data is lost; it is refused or times out when the link
  is disconnected, unhealthy or too far behind.
* **forced** (``--failover-type ForcedAllowDataLoss``): the secondary becomes primary at once,
  whatever it has received. Unsent log is lost, and both sides can end up primary (split brain)
  until the old primary is demoted.

These checks FAIL when a planned failover would be refused or would lose data, and say what a
failback to this SQL Server would need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta

from linkready.checks._azure import mi_parts, sql_major
from linkready.checks._directions import EXISTING_LINK, mi_is_initial_primary

from linkready.domain.docs import DOCS_FAILOVER, DOCS_OVERVIEW, DOCS_TROUBLE
from linkready.facts import Facts
from linkready.facts.azure import ExistingLink, LinkDatabase
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

TAGS = ("failover",)
PLANNED_VS_FORCED = (
    " A planned failover switches the link to synchronous commit and waits until the secondary has every "
    "transaction, so nothing is lost; it is refused or times out when the link is not connected, healthy and "
    "caught up. A forced failover (ForcedAllowDataLoss) never waits: whatever the secondary has not received "
    "is lost, and both sides may act as primary until the old one is demoted."
)
#: Update policy (databaseFormat) that lets each SQL Server major version take the link back.
FAILBACK_POLICY = {16: "SQLServer2022", 17: "SQLServer2025"}
SQL_NAMES = {13: "SQL Server 2016", 14: "SQL Server 2017", 15: "SQL Server 2019", 16: "SQL Server 2022",
             17: "SQL Server 2025"}


def judged_links(facts: Facts) -> tuple[list[ExistingLink], list[str]]:
    """The existing links to judge (the planned ones by name, else all) and planned names not found."""
    existing = list(facts.azure.links or ()) if facts.azure else []
    planned = [link.name for link in facts.plan.links]
    if not planned:
        return existing, []
    by_name = {link.name.lower(): link for link in existing}
    return [by_name[n.lower()] for n in planned if n.lower() in by_name], [
        n for n in planned if n.lower() not in by_name
    ]


def links_error(facts: Facts) -> Result | None:
    error = facts.error_for("azure.links")
    if error is not None:
        return errored(f"Could not evaluate: azure.links could not be read: {error.reason}")
    if facts.azure is None or facts.azure.links is None:
        return errored("Could not evaluate: the managed instance's links (azure.links) were not collected")
    return None


def each_link(facts: Facts, judge: Callable[[ExistingLink], Iterable[Result]]) -> Iterator[Result]:
    """``judge``'s results for every existing link the plan names (a planned link not found is FO-001's FAIL),
    or the one ERROR saying why the links are unknown."""
    problem = links_error(facts)
    if problem is not None:
        yield problem
        return
    links, _ = judged_links(facts)
    for link in links:
        yield from judge(link)


def mi_target(facts: Facts) -> str:
    group, name = mi_parts(facts)
    return f"--resource-group {group} --instance-name {name}"


@check(
    id="FO-001",
    title="The link exists and every database in it is connected and healthy",
    area=Area.LINK,
    severity=Severity.CRITICAL,
    rationale=(
        "A planned failover needs a connected, healthy distributed availability group: with a disconnected or "
        "unhealthy replica it is refused, and the only way over is a forced failover that loses whatever the "
        "secondary has not received." + PLANNED_VS_FORCED
    ),
    remediation=(
        "Restore the connection first: check the endpoint, certificates and network path (run the preflight "
        "profile), look at the database's most recent error, then wait for SYNCHRONIZED before failing over."
    ),
    docs=DOCS_FAILOVER,
    owner=Owner.DBA,
    requires=("azure",),
    prevents=(41986, 47521),
    tags=TAGS,
    directions=EXISTING_LINK,
)
def link_is_connected_and_healthy(facts: Facts, settings: Settings) -> Iterator[Result]:
    problem = links_error(facts)
    if problem is not None:
        yield problem
        return
    links, missing = judged_links(facts)
    for name in missing:
        yield failed(f"Link {name} does not exist on the managed instance: there is nothing to fail over",
                     target=name, observed="no distributed availability group of that name",
                     expected="an existing link")
    if not links and not missing:
        yield failed("The managed instance has no link: there is nothing to fail over",
                     observed="no distributed availability group", expected="an existing link")
    for link in links:
        if not link.databases:
            yield failed(f"Link {link.name} has no database", target=link.name, observed="no database",
                         expected="one or more replicated databases")
        for db in link.databases:
            target = f"{link.name}/{db.name}"
            observed = f"{db.connected_state or 'unknown'}, {db.synchronization_health or 'unknown'}"
            evidence = [f"replica state {db.replica_state}"] if db.replica_state else []
            if db.most_recent_error:
                evidence.append(f"most recent error: {db.most_recent_error}")
            if db.connected_state.upper() != "CONNECTED":
                yield failed(
                    f"{db.name} is {db.connected_state or 'not reported as connected'}: a planned failover would "
                    "be refused; a forced one would lose the log the secondary has not received",
                    target=target, observed=observed, expected="CONNECTED, HEALTHY", evidence=evidence,
                )
            elif db.synchronization_health.upper() != "HEALTHY":
                yield failed(
                    f"{db.name} is connected but {db.synchronization_health or 'of unknown health'}: fix the "
                    "replica before a planned failover",
                    target=target, observed=observed, expected="CONNECTED, HEALTHY", evidence=evidence,
                )
            else:
                yield passed(f"{db.name} is connected and healthy", target=target, observed=observed,
                             expected="CONNECTED, HEALTHY", evidence=evidence)


@check(
    id="FO-002",
    title="The link replicates synchronously, or switching to synchronous commit is prepared",
    area=Area.LINK,
    severity=Severity.MEDIUM,
    rationale=(
        "A planned failover only loses nothing in synchronous commit: the link must be switched from Async to "
        "Sync on both sides first, which adds the round trip to the managed instance to every commit on SQL "
        "Server; expect a short write freeze while the roles swap." + PLANNED_VS_FORCED
    ),
    remediation=(
        "Before the failover window switch both sides to synchronous commit (T-SQL on SQL Server, az CLI on the "
        "managed instance), wait for SYNCHRONIZED, then fail over; switch back to Async afterwards if wanted."
    ),
    docs=DOCS_FAILOVER,
    owner=Owner.DBA,
    requires=("azure",),
    tags=TAGS,
    directions=EXISTING_LINK,
)
def link_mode_supports_planned_failover(facts: Facts, settings: Settings) -> Iterator[Result]:
    problem = links_error(facts)
    if problem is not None:
        yield problem
        return
    links, _ = judged_links(facts)
    for link in links:
        mode = link.replication_mode or "unknown"
        unsynchronized = [db.name for db in link.databases if db.replica_state.upper() != "SYNCHRONIZED"]
        if mode.lower() == "sync" and not unsynchronized:
            yield passed("Synchronous commit, every database SYNCHRONIZED: a planned failover loses nothing",
                         target=link.name, observed=mode, expected="Sync, SYNCHRONIZED")
            continue
        fix = (
            CodeBlock(
                "tsql",
                f"ALTER AVAILABILITY GROUP [{link.name}]\nMODIFY AVAILABILITY GROUP ON\n"
                f"    N'{link.partner_ag_name}' WITH (AVAILABILITY_MODE = SYNCHRONOUS_COMMIT),\n"
                f"    N'{link.instance_ag_name}' WITH (AVAILABILITY_MODE = SYNCHRONOUS_COMMIT);",
                "On SQL Server",
            ),
            CodeBlock("azcli", f"az sql mi link update {mi_target(facts)} --name {link.name} "
                               "--replication-mode Sync", "On the managed instance"),
        )
        if mode.lower() == "sync":
            yield warned(
                f"Synchronous commit, but {', '.join(unsynchronized)} not SYNCHRONIZED yet: a planned failover "
                "waits for it",
                target=link.name, observed=f"{mode}; not synchronized: {', '.join(unsynchronized)}",
                expected="Sync, SYNCHRONIZED",
            )
        else:
            yield warned(
                f"The link replicates {mode}: switch it to Sync on both sides and wait for SYNCHRONIZED before "
                "a planned failover (commits on the primary then wait for the secondary)",
                target=link.name, observed=mode, expected="Sync before the failover", fix=fix,
            )


@check(
    id="FO-003",
    title="The secondary is caught up: log send and redo lag within the failover threshold",
    area=Area.LINK,
    severity=Severity.HIGH,
    rationale=(
        "A planned failover waits until the secondary has hardened all log: a large send or redo lag makes it "
        "time out (the troubleshooting guide's 'planned failover timeout'), and a forced failover at that "
        "moment loses the unsent log." + PLANNED_VS_FORCED
    ),
    remediation=(
        "Wait for the lag to drain (reduce write load, check bandwidth to the managed instance), or schedule the "
        "failover in a quiet window; raise failover_max_lag_seconds in a custom profile only knowingly."
    ),
    docs=DOCS_TROUBLE,
    owner=Owner.DBA,
    requires=("azure",),
    tags=TAGS,
    directions=EXISTING_LINK,
)
def link_lag_is_within_threshold(facts: Facts, settings: Settings) -> Iterator[Result]:
    limit = float(settings.get("failover_max_lag_seconds", 60))
    expected = f"send and redo lag at most {limit:g} s"
    yield from each_link(facts, lambda link: (_lag_result(link, db, limit, expected) for db in link.databases))


def _lag_result(link: ExistingLink, db: LinkDatabase, limit: float, expected: str) -> Result:
    target = f"{link.name}/{db.name}"
    if db.send_lag_seconds is None and db.redo_lag_seconds is None:
        return errored(f"Could not evaluate: the lag of {db.name} is not reported by the managed instance",
                       target=target, expected=expected)
    send, redo = db.send_lag_seconds or 0.0, db.redo_lag_seconds or 0.0
    observed = f"send lag {send:g} s, redo lag {redo:g} s"
    evidence = [f"last hardened {db.last_hardened_time.isoformat()}"] if db.last_hardened_time else []
    worst = max(send, redo)
    if worst > limit:
        return failed(
            f"{db.name} is {worst:g} s behind: a planned failover would time out waiting for it, and a forced "
            f"failover now would lose up to {send:g} s of transactions",
            target=target, observed=observed, expected=expected, evidence=evidence,
        )
    if worst > limit / 2:
        return warned(f"{db.name} is {worst:g} s behind, close to the {limit:g} s threshold",
                      target=target, observed=observed, expected=expected, evidence=evidence)
    return passed(f"{db.name} is caught up", target=target, observed=observed, expected=expected,
                  evidence=evidence)


@check(
    id="FO-004",
    title="The managed instance's update policy allows failing back to this SQL Server version",
    area=Area.LINK,
    severity=Severity.CRITICAL,
    rationale=(
        "After failing over to the managed instance, going back (online through the link, or offline by backup "
        "and restore) needs SQL Server 2022 with the SQL Server 2022 update policy or SQL Server 2025 with the "
        "SQL Server 2025 policy. With Always-up-to-date, or with SQL Server 2016-2019, the failover is one-way: "
        "the databases can never return to this SQL Server."
    ),
    remediation=(
        "Keep the managed instance on the update policy matching SQL Server (Always-up-to-date cannot be undone), "
        "or upgrade SQL Server; if failback is not needed, set options.failback = false and accept a one-way "
        "failover."
    ),
    docs=DOCS_OVERVIEW,
    owner=Owner.AZURE,
    requires=("sql.instance", "azure.managed_instance"),
    tags=TAGS,
    directions=Directions.sensitive(
        sql_first="WARN when the policy makes a failover to the instance one-way (no failback planned)",
        mi_first="FAIL when the policy does not match SQL Server's version: the instance replicates to SQL Server "
                 "from the start",
        failback="FAIL when the databases could not fail back to SQL Server",
    ),
)
def update_policy_allows_failback(facts: Facts, settings: Settings) -> Iterator[Result]:
    major = sql_major(facts)
    mi = facts.azure.managed_instance if facts.azure else None
    assert mi is not None
    policy = mi.database_format
    version = SQL_NAMES.get(major or 0, f"SQL Server major version {major}")
    needed = FAILBACK_POLICY.get(major or 0)
    expected = f"update policy {needed}" if needed else "SQL Server 2022 or 2025 for failback"
    observed = f"{version}, update policy {policy or 'not reported'}"
    if mi_is_initial_primary(facts):
        # The instance replicates to SQL Server from the start: without the matching policy there is no link to
        # fail over, let alone back; "accepted as one-way" does not apply.
        observed += "; the managed instance is the initial primary"
        if needed is None:
            yield failed(f"{version} cannot be the secondary of a link from the managed instance: a link with the "
                         "instance as initial primary, and a failover to SQL Server, need SQL Server 2022 or 2025",
                         observed=observed, expected=expected)
        elif policy is None:
            yield errored("Could not evaluate: the managed instance's update policy (databaseFormat) is not reported",
                          observed=observed, expected=expected)
        elif policy != needed:
            yield failed(f"With the {policy} update policy the instance cannot replicate its databases to {version}: "
                         "failing over to SQL Server and back needs the matching policy", observed=observed,
                         expected=expected)
        else:
            yield passed(f"{policy} lets the databases move between the instance and {version} both ways",
                         observed=observed, expected=expected)
        return
    verdict = failed if facts.plan.failback else warned
    suffix = "" if facts.plan.failback else " (options.failback is false: accepted as one-way)"
    if needed is None:
        yield verdict(f"{version} cannot take the databases back: a failover to the managed instance is one-way"
                      + suffix, observed=observed, expected=expected)
    elif policy is None:
        yield errored("Could not evaluate: the managed instance's update policy (databaseFormat) is not reported",
                      observed=observed, expected=expected)
    elif policy != needed:
        yield verdict(f"With the {policy} update policy the databases cannot fail back to {version}" + suffix,
                      observed=observed, expected=expected)
    else:
        yield passed(f"{policy} lets the databases fail back to {version}", observed=observed, expected=expected)


def _expiry_result(name: str, where: str, expiry: datetime, now: datetime, window: int) -> Result:
    observed = f"expires {expiry.date().isoformat()}"
    expected = f"valid beyond the {window}-day failback window ({(now + timedelta(days=window)).date().isoformat()})"
    target = f"{where}: {name}"
    if expiry <= now:
        return failed(f"Certificate {name} ({where}) has expired: the link is down", target=target,
                      observed=observed, expected=expected)
    if expiry <= now + timedelta(days=window):
        return failed(f"Certificate {name} ({where}) expires within the failback window: the link fails when it "
                      "does, and failing back would be refused", target=target, observed=observed,
                      expected=expected)
    if expiry <= now + timedelta(days=2 * window):
        return warned(f"Certificate {name} ({where}) expires soon after the failback window", target=target,
                      observed=observed, expected=expected)
    return passed(f"Certificate {name} ({where}) outlasts the failback window", target=target, observed=observed,
                  expected=expected)


@check(
    id="FO-005",
    title="The link's certificates stay valid through the failback window",
    area=Area.LINK,
    severity=Severity.HIGH,
    rationale=(
        "The link authenticates both endpoints with certificates; when one expires the link fails. After a "
        "failover the databases may stay on the managed instance for weeks: a certificate that expires in that "
        "window makes failing back impossible until it is renewed and exchanged again."
    ),
    remediation=(
        "Rotate the expiring certificate before the failover: create a new one, trust it on the other side "
        "(az sql mi partner-cert create / CREATE CERTIFICATE FROM BINARY) and switch the endpoint to it."
    ),
    docs=DOCS_TROUBLE,
    owner=Owner.DBA,
    requires=("azure",),
    tags=TAGS,
    directions=EXISTING_LINK,
)
def certificates_outlast_failback_window(facts: Facts, settings: Settings) -> Iterator[Result]:
    window = int(settings.get("failback_window_days", 30))
    now = facts.as_of
    seen: set[str] = set()
    # SQL Server's own certificates first: its dates are authoritative for the endpoint certificate,
    # which the managed instance also reports as the partner certificate.
    sql = facts.sql
    endpoints = (sql.endpoints or ()) if sql else ()
    used = {e.certificate_name for e in endpoints if e.certificate_name}
    fqdn = facts.azure.managed_instance.fqdn.lower() if facts.azure and facts.azure.managed_instance else ""
    for cert in (sql.certificates or ()) if sql else ():
        if cert.name in used:
            seen.add(cert.name.lower())
            yield _expiry_result(cert.name, "SQL Server endpoint", cert.not_after, now, window)
        elif fqdn and cert.name.lower() == fqdn:
            seen.add(cert.name.lower())
            yield _expiry_result(cert.name, "managed instance certificate in SQL Server", cert.not_after, now,
                                 window)
    links, _ = judged_links(facts)
    for link in links:
        for db in link.databases:
            name = db.partner_cert_name or "partner certificate"
            if db.partner_cert_expiry is not None and name.lower() not in seen:
                seen.add(name.lower())
                yield _expiry_result(name, "trusted by the managed instance", db.partner_cert_expiry, now, window)


@check(
    id="FO-006",
    title="SQL Server sees the distributed availability group connected and healthy",
    area=Area.LINK,
    severity=Severity.HIGH,
    rationale=(
        "The failover is coordinated from both sides: SQL Server's own view of the distributed availability "
        "group (sys.dm_hadr_availability_replica_states) must agree that the managed instance replica is "
        "connected and healthy, or the role change on SQL Server fails." + PLANNED_VS_FORCED
    ),
    remediation=(
        "On SQL Server, query sys.dm_hadr_availability_replica_states for the distributed availability group and "
        "fix the connection (endpoint, certificates, network) before the failover."
    ),
    docs=DOCS_FAILOVER,
    owner=Owner.DBA,
    requires=("sql.availability_groups",),
    prevents=(41986,),
    tags=TAGS,
    directions=EXISTING_LINK,
)
def sql_sees_link_healthy(facts: Facts, settings: Settings) -> Iterator[Result]:
    assert facts.sql is not None and facts.sql.availability_groups is not None
    wanted = {link.name.lower() for link in facts.plan.links}
    dags = [ag for ag in facts.sql.availability_groups
            if ag.is_distributed and (not wanted or ag.name.lower() in wanted)]
    if not dags:
        yield failed("SQL Server has no distributed availability group for the link",
                     observed="no distributed availability group", expected="the link's distributed AG")
    for ag in dags:
        bad = [r for r in ag.replicas if r.connected_state.upper() != "CONNECTED"
               or r.synchronization_health.upper() != "HEALTHY"]
        observed = "; ".join(f"{r.name}: {r.connected_state}, {r.synchronization_health}" for r in ag.replicas)
        if not ag.replicas:
            yield errored(f"Could not evaluate: no replica states for {ag.name}", target=ag.name)
        elif bad:
            yield failed(f"SQL Server sees {', '.join(r.name for r in bad)} not connected and healthy",
                         target=ag.name, observed=observed, expected="every replica CONNECTED, HEALTHY")
        else:
            yield passed("Every replica connected and healthy", target=ag.name, observed=observed,
                         expected="every replica CONNECTED, HEALTHY")

