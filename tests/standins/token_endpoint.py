"""A local managed-identity token endpoint, so that the real CLI can reach the ARM stand-in.

``linkready collect`` builds its credential with azure-identity (``credential = "managed-identity"``
in the target file). With ``IDENTITY_ENDPOINT`` and ``IDENTITY_HEADER`` set, azure-identity's
``ManagedIdentityCredential`` asks that endpoint for a token exactly as it does on Azure App
Service (``GET ?api-version=2019-08-01&resource=…`` with an ``X-IDENTITY-HEADER``). This server
answers on 127.0.0.1 with the ARM stand-in's static bearer token; nothing of linkready's is
replaced, the whole credential → pipeline → HTTPS path runs for real.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

#: The bearer token the ARM stand-in accepts (tests/standins/arm/server.py: TOKEN).
DEFAULT_TOKEN = "linkready-test-token"


class TokenEndpoint:
    """App Service-style managed identity endpoint on 127.0.0.1. Use as a context manager."""

    def __init__(self, token: str = DEFAULT_TOKEN) -> None:
        self.token = token
        #: The shared secret the credential must send back (App Service's IDENTITY_HEADER).
        self.header = secrets.token_hex(8)
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        # A short poll interval: shutdown() waits for the accept loop to notice.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="token-endpoint",
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/msi/token"

    @property
    def env(self) -> dict[str, str]:
        """The environment that makes ManagedIdentityCredential use this endpoint."""
        return {"IDENTITY_ENDPOINT": self.url, "IDENTITY_HEADER": self.header}

    def answer(self, path: str, header: str | None) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append(path)
        if header != self.header:
            return 401, {"error": "invalid_request", "error_description": "X-IDENTITY-HEADER is wrong or missing"}
        resource = (parse_qs(urlsplit(path).query).get("resource") or [""])[0]
        if not resource:
            return 400, {"error": "invalid_request", "error_description": "resource is required"}
        return 200, {"access_token": self.token, "expires_on": str(int(time.time()) + 3600),
                     "resource": resource, "token_type": "Bearer"}

    def __enter__(self) -> TokenEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: many targets asking at once would overflow it,
    # and the kernel drops the extra SYNs, which clients retry only after a second.
    request_queue_size = 128


def _handler_for(endpoint: TokenEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = endpoint.answer(self.path, self.headers.get("X-IDENTITY-HEADER"))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
