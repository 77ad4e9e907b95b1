"""A local stand-in for Azure Resource Graph: HTTPS on 127.0.0.1, shaped like the documented REST API.

``POST /providers/Microsoft.ResourceGraph/resources?api-version=…`` with a QueryRequest body
(``subscriptions`` / ``managementGroups``, ``query``, ``options`` with ``$top``, ``$skipToken``,
``resultFormat``) answers a QueryResponse (``totalRecords``, ``count``, ``resultTruncated``,
``$skipToken``, ``data``, ``facets``) with the caller-quota headers
``x-ms-user-quota-remaining`` / ``x-ms-user-quota-resets-after``.

As strict as the service for what linkready sends: a bearer token, a known api-version, a JSON
body, ``resultFormat`` objectArray, and a query in the KQL subset it understands (a table, one
``where type =~ '<type>'`` and an optional ``project``); anything else is the service's 400
``BadRequest`` / ``InvalidQuery``. Rows are filtered by the caller's readable subscriptions, as
Resource Graph filters by RBAC: an unreadable subscription simply returns nothing. Any method
but POST is 405 (the service offers no other verb on this path). Every request is recorded.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.standins import tls
from tests.standins.arm.server import TOKEN

PATH = "/providers/microsoft.resourcegraph/resources"
API_VERSIONS = {"2021-03-01", "2022-10-01", "2024-04-01"}
_QUERY = re.compile(
    r"^\s*(?P<table>Resources|ResourceContainers)\s*\|\s*where\s+type\s*=~\s*'(?P<type>[a-z0-9./]+)'"
    r"(?:\s*\|\s*project\s+(?P<columns>[A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_][\w]*)*))?\s*$",
    re.IGNORECASE,
)
_CONTAINER_TYPES = {"microsoft.resources/subscriptions", "microsoft.resources/subscriptions/resourcegroups",
                    "microsoft.management/managementgroups"}


@dataclass
class Recorded:
    method: str
    path: str
    body: dict[str, Any]


@dataclass
class GraphData:
    """What the index holds and how the stand-in behaves."""

    #: Every indexed row (must carry id, type, subscriptionId, tenantId as Resource Graph rows do).
    rows: list[dict[str, Any]] = field(default_factory=list)
    #: Subscriptions the caller may read; rows elsewhere are invisible to it.
    readable: set[str] = field(default_factory=set)
    #: Management group → its subscriptions.
    groups: dict[str, set[str]] = field(default_factory=dict)
    page_size: int = 1000
    #: Queries the caller may send before the quota is used up (None: never throttled).
    quota: int | None = None
    quota_resets_after: str = "00:00:01"
    #: Answer 429 on the first N queries (Retry-After 1), as the service does when the quota is exceeded.
    throttle_first: int = 0


class ResourceGraphStandIn:
    def __init__(self, data: GraphData) -> None:
        self.data = data
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._sent = 0
        self.ca = tls.new_ca()
        self._bundle = tls.CaBundle(self.ca, prefix="arg-standin-")
        self.ca_bundle = self._bundle.path
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        tls.serve_tls(self._httpd, self.ca)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"https://{host!s}:{port}"

    def __enter__(self) -> ResourceGraphStandIn:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True, name="arg-standin")
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)
        self._bundle.cleanup()

    # -- the service ----------------------------------------------------------------------
    def respond(self, method: str, raw_path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, str], Any]:
        url = urlsplit(raw_path)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        with self._lock:
            self.requests.append(Recorded(method, url.path, body if isinstance(body, dict) else {}))
        if headers.get("authorization") != f"Bearer {TOKEN}":
            return 401, {"WWW-Authenticate": 'Bearer authorization_uri="https://login.invalid"'}, _error(
                "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or invalid.")
        if url.path.lower() != PATH:
            return 404, {}, _error("NotFound", f"No route for {url.path}")
        if method != "POST":
            return 405, {}, _error("MethodNotAllowed", f"The requested resource does not support http method '{method}'.")
        version = parse_qs(url.query).get("api-version", [""])[0]
        if version not in API_VERSIONS:
            return 400, {}, _error("InvalidApiVersionParameter", f"The api-version '{version}' is invalid.")
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return 400, {}, _error("BadRequest", "The request content was invalid: 'query' is required.")
        with self._lock:
            self._sent += 1
            sent = self._sent
        if sent <= self.data.throttle_first:
            return 429, {"Retry-After": "1", "x-ms-user-quota-remaining": "0",
                         "x-ms-user-quota-resets-after": "00:00:01"}, _error(
                "RateLimiting", "Please provide below info when asking for support: ... too many requests")
        return self._query(body, sent)

    def _scope(self, body: dict[str, Any]) -> set[str]:
        subs = body.get("subscriptions")
        groups = body.get("managementGroups")
        if subs:
            return {str(s).lower() for s in subs} & self.data.readable
        if groups:
            found: set[str] = set()
            for group in groups:
                found |= {s.lower() for s in self.data.groups.get(str(group), set())}
            return found & self.data.readable
        return set(self.data.readable)

    def _query(self, body: dict[str, Any], sent: int) -> tuple[int, dict[str, str], Any]:
        match = _QUERY.match(body["query"])
        if not match:
            return 400, {}, _error("InvalidQuery", "Query is invalid. Please refer to the documentation for the "
                                                   "Azure Resource Graph service and fix the error before retrying.")
        options = body.get("options") or {}
        if options.get("resultFormat", "objectArray") != "objectArray":
            return 400, {}, _error("BadRequest", "resultFormat 'table' is not served by this stand-in")
        table, kind = match.group("table").lower(), match.group("type").lower()
        if (table == "resourcecontainers") != (kind in _CONTAINER_TYPES):
            rows: list[dict[str, Any]] = []
        else:
            scope = self._scope(body)
            rows = [r for r in self.data.rows
                    if str(r.get("type", "")).lower() == kind and str(r.get("subscriptionId", "")).lower() in scope]
        columns = [c.strip() for c in (match.group("columns") or "").split(",") if c.strip()]
        if columns:
            rows = [{c: row[c] for c in columns if c in row} for row in rows]
        top = int(options.get("$top", 100))
        if not 1 <= top <= 1000:
            return 400, {}, _error("BadRequest", "The $top option must be between 1 and 1000.")
        size = min(top, self.data.page_size)
        start = int(str(options.get("$skipToken") or "skip:0").split(":")[1])
        page = rows[start:start + size]
        answer: dict[str, Any] = {
            "totalRecords": len(rows), "count": len(page), "resultTruncated": "false", "facets": [], "data": page,
        }
        if start + size < len(rows):
            answer["$skipToken"] = f"skip:{start + size}"
        headers = {}
        if self.data.quota is not None:
            headers["x-ms-user-quota-remaining"] = str(max(self.data.quota - sent, 0))
            headers["x-ms-user-quota-resets-after"] = self.data.quota_resets_after
        return 200, headers, answer


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _handler(server: ResourceGraphStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, body = server.respond(self.command, self.path, headers, raw)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
