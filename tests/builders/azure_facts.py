"""Hand-built facts for the Azure-side check tests: the healthy estate the ARM stand-in serves,
plus the SQL Server side that pairs with it (real certificates from tests.standins.arm.certs)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from linkready.domain.netrules import default_rules
from linkready.facts import Collector, Facts, PlanFacts, PlannedLink, ProbeError
from linkready.facts.azure import (
    AzureFacts,
    EncryptionProtector,
    ExistingLink,
    FailoverGroup,
    LinkDatabase,
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
    TrustCertificate,
    VirtualNetwork,
)
from linkready.facts.sql import MirroringEndpoint, SqlCertificate, SqlDatabase, SqlFacts, SqlInstance
from tests.builders.sql_facts import db_files
from tests.standins.arm.certs import CertMaterial, link_certificates

SUB = "6f0b3a4e-2c1d-4f7a-9b8e-1a2b3c4d5e6f"
MI_ID = f"/subscriptions/{SUB}/resourceGroups/rg-data-weu/providers/Microsoft.Sql/managedInstances/sqlmi-contoso-weu"
NET = f"/subscriptions/{SUB}/resourceGroups/rg-network-weu/providers/Microsoft.Network"
FQDN = "sqlmi-contoso-weu.3f6c9a1d2b4e.database.windows.net"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CERTS = link_certificates(FQDN)


def rule(name: str, prio: int, direction: str, access: str, src: str, dst: str, ports: str,
         proto: str = "Tcp") -> SecurityRule:
    return SecurityRule(name, prio, direction, access, proto, (src,), ("*",), (dst,), (ports,))


MI_NSG_RULES = (
    rule("Microsoft.Sql-managedInstances_UseOnly_mi-healthprobe-in", 100, "Inbound", "Allow", "AzureLoadBalancer",
         "10.20.1.0/24", "*", "*"),
    rule("Microsoft.Sql-managedInstances_UseOnly_mi-internal-in", 101, "Inbound", "Allow", "10.20.1.0/24",
         "10.20.1.0/24", "*", "*"),
    rule("allow-milink-5022-in", 1000, "Inbound", "Allow", "10.10.2.0/24", "10.20.1.0/24", "5022"),
    rule("allow-milink-hadr-in", 1010, "Inbound", "Allow", "10.10.2.0/24", "10.20.1.0/24", "11000-11999"),
    rule("deny-internet-in", 4000, "Inbound", "Deny", "Internet", "*", "*", "*"),
    rule("Microsoft.Sql-managedInstances_UseOnly_mi-services-out", 100, "Outbound", "Allow", "10.20.1.0/24",
         "AzureCloud", "443"),
    rule("allow-milink-5022-out", 1000, "Outbound", "Allow", "10.20.1.0/24", "10.10.2.0/24", "5022"),
)


def nsg(*rules: SecurityRule, name: str = "nsg-sqlmi") -> NetworkSecurityGroup:
    return NetworkSecurityGroup(f"{NET}/networkSecurityGroups/{name}", name, (*rules, *default_rules()))


def managed_instance(**changes: Any) -> ManagedInstance:
    mi = ManagedInstance(
        id=MI_ID, name="sqlmi-contoso-weu", location="westeurope", state="Ready", provisioning_state="Succeeded",
        sku_name="GP_Gen5", tier="GeneralPurpose", v_cores=8, storage_size_gb=1024, fqdn=FQDN, dns_zone="3f6c9a1d2b4e",
        subnet_id=f"{NET}/virtualNetworks/vnet-sqlmi-weu/subnets/snet-sqlmi", collation="SQL_Latin1_General_CP1_CI_AS",
        storage_used_gb=384.0, database_format="SQLServer2022",
    )
    return replace(mi, **changes)


def link(name: str = "link-inventory", db: str = "Inventory", endpoint: str = "TCP://10.10.2.4:5022",
         **db_changes: Any) -> ExistingLink:
    database = replace(LinkDatabase(db, "HEALTHY", "CONNECTED", "SYNCHRONIZING", "Completed", 0.0, 1.0), **db_changes)
    return ExistingLink(name, endpoint, "Async", "Secondary", "Primary", f"mi-ag-{db.lower()}", f"ag-{db.lower()}",
                        "None", "Automatic", (database,))


def vnet(**changes: Any) -> VirtualNetwork:
    v = VirtualNetwork(
        f"{NET}/virtualNetworks/vnet-sqlmi-weu", "vnet-sqlmi-weu", ("10.20.0.0/16",),
        peerings=(Peering("peer-sqlmi-to-app", "/x/vnet-app-weu", ("10.10.0.0/16",), "Connected", "FullyInSync"),),
    )
    return replace(v, **changes)


def azure(**changes: Any) -> AzureFacts:
    facts = AzureFacts(
        managed_instance=managed_instance(),
        databases=tuple(ManagedDatabase(n, "Online", "SQL_Latin1_General_CP1_CI_AS")
                        for n in ("HR", "Inventory", "Reporting", "Staging")),
        links=(link(),),
        server_trust_certificates=(TrustCertificate("Cert_SQLSRV01_endpoint", CERTS.sql_endpoint.thumbprint,
                                                    CERTS.sql_endpoint.der_hex),),
        endpoint_certificate_hex=CERTS.mi_endpoint.der_hex,
        operations=(ManagementOperation("op-1", "UPDATE MANAGED SERVER", "Succeeded", NOW - timedelta(days=50)),),
        encryption_protector=EncryptionProtector("ServiceManaged", "ServiceManaged", "", False),
        # The planned databases (Sales, Orders) are not on the instance: none of them has a TDE state there.
        database_encryption=(),
        failover_groups=(FailoverGroup("fg-finance", ("/subscriptions/x/resourceGroups/rg/providers/Microsoft.Sql/"
                                                      "managedInstances/sqlmi-finance-weu",)),),
        subnet=Subnet(f"{NET}/virtualNetworks/vnet-sqlmi-weu/subnets/snet-sqlmi", ("10.20.1.0/24",),
                      f"{NET}/networkSecurityGroups/nsg-sqlmi", f"{NET}/routeTables/rt-sqlmi",
                      ("Microsoft.Sql/managedInstances",)),
        nsg=nsg(*MI_NSG_RULES),
        route_table=RouteTable(f"{NET}/routeTables/rt-sqlmi", "rt-sqlmi", (
            Route("mi-subnet-to-vnetlocal", "10.20.1.0/24", "VnetLocal"),
            Route("mi-SqlManagement", "SqlManagement", "Internet"),
        )),
        vnet=vnet(),
        permissions=(Permission(("*/read",)), Permission(("Microsoft.Sql/managedInstances/*",))),
        source_vm_nsgs=(nsg(rule("allow-milink-5022-from-mi", 300, "Inbound", "Allow", "10.20.1.0/24", "*", "5022"),
                            name="nsg-sqlvm"),),
        source_vm_nic_id="/x/networkInterfaces/nic-sqlsrv01",
        source_vnet=VirtualNetwork("/x/vnet-app-weu", "vnet-app-weu", ("10.10.0.0/16",), peerings=(
            Peering("peer-app-to-sqlmi", "/x/vnet-sqlmi-weu", ("10.20.0.0/16",), "Connected"),)),
        sql_api_version="2025-01-01",
        dns_suffix="database.windows.net",
    )
    return replace(facts, **changes)


def sql_cert(material: CertMaterial, name: str, cert_id: int, mappings: tuple[str, ...] = (),
             pvt: str = "MK") -> SqlCertificate:
    return SqlCertificate(name, cert_id, "0x" + material.thumbprint, f"CN={material.subject_cn}",
                          f"CN={material.issuer_cn}", material.not_before, material.not_after, 2048, pvt,
                          material.der_hex, mappings)


def sql(version: str = "16.0.4125.3", **changes: Any) -> SqlFacts:
    facts = SqlFacts(
        instance=SqlInstance("SQLSRV01", "SQLSRV01", None, version, "RTM", "CU13", None,
                             "Enterprise Edition (64-bit)", 3, "Windows", "Windows Server 2022 Datacenter", "10.0",
                             "SQL_Latin1_General_CP1_CI_AS", True),
        endpoints=(MirroringEndpoint("Hadr_endpoint", "STARTED", "ALL", 5022, "ALL", "CERTIFICATE", "AES", True,
                                     "Cert_SQLSRV01_endpoint", 256),),
        certificates=(
            sql_cert(CERTS.sql_endpoint, "Cert_SQLSRV01_endpoint", 256),
            sql_cert(CERTS.mi_endpoint, FQDN, 257, pvt="NA"),
            sql_cert(CERTS.azure_root, "AzureRootPKI", 258, ("*.database.windows.net",), pvt="NA"),
        ),
        databases=(SqlDatabase("Sales", 5, "ONLINE", "FULL", False, "SQL_Latin1_General_CP1_CI_AS",
                               data_size_mb=102400.0, log_size_mb=20480.0,
                               files=db_files("Sales", 102400.0, 20480.0)),
                   SqlDatabase("Orders", 6, "ONLINE", "FULL", False, "SQL_Latin1_General_CP1_CI_AS",
                               data_size_mb=51200.0, log_size_mb=10240.0,
                               files=db_files("Orders", 51200.0, 10240.0))),
    )
    return replace(facts, **changes)


def plan(**changes: Any) -> PlanFacts:
    p = PlanFacts(
        links=(PlannedLink("link-sales", ("Sales",), "mi-ag-sales", "ag-sales", "TCP://10.10.2.4:5022"),
               PlannedLink("link-orders", ("Orders",), "mi-ag-orders", "ag-orders", "TCP://10.10.2.4:5022")),
        source_server="10.10.2.4", source_address="10.10.2.4", source_prefixes=("10.10.2.0/24",),
        mi_resource_id=MI_ID, cloud="AzureCloud",
    )
    return replace(p, **changes)


def facts(*, azure_facts: AzureFacts | None = None, sql_facts: SqlFacts | None = None, plan_facts: PlanFacts | None = None,
          errors: tuple[ProbeError, ...] = ()) -> Facts:
    return Facts(plan=plan_facts or plan(), collector=Collector(collected_at=NOW), sql=sql_facts or sql(),
                 azure=azure_facts or azure(), errors=errors)
