"""Azure Resource Manager probe: reads the managed instance, its links, certificates and network.

Only GET/list calls, through the real ``azure-mgmt-sql`` and ``azure-mgmt-network`` clients (and
their pipeline for the two reads they have no operation for: Azure Monitor's storage metric and
``Microsoft.Authorization/permissions``). Every read is independent: a 401/403/404/429/5xx or a
timeout becomes a :class:`ProbeError` naming the fact, the resource and (for 403) the action that
was denied, and the other reads go on.

The Azure SDK is imported inside the functions so that ``linkready --help`` never loads it.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from linkready.deadline import remaining
from linkready.domain import resource_ids
from linkready.domain.clouds import CLOUDS
from linkready.facts import ProbeError
from linkready.facts.azure import (
    AzureFacts,
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
    Subnet,
    TrustCertificate,
    VirtualNetwork,
)
from linkready.probes import ProbeOutcome

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from linkready.config import AzureConfig, Config
    from linkready.probes import ProbeContext

T = TypeVar("T")

PERMISSIONS_API = "2022-04-01"
METRICS_API = "2023-10-01"
_DENIED_ACTION = re.compile(r"perform action '([^']+)'")


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
    factories: dict[str, Callable[..., Any]] = {
        "default": lambda: identity.DefaultAzureCredential(exclude_interactive_browser_credential=True, **kwargs),
        "cli": lambda: identity.AzureCliCredential(),
        "environment": lambda: identity.EnvironmentCredential(**kwargs),
        "managed-identity": lambda: identity.ManagedIdentityCredential(),
        "workload-identity": lambda: identity.WorkloadIdentityCredential(**kwargs),
    }
    credential: TokenCredential = factories[az.credential]()
    return credential


# --------------------------------------------------------------------------------------------
# Errors as values


@dataclass
class _Errors:
    items: list[ProbeError] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, error: ProbeError) -> None:
        with self.lock:
            self.items.append(error)


def _clean(exc: BaseException) -> str:
    """The exception's message on one line, tokens redacted (SDKs quote headers and bodies)."""
    from linkready.redact import redact

    text = " ".join(redact(str(exc)).split())
    return text[:400]


#: The share of probe_timeout the Azure reads may use: the rest is for building facts and reporting.
_DEADLINE_SHARE = 0.8


class _BoundedFuture(Future[Any]):
    """A read's future whose ``result()`` waits at most until the probe's deadline.

    A read still running then costs only its own fact: it becomes a "timeout" ProbeError and the
    result is ``default``; the daemon thread behind it is abandoned, never joined.
    """

    def __init__(self, deadline: float, errors: _Errors, fact: str, resource: str, default: Any) -> None:
        super().__init__()
        self._deadline, self._errors, self._fact, self._resource = deadline, errors, fact, resource
        self._default = default

    def result(self, timeout: float | None = None) -> Any:
        remaining = max(0.0, self._deadline - time.monotonic())
        try:
            return super().result(remaining if timeout is None else min(timeout, remaining))
        except TimeoutError:
            if not getattr(self, "_reported", False):
                self._reported = True
                self._errors.add(ProbeError("azure", self._fact, "timeout",
                                            f"no answer reading {self._resource} within the probe's deadline "
                                            "(slow or throttled ARM); not collected", self._resource))
            return self._default


class _DaemonPool:
    """Runs each read on a daemon thread: an abandoned read (hung socket, long Retry-After) must not
    keep the process alive after the report, which a ThreadPoolExecutor's workers would (they are
    joined at interpreter exit)."""

    def __init__(self, deadline: float, errors: _Errors) -> None:
        self.deadline, self.errors = deadline, errors
        self._slots = threading.BoundedSemaphore(12)

    def __enter__(self) -> _DaemonPool:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, function: Callable[..., Any], *args: Any, fact: str = "", resource: str = "",
               default: Any = None) -> Future[Any]:
        if not fact and args and isinstance(args[0], str):
            fact, resource = args[0], str(args[1]) if len(args) > 1 else ""
        future = _BoundedFuture(self.deadline, self.errors, fact or "azure", resource or "ARM", default)

        def work() -> None:
            with self._slots:
                try:
                    future.set_result(function(*args))
                except BaseException as exc:  # errors are values; the reader's guard names them
                    future.set_exception(exc)

        threading.Thread(target=work, name=f"arm-{fact}", daemon=True).start()
        return future


