"""The managed instance side: the instance, its databases, links, trust certificates, operations and failover groups."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from linkready.facts.azure import (
    DatabaseEncryption,
    EncryptionProtector,
    ExistingLink,
    FailoverGroup,
    LinkDatabase,
    ManagedDatabase,
    ManagedInstance,
    ManagementOperation,
    Permission,
    TrustCertificate,
)
from linkready.probes.azure.convert import _cert_thumbprint, _hex, _opt, _raw, _s
from linkready.probes.azure.reader import METRICS_API, PERMISSIONS_API, ArmReader

if TYPE_CHECKING:

    pass


# ---- managed instance side ------------------------------------------------------------------

def _managed_instance(model: Any, storage_used_gb: float | None) -> ManagedInstance:
    props = model.properties
    sku = model.sku
    raw = _raw(props)
    return ManagedInstance(
        id=_s(model.id),
        name=_s(model.name),
        location=_s(model.location),
        state=_s(props.state),
        provisioning_state=_s(props.provisioning_state),
        sku_name=_s(sku.name) if sku else "",
        tier=_s(sku.tier) if sku else "",
        v_cores=int(props.v_cores or 0),
        storage_size_gb=int(props.storage_size_in_gb or 0),
        fqdn=_s(props.fully_qualified_domain_name),
        dns_zone=_s(props.dns_zone),
        subnet_id=_s(props.subnet_id),
        collation=_s(props.collation),
        storage_used_gb=storage_used_gb,
        memory_size_gb=float(props.memory_size_in_gb) if props.memory_size_in_gb is not None else None,
        family=_s(sku.family) if sku else "",
        public_data_endpoint_enabled=bool(props.public_data_endpoint_enabled),
        # Absent with API versions before the update policy existed: None, not a guess.
        database_format=_opt(raw.get("databaseFormat")),
        proxy_override=_s(props.proxy_override),
        zone_redundant=bool(props.zone_redundant),
        is_general_purpose_v2=bool(props.is_general_purpose_v2),
        hybrid_secondary_usage=_opt(props.hybrid_secondary_usage),
        license_type=_opt(props.license_type),
        minimal_tls_version=_opt(props.minimal_tls_version),
    )


def _database(model: Any) -> ManagedDatabase:
    props = model.properties
    return ManagedDatabase(name=_s(model.name), status=_s(props.status) if props else "",
                           collation=_s(props.collation) if props else "")


def _dt(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _link(model: Any) -> ExistingLink:
    raw = _raw(model.properties)
    if "targetDatabase" in raw or "sourceEndpoint" in raw:
        # The 2023-08-01 shape: one database, the partner as "source", an overall link state.
        return ExistingLink(
            name=_s(model.name),
            partner_endpoint=_s(raw.get("sourceEndpoint")),
            replication_mode=_s(raw.get("replicationMode")),
            instance_role="",
            partner_role="",
            instance_ag_name=_s(raw.get("secondaryAvailabilityGroupName")),
            partner_ag_name=_s(raw.get("primaryAvailabilityGroupName")),
            databases=(LinkDatabase(name=_s(raw.get("targetDatabase"))),) if raw.get("targetDatabase") else (),
            link_state=_s(raw.get("linkState")),
        )
    props = model.properties
    databases = []
    for db in props.databases or []:
        cert = db.partner_auth_cert_validity
        databases.append(LinkDatabase(
            name=_s(db.database_name),
            synchronization_health=_s(db.synchronization_health),
            connected_state=_s(db.connected_state),
            replica_state=_s(db.replica_state),
            seeding_progress=_s(db.seeding_progress),
            send_lag_seconds=_float(db.instance_send_replication_lag_seconds),
            redo_lag_seconds=_float(db.instance_redo_replication_lag_seconds),
            last_hardened_time=_dt(db.last_hardened_time),
            partner_cert_name=_s(cert.certificate_name) if cert else "",
            partner_cert_expiry=_dt(cert.expiry_date) if cert else None,
            most_recent_error=_s(db.most_recent_link_error),
        ))
    return ExistingLink(
        name=_s(props.distributed_availability_group_name) or _s(model.name),
        partner_endpoint=_s(props.partner_endpoint),
        replication_mode=_s(props.replication_mode),
        instance_role=_s(props.instance_link_role),
        partner_role=_s(props.partner_link_role),
        instance_ag_name=_s(props.instance_availability_group_name),
        partner_ag_name=_s(props.partner_availability_group_name),
        failover_mode=_s(props.failover_mode),
        seeding_mode=_s(props.seeding_mode),
        databases=tuple(databases),
    )


def _endpoint_certificate(model: Any) -> str | None:
    props = model.properties
    return _hex(props.public_blob) if props is not None and props.public_blob else None


def _trust(model: Any) -> TrustCertificate:
    props = model.properties
    blob = _hex(props.public_blob) if props else ""
    thumbprint = _s(props.thumbprint).upper() if props and props.thumbprint else _cert_thumbprint(blob)
    return TrustCertificate(name=_s(props.certificate_name) or _s(model.name), thumbprint=thumbprint,
                            public_blob_hex=blob)


def _operation(model: Any) -> ManagementOperation:
    props = model.properties
    return ManagementOperation(
        name=_s(model.name),
        operation=_s(props.operation_friendly_name) or _s(props.operation),
        state=_s(props.state),
        start_time=_dt(props.start_time),
    )


def encryption_protector(model: Any) -> EncryptionProtector:
    return EncryptionProtector(
        server_key_type=_s(model.server_key_type), server_key_name=_s(model.server_key_name), uri=_s(model.uri),
        auto_rotation_enabled=model.auto_rotation_enabled,
    )


def database_encryption(name: str, model: Any) -> DatabaseEncryption:
    return DatabaseEncryption(database=name, state=_s(model.state))


def _failover_group(model: Any) -> FailoverGroup:
    members: list[str] = []
    for pair in model.properties.managed_instance_pairs or []:
        members += [_s(pair.primary_managed_instance_id), _s(pair.partner_managed_instance_id)]
    return FailoverGroup(name=_s(model.name), managed_instances=tuple(m for m in members if m))


def _permissions(reader: ArmReader, mi_id: str) -> list[Permission]:
    pages = reader.get_json(f"{mi_id}/providers/Microsoft.Authorization/permissions", {"api-version": PERMISSIONS_API})
    return [
        Permission(actions=tuple(p.get("actions") or ()), not_actions=tuple(p.get("notActions") or ()))
        for page in pages for p in page.get("value", [])
    ]


def _storage_used_gb(reader: ArmReader, mi_id: str) -> float | None:
    """Azure Monitor's storage_space_used_mb (the instance resource does not report used storage)."""
    [page, *_] = reader.get_json(
        f"{mi_id}/providers/Microsoft.Insights/metrics",
        {"api-version": METRICS_API, "metricnames": "storage_space_used_mb", "aggregation": "Average",
         "interval": "PT1H", "timespan": "PT2H"},
    )
    latest: float | None = None
    for metric in page.get("value", []):
        for series in metric.get("timeseries", []):
            for point in series.get("data", []):
                if point.get("average") is not None:
                    latest = float(point["average"])
    return round(latest / 1024, 1) if latest is not None else None


