"""Existing links on the managed instance (MI-007, MI-008): conflicts with the plan, and stale links."""

from __future__ import annotations

from collections.abc import Iterator

from linkready.checks._azure import mi_parts
from linkready.checks._directions import INSTANCE_STATE, LEFTOVERS

from linkready.domain.docs import DOCS_SCRIPTS, DOCS_TROUBLE
from linkready.facts import Facts
from linkready.facts.azure import ExistingLink
from linkready.model import Area, CodeBlock, Owner, Result, Settings, Severity, errored, failed, passed, skipped, warned
from linkready.registry import check


@check(
    id="MI-007",
    title="No existing link conflicts with the plan (same name, same database or same instance AG name)",
    area=Area.MANAGED_INSTANCE,
    severity=Severity.CRITICAL,
    rationale=(
        "Each link is a distributed availability group on the instance, joining SQL Server's availability group "
        "with an availability group the service creates on the instance under the plan's instance_ag_name. A "
        "second link with the same name, a database that is already linked, or an instance availability group "
        "name that an existing link (or another planned link) already uses makes the creation fail."
    ),
    remediation=(
        "Pick another link name or instance_ag_name, or remove the old link (az sql mi link delete) if it is no "
        "longer used."
    ),
    docs=DOCS_SCRIPTS,
    owner=Owner.DBA,
    requires=("azure.managed_instance", "plan.links", "azure.links"),
    directions=INSTANCE_STATE,
)
def no_conflicting_link(facts: Facts, settings: Settings) -> Iterator[Result]:
    assert facts.azure is not None and facts.azure.links is not None
    existing = facts.azure.links
    group, name = mi_parts(facts)
    observed = "; ".join(f"{x.name} (instance AG {x.instance_ag_name}: {', '.join(d.name for d in x.databases)})"
                         for x in existing) or "no links"
    for planned in facts.plan.links:
        clash = [x for x in existing if x.name.lower() == planned.name.lower()]
        linked = {d.lower() for d in planned.databases}
        same_db = [(x, d.name) for x in existing for d in x.databases if d.name.lower() in linked]
        # The service names the instance side's AG after instance_ag_name; a name in use on the instance is refused
        # (CloudLifterChimeraMIAgNameIsAlreadyUsed), whether an existing link or another link of this plan has it.
        ag = planned.instance_ag_name.lower()
        same_ag = [x for x in existing if ag and x.instance_ag_name.lower() == ag and x not in clash]
        planned_twice = [p.name for p in facts.plan.links
                         if p is not planned and ag and p.instance_ag_name.lower() == ag]
        problems = [f"a link named {x.name} already exists" for x in clash]
        problems += [f"database {db} is already linked by {x.name}" for x, db in same_db]
        problems += [f"instance AG name {x.instance_ag_name} is already used by link {x.name}" for x in same_ag]
        problems += [f"instance AG name {planned.instance_ag_name} is also planned for link {other}"
                     for other in planned_twice]
        expected = "no link with this name, these databases or this instance AG name"
        evidence = [f"planned instance AG name {planned.instance_ag_name}"]
        if problems:
            fixes = {x.name for x in clash} | {x.name for x, _ in same_db} | {x.name for x in same_ag}
            yield failed("; ".join(problems), target=planned.name, observed=observed, expected=expected,
                         evidence=evidence,
                         fix=tuple(CodeBlock("azcli", f"az sql mi link delete --resource-group {group} "
                                                      f"--instance-name {name} --name {n}") for n in sorted(fixes)))
        else:
            yield passed("No existing link uses this name, these databases or this instance AG name",
                         target=planned.name, observed=observed, expected=expected, evidence=evidence)


def _stale_reasons(link: ExistingLink) -> list[str]:
    reasons = []
    for db in link.databases:
        if db.connected_state.upper() == "DISCONNECTED":
            reasons.append(f"{db.name} disconnected")
        elif db.synchronization_health.upper() == "NOT_HEALTHY":
            reasons.append(f"{db.name} not healthy")
        if db.most_recent_error:
            reasons.append(f"last error: {db.most_recent_error}")
    if link.link_state and link.link_state.lower() in ("disconnected", "failed", "suspended"):
        reasons.append(f"link state {link.link_state}")
    return reasons


def _host(endpoint: str) -> str:
    return endpoint.lower().removeprefix("tcp://").rsplit(":", 1)[0]


@check(
    id="MI-008",
    title="Existing links are healthy (no stale link)",
    area=Area.LINK,
    severity=Severity.HIGH,
    rationale=(
        "A link whose replica is disconnected or unhealthy still counts toward the instance's limits and, when it "
        "comes from the same SQL Server, shows that certificates or the network path that the new link needs are "
        "already broken."
    ),
    remediation="Repair the old link (certificates, network) or remove it before creating a new one.",
    docs=DOCS_TROUBLE,
    owner=Owner.DBA,
    requires=("azure.managed_instance", "azure.links"),
    directions=LEFTOVERS,
)
def no_stale_link(facts: Facts, settings: Settings) -> Iterator[Result]:
    assert facts.azure is not None and facts.azure.links is not None
    if not facts.azure.links:
        yield skipped("Not applicable: the instance has no link yet")
        return
    planned_hosts = {_host(link.partner_endpoint) for link in facts.plan.links}
    group, name = mi_parts(facts)
    for link in facts.azure.links:
        reasons = _stale_reasons(link)
        observed = "; ".join(
            f"{d.name}: {d.connected_state or '?'}/{d.synchronization_health or '?'}" for d in link.databases
        ) or link.link_state or "no database status"
        expected = "every replica CONNECTED and HEALTHY"
        unknown = [d.name for d in link.databases if not d.connected_state or not d.synchronization_health]
        if not reasons and (unknown or not link.databases):
            # Absent health is not "healthy": the service did not say, so the link's state is unknown.
            what = ", ".join(unknown) or "no database of the link"
            yield errored(f"Could not evaluate link {link.name}: connection state or health is not reported for {what}",
                          target=link.name, observed=observed, expected=expected)
            continue
        if not reasons:
            yield passed(f"Link {link.name} is healthy", target=link.name, observed=observed, expected=expected)
            continue
        fix = (CodeBlock("azcli", f"az sql mi link delete --resource-group {group} --instance-name {name} "
                                  f"--name {link.name}"),)
        if _host(link.partner_endpoint) in planned_hosts:
            yield failed(f"Link {link.name} from the same SQL Server ({link.partner_endpoint}) is stale: "
                         + "; ".join(reasons), target=link.name, observed=observed, expected=expected, fix=fix)
        else:
            yield warned(f"Link {link.name} ({link.partner_endpoint}) is stale: " + "; ".join(reasons),
                         target=link.name, observed=observed, expected=expected, fix=fix)
