"""The learn.microsoft.com pages findings point to: one constant per page.

Checks, the runbook and the engine link to these; a page that moves is fixed here once.
"""

from __future__ import annotations

_MI = "https://learn.microsoft.com/azure/azure-sql/managed-instance"

DOCS_MI = _MI
DOCS_OVERVIEW = f"{_MI}/managed-instance-link-feature-overview"
DOCS_PREP = f"{_MI}/managed-instance-link-preparation"
DOCS_SCRIPTS = f"{_MI}/managed-instance-link-configure-how-to-scripts"
DOCS_EXTEND = f"{_MI}/managed-instance-link-extend-availability-group"
DOCS_TROUBLE = f"{_MI}/managed-instance-link-troubleshoot-how-to"
DOCS_FAILOVER = f"{_MI}/managed-instance-link-failover-how-to"
DOCS_BEST = f"{_MI}/managed-instance-link-best-practices#rotate-certificate"
DOCS_UPDATE_POLICY = f"{_MI}/update-policy"
DOCS_TDE = f"{_MI}/tde-certificate-migrate"
DOCS_ARC_PREP = "https://learn.microsoft.com/sql/sql-server/azure-arc/migration-sql-mi-prepare-link"
DOCS_ROUTES = "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview"
DOCS_ENTRA_ADMIN = "https://learn.microsoft.com/azure/azure-sql/database/authentication-aad-configure"
DOCS_DEFENDER = "https://learn.microsoft.com/azure/azure-sql/database/azure-defender-for-sql"
DOCS_MAINTENANCE_WINDOW = "https://learn.microsoft.com/azure/azure-sql/database/maintenance-window"
DOCS_RESOURCE_LIMITS = f"{_MI}/resource-limits"
#: The known issue "Exceeding storage space with small database files" (premium disk rounding, 35 TB).
DOCS_SMALL_FILES = f"{_MI}/doc-changes-updates-known-issues#exceeding-storage-space-with-small-database-files"