def deadline_retry_policy(deadline: float, **kwargs: Any) -> Any:
    """azure-core's retry policy, bounded by the probe's deadline.

    A ``Retry-After`` (429/503) longer than the time left ends the retries at once (the read is
    reported as throttled), and no backoff sleeps past the deadline: otherwise one 429 with
    ``Retry-After: 3600`` keeps a thread, and the process, alive for an hour.
    """
    from azure.core.pipeline.policies import RetryPolicy

    class DeadlineRetryPolicy(RetryPolicy):  # type: ignore[misc,type-arg]
        def is_retry(self, settings: Any, response: Any) -> bool:
            if time.monotonic() >= deadline:
                return False
            retry_after = self.get_retry_after(response)
            if retry_after is not None and retry_after > deadline - time.monotonic():
                return False
            return bool(super().is_retry(settings, response))

        def get_backoff_time(self, settings: Any) -> float:
            return float(max(0.0, min(super().get_backoff_time(settings), deadline - time.monotonic())))

    return DeadlineRetryPolicy(**kwargs)


def probe_error(fact: str, resource: str, exc: BaseException, retries: int) -> ProbeError:
    """Turn an SDK exception into a ProbeError naming the resource and, for a 403, the denied action."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceRequestTimeoutError,
        ServiceResponseError,
        ServiceResponseTimeoutError,
    )

    status = getattr(exc, "status_code", None)
    code = ""
    error = getattr(exc, "error", None)
    if error is not None:
        code = str(getattr(error, "code", "") or "")
    after = f" after {retries} retr{'y' if retries == 1 else 'ies'}" if retries else ""
    if isinstance(exc, ClientAuthenticationError | HttpResponseError) and status in (None, 401):
        kind, reason = "auth", f"ARM rejected the credential ({status or 'no token'} {code}) reading {resource}: {_clean(exc)}"
    elif isinstance(exc, HttpResponseError) and status == 403:
        found = _DENIED_ACTION.search(str(exc))
        action = found.group(1) if found else "an action"
        kind, reason = "permission", f"403 {code or 'AuthorizationFailed'}: the caller lacks {action} on {resource}"
    elif isinstance(exc, HttpResponseError) and status == 404:
        kind, reason = "not_found", f"404 {code or 'NotFound'}: {resource} does not exist (or is not visible to the caller)"
    elif isinstance(exc, HttpResponseError) and status == 429:
        kind, reason = "throttled", f"429 {code or 'TooManyRequests'}{after}: ARM throttled the read of {resource}"
    elif isinstance(exc, HttpResponseError) and status is not None and status >= 500:
        kind, reason = "error", f"{status} {code}{after}: ARM failed reading {resource}"
    elif isinstance(exc, HttpResponseError) and status == 400:
        hint = " (set azure.sql_api_version to one this cloud supports)" if "api" in str(exc).lower() else ""
        kind, reason = "config", f"400 {code}: ARM refused the read of {resource}{hint}: {_clean(exc)}"
    elif isinstance(exc, ServiceRequestTimeoutError | ServiceResponseTimeoutError) or (
        isinstance(exc, ServiceResponseError) and "timed out" in str(exc).lower()
    ):
        kind, reason = "timeout", f"no answer{after} reading {resource}: {_clean(exc)}"
    elif isinstance(exc, ServiceRequestError | ServiceResponseError):
        kind, reason = "unreachable", f"cannot reach Resource Manager{after} reading {resource}: {_clean(exc)}"
    else:
        kind, reason = "error", f"{type(exc).__name__} reading {resource}: {_clean(exc)}"
    return ProbeError("azure", fact, kind, reason, resource)


# --------------------------------------------------------------------------------------------
# Small conversions


def _s(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def _opt(value: Any) -> str | None:
    return None if value is None else _s(value)


def _raw(model: Any) -> dict[str, Any]:
    """The JSON an SDK model was built from (REST names), for fields the model does not declare."""
    if model is None:
        return {}
    as_dict = getattr(model, "as_dict", None)
    if callable(as_dict):
        result: dict[str, Any] = as_dict()
        return result
    return dict(model)


def _parts(resource_id: str) -> tuple[str, str, list[str]]:
    """(subscription, resource group, [type, name, type, name…]) of a resource ID."""
    rid = resource_ids.parse(resource_id)
    if rid is None:
        raise ValueError(f"{resource_id!r} is not a resource ID")
    return rid.subscription, rid.group, list(rid.path)


def _cert_thumbprint(blob_hex: str) -> str:
    try:
        return hashlib.sha1(bytes.fromhex(blob_hex)).hexdigest().upper()
    except ValueError:
        return ""


def _hex(blob: Any) -> str:
    text = _s(blob).strip()
    return text[2:].upper() if text.lower().startswith("0x") else text.upper()


# --------------------------------------------------------------------------------------------
# Reading


class ArmReader:
    """Holds the clients and runs reads, each one guarded so that a failure is an error value."""

    def __init__(self, config: Config, credential: TokenCredential) -> None:
        from azure.mgmt.network import NetworkManagementClient
        from azure.mgmt.sql import SqlManagementClient

        assert config.managed_instance is not None
        az = config.azure
        self.mi = config.managed_instance
        self.retries = az.retries
        self.errors = _Errors()
        # The run's deadline (armed by the CLI when probing starts; SDK imports and the token have
        # already spent some of it) less a reserve for building the facts and the report.
        timeout = config.options.probe_timeout
        budget = max(0.5, remaining(timeout) - timeout * (1 - _DEADLINE_SHARE))
        self.deadline = time.monotonic() + budget
        # Each read has its own timeout, never longer than the probe's budget.
        read_timeout = min(az.timeout, budget)
        retry = {"retry_total": az.retries, "retry_backoff_factor": 0.5, "retry_backoff_max": 10}
        common: dict[str, Any] = {
            "base_url": az.resource_manager.rstrip("/"),
            "credential_scopes": [CLOUDS[az.cloud].audience],
            "connection_verify": az.verify_tls,
            "connection_timeout": read_timeout,
            "read_timeout": read_timeout,
            **retry,
            "retry_policy": deadline_retry_policy(self.deadline, timeout=budget, **retry),
            "user_agent": "linkready",
        }
        sql_kwargs = dict(common)
        if az.sql_api_version:
            sql_kwargs["api_version"] = az.sql_api_version
        self.sql_api_version = az.sql_api_version
        self.sql = SqlManagementClient(credential, self.mi.subscription_id, **sql_kwargs)
        self.sql_api_version = self.sql._config.api_version
        self._network: dict[str, Any] = {}
        self._network_factory: Callable[[str], Any] = lambda sub: NetworkManagementClient(credential, sub, **common)

    def network(self, subscription: str) -> Any:
        # Networks may live in another subscription than the managed instance.
        if subscription not in self._network:
            self._network[subscription] = self._network_factory(subscription)
        return self._network[subscription]

    def guard(self, fact: str, resource: str, read: Callable[[], T]) -> T | None:
        try:
            return read()
        except Exception as exc:  # every failure becomes data; nothing escapes a read
            self.errors.add(probe_error(fact, resource, exc, self.retries))
            return None

    def get_json(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """A raw GET through the SQL client's pipeline (same auth, retry, TLS), following nextLink."""
        from azure.core.rest import HttpRequest

        pages: list[dict[str, Any]] = []
        request = HttpRequest("GET", path, params=params)
        for _ in range(50):
            response = self.sql.send_request(request)
            response.raise_for_status()
            body: dict[str, Any] = response.json()
            pages.append(body)
            next_link = body.get("nextLink")
            if not next_link:
                break
            request = HttpRequest("GET", next_link)
        return pages


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
        f_perm = submit("azure.permissions", f"{mi_id}/providers/Microsoft.Authorization/permissions",
                        lambda: _permissions(reader, mi_id))
        f_used = submit("azure.managed_instance.storage_used_gb", f"{mi_id}/providers/Microsoft.Insights/metrics",
                        lambda: _storage_used_gb(reader, mi_id))
        # The SQL Server VM's chain (NIC, its subnet, NSGs) does not need the instance: start it now.
        f_source = pool.submit(_read_source_vm, reader, config, fact="azure.source_vm_nsgs",
                               resource=config.azure.source_nic_id or "the SQL Server VM's NIC", default=_Source())
        mi_model = f_mi.result()

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


