"""Facts read from Azure Resource Manager (owned by the Azure room).

``None`` means not collected; a ProbeError names the path (e.g. ``azure.nsg``) when a read failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from linkready.facts.consistency import ARM_ID, ARM_LOCATION, ARM_NAME, ARM_VALUE, always

#: Reasons of the fields below that are not a resource's id, name or location.
_DAG = "ARM returns every distributed availability group with its names and replication mode"
_OPERATION = "ARM returns every management operation with its state (Pending, InProgress, Succeeded, ...)"
_PAIRS = "ARM returns every failover group with its instance pair (managedInstancePairs)"
_PEERING = "ARM returns every peering with its state and the remote VNet's address space"
_LINK_DB = "ARM reports a link database's replica state beside its connected state"
_CERT = "ARM reports the partner certificate's name beside its expiry (partnerAuthCertValidity)"


@dataclass(frozen=True)
class ManagedInstance:
    id: str = field(metadata=always(ARM_ID))
    name: str = field(metadata=always(ARM_NAME))
    location: str = field(metadata=always(ARM_LOCATION))
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
    hybrid_secondary_usage: str | None = field(default=None, metadata=always(ARM_VALUE))
    license_type: str | None = field(default=None, metadata=always(ARM_VALUE))
    minimal_tls_version: str | None = field(default=None, metadata=always(ARM_VALUE))


@dataclass(frozen=True)
class ManagedDatabase:
    name: str = field(metadata=always(ARM_NAME))
    status: str = field(metadata=always("ARM returns every managed database with its status (Online, ...)"))
    collation: str = field(default="", metadata=always("ARM returns every managed database with its collation"))


@dataclass(frozen=True)
class LinkDatabase:
    name: str = field(metadata=always("ARM names every database of a link"))
    synchronization_health: str = ""
    connected_state: str = ""
    replica_state: str = field(default="", metadata=always(_LINK_DB, when="connected_state"))
    seeding_progress: str = ""
    send_lag_seconds: float | None = None
    redo_lag_seconds: float | None = None
    last_hardened_time: datetime | None = None
    partner_cert_name: str = field(default="", metadata=always(_CERT, when="partner_cert_expiry"))
    partner_cert_expiry: datetime | None = None
    most_recent_error: str = ""


@dataclass(frozen=True)
class ExistingLink:
    """A distributed availability group on the managed instance."""

    name: str = field(metadata=always(ARM_NAME))
    partner_endpoint: str = field(metadata=always(_DAG))
    replication_mode: str = field(metadata=always(_DAG))
    instance_role: str
    partner_role: str
    instance_ag_name: str = field(metadata=always(_DAG))
    partner_ag_name: str = field(metadata=always(_DAG))
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
    name: str = field(metadata=always(ARM_NAME))
    operation: str
    state: str = field(metadata=always(_OPERATION))
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

    database: str = field(metadata=always(ARM_NAME + " (the database's, whose TDE child this is)"))
    #: Enabled or Disabled (TransparentDataEncryptionState).
    state: str = field(metadata=always(ARM_VALUE))


@dataclass(frozen=True)
class FailoverGroup:
    name: str = field(metadata=always(ARM_NAME))
    managed_instances: tuple[str, ...] = field(metadata=always(_PAIRS))


@dataclass(frozen=True)
class Subnet:
    id: str = field(metadata=always(ARM_ID))
    address_prefixes: tuple[str, ...]
    nsg_id: str | None = None
    route_table_id: str | None = None
    delegations: tuple[str, ...] = ()


@dataclass(frozen=True)
class SecurityRule:
    name: str = field(metadata=always("ARM returns every security rule (default ones too) with its name"))
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
    id: str = field(metadata=always(ARM_ID))
    name: str = field(metadata=always(ARM_NAME))
    rules: tuple[SecurityRule, ...]


@dataclass(frozen=True)
class Route:
    name: str = field(metadata=always(ARM_NAME))
    address_prefix: str
    next_hop_type: str
    next_hop_ip: str | None = None


@dataclass(frozen=True)
class RouteTable:
    id: str = field(metadata=always(ARM_ID))
    name: str = field(metadata=always(ARM_NAME))
    routes: tuple[Route, ...]
    #: When true, routes learned by the VNet gateway (BGP) do not reach this subnet.
    disable_bgp_route_propagation: bool = False


@dataclass(frozen=True)
class Peering:
    name: str = field(metadata=always(ARM_NAME))
    remote_vnet_id: str
    remote_address_prefixes: tuple[str, ...] = field(metadata=always(_PEERING))
    state: str = field(metadata=always(_PEERING))
    #: FullyInSync, LocalNotInSync, RemoteNotInSync ("" when not reported).
    sync_level: str = ""
    use_remote_gateways: bool = False


@dataclass(frozen=True)
class VirtualNetwork:
    id: str = field(metadata=always(ARM_ID))
    name: str = field(metadata=always(ARM_NAME))
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
