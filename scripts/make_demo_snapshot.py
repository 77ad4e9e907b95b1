"""Write linkready/data/demo_snapshot.json: the bundled demo's facts (Contoso Museums).

Run once and commit the JSON; the JSON is the demo's source of truth afterwards (rooms edit
their section of it). Certificates are real X.509 made here, so trust checks compare real keys.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from linkready.facts import Collector, Facts, ProbeError
from linkready.facts.azure import (
    AzureFacts,
    EncryptionProtector,
    FailoverGroup,
    ManagedDatabase,
    ManagedInstance,
    ManagementOperation,
    NetworkSecurityGroup,
    Peering,
    Permission,
    Route,
    RouteTable,
    SecurityRule,
    Subnet,
    VirtualNetwork,
)
from linkready.facts.network import DnsAnswer, NetworkFacts, PortResult, PortScan, port_runs
from linkready.facts.plan import PlanFacts, PlannedLink
from linkready.facts.sql import (
    DatabaseFile,
    MirroringEndpoint,
    SqlCertificate,
    SqlDatabase,
    SqlFacts,
    SqlInstance,
    TraceFlag,
)
from linkready.snapshot import SCHEMA_VERSION, Snapshot, dumps

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
SUB = "6d1f0c9e-3b7a-4c1e-9a55-0f2b8e4d7c11"
RG = "rg-museum-data"
MI_NAME = "sqlmi-museum-prod"
MI_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Sql/managedInstances/{MI_NAME}"
VNET_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/virtualNetworks/vnet-museum"
DNS_ZONE = "7b3c1d9e0f2a"
FQDN = f"{MI_NAME}.{DNS_ZONE}.database.windows.net"


def certificate(common_name: str, not_before: datetime, days: int, bits: int = 2048) -> x509.Certificate:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    return (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_before + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )


def der_hex(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.DER).hex().upper()


def thumbprint(cert: x509.Certificate) -> str:
    return "0x" + cert.fingerprint(hashes.SHA1()).hex().upper()


SQL_CERT = certificate("Certificate for SQLPROD01 endpoint", NOW - timedelta(days=345), 365)
MI_CERT = certificate("DATABASE_MIRRORING", NOW - timedelta(days=30), 365)


def plan() -> PlanFacts:
    return PlanFacts(
        links=(
            PlannedLink("link-membership", ("Membership",), "AG_Membership_MI", "AG_Membership",
                        "TCP://10.20.1.10:5022"),
            PlannedLink("link-ticketing", ("Ticketing",), "AG_Ticketing_MI", "AG_Ticketing",
                        "TCP://sqlprod01.museum.local:5022"),
        ),
        source_server="sqlprod01.museum.local",
        source_address="10.20.1.10",
        source_prefixes=("10.20.1.0/24",),
        mi_resource_id=MI_ID,
        cloud="AzureCloud",
    )


def sql() -> SqlFacts:
    return SqlFacts(
        instance=SqlInstance(
            server_name="SQLPROD01", machine_name="SQLPROD01", instance_name=None,
            product_version="15.0.4335.1", product_level="RTM", product_update_level="CU23",
            product_update_reference="KB5030333", edition="Enterprise Edition: Core-based Licensing (64-bit)",
            engine_edition=3, host_platform="Windows", host_distribution="Windows Server 2019 Datacenter",
            host_release="10.0", collation="SQL_Latin1_General_CP1_CI_AS", is_hadr_enabled=True,
            hadr_manager_status=1, cpu_count=16, physical_memory_mb=131072,
        ),
        master_key_present=True,
        trace_flags=(TraceFlag(1800, False, False), TraceFlag(9567, True, True), TraceFlag(12381, False, False)),
        trace_flags_source="startup parameters (sys.dm_server_registry) and running now (DBCC TRACESTATUS(-1))",
        has_sp_certificate_add_issuer=True,
        has_sp_multidb_milink=False,
        multidb_mode_enabled=None,
        endpoints=(
            MirroringEndpoint(
                name="Hadr_endpoint", state="STARTED", role="ALL", port=5022, ip_address="ALL",
                connection_auth="WINDOWS NEGOTIATE", encryption_algorithm="AES", is_encryption_enabled=True,
            ),
        ),
        certificates=(
            SqlCertificate(
                name="Cert_SQLPROD01_endpoint", certificate_id=256, thumbprint=thumbprint(SQL_CERT),
                subject="Certificate for SQLPROD01 endpoint", issuer="Certificate for SQLPROD01 endpoint",
                not_before=SQL_CERT.not_valid_before_utc, not_after=SQL_CERT.not_valid_after_utc,
                key_length=2048, pvt_key_encryption_type="MK", public_der_hex=der_hex(SQL_CERT),
            ),
            SqlCertificate(
                name="MI_Museum_Prod_Cert", certificate_id=257, thumbprint=thumbprint(MI_CERT),
                subject="DATABASE_MIRRORING", issuer="DATABASE_MIRRORING",
                not_before=MI_CERT.not_valid_before_utc, not_after=MI_CERT.not_valid_after_utc,
                key_length=2048, pvt_key_encryption_type="NA", public_der_hex=der_hex(MI_CERT),
            ),
            SqlCertificate(
                name="MicrosoftPKI", certificate_id=258, thumbprint="0x8F43288AD272F3103B6FB1428485EA3014C0BCFE",
                subject="Microsoft RSA Root Certificate Authority 2017",
                issuer="Microsoft RSA Root Certificate Authority 2017",
                not_before=datetime(2019, 12, 18, 22, 51, 22, tzinfo=UTC),
                not_after=datetime(2042, 7, 18, 23, 0, 23, tzinfo=UTC), key_length=4096,
                pvt_key_encryption_type="NA", issuer_mappings=("*.database.windows.net",),
            ),
            # Left from a pilot link to a test instance that was deleted since: SVC-022 warns.
            SqlCertificate(
                name="sqlmi-museum-pilot.7b3c1d9e0f2a.database.windows.net", certificate_id=259,
                thumbprint="0x5C1A7E93D04B2F68A1C3E5079B2D4F6A8C0E1B3D", subject="DATABASE_MIRRORING",
                issuer="DATABASE_MIRRORING", not_before=datetime(2025, 3, 4, 9, 0, tzinfo=UTC),
                not_after=datetime(2026, 3, 4, 9, 0, tzinfo=UTC), key_length=2048, pvt_key_encryption_type="NA",
            ),
        ),
        availability_groups=(),
        databases=(
            SqlDatabase(
                name="Membership", database_id=5, state="ONLINE", recovery_model="FULL", is_system=False,
                collation="SQL_Latin1_General_CP1_CI_AS", last_full_backup=NOW - timedelta(hours=20),
                full_backup_after_recovery_change=True, log_file_count=1, adr_enabled=False,
                data_size_mb=182_400.0, log_size_mb=24_576.0, log_used_percent=12.5, broker_enabled=True,
                files=(DatabaseFile(1, "Membership", "ROWS", "ONLINE", 182_400.0, None, "256 MB"),
                       DatabaseFile(2, "Membership_log", "LOG", "ONLINE", 24_576.0, 2_097_152.0, "512 MB")),
            ),
            SqlDatabase(
                name="Ticketing", database_id=6, state="ONLINE", recovery_model="FULL", is_system=False,
                collation="SQL_Latin1_General_CP1_CI_AS", last_full_backup=None,
                last_copy_only_backup=NOW - timedelta(days=2), full_backup_after_recovery_change=False,
                log_file_count=2, data_size_mb=64_000.0, log_size_mb=16_384.0, log_used_percent=81.0,
                files=(DatabaseFile(1, "Ticketing", "ROWS", "ONLINE", 64_000.0, None, "10 %"),
                       DatabaseFile(2, "Ticketing_log", "LOG", "ONLINE", 8_192.0, None, "64 MB"),
                       DatabaseFile(3, "Ticketing_log2", "LOG", "ONLINE", 8_192.0, None, "64 MB")),
            ),
        ),
        permissions=("VIEW SERVER STATE", "VIEW ANY DEFINITION", "CONNECT SQL"),
    )


def azure() -> AzureFacts:
    subnet_id = f"{VNET_ID}/subnets/snet-sqlmi"
    nsg_id = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-sqlmi"

    def rule(name: str, priority: int, direction: str, access: str, src: str, dst_ports: tuple[str, ...],
             dst: str = "*", default: bool = False, protocol: str = "Tcp") -> SecurityRule:
        return SecurityRule(name, priority, direction, access, protocol, (src,), ("*",), (dst,), dst_ports,
                            is_default=default)

    return AzureFacts(
        managed_instance=ManagedInstance(
            id=MI_ID, name=MI_NAME, location="westeurope", state="Ready", provisioning_state="Succeeded",
            sku_name="GP_Gen5", tier="GeneralPurpose", family="Gen5", v_cores=8, storage_size_gb=1024,
            storage_used_gb=312.0, memory_size_gb=41.6, fqdn=FQDN, dns_zone=DNS_ZONE, subnet_id=subnet_id,
            collation="SQL_Latin1_General_CP1_CI_AS", database_format="SQLServer2022",
            public_data_endpoint_enabled=True, proxy_override="Proxy", license_type="LicenseIncluded",
            hybrid_secondary_usage="Active", minimal_tls_version="1.2",
        ),
        databases=(ManagedDatabase("Archive", "Online", "SQL_Latin1_General_CP1_CI_AS"),),
        encryption_protector=EncryptionProtector("ServiceManaged", "ServiceManaged", "", False),
        links=(),
        server_trust_certificates=(),
        endpoint_certificate_hex=der_hex(MI_CERT),
        operations=(ManagementOperation("op-1", "UpsertManagedServer", "Succeeded", NOW - timedelta(days=9)),),
        failover_groups=(FailoverGroup("fg-legacy", ("sqlmi-museum-dev",)),),
        subnet=Subnet(subnet_id, ("10.40.0.0/24",), nsg_id, None, ("Microsoft.Sql/managedInstances",)),
        nsg=NetworkSecurityGroup(nsg_id, "nsg-sqlmi", (
            rule("allow-link-5022-in", 200, "Inbound", "Allow", "10.20.1.0/24", ("5022",)),
            rule("allow-link-5022-out", 200, "Outbound", "Allow", "*", ("5022",), dst="10.20.1.0/24"),
            rule("deny-onprem-redirect", 300, "Inbound", "Deny", "10.20.0.0/16", ("11000-11999",)),
            rule("AllowVnetInBound", 65000, "Inbound", "Allow", "VirtualNetwork", ("*",), "VirtualNetwork",
                 True, "*"),
            rule("AllowAzureLoadBalancerInBound", 65001, "Inbound", "Allow", "AzureLoadBalancer", ("*",), "*",
                 True, "*"),
            rule("DenyAllInBound", 65500, "Inbound", "Deny", "*", ("*",), "*", True, "*"),
            rule("AllowVnetOutBound", 65000, "Outbound", "Allow", "VirtualNetwork", ("*",), "VirtualNetwork",
                 True, "*"),
            rule("AllowInternetOutBound", 65001, "Outbound", "Allow", "*", ("*",), "Internet", True, "*"),
            rule("DenyAllOutBound", 65500, "Outbound", "Deny", "*", ("*",), "*", True, "*"),
        )),
        route_table=RouteTable("rt-sqlmi", "rt-sqlmi", (Route("to-onprem", "10.20.0.0/16", "VirtualNetworkGateway"),)),
        vnet=VirtualNetwork(VNET_ID, "vnet-museum", ("10.40.0.0/16",), ("10.40.2.4",),
                            (Peering("hub", "vnet-hub", ("10.0.0.0/16",), "Connected"),)),
        permissions=(Permission(("Microsoft.Sql/managedInstances/*", "Microsoft.Network/*/read"),
                                ("Microsoft.Sql/managedInstances/distributedAvailabilityGroups/delete",)),),
        source_vm_nsgs=None,
    )


def network() -> NetworkFacts:
    ports = [PortResult(5022, "open", 21.4)]
    for port in range(11000, 12000):
        ports.append(PortResult(port, "open", 22.0) if port >= 11100 else PortResult(port, "filtered", None))
    return NetworkFacts(
        mi_dns=(
            DnsAnswer(FQDN, "system", "ok", ("10.40.0.254",), (), "", 3.1),
            DnsAnswer(FQDN, "10.40.2.4", "ok", ("10.40.0.254",), (), "", 4.8),
        ),
        partner_dns=(
            DnsAnswer("sqlprod01.museum.local", "10.40.2.4", "nxdomain", (), (), "10.40.2.4 answered NXDOMAIN", 5.0),
        ),
        mi_ports=PortScan(FQDN, "10.40.0.254", port_runs(ports), 3.0, "10.20.1.10"),
        sql_endpoint_port=PortScan("localhost", "127.0.0.1", port_runs([PortResult(5022, "open", 0.3)]), 3.0, "127.0.0.1"),
    )


def main() -> None:
    facts = Facts(
        plan=plan(),
        collector=Collector("SQLPROD01", "Windows 10.0.17763", ("10.20.1.10",), True, NOW),
        sql=sql(), azure=azure(), network=network(),
        errors=(ProbeError("azure", "azure.source_vm_nsgs", "not_found",
                           "the SQL Server is not an Azure VM (no NIC found for 10.20.1.10)"),),
    )
    snapshot = Snapshot(SCHEMA_VERSION, "0.1.0", NOW, facts)
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "linkready/data/demo_snapshot.json")
    target.write_text(dumps(snapshot), encoding="utf-8")
    print(f"wrote {target} ({snapshot.digest})")


if __name__ == "__main__":
    main()
