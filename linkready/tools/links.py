"""Link inventory: every existing link on a managed instance, judged against its targets.

Pure: it takes facts already collected (the Azure facts' ``links``, optionally the SQL Server's
view of its distributed availability groups and the partner endpoints' name resolution) and
returns an :class:`Inventory`. ``linkready links`` collects, calls :func:`build_inventory`, renders.

Connection, health, lag, certificate expiry and the SQL Server's view of the distributed
availability group are judged by the failover checks themselves (FO-001, FO-003, FO-005, FO-006,
run as pure functions over each link): one rulebook for ``links`` and the failover profile. What a
check could not evaluate for a target the user asked for (a lag the managed instance does not
report while ``--max-lag`` is set) is *unknown*, never met: it makes the exit code 3. Seeding age
and endpoint resolution are the inventory's own.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from linkready.domain.endpoints import split_endpoint
from linkready.facts import Collector, Facts, ProbeError
from linkready.facts.azure import AzureFacts, ExistingLink, LinkDatabase
from linkready.facts.network import DNS_NOANSWER, DNS_NXDOMAIN, DNS_OK, DnsAnswer
from linkready.facts.plan import PlanFacts, PlannedLink
from linkready.facts.sql import AvailabilityGroup, SqlFacts
from linkready.model import CheckSpec, Settings, Status

#: How long automatic seeding may run before we flag it (the brief's service limit: 6 days).
SEEDING_MAX_DAYS = 6.0

# Flag codes (stable: JSON consumers filter on them).
DISCONNECTED = "disconnected"
UNHEALTHY = "unhealthy"
SEEDING_STUCK = "seeding_stuck"
SEEDING_TOO_LONG = "seeding_too_long"
CERT_EXPIRING = "cert_expiring"
CERT_EXPIRED = "cert_expired"
ENDPOINT_UNRESOLVED = "endpoint_unresolved"
LAG = "lag_above_target"
SQL_SIDE = "sql_server_view"


@dataclass(frozen=True)
class LinkTargets:
    """What every link must meet. ``max_lag_seconds`` None means no freshness target."""

    max_lag_seconds: float | None = None
    cert_expiry_warn_days: int = 30
    seeding_max_days: float = SEEDING_MAX_DAYS


@dataclass(frozen=True)
class Flag:
    code: str
    message: str
    database: str = ""


@dataclass(frozen=True)
class DatabaseRow:
    name: str
    replica_state: str
    seeding_progress: str
    seeding: bool
    synchronization_health: str
    connected_state: str
    send_lag_seconds: float | None
    redo_lag_seconds: float | None
    last_hardened_time: datetime | None
    partner_cert_name: str
    partner_cert_expiry: datetime | None
    cert_days_left: int | None
    most_recent_error: str

    @property
    def lag_seconds(self) -> float | None:
        lags = [v for v in (self.send_lag_seconds, self.redo_lag_seconds) if v is not None]
        return max(lags) if lags else None


@dataclass(frozen=True)
class LinkRow:
    name: str
    instance_role: str
    partner_role: str
    replication_mode: str
    failover_mode: str
    seeding_mode: str
    partner_endpoint: str
    partner_host: str
    #: True resolves, False does not, None not checked.
    partner_resolves: bool | None
    databases: tuple[DatabaseRow, ...]
    #: The SQL Server's view of the distributed AG ("CONNECTED/HEALTHY" per replica), when joined.
    sql_server_view: str = ""
    created_at: datetime | None = None
    flags: tuple[Flag, ...] = ()
    #: What the FO checks could not evaluate for this link (each names the fact), e.g. an unreported lag.
    unknown: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.flags


@dataclass(frozen=True)
class Inventory:
    instance: str
    as_of: datetime
    targets: LinkTargets
    links: tuple[LinkRow, ...] = ()
    #: Things the inventory could not judge, in words (e.g. name resolution not checked).
    notes: tuple[str, ...] = ()
    #: Why the links could not be read at all (then exit code 3).
    error: str = ""
    errors: tuple[ProbeError, ...] = field(default=())

    @property
    def flagged(self) -> tuple[LinkRow, ...]:
        return tuple(link for link in self.links if not link.ok)

    @property
    def unknown(self) -> tuple[tuple[LinkRow, str], ...]:
        """(link, what could not be evaluated) for every link: unknown is never "meets its targets"."""
        return tuple((link, reason) for link in self.links for reason in link.unknown)

    @property
    def exit_code(self) -> int:
        """0 every link meets its targets, 1 at least one does not, 3 the links (or a target) could not be
        evaluated and none failed."""
        if self.error:
            return 3
        if self.flagged:
            return 1
        return 3 if self.unknown else 0


def partner_host(endpoint: str) -> str:
    """``TCP://host:5022`` → ``host`` (brackets stripped from IPv6); "" when malformed."""
    parsed = split_endpoint(endpoint)
    return parsed[0] if parsed else ""


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def hosts_to_resolve(links: Sequence[ExistingLink]) -> list[str]:
    """Partner endpoint host names that need DNS (IP literals need none), each once."""
    seen: dict[str, None] = {}
    for link in links:
        host = partner_host(link.partner_endpoint)
        if host and not is_ip(host):
            seen.setdefault(host.lower(), None)
    return list(seen)


