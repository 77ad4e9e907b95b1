"""ArmReader: the SDK clients and the two raw GETs (permissions, metrics), each read guarded into a ProbeError."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from linkready.deadline import remaining
from linkready.domain.clouds import CLOUDS
from linkready.probes.azure.convert import T
from linkready.probes.azure.errors import _DEADLINE_SHARE, _Errors, deadline_retry_policy, probe_error

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from linkready.config import Config


PERMISSIONS_API = "2022-04-01"
METRICS_API = "2023-10-01"
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


