"""Facts for the target-readiness audit of the managed instance (owned by the target room).

Read through Azure Resource Manager with GET only. ``None`` on a field means it was not read;
the probe then records a :class:`~linkready.facts.ProbeError` whose ``fact`` path names it
(e.g. ``target.entra_admins``) and the permission it lacked. Every field has a default, so
snapshots written before a field existed still load.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from linkready.facts.consistency import ARM_NAME, ARM_VALUE, always

#: ISO 8601 durations that mean "no long-term retention" (the service returns PT0S when unset).
_UNSET_DURATIONS = frozenset({"", "PT0S", "P0D", "P0W", "P0M", "P0Y"})


@dataclass(frozen=True)
class BackupRetention:
    """Short-term (point-in-time restore) retention of one database on the managed instance."""

    database: str = field(metadata=always("the target probe reads the policy of a database it names"))
    retention_days: int | None = None


@dataclass(frozen=True)
class LtrPolicy:
    """Long-term retention of one database: ISO 8601 durations ("P4W", "P12M", "P5Y"; PT0S = off)."""

    database: str
    weekly_retention: str = ""
    monthly_retention: str = ""
    yearly_retention: str = ""
    week_of_year: int | None = None

    @property
    def configured(self) -> bool:
        """True when at least one of the weekly, monthly or yearly backups is kept."""
        return any(
            d.upper() not in _UNSET_DURATIONS
            for d in (self.weekly_retention, self.monthly_retention, self.yearly_retention)
        )

    def unread(self) -> tuple[str, ...]:
        """Durations missing beside others that are present: ARM returns all three for a policy
        (PT0S when off), so an empty one among set ones was lost, not "off". All empty = no policy."""
        fields = {"weekly_retention": self.weekly_retention, "monthly_retention": self.monthly_retention,
                  "yearly_retention": self.yearly_retention}
        if all(not v for v in fields.values()):
            return ()
        return tuple(k for k, v in fields.items() if not v)

    def describe(self) -> str:
        parts = [
            f"{label} {value}"
            for label, value in (
                ("weekly", self.weekly_retention),
                ("monthly", self.monthly_retention),
                ("yearly", self.yearly_retention),
            )
            if value.upper() not in _UNSET_DURATIONS
        ]
        return ", ".join(parts) if parts else "none"


@dataclass(frozen=True)
class EntraAdmin:
    """A Microsoft Entra administrator of the managed instance (login name and object ID only)."""

    login: str = field(metadata=always("ARM returns every instance administrator with its login"))
    sid: str = ""
    administrator_type: str = "ActiveDirectory"
    tenant_id: str = ""


@dataclass(frozen=True)
class DiagnosticSetting:
    """A Microsoft.Insights diagnostic setting on the instance: where logs and metrics go."""

    name: str = field(metadata=always(ARM_NAME))
    workspace_id: str = ""
    storage_account_id: str = ""
    event_hub_authorization_rule_id: str = ""
    #: Enabled log categories or category groups ("SQLSecurityAuditEvents", "allLogs", "audit").
    logs: tuple[str, ...] = ()
    #: Enabled metric categories ("AllMetrics").
    metrics: tuple[str, ...] = ()

    @property
    def destinations(self) -> tuple[str, ...]:
        return tuple(
            label
            for label, value in (
                ("Log Analytics", self.workspace_id),
                ("storage account", self.storage_account_id),
                ("Event Hubs", self.event_hub_authorization_rule_id),
            )
            if value
        )


#: Log categories (or groups) that carry SQL audit records from a managed instance.
AUDIT_CATEGORIES = frozenset({"sqlsecurityauditevents", "audit", "alllogs"})


@dataclass(frozen=True)
class TargetFacts:
    """What the audit judges about the managed instance that will receive the link."""

    instance_name: str = ""
    location: str = ""
    tier: str = ""
    v_cores: int | None = None
    memory_size_gb: float | None = None
    storage_size_gb: int | None = None
    #: Used storage as the databases on the instance report it (None when not read).
    storage_used_gb: float | None = None
    #: Backup storage redundancy in force: Geo, GeoZone, Zone, Local.
    backup_storage_redundancy: str | None = field(default=None, metadata=always(ARM_VALUE))
    #: The redundancy asked for, when a change is pending ("requested" differs from "current").
    requested_backup_storage_redundancy: str | None = field(default=None, metadata=always(ARM_VALUE))
    #: Short-term retention per existing user database on the instance.
    backup_retention: tuple[BackupRetention, ...] | None = None
    #: Retention a new database gets (the service default, 7 days) — databases the link seeds start here.
    default_retention_days: int = 7
    #: Long-term retention per existing user database.
    ltr_policies: tuple[LtrPolicy, ...] | None = None
    #: Existing user databases on the instance (names), to tell "planned, not there yet" apart.
    databases: tuple[str, ...] | None = None
    #: "None", "1.0", "1.1", "1.2", "1.3".
    minimal_tls_version: str | None = field(default=None, metadata=always(ARM_VALUE))
    entra_admins: tuple[EntraAdmin, ...] | None = None
    entra_only_authentication: bool | None = None
    #: Microsoft Defender for SQL: the server security alert policy state (Enabled / Disabled / New).
    defender_state: str | None = field(default=None, metadata=always(ARM_VALUE))
    #: Advanced threat protection setting state (Enabled / Disabled / New).
    atp_state: str | None = field(default=None, metadata=always(ARM_VALUE))
    public_data_endpoint_enabled: bool | None = None
    diagnostic_settings: tuple[DiagnosticSetting, ...] | None = None
    #: Resource ID of the maintenance configuration (.../publicMaintenanceConfigurations/SQL_Default).
    maintenance_configuration_id: str | None = None
    #: Active (licensed, may run workloads) or Passive (license-free DR replica).
    hybrid_secondary_usage: str | None = field(default=None, metadata=always(ARM_VALUE))
    #: What the service detected the replica is used for (Active / Passive).
    hybrid_secondary_usage_detected: str | None = field(default=None, metadata=always(ARM_VALUE))
    license_type: str | None = field(default=None, metadata=always(ARM_VALUE))

    def inconsistencies(self) -> Iterator[tuple[str, str]]:
        """Every database has a short-term retention policy (point-in-time restore cannot be turned off), and the
        probe reads it for each database it lists: the two lists name the same databases. (A database may lack a
        long-term policy: TGT-003 judges that as none.)"""
        if self.databases is None or self.backup_retention is None:
            return
        listed = {d.lower() for d in self.databases}
        named = {p.database.lower() for p in self.backup_retention}
        if named != listed:
            yield "backup_retention", (
                f"target.backup_retention ({', '.join(sorted(named)) or 'none'}) does not name the databases of "
                f"target.databases ({', '.join(sorted(listed)) or 'none'}): every database has a short-term "
                "retention policy and the probe reads each one")

    @property
    def auditing_settings(self) -> tuple[DiagnosticSetting, ...] | None:
        """Diagnostic settings that route SQL audit records somewhere (None when not read)."""
        if self.diagnostic_settings is None:
            return None
        return tuple(
            s for s in self.diagnostic_settings if any(c.lower() in AUDIT_CATEGORIES for c in s.logs)
        )