def same_server(partner: str, hosts: Sequence[str]) -> bool:
    """Does the partner endpoint host name the SQL Server known by ``hosts`` (names, FQDNs, addresses)?

    Host names also match on their first label, so ``sqlprod01.corp.local`` matches the machine
    name ``SQLPROD01``; IP addresses match only exactly.
    """
    wanted = partner.lower().rstrip(".")
    for host in hosts:
        known = host.lower().rstrip(".")
        if not known:
            continue
        if known == wanted:
            return True
        if not is_ip(wanted) and not is_ip(known) and known.split(".")[0] == wanted.split(".")[0]:
            return True
    return False


def resolves(answers: Sequence[DnsAnswer]) -> bool | None:
    """True when any resolver gave addresses; False when one said the name does not exist (or has no
    address) and none gave addresses; None when nothing definitive came back (timeouts, SERVFAIL)."""
    if any(a.status == DNS_OK and a.addresses for a in answers):
        return True
    if any(a.status in (DNS_NXDOMAIN, DNS_NOANSWER) for a in answers):
        return False
    return None


def resolution_by_host(answers: Sequence[DnsAnswer]) -> dict[str, bool]:
    """``{host: resolves}`` from DNS answers (e.g. the network probe's partner_dns); hosts with no
    definitive answer are left out, so they count as "not checked" rather than "does not resolve"."""
    by_host: dict[str, list[DnsAnswer]] = {}
    for answer in answers:
        by_host.setdefault(answer.name.lower().rstrip("."), []).append(answer)
    out: dict[str, bool] = {}
    for host, group in by_host.items():
        verdict = resolves(group)
        if verdict is not None:
            out[host] = verdict
    return out


def is_seeding(db: LinkDatabase) -> bool:
    """Seeding is under way when the replica or the progress text says so and nothing says complete."""
    progress = db.seeding_progress.strip().lower()
    state = db.replica_state.strip().lower()
    if "complete" in progress or progress in ("100", "100%", "100.0", "100.00%"):
        return False
    return state in ("seeding", "initializing") or (bool(progress) and progress not in ("none", "n/a"))


