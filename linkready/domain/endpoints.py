"""Database mirroring endpoints: the ``TCP://host:port`` URL and the endpoint certificate's name.

One parser for the partner endpoint URL (PLAN-002, the port and NSG checks, the network probe, the
runbook and ``network-test`` all read it), so that they agree on what is well formed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from linkready.domain.ports import MAX_PORT, MIN_PORT, SQL_DEFAULT_ENDPOINT_PORT

# SQL Server reads the scheme case-insensitively; an IPv6 address is written in brackets. The port
# pattern takes up to five digits so that "TCP://host:70000" parses and can be reported as out of
# range instead of "not TCP://host:port".
_URL = re.compile(r"^(?P<scheme>TCP)://(?P<host>\[[0-9A-Fa-f:.]+\]|[^:/\s\[\]]+):(?P<port>\d{1,5})$", re.IGNORECASE)


@dataclass(frozen=True)
class Endpoint:
    """A parsed ``TCP://host:port``."""

    #: The host as written (an IPv6 address keeps its brackets): what goes back into a URL or T-SQL.
    raw_host: str
    #: The host without brackets: what a resolver, ``ipaddress`` or a socket takes.
    host: str
    port: int
    #: The scheme as written: SQL Server reads any case, the documentation writes ``TCP``.
    scheme: str = "TCP"

    @property
    def port_in_range(self) -> bool:
        return MIN_PORT <= self.port <= MAX_PORT

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.raw_host}:{self.port}"


def parse_endpoint(text: str) -> Endpoint | None:
    """``TCP://host:5022`` → :class:`Endpoint`; None when ``text`` is not of that form.

    A port outside 1-65535 still parses (``port_in_range`` is False) so callers can say why it is wrong.
    """
    match = _URL.match(text)
    if not match:
        return None
    raw = match["host"]
    return Endpoint(raw, raw.strip("[]"), int(match["port"]), match["scheme"])


def split_endpoint(endpoint: str) -> tuple[str, int] | None:
    """``TCP://host:5022`` → (``host``, 5022) (brackets dropped from IPv6); None if not of that form.

    Surrounding blanks are ignored and an out-of-range port is None: the probes' view of an endpoint.
    """
    parsed = parse_endpoint(endpoint.strip())
    if parsed is None or not parsed.port_in_range:
        return None
    return parsed.host, parsed.port


def sql_side_ports(partner_endpoints: Iterable[str], endpoint_ports: Iterable[int] = ()) -> tuple[int, ...]:
    """The ports the managed instance connects to on SQL Server, which the plan actually needs open.

    Each planned partner endpoint's port (``TCP://host:port``, what the link is created with); with
    no endpoint that parses, the SQL Server mirroring endpoint's own port; else the default 5022.
    """
    planned = sorted({p[1] for p in (split_endpoint(e) for e in partner_endpoints) if p})
    if planned:
        return tuple(planned)
    listening = sorted(set(endpoint_ports))
    return tuple(listening) or (SQL_DEFAULT_ENDPOINT_PORT,)


def certificate_name_for(server_name: str) -> str:
    """``Cert_<@@SERVERNAME>_endpoint``, every character but letters, digits and ``_`` made ``_``.

    The documentation's scripts name the certificate after @@SERVERNAME and warn that the name must
    not contain ``\\`` (a named instance has one). Each character is replaced on its own (not runs
    of them), so that EP-001's fix and the runbook name the same certificate.
    """
    return f"Cert_{re.sub(r'[^A-Za-z0-9_]', '_', server_name)}_endpoint"
