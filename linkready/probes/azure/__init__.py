"""Azure Resource Manager probe: reads the managed instance, its links, certificates and network.

Only GET/list calls, through the real ``azure-mgmt-sql`` and ``azure-mgmt-network`` clients (and
their pipeline for the two reads they have no operation for: Azure Monitor's storage metric and
``Microsoft.Authorization/permissions``). Every read is independent: a 401/403/404/429/5xx or a
timeout becomes a :class:`ProbeError` naming the fact, the resource and (for 403) the action that
was denied, and the other reads go on.

The Azure SDK is imported inside the functions so that ``linkready --help`` never loads it.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from linkready.domain.clouds import CLOUDS
from linkready.facts import ProbeError
from linkready.facts.azure import AzureFacts
from linkready.probes import ProbeOutcome
from linkready.probes.azure.convert import T, _s
from linkready.probes.azure.errors import _clean, _DaemonPool
from linkready.probes.azure.errors import deadline_retry_policy as deadline_retry_policy
from linkready.probes.azure.errors import probe_error as probe_error
from linkready.probes.azure.instance import (
    _database,
    _endpoint_certificate,
    _failover_group,
    _link,
    _managed_instance,
    _operation,
    _permissions,
    _storage_used_gb,
    _trust,
    database_encryption,
    encryption_protector,
)
from linkready.probes.azure.network import _read_network, _read_source_vm, _Source
from linkready.probes.azure.reader import ArmReader as ArmReader

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from linkready.config import AzureConfig, Config
    from linkready.probes import ProbeContext




def probe(ctx: ProbeContext) -> ProbeOutcome:
    """Engine entry point: build the configured credential and read everything."""
    config = ctx.config
    try:
        credential = make_credential(config.azure)
    except Exception as exc:  # a bad credential setup is an error value, not a crash
        return ProbeOutcome(None, (ProbeError("azure", "azure", "auth", f"cannot set up the {config.azure.credential} "
                                              f"credential: {type(exc).__name__}: {_clean(exc)}"),))
    return collect_azure(config, credential)


_QUIET = logging.NullHandler()


def make_credential(az: AzureConfig) -> TokenCredential:
    """DefaultAzureCredential, or the credential type the config names, for the configured cloud."""
    from azure import identity


    # azure-identity logs every failed token attempt as a WARNING, which Python's last-resort
    # handler prints on stderr when the application configured no logging: the cause would show
    # twice, unformatted, beside the one-line ProbeError that reports it. A configured handler
    # (the user's logging setup) still receives the records.
    logging.getLogger("azure").addHandler(_QUIET)

    authority = az.authority or CLOUDS[az.cloud].authority
    kwargs: dict[str, Any] = {"authority": authority}
    if az.authority:
        # MSAL validates an authority host it does not know through instance discovery at
        # login.microsoftonline.com; an authority the user configured (a private cloud, Azure
        # Stack, the test stand-in) is trusted as configured and must not send that request out.
        kwargs["disable_instance_discovery"] = True
    if az.verify_tls is not True:
        # The token request goes through azure-identity's own transport: the CA bundle (or
        # verification off) configured for Azure applies to the authority as it does to ARM.
        kwargs["connection_verify"] = az.verify_tls
    # The configured timeout and retries bound the token requests as they bound every ARM read:
    # left to the SDK defaults (300 s per read, 10 retries; IMDS probing for managed identity) a
    # check against an authority that does not answer took minutes, not [azure] timeout (issue 20).
    transport: dict[str, Any] = {"connection_timeout": az.timeout, "read_timeout": az.timeout, "retry_total": az.retries,
                 "retry_backoff_max": 10}
    kwargs.update(transport)
    process_timeout = max(1, math.ceil(az.timeout))  # the az CLI subprocess (seconds, an int)
    factories: dict[str, Callable[..., Any]] = {
        "default": lambda: identity.DefaultAzureCredential(exclude_interactive_browser_credential=True,
                                                           process_timeout=process_timeout, **kwargs),
        "cli": lambda: identity.AzureCliCredential(process_timeout=process_timeout),
        "environment": lambda: identity.EnvironmentCredential(**kwargs),
        "managed-identity": lambda: identity.ManagedIdentityCredential(**transport),
        "workload-identity": lambda: identity.WorkloadIdentityCredential(**kwargs),
    }
    credential: TokenCredential = factories[az.credential]()
    return credential


def collect_azure(config: Config, credential: TokenCredential) -> ProbeOutcome:
    """Read every Azure fact the checks need; failures are returned as ProbeErrors."""
    assert config.managed_instance is not None, "the Azure probe runs only with [managed_instance]"
    mi_cfg = config.managed_instance
    mi_id = mi_cfg.resource_id
    try:
        reader = ArmReader(config, credential)
    except Exception as exc:
        return ProbeOutcome(None, (ProbeError("azure", "azure", "config",
                                              f"cannot set up the Azure clients: {type(exc).__name__}: {_clean(exc)}"),))
    # Get one token first: without it, every read would fail the same way.
    try:
        credential.get_token(CLOUDS[config.azure.cloud].audience)
    except Exception as exc:
        return ProbeOutcome(None, (ProbeError("azure", "azure", "auth",
                                              f"no Azure token ({config.azure.credential} credential): "
                                              f"{type(exc).__name__}: {_clean(exc)}"),))

    rg, name, sql = mi_cfg.resource_group, mi_cfg.name, reader.sql
    g = reader.guard
    # Reads that do not depend on each other go out at once; ARM round trips dominate the probe's time.
    with _DaemonPool(reader.deadline, reader.errors) as pool:
        def submit(fact: str, resource: str, read: Callable[[], T]) -> Future[T | None]:
            return pool.submit(g, fact, resource, read)

        f_mi = submit("azure.managed_instance", mi_id, lambda: sql.managed_instances.get(rg, name))
        f_dbs = submit("azure.databases", f"{mi_id}/databases",
                       lambda: [_database(d) for d in sql.managed_databases.list_by_instance(rg, name)])
        f_links = submit("azure.links", f"{mi_id}/distributedAvailabilityGroups",
                         lambda: [_link(d) for d in sql.distributed_availability_groups.list_by_instance(rg, name)])
        f_trust = submit("azure.server_trust_certificates", f"{mi_id}/serverTrustCertificates",
                         lambda: [_trust(c) for c in sql.server_trust_certificates.list_by_instance(rg, name)])
        f_ep = submit("azure.endpoint_certificate_hex", f"{mi_id}/endpointCertificates/DATABASE_MIRRORING",
                      lambda: _endpoint_certificate(sql.endpoint_certificates.get(rg, name, "DATABASE_MIRRORING")))
        f_ops = submit("azure.operations", f"{mi_id}/operations",
                       lambda: [_operation(o) for o in sql.managed_instance_operations.list_by_managed_instance(rg, name)])
        f_tde = submit("azure.encryption_protector", f"{mi_id}/encryptionProtector/current",
                       lambda: encryption_protector(sql.managed_instance_encryption_protectors.get(rg, name, "current")))
        f_perm = submit("azure.permissions", f"{mi_id}/providers/Microsoft.Authorization/permissions",
                        lambda: _permissions(reader, mi_id))
        f_used = submit("azure.managed_instance.storage_used_gb", f"{mi_id}/providers/Microsoft.Insights/metrics",
                        lambda: _storage_used_gb(reader, mi_id))
        # The SQL Server VM's chain (NIC, its subnet, NSGs) does not need the instance: start it now.
        f_source = pool.submit(_read_source_vm, reader, config, fact="azure.source_vm_nsgs",
                               resource=config.azure.source_nic_id or "the SQL Server VM's NIC", default=_Source())
        mi_model = f_mi.result()
        f_tde_dbs = _read_database_encryption(reader, pool, config, f_dbs.result())

        network_futures: dict[str, Future[Any]] = {}
        f_fgs: Future[Any] | None = None
        if mi_model is not None:
            location = _s(mi_model.location)
            f_fgs = submit("azure.failover_groups", f"{mi_id.rsplit('/providers/', 1)[0]}/providers/Microsoft.Sql"
                           f"/locations/{location}/instanceFailoverGroups",
                           lambda: [_failover_group(f) for f in sql.instance_failover_groups.list_by_location(rg, location)])
            subnet_id = _s(mi_model.properties.subnet_id) if mi_model.properties else ""
            if subnet_id:
                network_futures = _read_network(reader, pool, subnet_id)
        else:
            # What the instance names (location, subnet) is unknown: say so per fact, with the root cause.
            cause = next((e for e in reader.errors.items if e.fact == "azure.managed_instance"), None)
            kind = cause.kind if cause else "error"
            blocked = "needs the managed instance, which could not be read" + (f" ({cause.reason})" if cause else "")
            for fact in ("azure.failover_groups", "azure.subnet", "azure.nsg", "azure.route_table", "azure.vnet"):
                reader.errors.add(ProbeError("azure", fact, kind, blocked, mi_id))
        source = f_source.result()

        used = f_used.result()
        managed_instance = _managed_instance(mi_model, used) if mi_model is not None else None
        facts = AzureFacts(
            managed_instance=managed_instance,
            databases=_tuple(f_dbs.result()),
            links=_tuple(f_links.result()),
            server_trust_certificates=_tuple(f_trust.result()),
            endpoint_certificate_hex=f_ep.result(),
            operations=_tuple(f_ops.result()),
            failover_groups=_tuple(f_fgs.result()) if f_fgs is not None else None,
            encryption_protector=f_tde.result(),
            database_encryption=_all(f_tde_dbs),
            subnet=_result(network_futures.get("subnet")),
            nsg=_result(network_futures.get("nsg")),
            route_table=_result(network_futures.get("route_table")),
            vnet=_result(network_futures.get("vnet")),
            permissions=_tuple(f_perm.result()),
            source_vm_nsgs=source.nsgs,
            source_vm_nic_id=source.nic_id,
            source_vnet=source.vnet,
            sql_api_version=reader.sql_api_version,
            dns_suffix=CLOUDS[config.azure.cloud].dns_suffix,
        )
    # Reads finish in any order; a stable order keeps snapshots and reports reproducible.
    return ProbeOutcome(facts, tuple(sorted(reader.errors.items, key=lambda e: (e.fact, e.resource))))


def _read_database_encryption(reader: ArmReader, pool: _DaemonPool, config: Config,
                              databases: list[Any] | None) -> list[Future[Any]] | None:
    """Per-database TDE of the planned databases on the instance (one GET each, read together).

    Only those: they are what a link would replicate from the instance to SQL Server, and an
    instance can hold hundreds of databases. Without the database list nothing can be chosen:
    the fact is not collected, with the list's error as the reason.
    """
    assert config.managed_instance is not None
    mi = config.managed_instance
    fact = "azure.database_encryption"
    if databases is None:
        # The resource is the list that could not be read: the one the user must be able to read.
        cause = next((e for e in reader.errors.items if e.fact == "azure.databases"), None)
        reader.errors.add(ProbeError("azure", fact, cause.kind if cause else "error",
                                     "needs the instance's database list, which could not be read"
                                     + (f" ({cause.reason})" if cause else ""), f"{mi.resource_id}/databases"))
        return None
    planned = {db.lower() for link in config.link for db in link.databases}
    names = [d.name for d in databases if d.name.lower() in planned]
    sql = reader.sql

    def read(name: str) -> Any:
        return database_encryption(name, sql.managed_database_transparent_data_encryption.get(
            mi.resource_group, mi.name, name, "current"))

    return [pool.submit(reader.guard, fact, f"{mi.resource_id}/databases/{n}/transparentDataEncryption/current",
                        functools.partial(read, n)) for n in names]


def _all(futures: list[Future[Any]] | None) -> tuple[Any, ...] | None:
    """Every result, or None when any read failed: one database unread leaves the fact unknown."""
    if futures is None:
        return None
    results = [f.result() for f in futures]
    return None if any(r is None for r in results) else tuple(results)


def _tuple(value: list[T] | None) -> tuple[T, ...] | None:
    return tuple(value) if value is not None else None


def _result(future: Future[Any] | None) -> Any:
    return future.result() if future is not None else None


