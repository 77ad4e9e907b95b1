"""Three existing links shared by the links tests: healthy, lagging, disconnected with an expiring certificate."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from linkready.facts.azure import ExistingLink, LinkDatabase

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HEALTHY_DB = LinkDatabase(
    name="Sales", synchronization_health="HEALTHY", connected_state="CONNECTED", replica_state="SYNCHRONIZING",
    seeding_progress="Completed", send_lag_seconds=2, redo_lag_seconds=4, last_hardened_time=NOW - timedelta(seconds=3),
    partner_cert_name="SQLPROD01_endpoint", partner_cert_expiry=NOW + timedelta(days=300),
)
HEALTHY = ExistingLink(
    name="link-sales", partner_endpoint="TCP://sqlprod01.contoso.local:5022", replication_mode="Async",
    instance_role="Secondary", partner_role="Primary", instance_ag_name="AG_Sales_MI", partner_ag_name="AG_Sales",
    failover_mode="None", seeding_mode="Automatic", databases=(HEALTHY_DB,),
)
#: The issue's three links: healthy within lag, lagging beyond the target, disconnected with an expiring cert.
LAGGING = replace(HEALTHY, name="link-hr", databases=(replace(HEALTHY_DB, name="HR", redo_lag_seconds=900),))
DISCONNECTED_LINK = replace(
    HEALTHY, name="link-finance", partner_endpoint="TCP://10.10.1.5:5022",
    databases=(replace(HEALTHY_DB, name="Finance", connected_state="DISCONNECTED", synchronization_health="NOT_HEALTHY",
                       partner_cert_expiry=NOW + timedelta(days=12), send_lag_seconds=None, redo_lag_seconds=None,
                       most_recent_error="41962: the connection to the partner timed out"),),
)
