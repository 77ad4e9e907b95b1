"""Target-readiness probe: reads the managed instance's backup, security, monitoring and capacity settings.

GET only, through azure-mgmt-sql's operation groups on the Azure probe's client (its credential,
endpoint, token audience, TLS verification, timeouts and retries); diagnostic settings
(Microsoft.Insights, for which no SDK is installed) by a raw GET through the same client's pipeline. Each read that fails is
recorded as a :class:`ProbeError` naming the RBAC action it needed and the fact path it blocks;
the other reads go on.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

from linkready.facts import ProbeError
from linkready.facts.target import BackupRetention, DiagnosticSetting, EntraAdmin, LtrPolicy, TargetFacts
from linkready.probes import ProbeContext, ProbeOutcome

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.mgmt.sql import SqlManagementClient

    from linkready.config import Config

T = TypeVar("T")
PROBE = "target"
#: Microsoft.Insights diagnostic settings API version (GA for resource-level settings).
DIAGNOSTIC_SETTINGS_API = "2021-05-01-preview"
_SQL = "Microsoft.Sql/managedInstances"
#: Reads of per-database policies run this many at a time (100 databases = 200 GETs).
_PARALLEL = 8


@dataclass
class _Guard:
    """Runs one read, turning an expected failure into a ProbeError for ``fact``.

    The classification is the Azure probe's (same kinds and wording for 401/403/404/429/5xx and
    timeouts); the reason additionally names the RBAC action the read needs and the fact it blocks.
    """

    resource_id: str
    retries: int
    errors: list[ProbeError] = field(default_factory=list)

    def read(self, fact: str, action: str, call: Callable[[], T]) -> T | None:
        try:
            return call()
        except Exception as exc:  # every failure is data; the probe goes on with the next read
            self.errors.append(classify(exc, fact=fact, action=action, resource=self.resource_id,
                                        retries=self.retries))
            return None


def classify(exc: BaseException, *, fact: str, action: str, resource: str, retries: int = 0) -> ProbeError:
    """The Azure probe's ProbeError for ``exc``, attributed to this probe, naming the action and fact."""
    from linkready.probes.azure import probe_error

    error = probe_error(fact, resource, exc, retries)
    reason = error.reason
    if error.kind == "permission":
        # ARM names the denied action in its message; when it does not, name the one this read needs.
        reason = reason.replace("the caller lacks an action", f"the caller lacks {action}")
        reason += f" (needed for {fact})"
    return replace(error, probe=PROBE, reason=reason)


# ---------------------------------------------------------------------------------------------
# The probe


def probe(ctx: ProbeContext) -> ProbeOutcome:
    """Engine entry point: the Azure probe's credential for config.azure, then every target read."""
    from linkready.probes.azure import make_credential

    config = ctx.config
    if config.managed_instance is None:
        return ProbeOutcome(None, (ProbeError(PROBE, "target", "config", "no [managed_instance] in the config"),))
    try:
        credential = make_credential(config.azure)
    except Exception as exc:  # a bad credential setup is an error value, not a crash
        return ProbeOutcome(None, (ProbeError(PROBE, "target", "auth", f"cannot set up the {config.azure.credential} "
                                              f"credential: {type(exc).__name__}: {exc}"),))
    return collect_target(config, credential)


