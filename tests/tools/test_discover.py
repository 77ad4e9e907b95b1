"""`linkready discover`: the real azure-mgmt-resourcegraph client over HTTPS to the Resource Graph stand-in.

Paging (skip tokens), the caller's quota headers, a 429 the SDK retries, a subscription the caller
cannot read, an Arc SQL Server too old to link, and the whole CLI with a real EnvironmentCredential
against the Entra stand-in, whose estate file `linkready check --estate` then accepts.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from linkready.config import AzureConfig
from linkready.domain.resource_graph import QUERIES, Kind
from linkready.probes.resource_graph import read_inventory
from linkready.tools.discover import Readiness, assess, build_inventory, write_outputs
from linkready.tools.estate import load_estate
from tests.conftest import ROOT, run_cli
from tests.standins.arm import StaticTokenCredential
from tests.standins.resource_graph.estate import SUB_A, SUB_B, SUB_NO_ACCESS, estate
from tests.standins.resource_graph.server import PATH, GraphData, ResourceGraphStandIn

SUBS = (SUB_A, SUB_B, SUB_NO_ACCESS)


def _read(server: ResourceGraphStandIn, *, timeout: float = 30, sleeps: list[float] | None = None,
          subscriptions: tuple[str, ...] = SUBS, groups: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    az = AzureConfig(arm_endpoint=server.url, verify_tls=server.ca_bundle, retries=2, timeout=10)
    recorded = sleeps if sleeps is not None else []
    return read_inventory(az, StaticTokenCredential(), subscriptions=subscriptions, management_groups=groups,
                          timeout=timeout, sleep=recorded.append)


def test_inventory_pages_through_skip_tokens_and_names_the_unreadable_subscription() -> None:
    with ResourceGraphStandIn(estate(page_size=1)) as server:
        rows = _read(server)
    names = sorted(r["name"] for r in rows.rows[Kind.ARC_SQL_SERVER])
    assert names == ["sqlexpress", "sqllegacy", "sqlprod01"]  # sqlhidden lives where the caller cannot read
    assert sorted(r["name"] for r in rows.rows[Kind.MANAGED_INSTANCE]) == ["sqlmi-eus", "sqlmi-weu"]
    assert [e.scope for e in rows.errors] == [f"subscription {SUB_NO_ACCESS}"]
    assert "no read access" in rows.errors[0].reason
    # page_size 1: one request per row, plus the empty last pages: paging really happened.
    assert rows.requests > len(rows.rows[Kind.ARC_DATABASE]) + len(rows.rows[Kind.ARC_SQL_SERVER])
    # Read-only: the only call is Resource Graph's query POST (no other verb, no other path).
    assert {(r.method, r.path.lower()) for r in server.requests} == {("POST", PATH)}
    assert all(r.body["query"] in QUERIES.values() for r in server.requests)


def test_management_group_scope_is_sent_as_such() -> None:
    with ResourceGraphStandIn(estate()) as server:
        rows = _read(server, subscriptions=(), groups=("mg-root",))
    assert not rows.errors
    assert len(rows.rows[Kind.ARC_SQL_SERVER]) == 3
    assert all(r.body.get("managementGroups") == ["mg-root"] for r in server.requests)


def test_quota_headers_make_it_wait_and_a_reset_beyond_the_deadline_is_a_gap() -> None:
    sleeps: list[float] = []
    with ResourceGraphStandIn(estate(quota=2, quota_resets_after="00:00:02")) as server:
        rows = _read(server, sleeps=sleeps)
    assert sleeps and set(sleeps) == {2.0}
    assert rows.throttle_waits == len(sleeps)
    assert len(rows.rows[Kind.ARC_SQL_SERVER]) == 3
    with ResourceGraphStandIn(estate(quota=1, quota_resets_after="01:00:00")) as server:
        rows = _read(server)
    assert any("throttled" in e.reason for e in rows.errors)


def test_a_429_is_retried_by_the_sdk() -> None:
    with ResourceGraphStandIn(estate(throttle_first=1)) as server:
        rows = _read(server)
    assert [e.scope for e in rows.errors] == [f"subscription {SUB_NO_ACCESS}"]
    assert len(rows.rows[Kind.ARC_SQL_SERVER]) == 3


def test_the_stand_in_refuses_what_resource_graph_refuses() -> None:
    import http.client
    import ssl

    with ResourceGraphStandIn(GraphData()) as server:
        host, port = server.url.removeprefix("https://").split(":")
        context = ssl.create_default_context(cafile=server.ca_bundle)

        def post(body: object, method: str = "POST", version: str = "2021-03-01") -> int:
            conn = http.client.HTTPSConnection(host, int(port), context=context)
            conn.request(method, f"{PATH}?api-version={version}", json.dumps(body),
                         {"Authorization": "Bearer linkready-test-token", "Content-Type": "application/json"})
            status = conn.getresponse().status
            conn.close()
            return status

        assert post({"query": "Resources | where type =~ 'microsoft.sql/managedinstances'"}) == 200
        assert post({"query": "Resources | take 5 | summarize count()"}) == 400
        assert post({"query": QUERIES[Kind.SQL_VM]}, version="1999-01-01") == 400
        assert post({"query": QUERIES[Kind.SQL_VM]}, method="GET") == 405
        assert post({"nothing": 1}) == 400


def test_pre_assessment_runs_the_catalogue_checks_on_inventory_facts() -> None:
    with ResourceGraphStandIn(estate()) as server:
        rows = _read(server)
    inventory = build_inventory(rows.rows, [(e.scope, e.kind, e.reason) for e in rows.errors])
    by_name = {a.source.name: a for a in assess(inventory)}
    legacy = by_name["sqllegacy"]
    assert legacy.readiness is Readiness.BLOCKED
    assert {(f.check_id, f.status.value) for f in legacy.findings} >= {("SQL-001", "FAIL")}
    express = by_name["sqlexpress"]
    assert express.readiness is Readiness.BLOCKED
    assert ("SQL-003", "FAIL") in {(f.check_id, f.status.value) for f in express.findings}
    prod = by_name["sqlprod01"]
    assert prod.readiness is Readiness.CANDIDATE
    assert prod.pairing is not None and prod.pairing.instance.name == "sqlmi-weu"
    assert {f.check_id for f in prod.findings} == {"SQL-001", "SQL-002", "SQL-003", "MI-003"}
    assert all(f.status.value == "PASS" for f in prod.findings), prod.findings
    # An Azure SQL VM: the image names the version, not the build: unknown until a live check.
    vm = by_name["sqlvm01"]
    assert vm.readiness is Readiness.UNKNOWN
    assert any("live check" in note for note in vm.notes)


def test_missing_database_rows_are_unknown_not_empty() -> None:
    with ResourceGraphStandIn(estate()) as server:
        rows = _read(server)
    gaps = [("subscription x", Kind.ARC_DATABASE.value, "HTTP 500")]
    inventory = build_inventory({**rows.rows, Kind.ARC_DATABASE: []}, gaps)
    assert all(s.databases is None for s in inventory.sources)
    assert all(s.data_size_gb is None for s in inventory.sources)


def test_written_estate_loads_and_names_only_confirmed_pairs(tmp_path: Path) -> None:
    with ResourceGraphStandIn(estate()) as server:
        rows = _read(server)
    assessments = assess(build_inventory(rows.rows))
    written = write_outputs(assessments, tmp_path, name="contoso", confirmed={"sqlprod01"})
    assert sorted(p.name for p in written) == ["estate.toml", "sqlprod01-sqlmi-weu.toml"]
    target = tomllib.loads((tmp_path / "sqlprod01-sqlmi-weu.toml").read_text("utf-8"))
    assert target["link"][0]["databases"] == ["Sales", "HR"]
    assert target["managed_instance"]["resource_id"].endswith("/managedInstances/sqlmi-weu")
    assert [t.name for t in load_estate(tmp_path / "estate.toml").targets] == ["sqlprod01-sqlmi-weu"]


def test_discover_cli_end_to_end_then_check_estate_accepts_the_files(tmp_path: Path) -> None:
    from tests.standins.entra import EntraStandIn
    from tests.standins.tds.conftest import LOGIN, PASSWORD, require_freetds, serve
    from tests.standins.tds.scenarios import HEALTHY

    with ResourceGraphStandIn(estate()) as server:
        entra = EntraStandIn(server.ca).start()
        try:
            azure = tmp_path / "azure.toml"
            azure.write_text(
                f'[azure]\ncredential = "environment"\nauthority = "{entra.url}"\narm_endpoint = "{server.url}"\n'
                f'verify_tls = "{server.ca_bundle}"\ntimeout = 10\nretries = 1\n', encoding="utf-8")
            env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "MSAL_", "IDENTITY_"))}
            env |= entra.env() | {"PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
            out = tmp_path / "found"
            args = ["discover", "-c", str(azure), "-o", str(out), "--name", "contoso", "--confirm", "sqlprod01"]
            for sub in SUBS:
                args += ["--subscription", sub]
            result = run_cli(*args, env=env)
        finally:
            entra.stop()
    assert result.returncode == 3, result.stderr  # one subscription could not be read: incomplete
    assert "Traceback" not in result.stderr
    assert f"incomplete: subscription {SUB_NO_ACCESS}" in result.stdout
    assert entra.env()["AZURE_CLIENT_SECRET"] not in result.stdout + result.stderr
    data = json.loads((out / "inventory.json").read_text("utf-8"))
    assert data["schema"] == "linkready-discovery/1"
    assert {s["name"]: s["readiness"] for s in data["sql_servers"]}["sqllegacy"] == "blocked"
    html = (out / "discovery.html").read_text("utf-8")
    assert "sqlprod01" in html and "needs a live check" in html
    assert (out / "discovery.md").read_text("utf-8").startswith("# Managed Instance link discovery")

    # The user fills in the connection details; `check --estate` takes over from there.
    require_freetds()
    with serve(HEALTHY) as tds:
        target = out / "sqlprod01-sqlmi-weu.toml"
        text = target.read_text("utf-8").replace('"FILL_IN_HOST"', f'"127.0.0.1,{tds.port}"')
        text = text.replace('username = "linkready_probe"', f'username = "{LOGIN}"\ndriver = "FreeTDS"\nencrypt = false')
        text = re.sub(r"FILL_IN_HOST", "127.0.0.1", text)
        target.write_text(text, encoding="utf-8")
        check = run_cli("check", "--estate", str(out / "estate.toml"), "-o", str(tmp_path / "estate-report"),
                        env={"LINKREADY_SQL_PASSWORD": PASSWORD}, timeout=180)
    assert check.returncode in (0, 1, 3), check.stderr
    assert "error:" not in check.stderr.lower(), check.stderr
    report = json.loads((tmp_path / "estate-report" / "estate.json").read_text("utf-8"))
    assert [t["name"] for t in report["targets"]] == ["sqlprod01-sqlmi-weu"]
    # Judged, not refused: the SQL Server side was read (the stand-in serves no ARM resources).
    assert report["targets"][0]["verdict"] in ("Not ready", "Could not evaluate"), report["targets"][0]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
rows = st.lists(st.dictionaries(
    st.sampled_from(["id", "name", "type", "location", "subscriptionId", "resourceGroup", "sku", "properties"]),
    json_values, max_size=8), max_size=4)


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.sampled_from(list(Kind)), rows, max_size=6))
def test_any_row_shape_builds_an_inventory_without_crashing(data: dict[Kind, list[dict[str, object]]]) -> None:
    """Resource Graph rows are input: odd shapes give unknowns, never an exception."""
    inventory = build_inventory(data)  # type: ignore[arg-type]
    for source in inventory.sources:
        assert source.major is None or 8 <= source.major <= 99 or source.build is not None
    assess(inventory)
