"""SVC-008: TDE when data replicates from the managed instance to SQL Server (facts → findings)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from linkready.facts import Facts, ProbeError
from linkready.facts.azure import DatabaseEncryption, EncryptionProtector
from linkready.model import Status
from tests.builders import azure_facts as af
from tests.builders.checks import findings

SMK = EncryptionProtector("ServiceManaged", "ServiceManaged")
CMK = EncryptionProtector("AzureKeyVault", "kv_key_01", "https://kv.vault.azure.net/keys/key/01")


def _facts(protector: EncryptionProtector | None, *, initial_primary: str = "ManagedInstance", failback: bool = False,
           platform: str = "Windows", version: str = "16.0.4125.3",
           tde: tuple[DatabaseEncryption, ...] | None = ()) -> Facts:
    base = af.facts(azure_facts=af.azure(encryption_protector=protector, database_encryption=tde))
    sql = base.sql
    assert sql is not None and sql.instance is not None
    instance = replace(sql.instance, host_platform=platform, product_version=version)
    # One planned link (Sales): one finding per planned database.
    plan = replace(base.plan, links=base.plan.links[:1], initial_primary=initial_primary, failback=failback)
    return replace(base, plan=plan, sql=replace(sql, instance=instance))


ON = (DatabaseEncryption("Sales", "Enabled"),)
OFF = (DatabaseEncryption("Sales", "Disabled"),)


@pytest.mark.parametrize(("facts", "status", "words"), [
    (_facts(SMK), Status.FAIL, "DistributedAvailabilityGroupDbEncryptedWithSmk"),
    (_facts(SMK, tde=ON), Status.FAIL, "DistributedAvailabilityGroupDbEncryptedWithSmk"),
    (_facts(SMK, tde=OFF), Status.PASS, "TDE is off for Sales"),
    (_facts(SMK, initial_primary="SQLServer", failback=True), Status.WARN, "fails back"),
    (_facts(SMK, initial_primary="SQLServer"), Status.SKIP, "DB-009"),
    (_facts(CMK), Status.WARN, "https://kv.vault.azure.net/keys/key/01"),
    (_facts(CMK, tde=OFF), Status.PASS, "needs no key"),
    (_facts(CMK, platform="Linux", version="16.0.4125.3"), Status.FAIL, "16.0.4135.4"),
    (_facts(CMK, platform="Linux", version="16.0.4135.4"), Status.WARN, "EKM provider"),  # boundary: CU14
    (_facts(CMK, platform="Linux", version="17.0.1000.7"), Status.WARN, "EKM provider"),
], ids=["smk-mi-primary-not-on-mi", "smk-tde-on", "smk-tde-off", "smk-failback", "sql-to-mi-only", "cmk",
        "cmk-tde-off", "cmk-linux-cu13", "cmk-linux-cu14", "cmk-2025"])
def test_tde_key_reaches_sql_server(facts: Facts, status: Status, words: str) -> None:
    (finding,) = findings("SVC-008", facts)
    assert finding.status is status and words in finding.message, finding.message


def test_each_planned_database_is_judged_by_its_own_state() -> None:
    base = _facts(SMK, tde=(DatabaseEncryption("Sales", "Disabled"), DatabaseEncryption("Orders", "Enabled")))
    facts = replace(base, plan=replace(base.plan, links=af.plan().links))
    statuses = {f.target: f.status for f in findings("SVC-008", facts)}
    assert statuses == {"Sales": Status.PASS, "Orders": Status.FAIL}


def test_database_names_match_without_case() -> None:
    (finding,) = findings("SVC-008", _facts(SMK, tde=(DatabaseEncryption("SALES", "Disabled"),)))
    assert finding.status is Status.PASS and "TDE Disabled on the instance" in finding.observed


def test_database_tde_not_read_is_an_error_naming_why() -> None:
    facts = replace(_facts(SMK, tde=None), errors=(ProbeError(
        "azure", "azure.database_encryption", "permission",
        "403: Microsoft.Sql/managedInstances/databases/transparentDataEncryption/read"),))
    (finding,) = findings("SVC-008", facts)
    assert finding.status is Status.ERROR and "transparentDataEncryption/read" in finding.message


def test_database_tde_not_needed_when_nothing_replicates_to_sql_server() -> None:
    (finding,) = findings("SVC-008", _facts(SMK, initial_primary="SQLServer", tde=None))
    assert finding.status is Status.SKIP


def test_a_tde_state_arm_does_not_return_is_an_error() -> None:
    (finding,) = findings("SVC-008", _facts(SMK, tde=(DatabaseEncryption("Sales", "Paused"),)))
    assert finding.status is Status.ERROR and "neither Enabled nor Disabled" in finding.message
    # An empty state is no answer at all: the facts' own rule says so before the check reads it.
    (finding,) = findings("SVC-008", _facts(SMK, tde=(DatabaseEncryption("Sales", ""),)))
    assert finding.status is Status.ERROR and "azure.database_encryption[0].state is empty" in finding.message


def test_protector_not_read_is_an_error_naming_why() -> None:
    facts = replace(_facts(None), errors=(ProbeError("azure", "azure.encryption_protector", "permission",
                                                      "403: Microsoft.Sql/managedInstances/encryptionProtector/read"),))
    (finding,) = findings("SVC-008", facts)
    assert finding.status is Status.ERROR and "encryptionProtector/read" in finding.message


def test_protector_without_a_key_type_is_an_error() -> None:
    (finding,) = findings("SVC-008", _facts(EncryptionProtector("")))
    assert finding.status is Status.ERROR and "key type" in finding.message
