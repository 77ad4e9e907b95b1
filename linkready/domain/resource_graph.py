"""Azure Resource Graph knowledge for `linkready discover`: the queries and what their rows mean.

Pure: no I/O. The probe (:mod:`linkready.probes.resource_graph`) sends these queries; this module
turns the rows it got back into inventory records. Property names follow the ARM resource shapes
that Resource Graph indexes (``Microsoft.Sql/managedInstances``,
``Microsoft.AzureArcData/sqlServerInstances`` and their ``databases``,
``Microsoft.HybridCompute/machines``, ``Microsoft.SqlVirtualMachine/sqlVirtualMachines``).
A property Resource Graph did not return stays ``None`` (unknown), never a guessed default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from linkready.domain import resource_ids


class Kind(StrEnum):
    """What a query inventories; the value is the ARM resource type (lower case, as ARG stores it)."""

    SUBSCRIPTION = "microsoft.resources/subscriptions"
    MANAGED_INSTANCE = "microsoft.sql/managedinstances"
    ARC_SQL_SERVER = "microsoft.azurearcdata/sqlserverinstances"
    ARC_DATABASE = "microsoft.azurearcdata/sqlserverinstances/databases"
    ARC_MACHINE = "microsoft.hybridcompute/machines"
    SQL_VM = "microsoft.sqlvirtualmachine/sqlvirtualmachines"


#: One query per kind. KQL kept to `where type =~` and `project`, which Resource Graph documents for
#: every table; subscriptions live in the ResourceContainers table, everything else in Resources.
QUERIES: dict[Kind, str] = {
    Kind.SUBSCRIPTION: (
        "ResourceContainers | where type =~ 'microsoft.resources/subscriptions' | project subscriptionId, name"
    ),
    Kind.MANAGED_INSTANCE: (
        "Resources | where type =~ 'microsoft.sql/managedinstances' "
        "| project id, name, location, subscriptionId, resourceGroup, sku, properties"
    ),
    Kind.ARC_SQL_SERVER: (
        "Resources | where type =~ 'microsoft.azurearcdata/sqlserverinstances' "
        "| project id, name, location, subscriptionId, resourceGroup, properties"
    ),
    Kind.ARC_DATABASE: (
        "Resources | where type =~ 'microsoft.azurearcdata/sqlserverinstances/databases' "
        "| project id, name, subscriptionId, properties"
    ),
    Kind.ARC_MACHINE: (
        "Resources | where type =~ 'microsoft.hybridcompute/machines' "
        "| project id, name, location, subscriptionId, properties"
    ),
    Kind.SQL_VM: (
        "Resources | where type =~ 'microsoft.sqlvirtualmachine/sqlvirtualmachines' "
        "| project id, name, location, subscriptionId, resourceGroup, properties"
    ),
}

#: "SQL Server 2019" (Arc's `version`) → the major version number SQL Server reports.
_MAJOR_BY_NAME = {"2012": 11, "2014": 12, "2016": 13, "2017": 14, "2019": 15, "2022": 16, "2025": 17}
#: Azure SQL VM image offers name the version and the OS: "SQL2019-WS2022", "sql2022-ubuntu2204".
_VM_OFFER = re.compile(r"sql(?P<year>20\d\d)-(?P<os>ws\d{4}|ubuntu\d+|rhel\d+|sles\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class ManagedInstanceRow:
    id: str
    name: str
    subscription_id: str
    resource_group: str
    location: str
    state: str | None
    provisioning_state: str | None
    tier: str | None
    sku_name: str | None
    v_cores: int | None
    storage_size_gb: int | None
    #: The update policy (databaseFormat): AlwaysUpToDate, SQLServer2022, SQLServer2025; None: not indexed.
    database_format: str | None
    fqdn: str | None
    dns_zone: str | None
    subnet_id: str | None
    collation: str | None


@dataclass(frozen=True)
class ArcDatabase:
    name: str
    size_mb: float | None
    recovery_model: str | None
    state: str | None


@dataclass(frozen=True)
class ArcSqlServer:
    id: str
    name: str
    subscription_id: str
    resource_group: str
    location: str
    #: "SQL Server 2019" as Arc reports it.
    version_name: str | None
    #: The build, e.g. "15.0.4355.3" (Arc's currentVersion).
    build: str | None
    edition: str | None
    instance_name: str | None
    host_type: str | None
    license_type: str | None
    status: str | None
    collation: str | None
    #: The Arc machine the instance runs on (containerResourceId) and its OS, when indexed.
    machine_id: str | None
    os_name: str | None = None
    os_type: str | None = None
    databases: tuple[ArcDatabase, ...] | None = None

    @property
    def major(self) -> int | None:
        if self.build and self.build.split(".")[0].isdigit():
            return int(self.build.split(".")[0])
        year = re.search(r"20\d\d", self.version_name or "")
        return _MAJOR_BY_NAME.get(year.group(0)) if year else None


@dataclass(frozen=True)
class SqlVirtualMachine:
    id: str
    name: str
    subscription_id: str
    resource_group: str
    location: str
    image_offer: str | None
    image_sku: str | None
    license_type: str | None
    vm_id: str | None

    @property
    def major(self) -> int | None:
        match = _VM_OFFER.search(self.image_offer or "")
        return _MAJOR_BY_NAME.get(match.group("year")) if match else None

    @property
    def os_name(self) -> str | None:
        match = _VM_OFFER.search(self.image_offer or "")
        if not match:
            return None
        os = match.group("os").lower()
        return f"Windows Server {os[2:]}" if os.startswith("ws") else os


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    return float(value) if isinstance(value, int | float) else None


def _props(row: dict[str, Any]) -> dict[str, Any]:
    props = row.get("properties")
    return props if isinstance(props, dict) else {}


def _resource_group(row: dict[str, Any]) -> str:
    group = _text(row.get("resourceGroup"))
    if group:
        return group
    rid = resource_ids.parse(str(row.get("id", "")))
    return rid.group if rid else ""


def managed_instance(row: dict[str, Any]) -> ManagedInstanceRow:
    props = _props(row)
    sku = row.get("sku") if isinstance(row.get("sku"), dict) else {}
    assert isinstance(sku, dict)
    return ManagedInstanceRow(
        id=str(row.get("id", "")), name=str(row.get("name", "")), subscription_id=str(row.get("subscriptionId", "")),
        resource_group=_resource_group(row), location=str(row.get("location", "")),
        state=_text(props.get("state")), provisioning_state=_text(props.get("provisioningState")),
        tier=_text(sku.get("tier")), sku_name=_text(sku.get("name")),
        v_cores=_int(props.get("vCores")), storage_size_gb=_int(props.get("storageSizeInGB")),
        database_format=_text(props.get("databaseFormat")), fqdn=_text(props.get("fullyQualifiedDomainName")),
        dns_zone=_text(props.get("dnsZone")), subnet_id=_text(props.get("subnetId")),
        collation=_text(props.get("collation")),
    )


def arc_sql_server(row: dict[str, Any]) -> ArcSqlServer:
    props = _props(row)
    return ArcSqlServer(
        id=str(row.get("id", "")), name=str(row.get("name", "")), subscription_id=str(row.get("subscriptionId", "")),
        resource_group=_resource_group(row), location=str(row.get("location", "")),
        version_name=_text(props.get("version")), build=_text(props.get("currentVersion")),
        edition=_text(props.get("edition")), instance_name=_text(props.get("instanceName")),
        host_type=_text(props.get("hostType")), license_type=_text(props.get("licenseType")),
        status=_text(props.get("status")), collation=_text(props.get("collation")),
        machine_id=_text(props.get("containerResourceId")),
    )


def arc_database(row: dict[str, Any]) -> tuple[str, ArcDatabase]:
    """(the parent SQL Server instance's resource ID, the database)."""
    props = _props(row)
    rid = str(row.get("id", ""))
    cut = rid.lower().rfind("/databases/")
    parent = rid[:cut] if cut > 0 else ""
    return parent, ArcDatabase(
        name=str(row.get("name", "")), size_mb=_float(props.get("sizeMB")),
        recovery_model=_text(props.get("recoveryMode")), state=_text(props.get("state")),
    )


def arc_machine_os(row: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(machine resource ID, OS name such as "Windows Server 2022 Datacenter", OS type)."""
    props = _props(row)
    return str(row.get("id", "")), _text(props.get("osSku")) or _text(props.get("osName")), _text(props.get("osType"))


def sql_virtual_machine(row: dict[str, Any]) -> SqlVirtualMachine:
    props = _props(row)
    return SqlVirtualMachine(
        id=str(row.get("id", "")), name=str(row.get("name", "")), subscription_id=str(row.get("subscriptionId", "")),
        resource_group=_resource_group(row), location=str(row.get("location", "")),
        image_offer=_text(props.get("sqlImageOffer")), image_sku=_text(props.get("sqlImageSku")),
        license_type=_text(props.get("sqlServerLicenseType")), vm_id=_text(props.get("virtualMachineResourceId")),
    )
