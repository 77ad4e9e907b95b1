"""A local stand-in for Microsoft Entra ID: HTTPS on 127.0.0.1, the OAuth 2.0 client-credentials flow.

azure-identity's ``ClientSecretCredential`` (and ``EnvironmentCredential``, which builds one from
``AZURE_TENANT_ID`` / ``AZURE_CLIENT_ID`` / ``AZURE_CLIENT_SECRET``) drives MSAL, which asks an
authority for two things (recorded in :attr:`EntraStandIn.requests`):

* tenant discovery: ``GET /{tenant}/v2.0/.well-known/openid-configuration`` (OpenID Connect
  discovery; MSAL needs ``authorization_endpoint``, ``token_endpoint`` and ``issuer``);
* the token: ``POST /{tenant}/oauth2/v2.0/token`` with ``grant_type=client_credentials``,
  ``client_id``, ``client_secret`` and ``scope`` (a form body, RFC 6749 §4.4).

An authority that is not one of Microsoft's well-known hosts is first validated by *instance
discovery* against login.microsoftonline.com unless the credential is built with
``disable_instance_discovery=True``; the stand-in also answers ``/common/discovery/instance`` so
that a test can prove the request was (not) made instead of it leaving the machine.

Errors are shaped like Entra's (``error``, ``error_description`` with an AADSTS code,
``error_codes``, ``trace_id``, ``correlation_id``); the client secret is never echoed.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import trustme

from tests.standins import tls
from tests.standins.arm.server import TOKEN

TENANT = "72f988bf-0000-4000-8000-00000000c0de"
CLIENT_ID = "5b1d9e2a-0000-4000-8000-0000000c1d00"
#: Distinctive so that a grep over every output proves it never leaked.
CLIENT_SECRET = "lr~E2E.client-secret_Zq8xW3vN7pK1"


@dataclass(frozen=True)
class EntraRequest:
    """One request as the stand-in saw it (form field names only: values hold the secret)."""

    method: str
    path: str
    form_keys: tuple[str, ...] = ()
    grant_type: str = ""
    scope: str = ""
    client_id: str = ""


class EntraStandIn:
    """The server. ``ca`` is the trustme CA the ARM stand-in uses, so one CA bundle serves both."""

    def __init__(
        self,
        ca: trustme.CA,
        *,
        tenant: str = TENANT,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        access_token: str = TOKEN,
        expires_in: int = 3599,
    ) -> None:
        self.tenant = tenant
        self.client_id = client_id
        self.client_secret = client_secret
        self.access_token = access_token
        self.expires_in = expires_in
        #: Seconds to wait before answering the token request (a slow identity provider).
        self.token_delay = 0.0
        self.requests: list[EntraRequest] = []
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _handler_for(self))
        tls.serve_tls(self._httpd, ca)
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The authority host, as ``[azure] authority`` takes it (no tenant)."""
        host, port = self._httpd.server_address[:2]
        return f"https://{host!s}:{port}"

    def start(self) -> EntraStandIn:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="entra-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> EntraStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """The environment EnvironmentCredential reads for a service principal with a secret."""
        return {
            "AZURE_TENANT_ID": self.tenant,
            "AZURE_CLIENT_ID": self.client_id,
            "AZURE_CLIENT_SECRET": self.client_secret,
        }

    def clear(self) -> None:
        """Forget the requests recorded so far."""
        with self._lock:
            self.requests.clear()

    def paths(self) -> list[str]:
        with self._lock:
            return [f"{r.method} {r.path}" for r in self.requests]

    def token_requests(self) -> list[EntraRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/oauth2/v2.0/token")]

    # -- request handling ------------------------------------------------------------------
    def respond(self, method: str, raw_path: str, body: bytes) -> tuple[int, Any]:
        path = urlsplit(raw_path).path
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()} if body else {}
        with self._lock:
            self.requests.append(EntraRequest(
                method, path, tuple(sorted(form)), form.get("grant_type", ""), form.get("scope", ""),
                form.get("client_id", ""),
            ))
        parts = [p for p in path.split("/") if p]
        if method == "GET" and parts[-3:] == ["v2.0", ".well-known", "openid-configuration"] and len(parts) == 4:
            return self._openid_configuration(parts[0])
        if method == "GET" and parts == ["common", "discovery", "instance"]:
            return 200, {"tenant_discovery_endpoint": f"{self.url}/{self.tenant}/v2.0/.well-known/openid-configuration",
                         "api-version": "1.1", "metadata": []}
        if method == "POST" and parts[1:] == ["oauth2", "v2.0", "token"] and len(parts) == 4:
            return self._token(parts[0], form)
        return 404, {"error": "not_found", "error_description": f"The stand-in does not serve {method} {path}."}

    def _openid_configuration(self, tenant: str) -> tuple[int, Any]:
        if tenant not in (self.tenant, "organizations", "common"):
            return 400, _error("invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        base = f"{self.url}/{self.tenant}"
        return 200, {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{self.url}/{self.tenant}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{self.url}/{self.tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{self.url}/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
        }

    def _token(self, tenant: str, form: dict[str, str]) -> tuple[int, Any]:
        if self.token_delay:
            time.sleep(self.token_delay)
        if tenant != self.tenant:
            return 400, _error("invalid_request", 90002, f"Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return 400, _error("unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        if form.get("client_id") != self.client_id:
            return 400, _error("unauthorized_client", 700016,
                               f"Application with identifier '{form.get('client_id', '')}' was not found in the "
                               f"directory '{self.tenant}'.")
        if form.get("client_secret") != self.client_secret:
            # Entra answers 401 for a wrong or expired secret; it names the app, never the secret.
            return 401, _error("invalid_client", 7000215,
                               "Invalid client secret provided. Ensure the secret being sent in the request is the "
                               f"client secret value, not the client secret ID, for a secret added to app "
                               f"'{self.client_id}'.")
        if not form.get("scope", "").endswith("/.default"):
            return 400, _error("invalid_scope", 1002012, "The provided value for scope is not valid.")
        return 200, {"token_type": "Bearer", "expires_in": self.expires_in, "ext_expires_in": self.expires_in,
                     "access_token": self.access_token}


def _error(error: str, code: int, description: str) -> dict[str, Any]:
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    return {
        "error": error,
        "error_description": f"AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} "
                             f"Timestamp: {stamp}",
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.example/error?code={code}",
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def _handler_for(server: EntraStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "entra-standin"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, payload = server.respond(self.command, self.path, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store, no-cache")
            self.send_header("x-ms-request-id", str(uuid.uuid4()))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
