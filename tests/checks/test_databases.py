"""DB-001..010 on facts, each finding named after its database."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from linkready.facts import ProbeError
from linkready.facts.azure import AzureFacts, ManagedInstance
from tests.builders.sql_facts import AS_OF, LINK, SALES, database, facts, messages, statuses

GP = AzureFacts(managed_instance=ManagedInstance(
    id="/x", name="mi", location="westeurope", state="Ready", provisioning_state="Succeeded", sku_name="GP_Gen5",
    tier="GeneralPurpose", v_cores=8, storage_size_gb=1024, fqdn="mi.abc.database.windows.net", dns_zone="abc",
    subnet_id="/s", collation="SQL_Latin1_General_CP1_CI_AS"))
BC = replace(GP, managed_instance=replace(GP.managed_instance, tier="BusinessCritical"))  # type: ignore[type-var]

CASES = [
    ("DB-001", facts(), "PASS"),
    ("DB-001", facts(databases=(replace(SALES, name="msdb", is_system=True, database_id=4),),
                     plan={"links": (replace(LINK, databases=("msdb",)),)}), "FAIL"),
    ("DB-001", facts(databases=()), "FAIL"),  # no user databases: the planned one is absent
    ("DB-001", facts(databases=database(name="Other")), "FAIL"),  # planned Sales does not exist
    ("DB-002", facts(), "PASS"),
    ("DB-002", facts(databases=database(state="RESTORING")), "FAIL"),
    ("DB-003", facts(), "PASS"),
    ("DB-003", facts(databases=database(recovery_model="SIMPLE")), "FAIL"),
    ("DB-004", facts(), "PASS"),
    ("DB-004", facts(databases=database(last_full_backup=None, last_copy_only_backup=AS_OF - timedelta(days=1))),
     "FAIL"),
    ("DB-004", facts(databases=database(full_backup_after_recovery_change=False)), "FAIL"),
    ("DB-005", facts(), "PASS"),
    ("DB-005", facts(databases=database(log_file_count=2)), "FAIL"),
    ("DB-006", facts(), "PASS"),
    ("DB-006", facts(databases=database(has_filestream=True)), "FAIL"),
    ("DB-006", facts(databases=database(has_filetable=True)), "FAIL"),
    ("DB-007", facts(), "PASS"),
    ("DB-007", facts(databases=database(inmemory_filegroups=1, inmemory_files=1), azure=GP), "FAIL"),
    ("DB-007", facts(databases=database(inmemory_filegroups=1, inmemory_files=1), azure=BC), "PASS"),
    ("DB-007", facts(databases=database(inmemory_filegroups=1, inmemory_files=2), azure=BC), "FAIL"),
    ("DB-007", facts(databases=database(inmemory_filegroups=1, inmemory_files=1)), "WARN"),  # tier unknown
    ("DB-008", facts(), "PASS"),
    ("DB-008", facts(databases=database(ag_name="AG_Shop", ag_database_count=2)), "FAIL"),
    ("DB-008", facts(databases=database(ag_name="AG_Sales", ag_database_count=1)), "PASS"),
    ("DB-009", facts(), "PASS"),
    ("DB-009", facts(databases=database(is_encrypted=True, tde_encryptor_thumbprint="0xAA")), "WARN"),
    ("DB-010", facts(), "PASS"),
    ("DB-010", facts(databases=database(adr_enabled=True, pvs_filegroup="PVS")), "FAIL"),
    ("DB-010", facts(databases=database(log_used_percent=92.0)), "FAIL"),
]


@pytest.mark.parametrize(("check_id", "f", "expected"), CASES)
def test_database_checks(check_id: str, f: object, expected: str) -> None:
    assert statuses(check_id, f) == [expected]  # type: ignore[arg-type]


def test_findings_name_the_database_and_fill_the_tsql() -> None:
    text = messages("DB-003", facts(databases=database(recovery_model="SIMPLE")))
    assert "ALTER DATABASE [Sales] SET RECOVERY FULL" in text
    assert "BACKUP DATABASE [Sales]" in messages("DB-004", facts(databases=database(last_full_backup=None)))


def test_unreadable_part_is_an_error_for_that_database_only() -> None:
    db = database(unreadable=("backups: backups needs SELECT ON msdb.dbo.backupset: denied",))
    assert statuses("DB-004", facts(databases=db)) == ["ERROR"]
    assert statuses("DB-003", facts(databases=db)) == ["PASS"]


def test_unread_availability_groups_are_an_error() -> None:
    error = ProbeError("sql", "sql.availability_groups", "timeout", "not sent")
    assert statuses("DB-008", facts(availability_groups=None, errors=(error,))) == ["ERROR"]
