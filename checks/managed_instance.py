"""The managed instance as a link target (MI-001..006, MI-009): state, tier, update policy, capacity,
failover groups and the caller's permissions. Its existing links (MI-007, MI-008) are in existing_links."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from linkready.checks._azure import mi_parts, sql_major
from linkready.checks._directions import (
    DATABASE_COUNT,
    INSTANCE_STATE,
    NOTHING_SEEDED_ONTO_THE_INSTANCE,
    SEEDED_ONTO_THE_INSTANCE,
    TIER_FOR_THE_DATABASES,
    UPDATE_POLICY,
    mi_is_initial_primary,
)

from linkready.domain.docs import DOCS_EXTEND, DOCS_OVERVIEW, DOCS_PREP, DOCS_TROUBLE, DOCS_UPDATE_POLICY
from linkready.domain.resource_ids import name_of
from linkready.facts import Facts
from linkready.facts.azure import ManagedInstance
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

BUSY_STATES = {"pending", "inprogress", "cancelinprogress"}
TIERS = {"generalpurpose": "General Purpose", "businesscritical": "Business Critical"}
#: The RBAC actions creating and running a link needs (SQL Managed Instance Contributor has them all).
LINK_ACTIONS: tuple[str, ...] = (
    "Microsoft.Sql/managedInstances/read",
    "Microsoft.Sql/managedInstances/write",
    "Microsoft.Sql/managedInstances/hybridCertificate/action",
    "Microsoft.Sql/managedInstances/databases/read",
    "Microsoft.Sql/managedInstances/databases/delete",
    "Microsoft.Sql/managedInstances/databases/write",
    "Microsoft.Sql/managedInstances/databases/completeRestore/action",
    "Microsoft.Sql/managedInstances/databases/readBackups/action",
    "Microsoft.Sql/managedInstances/databases/restoreDetails/read",
    "Microsoft.Sql/managedInstances/distributedAvailabilityGroups/read",
    "Microsoft.Sql/managedInstances/distributedAvailabilityGroups/write",
    "Microsoft.Sql/managedInstances/distributedAvailabilityGroups/delete",
    "Microsoft.Sql/managedInstances/distributedAvailabilityGroups/setRole/action",
    "Microsoft.Sql/managedInstances/endpointCertificates/read",
    "Microsoft.Sql/managedInstances/hybridLink/read",
    "Microsoft.Sql/managedInstances/hybridLink/write",
    "Microsoft.Sql/managedInstances/hybridLink/delete",
    "Microsoft.Sql/managedInstances/serverTrustCertificates/write",
    "Microsoft.Sql/managedInstances/serverTrustCertificates/delete",
    "Microsoft.Sql/managedInstances/serverTrustCertificates/read",
)
POLICY_NAMES = {"sqlserver2022": "SQL Server 2022", "sqlserver2025": "SQL Server 2025",
                "alwaysuptodate": "Always-up-to-date"}
MATCHING_POLICY = {16: "sqlserver2022", 17: "sqlserver2025"}


def _mi(facts: Facts) -> ManagedInstance:
    assert facts.azure is not None and facts.azure.managed_instance is not None
    return facts.azure.managed_instance


@check(
    id="MI-001",
    title="The managed instance is Ready and no management operation is in progress",
    area=Area.MANAGED_INSTANCE,
    severity=Severity.CRITICAL,
    rationale=(
        "Creating a link is a management operation: it is refused while the instance is stopped or another "
        "operation (scaling, maintenance) runs, and initial seeding restarts if an operation fails the instance over."
    ),
    remediation="Start the instance, or wait for the running operation to finish (az sql mi op list), then re-run.",
    docs=DOCS_TROUBLE,
    owner=Owner.AZURE,
    requires=("azure.managed_instance",),
    directions=INSTANCE_STATE,
)
def instance_is_ready(facts: Facts, settings: Settings) -> Iterator[Result]:
    mi = _mi(facts)
    group, name = mi_parts(facts)
    observed = f"state {mi.state}, provisioning {mi.provisioning_state}"
    expected = "state Ready, provisioning Succeeded, no operation in progress"
    if mi.state.lower() != "ready":
        fix = (CodeBlock("azcli", f"az sql mi start --resource-group {group} --mi {name}"),) \
            if mi.state.lower() in ("stopped", "stopping") else ()
        yield failed(f"The managed instance is {mi.state}, not Ready", target=mi.name, observed=observed,
                     expected=expected, fix=fix)
        return
    if not mi.provisioning_state:  # ARM always reports it: empty was not read, not "Succeeded"
        yield errored("Could not evaluate: the instance's provisioning state "
                      "(azure.managed_instance.provisioning_state) is empty: it was not read",
                      target=mi.name, observed=observed, expected=expected)
        return
    busy = [o for o in facts.azure.operations or () if o.state.lower() in BUSY_STATES] if facts.azure else []
    if busy or mi.provisioning_state.lower() != "succeeded":
        ops = "; ".join(f"{o.operation} ({o.state}, started {o.start_time:%Y-%m-%d %H:%M} UTC)" if o.start_time
                        else f"{o.operation} ({o.state})" for o in busy)
        yield failed(f"A management operation is in progress on the instance: {ops or mi.provisioning_state}",
                     target=mi.name, observed=f"{observed}; {ops}" if ops else observed, expected=expected,
                     fix=(CodeBlock("azcli", f"az sql mi op list --resource-group {group} --mi {name} -o table"),))
        return
    operations_error = facts.error_for("azure.operations")
    if operations_error is not None or facts.azure is None or facts.azure.operations is None:
        # Unknown is not "no operation in progress": a scaling or update operation blocks link creation.
        why = operations_error.reason if operations_error else "azure.operations was not collected"
        yield errored(f"Could not evaluate: the instance is Ready, but its management operations are unknown: {why}",
                      target=mi.name, observed=observed, expected=expected)
        return
    yield passed("The managed instance is Ready with no operation in progress", target=mi.name, observed=observed,
                 expected=expected)


@check(
    id="MI-002",
    title="The service tier supports the link and the planned databases",
    area=Area.MANAGED_INSTANCE,
    severity=Severity.HIGH,
    rationale=(
        "General Purpose (including Next-gen) and Business Critical instances support the link; In-Memory OLTP "
        "databases can only be replicated to Business Critical."
    ),
    remediation="Use (or scale to) a Business Critical instance for databases with In-Memory OLTP.",
    docs=DOCS_OVERVIEW,
    owner=Owner.AZURE,
    requires=("azure.managed_instance",),
    directions=TIER_FOR_THE_DATABASES,
)
def tier_is_supported(facts: Facts, settings: Settings) -> Iterator[Result]:
    mi = _mi(facts)
    tier_key = mi.tier.replace(" ", "").lower()
    tier = TIERS.get(tier_key)
    label = f"{tier or mi.tier}{' (Next-gen)' if mi.is_general_purpose_v2 else ''}, {mi.sku_name}"
    expected = "General Purpose, Next-gen General Purpose or Business Critical; Business Critical for In-Memory OLTP"
    if tier is None:
        yield failed(f"Service tier {mi.tier or '(unknown)'} cannot host a link", target=mi.name, observed=label,
                     expected=expected)
        return
    planned = {n.lower() for n in facts.plan.databases}
    # With the instance as initial primary the databases already live on it: only the tier is judged.
    inmem = [d.name for d in (facts.sql.databases or ()) if d.name.lower() in planned and d.inmemory_filegroups] \
        if facts.sql and not mi_is_initial_primary(facts) else []
    if inmem and tier_key != "businesscritical":
        group, name = mi_parts(facts)
        yield failed(
            f"{label} has no In-Memory OLTP, but planned database(s) {', '.join(inmem)} use it",
            target=mi.name, observed=label, expected=expected,
            fix=(CodeBlock("azcli", f"az sql mi update --resource-group {group} --name {name} --tier BusinessCritical"),),
        )
        return
    yield passed(f"{label} supports the link" + (" and the planned In-Memory OLTP databases" if inmem else ""),
                 target=mi.name, observed=label, expected=expected)


@check(
    id="MI-003",
    title="The update policy fits the SQL Server version and the planned direction",
    area=Area.MANAGED_INSTANCE,
    severity=Severity.CRITICAL,
    rationale=(
        "The update policy fixes the instance's database format. SQL Server 2025 cannot replicate to the SQL Server "
        "2022 policy; failing back to SQL Server, or the instance as initial primary, needs the policy that matches "
        "SQL Server's version (2022 or 2025) and never works with Always-up-to-date, which cannot be undone."
    ),
    remediation="Choose the update policy matching SQL Server before creating the link (Always-up-to-date is one way).",
    docs=DOCS_UPDATE_POLICY,
    owner=Owner.AZURE,
    requires=("azure.managed_instance",),
    directions=UPDATE_POLICY,
)
def update_policy_fits_plan(facts: Facts, settings: Settings) -> Iterator[Result]:
    mi = _mi(facts)
    major = sql_major(facts)
    plan = facts.plan
    mi_first = mi_is_initial_primary(facts)
    both_ways = plan.failback or mi_first
    direction = "MI as initial primary" if mi_first else "failback" if plan.failback else "one-way SQL Server -> MI"
    # What needs the matching policy: replicating from the instance to SQL Server, from the start or after a failover.
    needs = "The instance as initial primary" if mi_first else "Failing back"
    fmt = (mi.database_format or "").lower()
    policy = POLICY_NAMES.get(fmt, mi.database_format or "not reported")
    version = f"SQL Server {major}.x" if major else "SQL Server version unknown"
    observed = f"update policy {policy}; {version}; plan {direction}"
    expected = "SQL Server 2025 -> 2025 or Always-up-to-date policy; failback needs the matching 2022/2025 policy"
    target = mi.name
    group, name = mi_parts(facts)
    if not fmt:
        api = facts.azure.sql_api_version if facts.azure else ""
        yield warned(
            f"The update policy was not reported (API version {api or 'unknown'} predates it); confirm it is the "
            f"one {version} and the plan need", target=target, observed=observed, expected=expected,
            fix=(CodeBlock("azcli", f"az sql mi show --resource-group {group} --name {name} --query databaseFormat"),),
        )
        return
    if major == 17 and fmt == "sqlserver2022":
        yield failed("SQL Server 2025 cannot link to an instance on the SQL Server 2022 update policy",
                     target=target, observed=observed, expected=expected)
        return
    if both_ways:
        if fmt == "alwaysuptodate":
            yield failed(f"{needs} never works with the Always-up-to-date policy: the instance cannot replicate to "
                         "SQL Server with it, and it cannot be changed back", target=target, observed=observed,
                         expected=expected)
            return
        if major is not None and major < 16:
            yield failed(f"SQL Server {major}.x links are one-way: {needs.lower()} needs SQL Server 2022 or later",
                         target=target, observed=observed, expected=expected)
            return
        if major is not None and MATCHING_POLICY.get(major) != fmt:
            want = POLICY_NAMES[MATCHING_POLICY[major]]
            yield failed(f"{needs} to SQL Server {major}.x needs the {want} update policy, not {policy}",
                         target=target, observed=observed, expected=expected)
            return
    if major is None:
        yield warned(f"The {policy} policy allows a one-way link from SQL Server 2022; SQL Server's version is "
                     "unknown, so the rest could not be checked", target=target, observed=observed, expected=expected)
        return
    yield passed(f"The {policy} update policy supports {version} for a {direction} link", target=target,
                 observed=observed, expected=expected)


def _planned_size_gb(facts: Facts) -> tuple[float, list[str]]:
    sizes, missing = 0.0, []
    found = {d.name.lower(): d for d in (facts.sql.databases or ())} if facts.sql else {}
    for name in facts.plan.databases:
        db = found.get(name.lower())
        if db is None:
            missing.append(name)
        else:
            sizes += (db.data_size_mb + db.log_size_mb) / 1024
    return sizes, missing


@check(
    id="MI-004",
    title="The instance has free storage for the planned databases, with headroom",
    area=Area.MANAGED_INSTANCE,
    severity=Severity.HIGH,
    rationale=(
        "Seeding creates each database at its full size on the instance; a database fits only if the instance's "
        "reserved storage minus what is used holds it, and a nearly full instance stops accepting writes."
    ),
    remediation="Increase the instance's storage (az sql mi update --storage) or link fewer databases.",
    docs=DOCS_OVERVIEW,
    owner=Owner.AZURE,
    requires=("azure.managed_instance",),
    directions=SEEDED_ONTO_THE_INSTANCE,
)
def storage_has_headroom(facts: Facts, settings: Settings) -> Iterator[Result]:
    mi = _mi(facts)
    if mi_is_initial_primary(facts):
        yield skipped(NOTHING_SEEDED_ONTO_THE_INSTANCE)
        return
    headroom = float(settings.get("mi_storage_headroom_percent", 10)) / 100
    need, missing = _planned_size_gb(facts)
    if mi.storage_used_gb is None:
        yield warned("Used storage could not be read (Azure Monitor metric storage_space_used_mb)", target=mi.name,
                     observed=f"{mi.storage_size_gb} GB reserved, used unknown; planned {need:.1f} GB",
                     expected="planned size within free storage")
        return
    free = mi.storage_size_gb - mi.storage_used_gb
    observed = (f"{mi.storage_size_gb} GB reserved, {mi.storage_used_gb:.1f} GB used, {free:.1f} GB free; "
                f"planned databases {need:.1f} GB" + (f" (sizes unknown: {', '.join(missing)})" if missing else ""))
    expected = f"planned size + {headroom:.0%} of reserved storage within free storage"
    group, name = mi_parts(facts)
    grow = -(-int(mi.storage_used_gb + need + headroom * mi.storage_size_gb) // 32) * 32
    fix = (CodeBlock("azcli", f"az sql mi update --resource-group {group} --name {name} --storage {grow}GB"),)
    if need > free:
        yield failed(f"The planned databases ({need:.1f} GB) do not fit the {free:.1f} GB free", target=mi.name,
                     observed=observed, expected=expected, fix=fix)
    elif need + headroom * mi.storage_size_gb > free:
        yield warned(f"The planned databases fit but leave less than {headroom:.0%} of the storage free",
                     target=mi.name, observed=observed, expected=expected, fix=fix)
    elif missing:
        yield warned(f"Sizes of {', '.join(missing)} are unknown; the known databases fit", target=mi.name,
                     observed=observed, expected=expected)
    else:
        yield passed(f"The planned databases fit with {free - need:.1f} GB left", target=mi.name, observed=observed,
                     expected=expected)


@check(
    id="MI-005",
    title="The instance has room for more databases and links",
    area=Area.MANAGED_INSTANCE,
    severity=Severity.HIGH,
    rationale=(
        "General Purpose and Business Critical instances hold up to 100 databases (and links), Next-gen General "
        "Purpose up to 500; existing databases count toward the limit."
    ),
    remediation="Remove unused databases or links, use Next-gen General Purpose, or spread links over instances.",
    docs=DOCS_EXTEND,
    owner=Owner.AZURE,
    requires=("azure.managed_instance", "azure.databases"),
    directions=DATABASE_COUNT,
)
def database_count_has_headroom(facts: Facts, settings: Settings) -> Iterator[Result]:
    mi = _mi(facts)
    assert facts.azure is not None and facts.azure.databases is not None
    limit = 500 if mi.is_general_purpose_v2 else 100
    existing = {d.name.lower() for d in facts.azure.databases}
    new = [n for n in facts.plan.databases if n.lower() not in existing]
    links = len(facts.azure.links or ())
    planned_links = len(facts.plan.links)
    observed = (f"{len(existing)} databases and {links} links on the instance; {len(new)} new databases and "
                f"{planned_links} links planned; limit {limit}")
    expected = f"at most {limit} databases and links after the plan"
    if len(existing) + len(new) > limit or links + planned_links > limit:
        yield failed(f"The plan needs {len(existing) + len(new)} databases / {links + planned_links} links; "
                     f"this instance holds at most {limit}", target=mi.name, observed=observed, expected=expected)
    else:
        yield passed(f"Room for the plan: {limit - len(existing) - len(new)} databases to spare", target=mi.name,
                     observed=observed, expected=expected)


@check(
    id="MI-006",
    title="The managed instance is not part of a failover group",
    area=Area.MANAGED_INSTANCE,
    severity=Severity.CRITICAL,
    rationale="A link cannot be established on a managed instance that is part of a failover group.",
    remediation="Remove the instance from the failover group (or use another instance) before creating the link.",
    docs=DOCS_OVERVIEW,
    owner=Owner.AZURE,
    requires=("azure.managed_instance", "azure.failover_groups"),
    directions=INSTANCE_STATE,
)
def not_in_failover_group(facts: Facts, settings: Settings) -> Iterator[Result]:
    mi = _mi(facts)
    assert facts.azure is not None and facts.azure.failover_groups is not None
    ids = {mi.id.lower(), mi.name.lower()}
    member = [g for g in facts.azure.failover_groups
              if any(m.lower() in ids or name_of(m).lower() == mi.name.lower() for m in g.managed_instances)]
    observed = ", ".join(g.name for g in facts.azure.failover_groups) or "no failover group in the region"
    if member:
        group, _ = mi_parts(facts)
        yield failed(f"The instance is in failover group {', '.join(g.name for g in member)}", target=mi.name,
                     observed=observed, expected="not a member of any failover group",
                     fix=tuple(CodeBlock("azcli", f"az sql instance-failover-group delete --resource-group {group} "
                                                  f"--location {mi.location} --name {g.name}") for g in member))
    else:
        yield passed("The instance is not in a failover group", target=mi.name, observed=observed,
                     expected="not a member of any failover group")


def _allowed(action: str, facts: Facts) -> bool:
    assert facts.azure is not None
    for perm in facts.azure.permissions or ():
        granted = any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in perm.actions)
        denied = any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in perm.not_actions)
        if granted and not denied:
            return True
    return False


@check(
    id="MI-009",
    title="The caller holds every RBAC action the link needs on the instance",
    area=Area.MANAGED_INSTANCE,
    severity=Severity.HIGH,
    rationale=(
        "Creating and running a link reads and writes the instance, its databases, distributed availability groups "
        "and server trust certificates; the built-in SQL Managed Instance Contributor role has them all."
    ),
    remediation="Grant SQL Managed Instance Contributor on the instance, or add the missing actions to the custom role.",
    docs=DOCS_PREP,
    owner=Owner.AZURE,
    requires=("azure.permissions",),
    directions=INSTANCE_STATE,
)
def caller_has_link_permissions(facts: Facts, settings: Settings) -> Iterator[Result]:
    missing = [a for a in LINK_ACTIONS if not _allowed(a, facts)]
    mi_id = (facts.azure.managed_instance.id if facts.azure and facts.azure.managed_instance else "") \
        or facts.plan.mi_resource_id
    observed = f"{len(LINK_ACTIONS) - len(missing)} of {len(LINK_ACTIONS)} actions granted"
    if missing:
        yield failed(f"The caller lacks {len(missing)} action(s): {', '.join(missing)}", target="RBAC",
                     observed=observed, expected="all link actions granted", evidence=missing,
                     fix=(CodeBlock("azcli", "az role assignment create --assignee <user-or-identity> "
                                             f"--role \"SQL Managed Instance Contributor\" --scope {mi_id or '<mi-id>'}"),))
    else:
        yield passed("The caller holds every action the link needs", target="RBAC", observed=observed,
                     expected="all link actions granted")
