"""SVC-005..007: file layout against the target tier, and DEFUNCT files (facts → findings)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkready.domain.file_limits import GP_DISK_SIZES_GIB, disk_allocation_gib, disk_for_file_gib
from linkready.facts import Facts, ProbeError, ProbeManifest, ProbeState
from linkready.facts.azure import AzureFacts
from linkready.facts.sql import DatabaseFile
from linkready.model import Status
from tests.builders import azure_facts as af
from tests.builders.checks import findings

TIB_MB = 1024 * 1024


def _facts(*extra: DatabaseFile, data_mb: float = 102400.0, log_mb: float = 20480.0, tier: str = "GeneralPurpose",
           v2: bool = False, azure: AzureFacts | None = None, files_known: bool = True,
           existing: int = 4) -> Facts:
    base = af.facts(azure_facts=azure or af.azure(
        managed_instance=af.managed_instance(tier=tier, is_general_purpose_v2=v2),
        databases=tuple(af.azure().databases or ())[:existing]))
    sql = base.sql
    assert sql is not None and sql.databases is not None
    sales = sql.databases[0]
    files = (replace(sales.files[0], size_mb=data_mb), replace(sales.files[1], size_mb=log_mb), *extra) \
        if sales.files else ()
    sales = replace(sales, files=files if files_known else None,
                    unreadable=() if files_known else ("master_files: master_files needs VIEW ANY DEFINITION",))
    return replace(base, sql=replace(sql, databases=(sales, *sql.databases[1:])))


def _status(check_id: str, facts: Facts, target: str = "Sales") -> tuple[Status, str]:
    found = [f for f in findings(check_id, facts) if f.target in (target, "", "sqlmi-contoso-weu")]
    assert found, findings(check_id, facts)
    return found[0].status, found[0].message


def _small(n: int, size_mb: float = 1024.0) -> tuple[DatabaseFile, ...]:
    return tuple(DatabaseFile(3 + i, f"Sales_{i}", "ROWS", "ONLINE", size_mb) for i in range(n))


@pytest.mark.parametrize(("facts", "status", "words"), [
    (_facts(), Status.PASS, "fit General Purpose"),
    (_facts(data_mb=8 * TIB_MB), Status.PASS, "fit General Purpose"),  # boundary: 8 TiB is allowed
    (_facts(data_mb=8 * TIB_MB + 1), Status.FAIL, "ManagedInstanceFileExceededMaxAzureStorageFileSizeLimit"),
    (_facts(log_mb=2 * TIB_MB + 1, tier="BusinessCritical"), Status.FAIL, "log file Sales_log"),
    (_facts(data_mb=9 * TIB_MB, tier="BusinessCritical"), Status.PASS, "fit Business Critical"),
    (_facts(v2=True), Status.PASS, "Next-gen"),
    (_facts(*_small(1), v2=True), Status.WARN, "ManagedInstanceUpdateSloGPv2PerDatabaseFileLimitExceeded"),
    (_facts(files_known=False), Status.ERROR, "VIEW ANY DEFINITION"),
], ids=["gp", "gp-8tib", "gp-over-8tib", "log-over-2tib", "bc-large-data", "nextgen-2-files",
        "nextgen-3-files", "files-unknown"])
def test_files_fit_tier(facts: Facts, status: Status, words: str) -> None:
    got, message = _status("SVC-005", facts)
    assert got is status and words in message, message


def test_unknown_tier_errors_unless_a_limit_of_every_tier_is_broken() -> None:
    error = ProbeError("azure", "azure", "auth", "no credential")
    unread = replace(_facts(), azure=None, errors=(error,))
    assert _status("SVC-005", unread)[0] is Status.ERROR
    assert _status("SVC-006", unread)[0] is Status.ERROR
    too_big_log = replace(_facts(log_mb=3 * TIB_MB), azure=None, errors=(error,))
    assert _status("SVC-005", too_big_log)[0] is Status.FAIL


def test_tier_not_asked_for_is_judged_against_general_purpose() -> None:
    manifest = (ProbeManifest("azure", "azure", ProbeState.NOT_ASKED, "no [azure] in the config"),)
    facts = replace(_facts(data_mb=9 * TIB_MB), azure=None, manifest=manifest)
    status, message = _status("SVC-005", facts)
    assert status is Status.WARN and "no [azure] in the config" in message
    many = replace(_facts(*_small(300)), azure=None, manifest=manifest)
    assert _status("SVC-006", many)[0] is Status.WARN


@pytest.mark.parametrize(("extra", "existing", "status"), [
    (0, 4, Status.PASS),
    # Sales 2 + 254 small + Orders 2 = 258 files, + 4 existing × 2 = 266 (over 90 % of 280, within it).
    (254, 4, Status.WARN),
    (269, 4, Status.FAIL),  # 273 + 8 = 281: one file over the limit
    (268, 4, Status.WARN),  # 272 + 8 = 280: at the limit, with the existing files a lower bound
    # 280 files exactly and nothing else on the instance: an exact count. 280 disks of 128 GiB are also
    # exactly 35 TiB, the premium disk allocation: both limits are met to the file.
    (276, 0, Status.PASS),
], ids=["few", "near", "over", "at-limit", "exact-280"])
def test_gp_instance_file_count(extra: int, existing: int, status: Status) -> None:
    status_got, message = _status("SVC-006", _facts(*_small(extra), existing=existing))
    assert status_got is status, message


def test_gp_premium_disk_allocation_counts_rounded_disks() -> None:
    # 140 files of 129 GiB take 140 disks of 256 GiB = 35,840 GiB (35 TiB) with Sales' and Orders' own disks over.
    facts = _facts(*_small(140, 129 * 1024.0), existing=0)
    status, message = _status("SVC-006", facts)
    assert status is Status.FAIL and "ManagedInstanceExceedMaxAzureStorage" in message


def test_gp_instance_limits_do_not_apply_to_other_tiers_and_need_the_existing_databases() -> None:
    assert _status("SVC-006", _facts(tier="BusinessCritical"))[0] is Status.SKIP
    assert _status("SVC-006", _facts(v2=True))[0] is Status.SKIP
    unread = replace(_facts(), azure=replace(af.azure(), databases=None),
                     errors=(ProbeError("azure", "azure.databases", "permission", "403 on databases"),))
    status, message = _status("SVC-006", unread)
    assert status is Status.ERROR and "403 on databases" in message


def test_defunct_files_fail_with_the_remove_statement() -> None:
    facts = _facts(DatabaseFile(3, "Sales_2019", "ROWS", "DEFUNCT", 0.0))
    found = next(f for f in findings("SVC-007", facts) if f.target == "Sales")
    assert found.status is Status.FAIL and "ManagedInstanceLinkSourceDbHasDefunctFiles" in found.message
    assert found.fix[0].code == "ALTER DATABASE [Sales] REMOVE FILE [Sales_2019];"
    # The DEFUNCT file is not seeded: it does not count towards the tier's file limits.
    assert _status("SVC-005", replace(facts, azure=af.azure(
        managed_instance=af.managed_instance(is_general_purpose_v2=True))))[0] is Status.PASS
    assert _status("SVC-007", _facts())[0] is Status.PASS
    assert _status("SVC-007", _facts(files_known=False))[0] is Status.ERROR


def test_files_of_a_database_not_on_sql_server_are_unknown() -> None:
    facts = _facts()
    assert facts.sql is not None
    gone = replace(facts, sql=replace(facts.sql, databases=tuple(
        d for d in facts.sql.databases or () if d.name != "Orders")))
    status, message = _status("SVC-006", gone)
    assert status is Status.ERROR and "Orders" in message


@given(st.floats(min_value=0, max_value=8 * TIB_MB))
def test_a_file_sits_on_the_smallest_disk_that_holds_it(size_mb: float) -> None:
    disk = disk_for_file_gib(size_mb)
    assert disk in GP_DISK_SIZES_GIB and size_mb <= disk * 1024
    smaller = [d for d in GP_DISK_SIZES_GIB if d < disk]
    assert all(size_mb > d * 1024 for d in smaller)


@given(st.lists(st.floats(min_value=0, max_value=8 * TIB_MB), max_size=50))
def test_allocation_is_at_least_the_files_and_the_smallest_disk_each(sizes: list[float]) -> None:
    total = disk_allocation_gib(sizes)
    assert total >= sum(sizes) / 1024 and total >= GP_DISK_SIZES_GIB[0] * len(sizes)
