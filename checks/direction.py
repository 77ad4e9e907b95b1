"""Replication from the managed instance to SQL Server: what that direction needs (SVC-008).

A link replicates from the managed instance to SQL Server when the instance is the initial primary, and
after a failover when the plan fails back. DB-009 covers TDE from SQL Server to the instance.
"""

from __future__ import annotations

from collections.abc import Iterator

from linkready.domain.docs import DOCS_OVERVIEW
from linkready.domain.sql_builds import parse_build
from linkready.facts import Facts, FactState
from linkready.facts.azure import DatabaseEncryption, EncryptionProtector
from linkready.model import (
    Area,
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

#: SQL Server 2022 CU14: the first build whose Linux edition can use Azure Key Vault keys (EKM) for TDE.
LINUX_AKV_MINIMUM = parse_build("16.0.4135.4")
SERVICE_MANAGED = "ServiceManaged"
AZURE_KEY_VAULT = "AzureKeyVault"
#: TransparentDataEncryptionState: what ARM reports for a managed database's TDE.
TDE_DISABLED = "Disabled"
TDE_STATES = ("Enabled", TDE_DISABLED)


def replicates_to_sql_server(facts: Facts) -> str:
    """Why the plan replicates from the instance to SQL Server ("" when it does not)."""
    if facts.plan.initial_primary == "ManagedInstance":
        return "the managed instance is the initial primary"
    if facts.plan.failback:
        return "the plan fails back to SQL Server after a failover"
    return ""


@check(
    id="SVC-008",
    title="Databases replicated from the managed instance to SQL Server use a key SQL Server can open",
    area=Area.MANAGED_INSTANCE,
    severity=Severity.HIGH,
    rationale=(
        "A database the managed instance encrypts with its service-managed TDE key cannot be replicated to "
        "SQL Server, which never holds that key: the service refuses with "
        "DistributedAvailabilityGroupDbEncryptedWithSmk. With a customer-managed key in Azure Key Vault, SQL "
        "Server must open the same key through the Key Vault EKM provider, which on Linux needs SQL Server "
        "2022 CU14 or later. Each database's TDE state on the instance decides whether its key matters; the "
        "instance's protector decides which key it is."
    ),
    remediation=(
        "Switch the instance's TDE protector to a customer-managed key in Azure Key Vault (az sql mi tde-key "
        "set --server-key-type AzureKeyVault --kid <key URI>), give SQL Server access to that key through the "
        "SQL Server Connector for Azure Key Vault (CREATE CRYPTOGRAPHIC PROVIDER, then an asymmetric key FROM "
        "PROVIDER), or turn TDE off for the database before the link."
    ),
    docs=DOCS_OVERVIEW,
    owner=Owner.AZURE,
    # azure.database_encryption is needed only when the plan replicates towards SQL Server: checked below.
    requires=("azure.encryption_protector",),
    directions=Directions.sensitive(
        sql_first="SKIP: data only flows to the instance (DB-009 covers TDE that way)",
        mi_first="FAIL on the service-managed TDE key; a customer-managed key SQL Server must open (Linux: 2022 CU14+)",
        failback="WARN on the service-managed TDE key: the link works, failing back would not",
    ),
)
def tde_key_reaches_sql_server(facts: Facts, settings: Settings) -> Iterator[Result]:
    why = replicates_to_sql_server(facts)
    if not why:
        yield skipped("Not applicable: data replicates from SQL Server to the managed instance only "
                      "(DB-009 covers TDE in that direction)")
        return
    protector = facts.azure.encryption_protector if facts.azure else None
    assert protector is not None
    if protector.server_key_type not in (SERVICE_MANAGED, AZURE_KEY_VAULT):
        yield errored(f"Could not evaluate: the TDE protector's key type is {protector.server_key_type!r}, "
                      "neither ServiceManaged nor AzureKeyVault", target=_mi_name(facts))
        return
    state, reason = facts.state_of("azure.database_encryption")
    if state is not FactState.COLLECTED:
        yield errored(f"Could not evaluate: {reason}", target=_mi_name(facts))
        return
    assert facts.azure is not None and facts.azure.database_encryption is not None
    encryption = {e.database.lower(): e for e in facts.azure.database_encryption}
    planned = facts.plan.databases
    if not planned:
        yield _judge(protector, facts, why, _mi_name(facts), None)
        return
    for name in planned:
        yield _judge(protector, facts, why, name, encryption.get(name.lower()))


def _mi_name(facts: Facts) -> str:
    mi = facts.azure.managed_instance if facts.azure else None
    return mi.name if mi else ""


def _judge(protector: EncryptionProtector, facts: Facts, why: str, target: str,
           encryption: DatabaseEncryption | None) -> Result:
    key = f"TDE protector {protector.server_key_type}" + (f" ({protector.uri})" if protector.uri else "")
    if encryption is None:
        tde = "not on the instance yet (its TDE state there cannot be read)"
    else:
        tde = f"TDE {encryption.state} on the instance"
    observed = f"{tde}; {key}"
    expected = "TDE off on the instance, or a customer-managed key (AzureKeyVault) that SQL Server can open"
    kw = {"target": target, "observed": observed, "expected": expected}
    if encryption is not None and encryption.state not in TDE_STATES:
        return errored(f"Could not evaluate: the TDE state of {target} is {encryption.state!r}, neither "
                       "Enabled nor Disabled", target=target)
    if encryption is not None and encryption.state == TDE_DISABLED:
        return passed(f"TDE is off for {target} on the managed instance: SQL Server needs no key to receive it "
                      "(turning TDE on later, before the link, brings the protector's key back into play)", **kw)
    unread = "" if encryption is not None else (
        "; the database is not on the instance yet, and new managed instance databases are encrypted by default")
    if protector.server_key_type == SERVICE_MANAGED:
        message = (f"The instance encrypts {target} with the service-managed key and {why}: SQL Server cannot "
                   f"open that key (DistributedAvailabilityGroupDbEncryptedWithSmk){unread}")
        # Failing back is a later step of a plan that starts SQL Server → instance: warn, the link itself works.
        return failed(message, **kw) if facts.plan.initial_primary == "ManagedInstance" else warned(message, **kw)
    instance = facts.sql.instance if facts.sql else None
    if instance is not None and instance.host_platform.lower() == "linux":
        try:
            build = parse_build(instance.product_version)
        except ValueError:
            build = None
        if build is not None and not build.at_least(LINUX_AKV_MINIMUM):
            return failed(f"SQL Server {build} on Linux cannot open an Azure Key Vault key (EKM for TDE needs "
                          f"{LINUX_AKV_MINIMUM}, SQL Server 2022 CU14, or later) and {why}", **kw)
    host = "" if instance is not None else " (the SQL Server's version and platform were not read)"
    return warned(f"A customer-managed key protects {target} on the instance and {why}: SQL Server must open "
                  f"{protector.uri or protector.server_key_name} through the Azure Key Vault EKM provider; "
                  f"linkready cannot see that access from here{host}", **kw)
