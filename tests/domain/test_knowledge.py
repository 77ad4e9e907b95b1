"""Clouds, documentation URLs, resource IDs and seeding math: each written once in linkready.domain."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkready.domain import clouds, docs, resource_ids
from linkready.domain.seeding import CANCEL_AFTER_HOURS, duration, seeding_hours

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [p for d in ("linkready", "checks", "reports") for p in (ROOT / d).rglob("*.py")
           if "data" not in p.relative_to(ROOT).parts]


def test_every_cloud_is_consistent() -> None:
    assert set(clouds.CLOUDS) == {"public", "usgov", "china"}
    assert clouds.CLOUDS["public"].audience == "https://management.azure.com/.default"
    assert clouds.CLOUDS["usgov"].issuer_pattern == "*.database.usgovcloudapi.net"
    assert clouds.by_name("AzureChinaCloud").dns_suffix == "database.chinacloudapi.cn"
    assert clouds.by_name("") is clouds.PUBLIC and clouds.by_name("NoSuchCloud") is clouds.PUBLIC
    assert clouds.DNS_SUFFIXES == (".database.windows.net", ".database.usgovcloudapi.net", ".database.chinacloudapi.cn")
    for cloud in clouds.CLOUDS.values():
        assert cloud.arm_endpoint.startswith("https://management.") and cloud.authority.startswith("https://login.")


@pytest.mark.parametrize(
    "literal",
    ["management.azure.com", "management.usgovcloudapi.net", "management.chinacloudapi.cn",
     "login.microsoftonline", "learn.microsoft.com", "DigiCert Global Root G2"],
)
def test_knowledge_is_written_only_in_its_home(literal: str) -> None:
    """A cloud endpoint, a docs URL or a root CA's name written outside linkready/domain is a new copy."""
    homes = {ROOT / "linkready/domain/clouds.py", ROOT / "linkready/domain/docs.py"}
    # Prose (a check's rationale/remediation) may name a root CA; code must not define it again.
    copies = [str(p.relative_to(ROOT)) for p in SOURCES if p not in homes
              and re.search(rf"^\s*[A-Z_]+\s*=.*{re.escape(literal)}|docs=\"[^\"]*{re.escape(literal)}",
                            p.read_text(encoding="utf-8"), re.MULTILINE)]
    assert copies == []


def test_docs_urls_are_learn_pages() -> None:
    urls = {name: value for name, value in vars(docs).items() if name.startswith("DOCS_")}
    assert len(urls) >= 10
    for value in urls.values():
        assert re.fullmatch(r"https://learn\.microsoft\.com/[a-z0-9/#.-]+", value), value
    assert len(set(urls.values())) == len(urls)


RID = "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-data/providers/Microsoft.Sql/managedInstances/mi1"


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (RID, ("00000000-0000-4000-8000-000000000000", "rg-data", "Microsoft.Sql", ("managedInstances", "mi1"))),
        (RID + "/", ("00000000-0000-4000-8000-000000000000", "rg-data", "Microsoft.Sql", ("managedInstances", "mi1"))),
        (RID.replace("resourceGroups", "resourcegroups") + "/databases/db1",
         ("00000000-0000-4000-8000-000000000000", "rg-data", "Microsoft.Sql",
          ("managedInstances", "mi1", "databases", "db1"))),
        ("/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkSecurityGroups/nsg-a",
         ("s", "g", "Microsoft.Network", ("networkSecurityGroups", "nsg-a"))),
        ("", None),
        ("mi1", None),
        ("/subscriptions/s/resourceGroups/g/providers/Microsoft.Sql/managedInstances", None),
        ("/subscriptions/s/resourceGroups/g/providers/Microsoft.Sql/managedInstances//x", None),
    ],
)
def test_parse(text: str, parts: tuple[str, str, str, tuple[str, ...]] | None) -> None:
    rid = resource_ids.parse(text)
    assert (None if rid is None else (rid.subscription, rid.group, rid.namespace, rid.path)) == parts


def test_names_and_placeholders() -> None:
    child = resource_ids.parse(RID + "/databases/db1")
    assert child is not None and child.name == "mi1" and child.leaf == "db1"
    assert resource_ids.group_and_name(RID) == ("rg-data", "mi1")
    assert resource_ids.group_and_name("") == ("<resource-group>", "<managed-instance>")
    assert resource_ids.name_of(RID + "/") == "mi1"
    assert resource_ids.managed_instance_id("00000000-0000-4000-8000-000000000000", "rg-data", "mi1") == RID


names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)


@given(names, names, names)
def test_built_ids_parse_back(sub: str, group: str, name: str) -> None:
    rid = resource_ids.parse(resource_ids.managed_instance_id(sub, group, name))
    assert rid is not None and (rid.subscription, rid.group, rid.name) == (sub, group, name)


@pytest.mark.parametrize(
    ("hours", "text"),
    [(0.001, "under 1 min"), (0.5, "30 min"), (1, "1.0 h"), (47.9, "47.9 h"), (48, "2.0 days")],
)
def test_duration(hours: float, text: str) -> None:
    assert duration(hours) == text


def test_seeding_hours_share_the_throughput() -> None:
    assert seeding_hours({"a": 10.0, "b": 30.0}, 10.0) == {"a": 2.0, "b": 4.0}
    assert CANCEL_AFTER_HOURS == 144


@given(st.dictionaries(names, st.floats(min_value=0.001, max_value=1e5), min_size=1, max_size=8),
       st.floats(min_value=0.1, max_value=1e4))
def test_the_largest_database_finishes_at_total_over_throughput(sizes: dict[str, float], rate: float) -> None:
    finish = seeding_hours(sizes, rate)
    assert max(finish.values()) == pytest.approx(sum(sizes.values()) / rate)
    assert all(finish[a] <= finish[b] for a in sizes for b in sizes if sizes[a] <= sizes[b])