def _database_row(db: LinkDatabase, as_of: datetime) -> DatabaseRow:
    days_left = None
    if db.partner_cert_expiry is not None:
        days_left = int((db.partner_cert_expiry - as_of).total_seconds() // 86400)
    return DatabaseRow(
        name=db.name,
        replica_state=db.replica_state,
        seeding_progress=db.seeding_progress,
        seeding=is_seeding(db),
        synchronization_health=db.synchronization_health,
        connected_state=db.connected_state,
        send_lag_seconds=db.send_lag_seconds,
        redo_lag_seconds=db.redo_lag_seconds,
        last_hardened_time=db.last_hardened_time,
        partner_cert_name=db.partner_cert_name,
        partner_cert_expiry=db.partner_cert_expiry,
        cert_days_left=days_left,
        most_recent_error=db.most_recent_error,
    )


@dataclass(frozen=True)
class Rulebook:
    """The FO-* checks' verdicts on the links, keyed by (check ID, target): one rulebook for both
    ``links`` and the failover profile, so the inventory never judges a link differently."""

    statuses: Mapping[tuple[str, str], Status]
    #: The message of each result, by the same key (an ERROR's says what could not be evaluated).
    messages: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def failed(self, check_id: str, target: str) -> bool:
        return self.statuses.get((check_id, target)) is Status.FAIL

    def unknown(self, check_id: str, target: str) -> str:
        """Why the check could not evaluate ``target`` ("" when it could)."""
        if self.statuses.get((check_id, target)) is Status.ERROR:
            return self.messages.get((check_id, target), "")
        return ""


#: Which FO check answers which question about an existing link.
CONNECTED_AND_HEALTHY, LAG_WITHIN_TARGET, CERTIFICATES_VALID = "FO-001", "FO-003", "FO-005"
SQL_SEES_LINK = "FO-006"


@functools.cache
def _rule_specs() -> dict[str, CheckSpec]:
    # Looked up once: the registry sorts the whole catalogue on every lookup.
    from linkready.checks import get

    specs = {}
    for check_id in (CONNECTED_AND_HEALTHY, LAG_WITHIN_TARGET, CERTIFICATES_VALID, SQL_SEES_LINK):
        spec = get(check_id)
        assert spec is not None, f"the failover check {check_id} is missing from the catalogue"
        specs[check_id] = spec
    return specs


def judge_link(link: ExistingLink, as_of: datetime, targets: LinkTargets) -> Rulebook:
    """Run FO-001/003/005 as pure functions over one link, with the inventory's targets as thresholds.

    One link at a time: FO-005 judges a certificate name once, and two links may trust different
    certificates of the same name. FO-005 sees only the partner certificates the managed instance
    reports (the inventory does not read SQL Server's own).
    """
    facts = Facts(collector=Collector(collected_at=as_of), azure=AzureFacts(links=(link,)))
    thresholds: dict[str, Any] = {"failback_window_days": targets.cert_expiry_warn_days}
    wanted = [CONNECTED_AND_HEALTHY, CERTIFICATES_VALID]
    if targets.max_lag_seconds is not None:
        thresholds["failover_max_lag_seconds"] = targets.max_lag_seconds
        wanted.append(LAG_WITHIN_TARGET)
    return _run_rules(facts, wanted, thresholds)


def _run_rules(facts: Facts, wanted: Sequence[str], thresholds: dict[str, Any]) -> Rulebook:
    from linkready.engine import run_check

    statuses: dict[tuple[str, str], Status] = {}
    messages: dict[tuple[str, str], str] = {}
    specs = _rule_specs()
    for check_id in wanted:
        for finding in run_check(specs[check_id], facts, Settings(thresholds)):
            statuses[(check_id, finding.target)] = finding.status
            messages[(check_id, finding.target)] = finding.message
    return Rulebook(statuses, messages)


def _flags(row: DatabaseRow, link: str, created_at: datetime | None, as_of: datetime, targets: LinkTargets,
           rules: Rulebook) -> list[Flag]:
    name = row.name
    flags = _health_flags(row, rules.failed(CONNECTED_AND_HEALTHY, f"{link}/{name}"))
    if row.seeding:
        flags += _seeding_flags(row, created_at, as_of, targets)
    cert = row.partner_cert_name or "partner certificate"
    if row.partner_cert_expiry is not None and rules.failed(CERTIFICATES_VALID, f"trusted by the managed instance: {cert}"):
        expiry = row.partner_cert_expiry.date().isoformat()
        if row.partner_cert_expiry <= as_of:
            flags.append(Flag(CERT_EXPIRED, f"{name}: {cert} expired on {expiry}", name))
        else:
            flags.append(Flag(
                CERT_EXPIRING,
                f"{name}: {cert} expires on {expiry} ({row.cert_days_left} days; "
                f"threshold {targets.cert_expiry_warn_days} days)",
                name,
            ))
    if targets.max_lag_seconds is not None and rules.failed(LAG_WITHIN_TARGET, f"{link}/{name}"):
        flags.append(Flag(LAG, f"{name}: lag {row.lag_seconds:g} s is above the target of "
                               f"{targets.max_lag_seconds:g} s", name))
    return flags


def _unknown(row: DatabaseRow, link: str, rules: Rulebook) -> list[str]:
    """What a target the user set could not be judged on (only FO-003 runs on a user's target)."""
    reason = rules.unknown(LAG_WITHIN_TARGET, f"{link}/{row.name}")
    return [reason.removeprefix("Could not evaluate: ") + " (--max-lag cannot be judged)"] if reason else []


def _health_flags(row: DatabaseRow, failed: bool) -> list[Flag]:
    """FO-001 decides whether the database is flagged; the flags name every reason seen.

    A state the managed instance did not report counts against the link (unknown is never healthy);
    an unreported health beside a disconnected replica adds nothing the first flag does not say.
    """
    if not failed:
        return []
    flags = []
    if row.connected_state.upper() != "CONNECTED":
        flags.append(Flag(DISCONNECTED, f"{row.name}: replica is {row.connected_state or 'not reported as connected'}",
                          row.name))
    if row.synchronization_health.upper() != "HEALTHY" and (row.synchronization_health or not flags):
        health = row.synchronization_health or "not reported"
        flags.append(Flag(UNHEALTHY, f"{row.name}: synchronization health is {health}", row.name))
    return flags


def _seeding_flags(row: DatabaseRow, created_at: datetime | None, as_of: datetime, targets: LinkTargets) -> list[Flag]:
    """Seeding age and progress: the inventory's own rules (no FO check judges a seeding link)."""
    flags: list[Flag] = []
    name = row.name
    if created_at is not None:
        days = (as_of - created_at).total_seconds() / 86400
        if days > targets.seeding_max_days:
            flags.append(Flag(
                SEEDING_TOO_LONG,
                f"{name}: still seeding {days:.1f} days after the link was created "
                f"(limit {targets.seeding_max_days:g} days)",
                name,
            ))
    if row.most_recent_error:
        flags.append(Flag(SEEDING_STUCK, f"{name}: seeding reports an error: {row.most_recent_error}", name))
    elif row.connected_state and row.connected_state.upper() != "CONNECTED":
        flags.append(Flag(SEEDING_STUCK, f"{name}: seeding cannot progress while disconnected", name))
    return flags


def _sql_view(link: ExistingLink, groups: Sequence[AvailabilityGroup], as_of: datetime
              ) -> tuple[str, list[Flag], list[str]]:
    """The SQL Server's distributed AG of the same name, judged by FO-006: (what it shows, the flags
    for what FO-006 fails, what FO-006 could not evaluate)."""
    facts = Facts(collector=Collector(collected_at=as_of), sql=SqlFacts(availability_groups=tuple(groups)),
                  plan=PlanFacts(links=(PlannedLink(link.name, (), "", "", ""),)))
    rules = _run_rules(facts, [SQL_SEES_LINK], {})
    flags = [Flag(SQL_SIDE, rules.messages[key], "") for key, status in rules.statuses.items()
             if status is Status.FAIL]
    unknown = [rules.messages[key].removeprefix("Could not evaluate: ") for key, status in rules.statuses.items()
               if status is Status.ERROR]
    match = next((g for g in groups if g.is_distributed and g.name.lower() == link.name.lower()), None)
    if match is None:
        return "not found on SQL Server", flags, unknown
    parts = [f"{r.name}: {r.connected_state or '?'}/{r.synchronization_health or '?'}" for r in match.replicas]
    return "; ".join(parts) or "no replicas", flags, unknown


def build_inventory(
    links: Sequence[ExistingLink] | None,
    *,
    instance: str,
    as_of: datetime,
    targets: LinkTargets,
    errors: Sequence[ProbeError] = (),
    sql_groups: Sequence[AvailabilityGroup] | None = None,
    sql_hosts: Sequence[str] = (),
    resolved: Mapping[str, bool] | None = None,
    created: Mapping[str, datetime] | None = None,
    notes: Sequence[str] = (),
) -> Inventory:
    """Judge every link.

    ``sql_groups`` is the SQL Server's view of its availability groups; it is joined only to links
    whose partner endpoint names that SQL Server (``sql_hosts``: its names and addresses), since a
    managed instance may link to several SQL Servers. ``resolved`` maps partner host (lower case) → resolves; None means name resolution was not
    checked (the flag is then skipped and a note says so). ``created`` maps link name → creation
    time where known (seeding age).
    """
    out_notes = list(notes)
    if links is None:
        reason = next((e.reason for e in errors if e.fact in ("azure", "azure.links")), "")
        return Inventory(instance, as_of, targets, error=reason or "the links were not read", errors=tuple(errors),
                         notes=tuple(out_notes))
    if resolved is None and hosts_to_resolve(links):
        out_notes.append("partner endpoint name resolution was not checked")
    elif resolved is not None:
        unchecked = [h for h in hosts_to_resolve(links) if h not in resolved]
        if unchecked:
            out_notes.append(f"no definitive DNS answer for {', '.join(unchecked)} (timeout or SERVFAIL)")
    rows = []
    for link in links:
        rules = judge_link(link, as_of, targets)
        created_at = (created or {}).get(link.name)
        databases = tuple(_database_row(db, as_of) for db in link.databases)
        flags: list[Flag] = []
        unknown: list[str] = []
        for row in databases:
            flags.extend(_flags(row, link.name, created_at, as_of, targets, rules))
            unknown.extend(_unknown(row, link.name, rules))
        host = partner_host(link.partner_endpoint)
        resolves: bool | None
        if not host:
            resolves = None
            flags.append(Flag(ENDPOINT_UNRESOLVED, f"partner endpoint {link.partner_endpoint!r} is not TCP://host:port"))
        elif is_ip(host):
            resolves = True
        else:
            resolves = None if resolved is None else resolved.get(host.lower())
            if resolves is False:
                flags.append(Flag(ENDPOINT_UNRESOLVED, f"partner endpoint host {host} no longer resolves"))
        view = ""
        if sql_groups is not None and host and same_server(host, sql_hosts):
            view, sql_flags, sql_unknown = _sql_view(link, sql_groups, as_of)
            flags.extend(sql_flags)
            unknown.extend(sql_unknown)
        elif sql_groups is not None:
            view = "partner is another SQL Server (not joined)"
        rows.append(LinkRow(
            name=link.name,
            instance_role=link.instance_role,
            partner_role=link.partner_role,
            replication_mode=link.replication_mode,
            failover_mode=link.failover_mode,
            seeding_mode=link.seeding_mode,
            partner_endpoint=link.partner_endpoint,
            partner_host=host,
            partner_resolves=resolves,
            databases=databases,
            sql_server_view=view,
            created_at=created_at,
            flags=tuple(flags),
            unknown=tuple(unknown),
        ))
    if any(db.seeding for row in rows for db in row.databases) and not created:
        out_notes.append("seeding age was not judged: the API does not report when a link was created")
    return Inventory(instance, as_of, targets, tuple(rows), tuple(out_notes), errors=tuple(errors))
