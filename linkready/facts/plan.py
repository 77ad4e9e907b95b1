"""What the user plans: the link(s) to create, as written in the config. Never contains secrets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Closed sets the config validates; a snapshot is held to them too (serde refuses any other value,
#: so an edited "" cannot silently become the default direction or mode).
InitialPrimary = Literal["SQLServer", "ManagedInstance"]
LinkMode = Literal["SingleDatabase", "MultiDatabase"]


@dataclass(frozen=True)
class PlannedLink:
    name: str
    databases: tuple[str, ...]
    instance_ag_name: str
    partner_ag_name: str
    partner_endpoint: str
    replication_mode: str = "Async"
    #: SingleDatabase (GA) or MultiDatabase (preview, SQL Server 2022 CU27+/2025 CU9+).
    link_mode: LinkMode = "SingleDatabase"


@dataclass(frozen=True)
class PlanFacts:
    links: tuple[PlannedLink, ...] = ()
    #: "SQLServer" (SQL Server is the initial primary) or "ManagedInstance".
    initial_primary: InitialPrimary = "SQLServer"
    #: The plan needs failback (DR both ways) after failing over to the managed instance.
    failback: bool = False
    #: Planned failovers will be run with T-SQL (needs SQL Server 2022 CU13).
    tsql_failover: bool = False
    #: The SQL Server as configured: host, host,port or host\\instance.
    source_server: str = ""
    #: The address the managed instance uses to reach SQL Server (partner endpoint host's IP).
    source_address: str = ""
    #: Network prefixes the SQL Server side sends from (CIDRs).
    source_prefixes: tuple[str, ...] = ()
    mi_resource_id: str = ""
    #: The managed instance FQDN when configured; the Azure probe reads it otherwise.
    mi_fqdn: str = ""
    cloud: str = "AzureCloud"
    #: [network] seeding_throughput_gb_per_hour: GB per hour the link can seed at (None: not given).
    seeding_throughput_gb_per_hour: float | None = None

    @property
    def databases(self) -> tuple[str, ...]:
        """Every planned database, in plan order, once."""
        seen: dict[str, None] = {}
        for link in self.links:
            for db in link.databases:
                seen.setdefault(db, None)
        return tuple(seen)
