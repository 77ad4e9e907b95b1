"""File layout limits of a managed instance's service tiers, and the premium disk rounding of General Purpose.

Sources: the resource limits page (azure-sql/managed-instance/resource-limits.md) and the known issue
"Exceeding storage space with small database files" (doc-changes-updates-known-issues.md), both in
MicrosoftDocs/sql-docs. Where the pages are silent the constant says so.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

GIB_PER_TIB = 1024
MB_PER_GIB = 1024

#: General Purpose: "Up to 280" database files per instance, the instance's existing databases included.
GP_MAX_FILES_PER_INSTANCE = 280
#: General Purpose: "Maximum size of each data file is 8 TB".
GP_MAX_DATA_FILE_GIB = 8 * GIB_PER_TIB
#: Every tier: the log file is "Limited to 2 TB".
MAX_LOG_FILE_GIB = 2 * GIB_PER_TIB
#: Business Critical: "32,767 files per database".
BC_MAX_FILES_PER_DATABASE = 32767
#: General Purpose reserves up to 35 TB of premium disks; every file sits on a disk of its own.
GP_MAX_DISK_ALLOCATION_GIB = 35 * GIB_PER_TIB
#: The premium disk sizes the known issue lists (128 GB ... 4 TB), and 8 TB for a data file above 4 TB:
#: data files up to 8 TB are allowed, so such a file needs a disk that large (derived: the page lists none).
GP_DISK_SIZES_GIB = (128, 256, 512, 1 * GIB_PER_TIB, 4 * GIB_PER_TIB, 8 * GIB_PER_TIB)
#: Next-gen General Purpose limits the files of one database; the resource limits page read does not give
#: the number. One data file and one log file (the smallest layout there is) is the only layout known to fit.
NEXT_GEN_KNOWN_FITTING_FILES = 2


class TierKind(enum.StrEnum):
    """The file rules a target follows."""

    GENERAL_PURPOSE = "General Purpose"
    NEXT_GEN_GENERAL_PURPOSE = "Next-gen General Purpose"
    BUSINESS_CRITICAL = "Business Critical"


def tier_kind(tier: str, is_general_purpose_v2: bool) -> TierKind:
    """The rules for an ARM ``sku.tier`` ("GeneralPurpose", "BusinessCritical") and its Next-gen flag."""
    if "businesscritical" in tier.replace(" ", "").lower():
        return TierKind.BUSINESS_CRITICAL
    return TierKind.NEXT_GEN_GENERAL_PURPOSE if is_general_purpose_v2 else TierKind.GENERAL_PURPOSE


def disk_for_file_gib(size_mb: float) -> int:
    """The premium disk (GiB) a General Purpose file of ``size_mb`` is placed on: the smallest that holds it.

    A file larger than the largest disk still takes that disk (the size limit is judged separately).
    """
    size_gib = size_mb / MB_PER_GIB
    return next((disk for disk in GP_DISK_SIZES_GIB if size_gib <= disk), GP_DISK_SIZES_GIB[-1])


def disk_allocation_gib(sizes_mb: Iterable[float]) -> int:
    """The premium disk space (GiB) files of these sizes take on a General Purpose instance."""
    return sum(disk_for_file_gib(size) for size in sizes_mb)
