"""SVC-008: TDE when data replicates from the managed instance to SQL Server (facts → findings)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from linkready.facts import Facts, ProbeError
from linkready.facts.azure import EncryptionProtector
from linkready.model import Status
from tests.builders import azure_facts as af
from tests.builders.checks import findings

SMK = EncryptionProtector("ServiceManaged", "ServiceManaged")
CMK = EncryptionProtector("AzureKeyVault", "kv_key_01", "https://kv.vault.azure.net/keys/key/01")


def _facts(protector: EncryptionProtector | None, *, initial_primary: str = "ManagedInstance", failback: bool = False,
           platform: str = "Windows", version: str = "16.0.4125.3") -> Facts:
    base = af.facts(azure_facts=af.azure(encryption_protector=protector))
    sql = base.sql
    assert sql is not None and sql.instance is not None
    instance = replace(sql.instance, host_platform=platform, product_version=version)
    return replace(base, plan=replace(base.plan, initial_primary=initial_primary, failback=failback),
                   sql=replace(sql, instance=instance))


@pytest.mark.parametrize(("facts", "status", "words"), [
    (_facts(SMK), Status.FAIL, "DistributedAvailabilityGroupDbEncryptedWithSmk"),
    (_facts(SMK, initial_primary="SQLServer", failback=True), Status.WARN, "fails back"),
    (_facts(SMK, initial_primary="SQLServer"), Status.SKIP, "DB-009"),
    (_facts(CMK), Status.WARN, "https://kv.vault.azure.net/keys/key/01"),
    (_facts(CMK, platform="Linux", version="16.0.4125.3"), Status.FAIL, "16.0.4135.4"),
    (_facts(CMK, platform="Linux", version="16.0.4135.4"), Status.WARN, "EKM provider"),  # boundary: CU14
    (_facts(CMK, platform="Linux", version="17.0.1000.7"), Status.WARN, "EKM provider"),
], ids=["smk-mi-primary", "smk-failback", "sql-to-mi-only", "cmk", "cmk-linux-cu13", "cmk-linux-cu14", "cmk-2025"])
def test_tde_key_reaches_sql_server(facts: Facts, status: Status, words: str) -> None:
    (finding,) = findings("SVC-008", facts)
    assert finding.status is status and words in finding.message, finding.message


def test_protector_not_read_is_an_error_naming_why() -> None:
    facts = replace(_facts(None), errors=(ProbeError("azure", "azure.encryption_protector", "permission",
                                                      "403: Microsoft.Sql/managedInstances/encryptionProtector/read"),))
    (finding,) = findings("SVC-008", facts)
    assert finding.status is Status.ERROR and "encryptionProtector/read" in finding.message


def test_protector_without_a_key_type_is_an_error() -> None:
    (finding,) = findings("SVC-008", _facts(EncryptionProtector("")))
    assert finding.status is Status.ERROR and "key type" in finding.message
