"""Redaction of credentials from text that may reach findings, logs and reports.

The SQL password never leaves the connection string (probes/sql/connection.py keeps a redacted twin); tokens
are different: SDKs and HTTP libraries quote headers and bodies in their error messages, so every
message that crosses from a probe into a fact, a log or a report passes through :func:`redact`.
"""

from __future__ import annotations

import re

REDACTED = "***"

#: ``Authorization: Bearer <token>`` and ``bearer <token>`` in any casing.
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}")
#: Three base64url segments, the first two starting with ``eyJ`` (a JSON object): a JWT or JWS.
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
#: ``access_token=...``, ``"refresh_token": "..."``, ``client_secret=...`` in query strings and JSON.
_TOKEN_FIELD = re.compile(
    r"(?i)(\"?(?:access_token|refresh_token|id_token|client_secret|password|pwd)\"?\s*[:=]\s*\"?)[^\"&\s;,}]+"
)


def redact(text: str, secrets: tuple[str, ...] | list[str] = ()) -> str:
    """``text`` with bearer tokens, JWT-shaped strings, token fields and the given secrets replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _JWT.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _TOKEN_FIELD.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
