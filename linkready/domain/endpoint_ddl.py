"""DATABASE_MIRRORING endpoint clauses in the documented grammar (CREATE/ALTER ENDPOINT).

``sys.database_mirroring_endpoints.connection_auth_desc`` reads NTLM, KERBEROS, NEGOTIATE, CERTIFICATE
or a two-part combination ("NEGOTIATE, CERTIFICATE", "CERTIFICATE, NTLM"); the grammar writes them as
``WINDOWS [NTLM|KERBEROS|NEGOTIATE] CERTIFICATE name`` or ``CERTIFICATE name WINDOWS [...]`` (the first
is tried first). Inside ``FOR DATABASE_MIRRORING (...)`` the order is AUTHENTICATION, ENCRYPTION, ROLE,
and ROLE is not optional.
"""

from __future__ import annotations

import re

from linkready.domain.tsql import quote_name

WINDOWS_KINDS = ("NTLM", "KERBEROS", "NEGOTIATE")


def windows_kind(connection_auth_desc: str) -> str | None:
    """The Windows protocol the endpoint accepts (kept as is: KERBEROS stays KERBEROS), None without Windows."""
    tokens = [t for t in re.split(r"[\s,_]+", connection_auth_desc.upper()) if t]
    kind = next((t for t in tokens if t in WINDOWS_KINDS), None)
    if kind is None and "WINDOWS" in tokens:
        kind = "NEGOTIATE"  # bare WINDOWS is NEGOTIATE, the documented default
    return kind


def authentication(connection_auth_desc: str, certificate: str) -> str:
    """``AUTHENTICATION = ...`` adding ``certificate`` while keeping the endpoint's Windows protocol and order."""
    cert = f"CERTIFICATE {quote_name(certificate)}"
    kind = windows_kind(connection_auth_desc)
    if kind is None:
        return f"AUTHENTICATION = {cert}"
    windows = f"WINDOWS {kind}"
    certificate_first = connection_auth_desc.strip().upper().startswith("CERTIFICATE")
    return f"AUTHENTICATION = {cert} {windows}" if certificate_first else f"AUTHENTICATION = {windows} {cert}"


def mirroring_clause(*, auth: str = "", encryption: str = "ENCRYPTION = REQUIRED ALGORITHM AES",
                     role: str = "ALL") -> str:
    """``FOR DATABASE_MIRRORING (...)`` with its parts in the documented order."""
    parts = [p for p in (auth, encryption, f"ROLE = {role}") if p]
    return "FOR DATABASE_MIRRORING (\n    " + ",\n    ".join(parts) + "\n)"


def alter_mirroring(endpoint: str, *, auth: str = "", encryption: str = "ENCRYPTION = REQUIRED ALGORITHM AES",
                    role: str = "ALL", start: bool = False) -> str:
    state = "    STATE = STARTED\n" if start else ""
    return f"ALTER ENDPOINT {quote_name(endpoint)}\n{state}" + mirroring_clause(auth=auth, encryption=encryption,
                                                                                 role=role)
