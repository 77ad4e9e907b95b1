"""Azure Resource Graph reads for `linkready discover`: paging, throttling, partial results.

Resource Graph queries are POST requests (``POST /providers/Microsoft.ResourceGraph/resources``)
but read-only: they query an index of resources and change nothing. They are the one non-GET
call linkready makes, and only this module makes them (the read-only test names it).

Each subscription is queried on its own, so one subscription that fails (no access, throttled to
the deadline, a fault) costs only its own rows, and the inventory says which and why. A
subscription asked for but not visible to the caller in ResourceContainers is reported as "no
read access": Resource Graph filters by RBAC and would otherwise just return nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from linkready.domain.resource_graph import QUERIES, Kind

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from linkready.config import AzureConfig

#: Rows per page: Resource Graph's maximum for `$top`.
PAGE_SIZE = 1000
#: Pages per query and subscription before the read stops (1,000,000 rows: far beyond any estate).
MAX_PAGES = 1000
#: Longest wait linkready accepts when Resource Graph says the caller's quota resets later.
MAX_QUOTA_WAIT = 30.0

log = logging.getLogger("linkready.discover")


@dataclass(frozen=True)
class ScopeError:
    """A subscription (or management group) whose rows are missing or incomplete, and why."""

    scope: str
    kind: str
    reason: str


@dataclass
class GraphRows:
    """What the queries returned, per kind, plus what could not be read."""

    rows: dict[Kind, list[dict[str, Any]]] = field(default_factory=dict)
    errors: list[ScopeError] = field(default_factory=list)
    requests: int = 0
    throttle_waits: int = 0


def _quota_wait(headers: dict[str, str]) -> float:
    """Seconds to wait before the next query: 0 unless the quota is used up (x-ms-user-quota-*)."""
    remaining = headers.get("x-ms-user-quota-remaining")
    if remaining is None or not remaining.strip().isdigit() or int(remaining) > 0:
        return 0.0
    resets = headers.get("x-ms-user-quota-resets-after", "00:00:05")
    try:
        hours, minutes, seconds = (float(x) for x in resets.split(":"))
    except ValueError:
        return 5.0
    return hours * 3600 + minutes * 60 + seconds


def _reason(exc: BaseException) -> str:
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

    if isinstance(exc, ClientAuthenticationError):
        return f"could not get a token: {str(exc).splitlines()[0][:200]}"
    if isinstance(exc, HttpResponseError):
        code = getattr(exc.error, "code", None) if exc.error else None
        status = exc.status_code or "?"
        message = (getattr(exc.error, "message", None) if exc.error else None) or exc.reason or ""
        return f"HTTP {status} {code or ''}: {str(message).splitlines()[0][:200]}".replace("  ", " ")
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"


class GraphReader:
    """Runs the discovery queries through the real azure-mgmt-resourcegraph client."""

    def __init__(self, az: AzureConfig, credential: TokenCredential, *, deadline: float,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        from azure.mgmt.resourcegraph import ResourceGraphClient

        from linkready.domain.clouds import CLOUDS

        self.deadline = deadline
        self.sleep = sleep
        self.client = ResourceGraphClient(
            credential, base_url=az.resource_manager.rstrip("/"), credential_scopes=[CLOUDS[az.cloud].audience],
            connection_verify=az.verify_tls, connection_timeout=az.timeout, read_timeout=az.timeout,
            retry_total=az.retries, retry_backoff_factor=0.5, retry_backoff_max=10, user_agent="linkready",
        )
        self.result = GraphRows()

    def _page(self, query: str, scope: dict[str, list[str]], skip_token: str | None) -> tuple[Any, dict[str, str]]:
        from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

        request = QueryRequest(
            query=query, subscriptions=scope.get("subscriptions"), management_groups=scope.get("management_groups"),
            options=QueryRequestOptions(skip_token=skip_token, top=PAGE_SIZE, result_format="objectArray"),
        )
        self.result.requests += 1
        answer: Any = self.client.resources(
            # The generated client passes only the headers its spec declares; the quota headers are
            # read from the raw response.
            request, cls=lambda response, body, _declared: (
                body, {k.lower(): v for k, v in response.http_response.headers.items()}),
        )
        body, headers = answer
        return body, headers

    def query(self, kind: Kind, scope_name: str, scope: dict[str, list[str]]) -> list[dict[str, Any]] | None:
        """Every row of ``kind`` in ``scope``, following skip tokens; None (and an error) on failure."""
        rows: list[dict[str, Any]] = []
        skip_token: str | None = None
        for _ in range(MAX_PAGES):
            if time.monotonic() >= self.deadline:
                self.result.errors.append(ScopeError(scope_name, kind.value, "the deadline passed while paging"))
                return None
            try:
                body, headers = self._page(QUERIES[kind], scope, skip_token)
            except Exception as exc:  # every failure becomes a value for the report
                self.result.errors.append(ScopeError(scope_name, kind.value, _reason(exc)))
                return None
            data = body.data if isinstance(body.data, list) else []
            rows.extend(row for row in data if isinstance(row, dict))
            wait = _quota_wait(headers)
            if wait:
                if wait > MAX_QUOTA_WAIT or time.monotonic() + wait >= self.deadline:
                    reason = f"throttled: the caller's Resource Graph quota resets in {wait:.0f} s, after the deadline"
                    self.result.errors.append(ScopeError(scope_name, kind.value, reason))
                    return None
                self.result.throttle_waits += 1
                self.sleep(wait)
            skip_token = body.skip_token
            if not skip_token:
                return rows
        self.result.errors.append(ScopeError(scope_name, kind.value, f"more than {MAX_PAGES} pages; stopped"))
        return rows


def read_inventory(az: AzureConfig, credential: TokenCredential, *, subscriptions: Sequence[str],
                   management_groups: Sequence[str], timeout: float,
                   sleep: Callable[[float], None] = time.sleep) -> GraphRows:
    """Run every discovery query over the scopes; subscriptions are read one at a time."""
    reader = GraphReader(az, credential, deadline=time.monotonic() + timeout, sleep=sleep)
    scopes: list[tuple[str, dict[str, list[str]]]] = [
        (f"management group {group}", {"management_groups": [group]}) for group in management_groups
    ]
    if subscriptions:
        visible = reader.query(Kind.SUBSCRIPTION, "subscriptions", {"subscriptions": list(subscriptions)})
        seen = {str(row.get("subscriptionId", "")).lower() for row in visible or []}
        for sub in subscriptions:
            if visible is not None and sub.lower() not in seen:
                reader.result.errors.append(ScopeError(
                    f"subscription {sub}", "*", "no read access: the subscription is not visible to this caller "
                    "in Resource Graph (needs Reader on it)"))
                continue
            scopes.append((f"subscription {sub}", {"subscriptions": [sub]}))
    elif not management_groups:
        # Neither given: everything the caller can read (Resource Graph's own default scope).
        scopes.append(("all subscriptions the caller can read", {}))
    for kind in (Kind.MANAGED_INSTANCE, Kind.ARC_SQL_SERVER, Kind.ARC_DATABASE, Kind.ARC_MACHINE, Kind.SQL_VM):
        reader.result.rows.setdefault(kind, [])
        for name, scope in scopes:
            rows = reader.query(kind, name, scope)
            if rows:
                reader.result.rows[kind].extend(rows)
    return reader.result
