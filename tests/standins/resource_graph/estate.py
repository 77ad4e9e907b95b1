"""A small estate as Resource Graph indexes it: two readable subscriptions, one the caller cannot read.

Rows carry the columns Resource Graph rows have (id, name, type, location, subscriptionId,
resourceGroup, tenantId, sku, properties) with property names of the ARM resource shapes.
"""

from __future__ import annotations

from typing import Any

from tests.standins.resource_graph.server import GraphData

TENANT = "72f988bf-0000-0000-0000-000000000001"
SUB_A = "11111111-1111-1111-1111-111111111111"
SUB_B = "22222222-2222-2222-2222-222222222222"
#: Asked for by the user, but the caller has no role on it.
SUB_NO_ACCESS = "33333333-3333-3333-3333-333333333333"


def _rid(sub: str, group: str, provider: str, *names: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{group}/providers/{provider}/" + "/".join(names)


def _row(rid: str, kind: str, location: str, sub: str, group: str, properties: dict[str, Any],
         **extra: Any) -> dict[str, Any]:
    return {"id": rid, "name": rid.rsplit("/", 1)[-1], "type": kind, "tenantId": TENANT, "kind": "",
            "location": location, "resourceGroup": group, "subscriptionId": sub, "managedBy": "",
            "sku": None, "plan": None, "tags": {}, "identity": None, "zones": None, "extendedLocation": None,
            "properties": properties, **extra}


def managed_instance(sub: str, name: str, location: str, *, tier: str = "GeneralPurpose", v_cores: int = 8,
                     storage_gb: int = 1024, policy: str = "SQLServer2022", state: str = "Ready") -> dict[str, Any]:
    rid = _rid(sub, "rg-data", "Microsoft.Sql", "managedInstances", name)
    sku_name = "GP_Gen5" if tier == "GeneralPurpose" else "BC_Gen5"
    return _row(rid, "microsoft.sql/managedinstances", location, sub, "rg-data", {
        "provisioningState": "Succeeded", "state": state, "vCores": v_cores, "storageSizeInGB": storage_gb,
        "databaseFormat": policy, "fullyQualifiedDomainName": f"{name}.abc123def456.database.windows.net",
        "dnsZone": "abc123def456", "collation": "SQL_Latin1_General_CP1_CI_AS", "licenseType": "LicenseIncluded",
        "subnetId": _rid(sub, "rg-net", "Microsoft.Network", "virtualNetworks", "vnet-mi", "subnets", "mi"),
        "publicDataEndpointEnabled": False, "proxyOverride": "Proxy", "minimalTlsVersion": "1.2",
    }, sku={"name": sku_name, "tier": tier, "family": "Gen5", "capacity": v_cores})


def machine(sub: str, name: str, location: str, os_sku: str, os_type: str = "windows") -> dict[str, Any]:
    rid = _rid(sub, "rg-onprem", "Microsoft.HybridCompute", "machines", name)
    return _row(rid, "microsoft.hybridcompute/machines", location, sub, "rg-onprem", {
        "provisioningState": "Succeeded", "status": "Connected", "osName": os_type, "osType": os_type,
        "osSku": os_sku, "osVersion": "10.0.20348", "agentVersion": "1.45.02871.1834",
    })


def arc_sql(sub: str, name: str, location: str, *, version: str, build: str, edition: str,
            host: str) -> dict[str, Any]:
    rid = _rid(sub, "rg-onprem", "Microsoft.AzureArcData", "SqlServerInstances", name)
    return _row(rid, "microsoft.azurearcdata/sqlserverinstances", location, sub, "rg-onprem", {
        "version": version, "edition": edition, "currentVersion": build, "instanceName": "MSSQLSERVER",
        "containerResourceId": _rid(sub, "rg-onprem", "Microsoft.HybridCompute", "machines", host),
        "status": "Connected", "licenseType": "Paid", "hostType": "Physical Server",
        "collation": "SQL_Latin1_General_CP1_CI_AS", "patchLevel": "", "tcpPorts": "1433",
        "provisioningState": "Succeeded",
    })


def arc_database(server_row: dict[str, Any], name: str, size_mb: float, recovery: str = "Full") -> dict[str, Any]:
    rid = f"{server_row['id']}/Databases/{name}"
    return _row(rid, "microsoft.azurearcdata/sqlserverinstances/databases", server_row["location"],
                server_row["subscriptionId"], server_row["resourceGroup"], {
                    "collationName": "SQL_Latin1_General_CP1_CI_AS", "sizeMB": size_mb, "spaceAvailableMB": 10.0,
                    "state": "Online", "recoveryMode": recovery, "compatibilityLevel": 150, "isReadOnly": False,
                    "provisioningState": "Succeeded",
                })


def sql_vm(sub: str, name: str, location: str, offer: str, sku: str) -> dict[str, Any]:
    rid = _rid(sub, "rg-vms", "Microsoft.SqlVirtualMachine", "sqlVirtualMachines", name)
    return _row(rid, "microsoft.sqlvirtualmachine/sqlvirtualmachines", location, sub, "rg-vms", {
        "sqlImageOffer": offer, "sqlImageSku": sku, "sqlServerLicenseType": "PAYG", "sqlManagement": "Full",
        "virtualMachineResourceId": _rid(sub, "rg-vms", "Microsoft.Compute", "virtualMachines", name),
        "provisioningState": "Succeeded",
    })


def subscription(sub: str, name: str) -> dict[str, Any]:
    return {"id": f"/subscriptions/{sub}", "name": name, "type": "microsoft.resources/subscriptions",
            "tenantId": TENANT, "subscriptionId": sub, "location": "", "resourceGroup": "",
            "properties": {"state": "Enabled"}}


def estate(**behaviour: Any) -> GraphData:
    ok = arc_sql(SUB_A, "sqlprod01", "westeurope", version="SQL Server 2019", build="15.0.4355.3",
                 edition="Enterprise", host="sqlprod01")
    old = arc_sql(SUB_A, "sqllegacy", "westeurope", version="SQL Server 2014", build="12.0.6024.0",
                  edition="Enterprise", host="sqllegacy")
    express = arc_sql(SUB_B, "sqlexpress", "eastus", version="SQL Server 2022", build="16.0.4175.1",
                      edition="Express", host="sqlexpress")
    hidden = arc_sql(SUB_NO_ACCESS, "sqlhidden", "westeurope", version="SQL Server 2019", build="15.0.4355.3",
                     edition="Enterprise", host="sqlhidden")
    rows = [
        subscription(SUB_A, "prod"), subscription(SUB_B, "dev"), subscription(SUB_NO_ACCESS, "finance"),
        managed_instance(SUB_A, "sqlmi-weu", "westeurope", storage_gb=2048),
        managed_instance(SUB_B, "sqlmi-eus", "eastus", tier="BusinessCritical", policy="AlwaysUpToDate"),
        managed_instance(SUB_NO_ACCESS, "sqlmi-hidden", "westeurope"),
        ok, old, express, hidden,
        arc_database(ok, "Sales", 10240), arc_database(ok, "HR", 512), arc_database(ok, "master", 6),
        arc_database(old, "Ledger", 2048),
        machine(SUB_A, "sqlprod01", "westeurope", "Windows Server 2022 Datacenter"),
        machine(SUB_A, "sqllegacy", "westeurope", "Windows Server 2012 R2 Standard"),
        machine(SUB_B, "sqlexpress", "eastus", "Windows Server 2022 Standard"),
        sql_vm(SUB_B, "sqlvm01", "eastus", "SQL2022-WS2022", "Enterprise"),
    ]
    return GraphData(rows=rows, readable={SUB_A, SUB_B}, groups={"mg-root": {SUB_A, SUB_B, SUB_NO_ACCESS}},
                     **behaviour)
