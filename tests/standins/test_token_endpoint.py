"""The local managed-identity token endpoint the CLI tests use to reach the ARM stand-in."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.standins.token_endpoint import TokenEndpoint


def test_azure_identity_gets_the_stand_in_token(monkeypatch: pytest.MonkeyPatch) -> None:
    from azure.identity import ManagedIdentityCredential

    with TokenEndpoint() as endpoint:
        for name, value in endpoint.env.items():
            monkeypatch.setenv(name, value)
        token = ManagedIdentityCredential().get_token("https://management.azure.com/.default")
    assert token.token == endpoint.token and token.expires_on > 0
    assert endpoint.requests and "resource=https" in endpoint.requests[0]


@pytest.mark.parametrize("header", [None, "wrong"])
def test_a_caller_without_the_identity_header_is_refused(header: str | None) -> None:
    with TokenEndpoint() as endpoint:
        request = urllib.request.Request(endpoint.url + "?api-version=2019-08-01&resource=https://management.azure.com")
        if header is not None:
            request.add_header("X-IDENTITY-HEADER", header)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 401
    assert "access_token" not in json.loads(refused.value.read())
