"""Errors as values: each failed ARM read becomes a ProbeError; reads run on daemon threads bounded by the deadline."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from linkready.facts import ProbeError

if TYPE_CHECKING:

    pass


_DENIED_ACTION = re.compile(r"perform action '([^']+)'")
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


