"""The stand-in's JSON uses exactly the field names the real SDK models declare (no typos, no inventions).

The SDK's models accept unknown keys silently, so a misspelt field would only show up as a
missing fact; this walks every served resource, in every scenario, against the models' REST names.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from azure.mgmt.network import models as network_models
from azure.mgmt.sql import models as sql_models

from tests.standins.arm.server import (
    DAG_TYPE,
    LINK_ROLES,
    check_link_roles,
    default_variables,
    load_scenario_data,
    scenario_names,
)

MODELS: dict[str, Any] = {
    "Microsoft.Sql/managedInstances": sql_models.ManagedInstance,
    "Microsoft.Sql/managedInstances/databases": sql_models.ManagedDatabase,
    "Microsoft.Sql/managedInstances/distributedAvailabilityGroups": sql_models.DistributedAvailabilityGroup,
    "Microsoft.Sql/managedInstances/serverTrustCertificates": sql_models.ServerTrustCertificate,
    "Microsoft.Sql/managedInstances/endpointCertificates": sql_models.EndpointCertificate,
    "Microsoft.Sql/managedInstances/encryptionProtector": sql_models.ManagedInstanceEncryptionProtector,
    "Microsoft.Sql/managedInstances/databases/transparentDataEncryption": sql_models.ManagedTransparentDataEncryption,
    "Microsoft.Sql/managedInstances/operations": sql_models.ManagedInstanceOperation,
    "Microsoft.Sql/locations/instanceFailoverGroups": sql_models.InstanceFailoverGroup,
    "Microsoft.Network/virtualNetworks": network_models.VirtualNetwork,
    "Microsoft.Network/networkSecurityGroups": network_models.NetworkSecurityGroup,
    "Microsoft.Network/routeTables": network_models.RouteTable,
    "Microsoft.Network/networkInterfaces": network_models.NetworkInterface,
}


def _fields(cls: Any) -> dict[str, str]:
    instance = cls()
    return {field._rest_name: attr for attr, field in type(instance)._attr_to_rest_field.items()}


def _annotation(cls: Any, attr: str) -> str:
    for klass in cls.__mro__:
        if attr in getattr(klass, "__annotations__", {}):
            return str(klass.__annotations__[attr])
    return ""


def unknown_keys(data: Any, cls: Any, path: str, modules: tuple[Any, ...]) -> list[str]:
    problems: list[str] = []
    fields = _fields(cls)
    for key, value in data.items():
        if key not in fields:
            problems.append(f"{path}.{key}")
            continue
        text = _annotation(cls, fields[key])
        found = re.search(r"_models\.(\w+)", text)
        if not found:
            continue
        sub = next((getattr(m, found.group(1)) for m in modules if hasattr(m, found.group(1))), None)
        if sub is None:
            continue
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            if isinstance(item, dict):
                problems += unknown_keys(item, sub, f"{path}.{key}[{index}]" if isinstance(value, list) else f"{path}.{key}", modules)
    return problems


@pytest.mark.parametrize("scenario", scenario_names())
def test_every_resource_matches_the_sdk_models(scenario: str) -> None:
    data = load_scenario_data(scenario, default_variables())
    checked = 0
    problems: list[str] = []
    for rid, body in data["resources"].items():
        rtype = body.get("type")
        if rtype is None:
            continue  # Azure Monitor's metrics answer is not an ARM resource
        assert rtype in MODELS, f"{rid}: no SDK model known for {rtype}"
        modules = (sql_models,) if rtype.startswith("Microsoft.Sql") else (network_models,)
        problems += unknown_keys(body, MODELS[rtype], rid.rsplit("/", 1)[-1], modules)
        checked += 1
    assert checked >= 15
    assert problems == []


@pytest.mark.parametrize(
    ("body", "model", "modules", "expected"),
    [
        ({"name": "x", "properties": {"state": "Ready", "storageSizeInGb": 1}}, sql_models.ManagedInstance,
         (sql_models,), ["x.properties.storageSizeInGb"]),
        ({"properties": {"securityRules": [{"name": "a", "properties": {"sourcePortrange": "*"}}]}},
         network_models.NetworkSecurityGroup, (network_models,), ["x.properties.securityRules[0].properties.sourcePortrange"]),
        ({"properties": {"databases": [{"databaseName": "a", "partnerAuthCertValidity": {"certName": "c"}}]}},
         sql_models.DistributedAvailabilityGroup, (sql_models,), ["x.properties.databases[0].partnerAuthCertValidity.certName"]),
        ({"properties": {"subnets": [{"properties": {"delegations": [{"properties": {"serviceNam": "s"}}]}}]}},
         network_models.VirtualNetwork, (network_models,),
         ["x.properties.subnets[0].properties.delegations[0].properties.serviceNam"]),
    ],
)
def test_the_walker_catches_a_misspelt_field(body: dict[str, Any], model: Any, modules: tuple[Any, ...],
                                             expected: list[str]) -> None:
    assert unknown_keys(body, model, "x", modules) == expected


def test_link_roles_are_the_sdk_enum_and_others_are_refused() -> None:
    """The stand-in serves only the LinkRole values ARM can return, and refuses a scenario with another."""
    assert set(LINK_ROLES) == {role.value for role in sql_models.LinkRole}
    dag = {"type": DAG_TYPE, "properties": {"instanceLinkRole": "Primary", "partnerLinkRole": "Secondary"}}
    check_link_roles({"dag": dag})
    check_link_roles({"dag": {"type": DAG_TYPE, "properties": {}}})  # the 2023-08-01 shape: no roles
    for bad in ("Resolving", "PRIMARY", ""):
        with pytest.raises(ValueError, match="not one ARM returns"):
            check_link_roles({"dag": {"type": DAG_TYPE, "properties": {"partnerLinkRole": bad}}})
