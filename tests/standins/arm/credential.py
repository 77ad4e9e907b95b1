"""A real azure-core ``TokenCredential``: it hands out the stand-in's static bearer token.

This is the credential protocol the SDK clients call (``get_token``), not a mock of linkready
code; in production the probe uses azure-identity's credentials instead.
"""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken

from tests.standins.arm.server import TOKEN


class StaticTokenCredential:
    """Returns ``token`` for every scope and counts the calls."""

    def __init__(self, token: str = TOKEN) -> None:
        self._token = token
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(self._token, int(time.time()) + 3600)

    def close(self) -> None:
        return None

    def __enter__(self) -> StaticTokenCredential:
        return self

    def __exit__(self, *exc: object) -> None:
        return None
