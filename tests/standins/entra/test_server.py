"""The Entra stand-in answers the client-credentials flow as Entra does, and refuses as Entra does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import trustme

from tests.standins.entra import EntraStandIn
from tests.standins.entra.server import CLIENT_ID, CLIENT_SECRET, TENANT


@pytest.fixture(scope="module")
def entra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EntraStandIn, str]]:
    ca = trustme.CA()
    bundle = tmp_path_factory.mktemp("entra") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with EntraStandIn(ca) as server:
        yield server, str(bundle)


def token(entra: tuple[EntraStandIn, str], **form: str) -> requests.Response:
    server, bundle = entra
    body = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "scope": "https://management.azure.com/.default", **form}
    return requests.post(f"{server.url}/{TENANT}/oauth2/v2.0/token", data=body, verify=bundle, timeout=10)


def test_tenant_discovery_names_the_token_endpoint_on_the_same_host(entra: tuple[EntraStandIn, str]) -> None:
    server, bundle = entra
    config = requests.get(f"{server.url}/{TENANT}/v2.0/.well-known/openid-configuration", verify=bundle,
                          timeout=10).json()
    assert config["token_endpoint"] == f"{server.url}/{TENANT}/oauth2/v2.0/token"
    assert config["issuer"].startswith(server.url) and config["authorization_endpoint"].startswith(server.url)


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({}, 200, ""),
        ({"client_secret": "not-the-secret"}, 401, "invalid_client"),
        ({"client_id": "00000000-0000-4000-8000-000000000000"}, 400, "unauthorized_client"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"scope": "https://management.azure.com/user_impersonation"}, 400, "invalid_scope"),
    ],
)
def test_token_endpoint(entra: tuple[EntraStandIn, str], form: dict[str, str], status: int, error: str) -> None:
    response = token(entra, **form)
    assert response.status_code == status
    body = response.json()
    if status == 200:
        assert body["token_type"] == "Bearer" and body["access_token"] == entra[0].access_token
    else:
        assert body["error"] == error and body["error_description"].startswith("AADSTS")
        assert "not-the-secret" not in response.text and CLIENT_SECRET not in response.text


def test_requests_are_recorded_without_secret_values(entra: tuple[EntraStandIn, str]) -> None:
    server, _ = entra
    server.clear()
    token(entra)
    [recorded] = server.requests
    assert recorded.grant_type == "client_credentials" and "client_secret" in recorded.form_keys
    assert CLIENT_SECRET not in repr(recorded)
