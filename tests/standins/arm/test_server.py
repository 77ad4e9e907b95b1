"""The ARM stand-in itself: TLS, auth, paging, faults, API versions and the request record."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from tests.standins.arm import TOKEN, ArmStandIn
from tests.standins.arm.server import scenario_description, scenario_names


@pytest.fixture(scope="module")
def server() -> Iterator[ArmStandIn]:
    with ArmStandIn() as srv:
        yield srv


@pytest.fixture(autouse=True)
def healthy(server: ArmStandIn) -> None:
    server.load("healthy")


def get(server: ArmStandIn, path: str, token: str = TOKEN, api: str | None = "2025-01-01", **params: str) -> requests.Response:
    query = {"api-version": api, **params} if api else dict(params)
    return requests.get(server.url + path, params=query, headers={"Authorization": f"Bearer {token}"},
                        verify=server.ca_bundle, timeout=10)


def test_tls_is_verified_against_the_test_ca(server: ArmStandIn) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(server.url + "/", verify=True, timeout=5)
    assert get(server, server.variables["MI_ID"]).status_code == 200


def test_lists_paginate_with_an_absolute_next_link(server: ArmStandIn) -> None:
    first = get(server, server.variables["MI_ID"] + "/databases").json()
    assert [d["name"] for d in first["value"]] == ["HR", "Inventory", "Reporting"]
    assert first["nextLink"].startswith(server.url) and "$skiptoken=3" in first["nextLink"]
    second = requests.get(first["nextLink"], headers={"Authorization": f"Bearer {TOKEN}"}, verify=server.ca_bundle,
                          timeout=10).json()
    assert [d["name"] for d in second["value"]] == ["Staging"] and "nextLink" not in second


def test_wrong_token_is_401_with_a_challenge(server: ArmStandIn) -> None:
    response = get(server, server.variables["MI_ID"], token="nope")
    assert response.status_code == 401 and "Bearer" in response.headers["WWW-Authenticate"]
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_writes_are_refused_and_recorded(server: ArmStandIn) -> None:
    response = requests.put(server.url + server.variables["MI_ID"] + "?api-version=2025-01-01", json={},
                            headers={"Authorization": f"Bearer {TOKEN}"}, verify=server.ca_bundle, timeout=10)
    assert response.status_code == 405
    assert server.methods() == {"PUT"}


def test_unknown_resource_and_missing_parent_are_404(server: ArmStandIn) -> None:
    mi = server.variables["MI_ID"]
    assert get(server, mi + "/databases/Nope").json()["error"]["code"] == "ResourceNotFound"
    gone = mi.replace("sqlmi-contoso-weu", "sqlmi-gone")
    response = get(server, gone + "/databases")
    assert response.status_code == 404 and response.json()["error"]["code"] == "ParentResourceNotFound"


def test_api_version_is_required_and_checked(server: ArmStandIn) -> None:
    mi = server.variables["MI_ID"]
    assert get(server, mi, api=None).json()["error"]["code"] == "MissingApiVersionParameter"
    response = get(server, mi, api="2099-01-01")
    assert response.status_code == 400 and "2025-01-01" in response.json()["error"]["message"]


def test_older_api_version_serves_the_older_shape(server: ArmStandIn) -> None:
    mi = server.variables["MI_ID"]
    assert get(server, mi).json()["properties"]["databaseFormat"] == "SQLServer2022"
    assert "databaseFormat" not in get(server, mi, api="2023-08-01").json()["properties"]
    old = get(server, mi + "/distributedAvailabilityGroups", api="2023-08-01").json()["value"][0]["properties"]
    assert old["targetDatabase"] == "Inventory" and "partnerEndpoint" not in old


def test_embedded_children_have_their_own_urls(server: ArmStandIn) -> None:
    net = server.variables["NET"]
    subnet = get(server, net + "/virtualNetworks/vnet-sqlmi-weu/subnets/snet-sqlmi", api="2026-03-01").json()
    assert subnet["properties"]["addressPrefix"] == "10.20.1.0/24"
    rules = get(server, net + "/networkSecurityGroups/nsg-sqlmi/defaultSecurityRules", api="2026-03-01").json()
    assert len(rules["value"]) == 3 and "nextLink" in rules


def test_403_names_the_denied_action(server: ArmStandIn) -> None:
    server.load("nsg-read-forbidden")
    response = get(server, server.variables["NET"] + "/networkSecurityGroups/nsg-sqlmi", api="2026-03-01")
    body = response.json()["error"]
    assert response.status_code == 403 and body["code"] == "AuthorizationFailed"
    assert "'Microsoft.Network/networkSecurityGroups/read'" in body["message"]


def test_429_carries_retry_after_and_can_be_used_up(server: ArmStandIn) -> None:
    server.load("throttled-once")
    path = server.variables["MI_ID"] + "/databases"
    first = get(server, path)
    assert first.status_code == 429 and first.headers["Retry-After"] == "1"
    assert get(server, path).status_code == 200


def test_slow_endpoint_delays_the_answer(server: ArmStandIn) -> None:
    server.add_fault(path="/serverTrustCertificates$", delay=0.5)
    started = time.perf_counter()
    assert get(server, server.variables["MI_ID"] + "/serverTrustCertificates").status_code == 200
    assert time.perf_counter() - started >= 0.5


def test_subscription_wide_list(server: ArmStandIn) -> None:
    sub = server.variables["SUB"]
    nics = get(server, f"/subscriptions/{sub}/providers/Microsoft.Network/networkInterfaces", api="2026-03-01").json()
    assert [n["name"] for n in nics["value"]] == ["nic-sqlsrv01"]


def test_every_scenario_loads_and_says_what_it_is(server: ArmStandIn) -> None:
    names = scenario_names()
    assert len(names) >= 25 and names[0] == "healthy"
    for name in names:
        server.load(name)
        assert scenario_description(name)
    with pytest.raises(KeyError):
        server.load("no-such-scenario")


def test_generated_resources(server: ArmStandIn) -> None:
    server.load("links-100")
    mi = server.variables["MI_ID"]
    pages, url = 0, None
    names: list[str] = []
    while True:
        response = (requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, verify=server.ca_bundle, timeout=10)
                    if url else get(server, mi + "/distributedAvailabilityGroups")).json()
        names += [d["name"] for d in response["value"]]
        pages += 1
        url = response.get("nextLink")
        if not url:
            break
    assert len(names) == 100 and pages == 4