def collect_target(config: Config, credential: TokenCredential) -> ProbeOutcome:
    """Read every target fact with ``credential`` (tests pass the stand-in's token credential).

    The clients are the Azure probe's (same endpoint, token audience, TLS verification, timeouts
    and retry policy), so both probes behave alike against any cloud or the test stand-in.
    """
    from linkready.probes.azure import _Reader as AzureClients

    assert config.managed_instance is not None
    mi_cfg = config.managed_instance
    group, name, mi_id = mi_cfg.resource_group, mi_cfg.name, mi_cfg.resource_id
    guard = _Guard(mi_id, config.azure.retries)
    try:
        clients = AzureClients(config, credential)
    except Exception as exc:
        return ProbeOutcome(None, (ProbeError(PROBE, "target", "config",
                                              f"cannot set up the Azure clients: {type(exc).__name__}: {exc}"),))
    client = clients.sql
    with client:
        instance = guard.read("target", f"{_SQL}/read", lambda: client.managed_instances.get(group, name))
        if instance is None:
            return ProbeOutcome(None, tuple(guard.errors))
        facts = _from_instance(instance)
        facts = replace(facts, **_admins(guard, client, group, name, instance))
        policy = guard.read(
            "target.defender_state", f"{_SQL}/securityAlertPolicies/read",
            lambda: client.managed_server_security_alert_policies.get(group, name, "Default"),
        )
        atp = guard.read(
            "target.atp_state", f"{_SQL}/advancedThreatProtectionSettings/read",
            lambda: client.managed_instance_advanced_threat_protection_settings.get(group, name, "Default"),
        )
        facts = replace(facts, defender_state=_prop(policy, "state"), atp_state=_prop(atp, "state"))
        facts = replace(facts, **_databases(guard, client, group, name))
        facts = replace(facts, diagnostic_settings=_diagnostic_settings(guard, clients, mi_id))
    return ProbeOutcome(facts, _unique(guard.errors))


def _unique(errors: Iterable[ProbeError]) -> tuple[ProbeError, ...]:
    """One error per distinct failure: a role lacking a per-database action fails once per database."""
    seen: dict[tuple[str, str, str], ProbeError] = {}
    for error in errors:
        seen.setdefault((error.fact, error.kind, error.reason), error)
    return tuple(seen.values())


def _prop(model: Any, name: str) -> Any:
    """``model.properties.<name>``; None when the model or the property is missing; enums as their value."""
    if model is None:
        return None
    value = getattr(getattr(model, "properties", None), name, None)
    return value.value if isinstance(value, enum.Enum) else value


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _from_instance(instance: Any) -> TargetFacts:
    sku = getattr(instance, "sku", None)
    return TargetFacts(
        instance_name=str(getattr(instance, "name", "") or ""),
        location=str(getattr(instance, "location", "") or ""),
        tier=str(getattr(sku, "tier", "") or ""),
        v_cores=_prop(instance, "v_cores"),
        memory_size_gb=_float(_prop(instance, "memory_size_in_gb")),
        storage_size_gb=_prop(instance, "storage_size_in_gb"),
        backup_storage_redundancy=_prop(instance, "current_backup_storage_redundancy"),
        requested_backup_storage_redundancy=_prop(instance, "requested_backup_storage_redundancy"),
        # Absent is unknown (the check then says so), not "None": only an explicit "None" means no minimum.
        minimal_tls_version=_prop(instance, "minimal_tls_version"),
        public_data_endpoint_enabled=bool(_prop(instance, "public_data_endpoint_enabled")),
        # Absent means the instance never left the default window (SQL_Default).
        maintenance_configuration_id=_prop(instance, "maintenance_configuration_id") or "",
        hybrid_secondary_usage=_prop(instance, "hybrid_secondary_usage"),
        hybrid_secondary_usage_detected=_prop(instance, "hybrid_secondary_usage_detected"),
        license_type=_prop(instance, "license_type"),
    )


def _admins(reader: _Guard, client: SqlManagementClient, group: str, name: str, instance: Any) -> dict[str, Any]:
    external = _prop(instance, "administrators")
    only = getattr(external, "azure_ad_only_authentication", None) if external is not None else None
    own = _Guard(reader.resource_id, reader.retries)
    found = own.read(
        "target.entra_admins", f"{_SQL}/administrators/read",
        lambda: list(client.managed_instance_administrators.list_by_instance(group, name)),
    )
    if found is not None:
        admins = tuple(
            EntraAdmin(
                login=str(_prop(a, "login") or ""),
                sid=str(_prop(a, "sid") or ""),
                administrator_type=str(_prop(a, "administrator_type") or "ActiveDirectory"),
                tenant_id=str(_prop(a, "tenant_id") or ""),
            )
            for a in found
        )
        return {"entra_admins": admins, "entra_only_authentication": only}
    if external is not None and getattr(external, "login", None):
        # The administrators collection was not readable, but the instance itself names its Entra admin.
        admin = EntraAdmin(login=str(external.login), sid=str(getattr(external, "sid", "") or ""),
                           tenant_id=str(getattr(external, "tenant_id", "") or ""))
        return {"entra_admins": (admin,), "entra_only_authentication": only}
    reader.errors.extend(own.errors)
    return {"entra_admins": None, "entra_only_authentication": only}