def _tuple(value: list[T] | None) -> tuple[T, ...] | None:
    return tuple(value) if value is not None else None


def _result(future: Future[Any] | None) -> Any:
    return future.result() if future is not None else None


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


# ---- network side ---------------------------------------------------------------------------

def _read_network(reader: ArmReader, pool: _DaemonPool, subnet_id: str) -> dict[str, Future[Any]]:
    """Subnet first (it names the NSG and route table), then NSG, route table and VNet at once."""
    futures: dict[str, Future[Any]] = {}
    try:
        sub, group, parts = _parts(subnet_id)
        vnet_name, subnet_name = parts[1], parts[3]
    except (ValueError, IndexError):
        reader.errors.add(ProbeError("azure", "azure.subnet", "error", f"unexpected subnet ID {subnet_id!r}", subnet_id))
        return futures
    net = reader.network(sub)
    subnet_model = reader.guard("azure.subnet", subnet_id, lambda: net.subnets.get(group, vnet_name, subnet_name))
    done: Future[Any] = Future()
    done.set_result(_subnet(subnet_model) if subnet_model is not None else None)
    futures["subnet"] = done
    vnet_id = subnet_id.rsplit("/subnets/", 1)[0]
    futures["vnet"] = pool.submit(reader.guard, "azure.vnet", vnet_id, lambda: _vnet(net.virtual_networks.get(group, vnet_name)))
    if subnet_model is None:
        for fact in ("azure.nsg", "azure.route_table"):
            reader.errors.add(ProbeError("azure", fact, "error", "the MI subnet could not be read, so its "
                                         f"{fact.split('.')[1].replace('_', ' ')} is unknown", subnet_id))
        return futures
    subnet = done.result()
    if subnet.nsg_id:
        futures["nsg"] = pool.submit(reader.guard, "azure.nsg", subnet.nsg_id, lambda: _read_nsg(reader, subnet.nsg_id))
    if subnet.route_table_id:
        rt_id = subnet.route_table_id
        futures["route_table"] = pool.submit(reader.guard, "azure.route_table", rt_id, lambda: _read_route_table(reader, rt_id))
    return futures


