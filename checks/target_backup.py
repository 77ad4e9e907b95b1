"""Target readiness, backups: retention, storage redundancy and long-term retention on the managed instance (audit)."""

from __future__ import annotations

from collections.abc import Iterator

from linkready.checks._directions import AUDITED_CONFIG
from linkready.checks._target import AUDIT, MI_DOCS, azcli_block, placeholder_names, planned_or_existing, target_facts

from linkready.facts import Facts
from linkready.model import (
    Area,
    Owner,
    Result,
    Settings,
    Severity,
    errored,
    passed,
    skipped,
    warned,
)
from linkready.registry import check

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
    docs=f"{MI_DOCS}/automated-backups-overview",
    owner=Owner.AZURE,
    requires=("target", "target.backup_retention"),
    tags=AUDIT,
    directions=AUDITED_CONFIG,
)
def backup_retention_meets_minimum(facts: Facts, settings: Settings) -> Iterator[Result]:
    target = target_facts(facts)
    minimum = int(settings.get("backup_retention_days_min", 7))
    _, group, name = placeholder_names(facts)
    by_db = {r.database.lower(): r for r in target.backup_retention or ()}
    expected = f">= {minimum} days"
    for database in planned_or_existing(facts):
        fix = azcli_block(
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
    docs=f"{MI_DOCS}/automated-backups-overview#backup-storage-redundancy",
    owner=Owner.AZURE,
    requires=("target", "target.backup_storage_redundancy"),
    tags=AUDIT,
    directions=AUDITED_CONFIG,
)
def backup_storage_redundancy_is_accepted(facts: Facts, settings: Settings) -> Iterator[Result]:
    target = target_facts(facts)
    allowed = [str(v) for v in settings.get("backup_storage_redundancy_allowed", ["Geo", "GeoZone", "Zone"])]
    current = target.backup_storage_redundancy or ""
    requested = target.requested_backup_storage_redundancy or ""
    _, group, name = placeholder_names(facts)
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
            azcli_block(
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
    docs=f"{MI_DOCS}/long-term-backup-retention-configure",
    owner=Owner.AZURE,
    requires=("target", "target.ltr_policies"),
    tags=AUDIT,
    directions=AUDITED_CONFIG,
)
def long_term_retention_is_configured(facts: Facts, settings: Settings) -> Iterator[Result]:
    target = target_facts(facts)
    _, group, name = placeholder_names(facts)
    by_db = {p.database.lower(): p for p in target.ltr_policies or ()}
    present = {d.lower() for d in target.databases or ()}
    expected = "weekly, monthly or yearly backups kept"
    for database in planned_or_existing(facts):
        fix = azcli_block(
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
        elif policy is not None and policy.unread():
            yield errored(
                f"Could not evaluate {database}'s long-term retention: "
                + ", ".join(f"target.ltr_policies.{k}" for k in policy.unread()) + " not read",
                target=database, observed=policy.describe(), expected=expected,
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