def _databases(reader: _Guard, client: SqlManagementClient, group: str, name: str) -> dict[str, Any]:
    listed = reader.read(
        "target.databases", f"{_SQL}/databases/read",
        lambda: list(client.managed_databases.list_by_instance(group, name)),
    )
    if listed is None:
        # Without the list, per-database policies cannot be read either: say so on their paths too.
        blocked = reader.errors[-1]
        reader.errors.extend(replace(blocked, fact=f) for f in ("target.backup_retention", "target.ltr_policies"))
        return {"databases": None, "backup_retention": None, "ltr_policies": None}
    names = [str(db.name) for db in listed if str(db.name).lower() not in ("master", "model", "msdb", "tempdb")]

    def short_term(db: str) -> BackupRetention | None:
        policies = reader.read(
            "target.backup_retention", f"{_SQL}/databases/backupShortTermRetentionPolicies/read",
            lambda: list(client.managed_backup_short_term_retention_policies.list_by_database(group, name, db)),
        )
        if policies is None:
            return None
        days = next((_prop(p, "retention_days") for p in policies), None)
        return BackupRetention(db, days)

    def long_term(db: str) -> LtrPolicy | None:
        policies = reader.read(
            "target.ltr_policies", f"{_SQL}/databases/backupLongTermRetentionPolicies/read",
            lambda: list(client.managed_instance_long_term_retention_policies.list_by_database(group, name, db)),
        )
        if policies is None:
            return None
        if not policies:
            return LtrPolicy(db)
        p = policies[0]
        return LtrPolicy(
            db,
            weekly_retention=str(_prop(p, "weekly_retention") or ""),
            monthly_retention=str(_prop(p, "monthly_retention") or ""),
            yearly_retention=str(_prop(p, "yearly_retention") or ""),
            week_of_year=_prop(p, "week_of_year"),
        )

    with ThreadPoolExecutor(max_workers=_PARALLEL, thread_name_prefix="target-db") as pool:
        # Both policy reads of every database share one bounded pool, so neither waits for the other.
        short_futures = [pool.submit(short_term, db) for db in names]
        long_futures = [pool.submit(long_term, db) for db in names]
        retention = [f.result() for f in short_futures]
        ltr = [f.result() for f in long_futures]
    return {
        "databases": tuple(names),
        "backup_retention": _all_or_none(retention),
        "ltr_policies": _all_or_none(ltr),
    }


def _all_or_none(items: Iterable[T | None]) -> tuple[T, ...] | None:
    """A fact is complete or absent: one unreadable database makes the whole list unavailable."""
    values = list(items)
    if any(v is None for v in values):
        return None
    return tuple(v for v in values if v is not None)


def _diagnostic_settings(reader: _Guard, clients: Any, mi_id: str) -> tuple[DiagnosticSetting, ...] | None:
    """Microsoft.Insights diagnostic settings, by a raw GET through the SQL client's pipeline."""

    def fetch() -> list[dict[str, Any]]:
        pages = clients.get_json(f"{mi_id}/providers/Microsoft.Insights/diagnosticSettings",
                                 {"api-version": DIAGNOSTIC_SETTINGS_API})
        return [item for page in pages for item in page.get("value", [])]

    raw = reader.read("target.diagnostic_settings", "Microsoft.Insights/diagnosticSettings/read", fetch)
    if raw is None:
        return None
    settings = []
    for item in raw:
        props = item.get("properties", {}) or {}
        logs = tuple(
            str(entry.get("category") or entry.get("categoryGroup") or "")
            for entry in props.get("logs", []) or []
            if entry.get("enabled")
        )
        metrics = tuple(
            str(entry.get("category") or "") for entry in props.get("metrics", []) or [] if entry.get("enabled")
        )
        settings.append(
            DiagnosticSetting(
                name=str(item.get("name", "")),
                workspace_id=str(props.get("workspaceId") or ""),
                storage_account_id=str(props.get("storageAccountId") or ""),
                event_hub_authorization_rule_id=str(props.get("eventHubAuthorizationRuleId") or ""),
                logs=logs,
                metrics=metrics,
            )
        )
    return tuple(settings)
