"""Target readiness (audit profile): is the managed instance finished before data is replicated into it?

The most common regret with a Managed Instance link is creating it against a managed instance that
is not yet production-grade: short backups, weak TLS, nobody can sign in with Entra ID, no alerts,
no audit trail, no monitoring, or too small for the workload it will take over. Every check here
is tagged ``audit`` so the preflight profile (what the link strictly needs) leaves them out.
"""

from __future__ import annotations

from linkready.domain import resource_ids
from linkready.domain.docs import DOCS_MI
from linkready.facts import Facts
from linkready.facts.target import TargetFacts
from linkready.model import CodeBlock

AUDIT = ("audit",)
MI_DOCS = DOCS_MI


# ---------------------------------------------------------------------------------------------
# Helpers: placeholders from facts, and facts whose empty value is meaningful.


def placeholder_names(facts: Facts) -> tuple[str, str, str]:
    """(subscription, resource group, instance) from the configured resource ID, with placeholders."""
    rid = resource_ids.parse(facts.plan.mi_resource_id)
    if rid:
        return rid.subscription, rid.group, rid.name
    name = facts.target.instance_name if facts.target and facts.target.instance_name else resource_ids.INSTANCE_PLACEHOLDER
    return resource_ids.SUBSCRIPTION_PLACEHOLDER, resource_ids.GROUP_PLACEHOLDER, name


def mi_id(facts: Facts) -> str:
    if facts.plan.mi_resource_id:
        return facts.plan.mi_resource_id
    sub, group, name = placeholder_names(facts)
    return resource_ids.managed_instance_id(sub, group, name)


def azcli_block(code: str, title: str) -> CodeBlock:
    return CodeBlock("azcli", code, title)


def target_facts(facts: Facts) -> TargetFacts:
    assert facts.target is not None  # every check requires "target"
    return facts.target


def planned_or_existing(facts: Facts) -> list[str]:
    """Databases the audit judges: the planned ones first, then every other user database present."""
    target = target_facts(facts)
    names = list(facts.plan.databases)
    known = {n.lower() for n in names}
    for name in target.databases or ():
        if name.lower() not in known:
            names.append(name)
            known.add(name.lower())
    return names