def _subnet(model: Any) -> Subnet:
    props = model.properties
    prefixes = list(props.address_prefixes or [])
    if props.address_prefix:
        prefixes.insert(0, props.address_prefix)
    return Subnet(
        id=_s(model.id),
        address_prefixes=tuple(dict.fromkeys(prefixes)),
        nsg_id=_s(props.network_security_group.id) if props.network_security_group else None,
        route_table_id=_s(props.route_table.id) if props.route_table else None,
        delegations=tuple(_s(d.properties.service_name) for d in props.delegations or [] if d.properties),
    )


def _read_nsg(reader: ArmReader, nsg_id: str) -> NetworkSecurityGroup:
    from linkready.domain.netrules import rule_from_arm

    sub, group, parts = _parts(nsg_id)
    model = reader.network(sub).network_security_groups.get(group, parts[1])
    props = model.properties
    rules = [rule_from_arm(_raw(r)) for r in props.security_rules or []]
    rules += [rule_from_arm(_raw(r), is_default=True) for r in props.default_security_rules or []]
    return NetworkSecurityGroup(id=_s(model.id), name=_s(model.name), rules=tuple(rules))


def _read_route_table(reader: ArmReader, rt_id: str) -> RouteTable:
    sub, group, parts = _parts(rt_id)
    model = reader.network(sub).route_tables.get(group, parts[1])
    props = model.properties
    routes = tuple(
        Route(name=_s(r.name), address_prefix=_s(r.properties.address_prefix), next_hop_type=_s(r.properties.next_hop_type),
              next_hop_ip=_opt(r.properties.next_hop_ip_address))
        for r in props.routes or [] if r.properties
    )
    return RouteTable(id=_s(model.id), name=_s(model.name), routes=routes,
                      disable_bgp_route_propagation=bool(props.disable_bgp_route_propagation))


