"""Facts read from Azure Resource Manager (owned by the Azure room).

``None`` means not collected; a ProbeError names the path (e.g. ``azure.nsg``) when a read failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ManagedInstance:
    id: str
    name: str
    location: str
    state: str
    provisioning_state: str
    sku_name: str
    tier: str
    v_cores: int
    storage_size_gb: int
    fqdn: str
    dns_zone: str
    subnet_id: str
    collation: str
    storage_used_gb: float | None = None
    memory_size_gb: float | None = None
    family: str = ""
    public_data_endpoint_enabled: bool = False
    #: Update policy: AlwaysUpToDate, SQLServer2022, SQLServer2025; None with older API versions.
    database_format: str | None = None
    proxy_override: str = ""
    zone_redundant: bool = False
    is_general_purpose_v2: bool = False
    hybrid_secondary_usage: str | None = None
    license_type: str | None = None
    minimal_tls_version: str | None = None


@dataclass(frozen=True)
class ManagedDatabase:
    name: str
    status: str
    collation: str = ""


@dataclass(frozen=True)
class LinkDatabase:
    name: str
    synchronization_health: str = ""
    connected_state: str = ""
    replica_state: str = ""
    seeding_progress: str = ""
    send_lag_seconds: float | None = None
    redo_lag_seconds: float | None = None
    last_hardened_time: datetime | None = None
    partner_cert_name: str = ""
    partner_cert_expiry: datetime | None = None
    most_recent_error: str = ""


@dataclass(frozen=True)
class ExistingLink:
    """A distributed availability group on the managed instance."""

    name: str
    partner_endpoint: str
    replication_mode: str
    instance_role: str
    partner_role: str
    instance_ag_name: str
    partner_ag_name: str
    failover_mode: str = ""
    seeding_mode: str = ""
    databases: tuple[LinkDatabase, ...] = ()
    #: The older (2023-08-01 and before) API's overall state, e.g. "Catchup"; "" with newer APIs.
    link_state: str = ""


@dataclass(frozen=True)
class TrustCertificate:
    name: str
    thumbprint: str
    public_blob_hex: str = ""


@dataclass(frozen=True)
class ManagementOperation:
    name: str
    operation: str
    state: str
    start_time: datetime | None = None


@dataclass(frozen=True)
class EncryptionProtector:
    """The instance's TDE protector (managedInstances/encryptionProtector/current)."""

    #: ServiceManaged or AzureKeyVault (customer-managed key).
    server_key_type: str
    server_key_name: str = ""
    #: The key's Key Vault URI ("" for a service-managed key).
    uri: str = ""
    auto_rotation_enabled: bool | None = None


@dataclass(frozen=True)
class DatabaseEncryption:
    """A managed database's TDE state (managedInstances/databases/transparentDataEncryption/current).

    The key that encrypts it is the instance's TDE protector (``encryption_protector``): a managed
    instance has one protector for all its databases.
    """

    database: str
    #: Enabled or Disabled (TransparentDataEncryptionState).
    state: str


@dataclass(frozen=True)
class FailoverGroup:
    name: str
    managed_instances: tuple[str, ...]


@dataclass(frozen=True)
class Subnet:
    id: str
    address_prefixes: tuple[str, ...]
    nsg_id: str | None = None
    route_table_id: str | None = None
    delegations: tuple[str, ...] = ()


@dataclass(frozen=True)
class SecurityRule:
    name: str
    priority: int
    direction: str
    access: str
    protocol: str
    source_prefixes: tuple[str, ...]
    source_ports: tuple[str, ...]
    destination_prefixes: tuple[str, ...]
    destination_ports: tuple[str, ...]
    source_asgs: tuple[str, ...] = ()
    destination_asgs: tuple[str, ...] = ()
    is_default: bool = False


@dataclass(frozen=True)
class NetworkSecurityGroup:
    id: str
    name: str
    rules: tuple[SecurityRule, ...]


@dataclass(frozen=True)
class Route:
    name: str
    address_prefix: str
    next_hop_type: str
    next_hop_ip: str | None = None


@dataclass(frozen=True)
class RouteTable:
    id: str
    name: str
    routes: tuple[Route, ...]
    #: When true, routes learned by the VNet gateway (BGP) do not reach this subnet.
    disable_bgp_route_propagation: bool = False


@dataclass(frozen=True)
class Peering:
    name: str
    remote_vnet_id: str
    remote_address_prefixes: tuple[str, ...]
    state: str
    #: FullyInSync, LocalNotInSync, RemoteNotInSync ("" when not reported).
    sync_level: str = ""
    use_remote_gateways: bool = False


@dataclass(frozen=True)
class VirtualNetwork:
    id: str
    name: str
    address_prefixes: tuple[str, ...]
    dns_servers: tuple[str, ...] = ()
    peerings: tuple[Peering, ...] = ()
    #: A gateway (VPN/ExpressRoute) serves this VNet: its own GatewaySubnet or a peer's via useRemoteGateways.
    has_gateway: bool = False


@dataclass(frozen=True)
class Permission:
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class AzureFacts:
    managed_instance: ManagedInstance | None = None
    databases: tuple[ManagedDatabase, ...] | None = None
    links: tuple[ExistingLink, ...] | None = None
    server_trust_certificates: tuple[TrustCertificate, ...] | None = None
    #: The managed instance's DATABASE_MIRRORING endpoint certificate (public, DER hex).
    endpoint_certificate_hex: str | None = None
    operations: tuple[ManagementOperation, ...] | None = None
    failover_groups: tuple[FailoverGroup, ...] | None = None
    #: The TDE protector: which key encrypts the instance's databases.
    encryption_protector: EncryptionProtector | None = None
    #: Per-database TDE state of the planned databases that exist on the instance (the ones a link
    #: would replicate from the instance to SQL Server); () when none of them is on the instance.
    database_encryption: tuple[DatabaseEncryption, ...] | None = None
    subnet: Subnet | None = None
    nsg: NetworkSecurityGroup | None = None
    route_table: RouteTable | None = None
    vnet: VirtualNetwork | None = None
    permissions: tuple[Permission, ...] | None = None
    #: NSGs on the SQL Server VM's NIC/subnet when the SQL Server is an Azure VM.
    source_vm_nsgs: tuple[NetworkSecurityGroup, ...] | None = None
    #: The SQL Server VM's NIC (None: the SQL Server is not an Azure VM linkready could find).
    source_vm_nic_id: str | None = None
    #: The SQL Server VM's virtual network (what the VirtualNetwork tag covers for its NSGs).
    source_vnet: VirtualNetwork | None = None
    #: The Microsoft.Sql API version the facts were read with (older ones lack databaseFormat).
    sql_api_version: str = ""
    #: The cloud's managed instance DNS suffix, e.g. "database.windows.net".
    dns_suffix: str = ""
