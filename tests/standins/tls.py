"""TLS for the HTTPS stand-ins (ARM, Entra, Resource Graph): one test CA, a loopback server
certificate, and the CA bundle file the real clients verify against.

The clients are the production ones (azure-mgmt, azure-identity, requests), with TLS verification
on: they get the bundle path, exactly as a user gives ``[azure] verify_tls`` a corporate CA file.
"""

from __future__ import annotations

import socketserver
import ssl
import tempfile
from pathlib import Path

import trustme

#: The names every stand-in's certificate covers: clients connect to 127.0.0.1 (or localhost).
LOOPBACK_NAMES = ("127.0.0.1", "localhost")


def new_ca() -> trustme.CA:
    return trustme.CA(organization_name="linkready test CA")


def serve_tls(httpd: socketserver.TCPServer, ca: trustme.CA) -> None:
    """Wrap the (not yet serving) server's socket in TLS with a loopback certificate issued by ``ca``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*LOOPBACK_NAMES).configure_cert(context)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)


class CaBundle:
    """``ca``'s certificate as a PEM file in a private temporary folder, removed by :meth:`cleanup`."""

    def __init__(self, ca: trustme.CA, *, prefix: str) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix=prefix)
        self.path = str(Path(self._folder.name) / "ca.pem")
        ca.cert_pem.write_to_path(self.path)

    def cleanup(self) -> None:
        self._folder.cleanup()