def _vnet(model: Any) -> VirtualNetwork:
    props = model.properties
    peerings = []
    for p in props.virtual_network_peerings or []:
        pp = p.properties
        remote = pp.remote_address_space.address_prefixes if pp.remote_address_space else []
        peerings.append(Peering(
            name=_s(p.name),
            remote_vnet_id=_s(pp.remote_virtual_network.id) if pp.remote_virtual_network else "",
            remote_address_prefixes=tuple(remote or ()),
            state=_s(pp.peering_state),
            sync_level=_s(pp.peering_sync_level),
            use_remote_gateways=bool(pp.use_remote_gateways),
        ))
    subnets = {_s(s.name).lower() for s in props.subnets or []}
    return VirtualNetwork(
        id=_s(model.id),
        name=_s(model.name),
        address_prefixes=tuple(props.address_space.address_prefixes or ()) if props.address_space else (),
        dns_servers=tuple(props.dhcp_options.dns_servers or ()) if props.dhcp_options else (),
        peerings=tuple(peerings),
        has_gateway="gatewaysubnet" in subnets or any(p.use_remote_gateways for p in peerings),
    )


@dataclass(frozen=True)
class _Source:
    nic_id: str | None = None
    nsgs: tuple[NetworkSecurityGroup, ...] | None = None
    vnet: VirtualNetwork | None = None


def _read_source_vm(reader: ArmReader, config: Config) -> _Source:
    """The SQL Server VM's NIC (configured, or found by its address) and the NSGs on its path."""
    import ipaddress

    nic_id = config.azure.source_nic_id
    address = config.source.address if config.source else ""
    sub = reader.mi.subscription_id
    if not nic_id:
        try:
            if not address or not ipaddress.ip_address(address).is_private:
                return _Source()
        except ValueError:
            return _Source()
        found = reader.guard("azure.source_vm_nsgs", f"/subscriptions/{sub}/providers/Microsoft.Network/networkInterfaces",
                             lambda: _find_nic(reader.network(sub), address))
        if not found:
            return _Source()
        nic_id = found
    try:
        nic_sub, nic_group, nic_parts = _parts(nic_id)
    except ValueError:
        reader.errors.add(ProbeError("azure", "azure.source_vm_nsgs", "config", f"{nic_id!r} is not a NIC resource ID", nic_id))
        return _Source()
    net = reader.network(nic_sub)
    nic = reader.guard("azure.source_vm_nsgs", nic_id, lambda: net.network_interfaces.get(nic_group, nic_parts[1]))
    if nic is None:
        return _Source(nic_id=nic_id)
    nsg_ids: list[str] = []
    subnet_id = ""
    for ipc in nic.properties.ip_configurations or []:
        if ipc.properties and ipc.properties.subnet:
            subnet_id = _s(ipc.properties.subnet.id)
            break
    vnet: VirtualNetwork | None = None
    if subnet_id:
        s_sub, s_group, s_parts = _parts(subnet_id)
        s_net = reader.network(s_sub)
        subnet = reader.guard("azure.source_vm_nsgs", subnet_id, lambda: s_net.subnets.get(s_group, s_parts[1], s_parts[3]))
        if subnet is not None and subnet.properties.network_security_group:
            nsg_ids.append(_s(subnet.properties.network_security_group.id))
        vnet = reader.guard("azure.source_vnet", subnet_id.rsplit("/subnets/", 1)[0],
                            lambda: _vnet(s_net.virtual_networks.get(s_group, s_parts[1])))
    if nic.properties.network_security_group:
        nsg_ids.append(_s(nic.properties.network_security_group.id))
    nsgs = [reader.guard("azure.source_vm_nsgs", i, lambda i=i: _read_nsg(reader, i)) for i in nsg_ids]  # type: ignore[misc]
    if any(n is None for n in nsgs):
        return _Source(nic_id=nic_id, vnet=vnet)
    return _Source(nic_id=nic_id, nsgs=tuple(n for n in nsgs if n is not None), vnet=vnet)


def _find_nic(net: Any, address: str) -> str | None:
    for nic in _limited(net.network_interfaces.list_all(), 5000):
        for ipc in nic.properties.ip_configurations or []:
            if ipc.properties and _s(ipc.properties.private_ip_address) == address:
                return _s(nic.id)
    return None


def _limited(items: Iterable[T], limit: int) -> Iterable[T]:
    for index, item in enumerate(items):
        if index >= limit:
            return
        yield item
