"""`linkready links` through the real CLI: formats, exit codes, usage errors (saved-snapshot input)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkready.facts import Collector, Facts, PlanFacts
from linkready.facts.azure import AzureFacts, ExistingLink
from linkready.snapshot import SCHEMA_VERSION, Snapshot, dumps
from tests.builders.links_data import DISCONNECTED_LINK, HEALTHY, LAGGING, NOW
from tests.conftest import run_cli
from tests.standins.dns.fixtures import dns_server, silent_dns_server  # noqa: F401 - pytest fixtures

MI_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-data"
    "/providers/Microsoft.Sql/managedInstances/sqlmi-prod"
)


def write_snapshot(path: Path, links: tuple[ExistingLink, ...] | None) -> Path:
    facts = Facts(
        plan=PlanFacts(mi_resource_id=MI_ID),
        collector=Collector(collected_at=NOW),
        azure=AzureFacts(links=links),
    )
    path.write_text(dumps(Snapshot(SCHEMA_VERSION, "test", NOW, facts)), encoding="utf-8")
    return path


@pytest.fixture
def three(tmp_path: Path) -> Path:
    return write_snapshot(tmp_path / "three.json", (HEALTHY, LAGGING, DISCONNECTED_LINK))


def test_console_lists_every_link_and_flags_two(three: Path) -> None:
    result = run_cli("links", "--snapshot", str(three), "--max-lag", "60")
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "3 link(s), 2 not meeting targets" in out
    for name in ("link-sales", "link-hr", "link-finance", "Finance", "SQLPROD01_endpoint"):
        assert name in out
    assert "link-hr: [lag_above_target] HR: lag 900 s is above the target of 60 s" in out
    assert "link-finance: [disconnected]" in out and "[cert_expiring]" in out
    assert "41962" in out and result.stderr == ""


def test_without_a_lag_target_only_the_disconnected_link_is_flagged(three: Path) -> None:
    result = run_cli("links", "--snapshot", str(three), "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert [(link["name"], link["ok"]) for link in data["links"]] == [
        ("link-sales", True), ("link-hr", True), ("link-finance", False)]


def test_healthy_link_exits_zero(tmp_path: Path) -> None:
    result = run_cli("links", "--snapshot", str(write_snapshot(tmp_path / "s.json", (HEALTHY,))), "--max-lag", "60")
    assert result.returncode == 0 and "1 link(s), 0 not meeting targets" in result.stdout


def test_max_lag_with_an_unreported_lag_is_exit_three_naming_it(tmp_path: Path) -> None:
    from dataclasses import replace

    from tests.builders.links_data import HEALTHY_DB

    unreported = replace(HEALTHY, databases=(replace(HEALTHY_DB, send_lag_seconds=None, redo_lag_seconds=None),))
    snapshot = str(write_snapshot(tmp_path / "s.json", (unreported,)))
    result = run_cli("links", "--snapshot", snapshot, "--max-lag", "60")
    assert result.returncode == 3, result.stdout
    assert "link-sales: [could not evaluate] the lag of Sales is not reported" in result.stdout
    assert run_cli("links", "--snapshot", snapshot).returncode == 0  # no lag target: nothing to judge
    data = json.loads(run_cli("links", "--snapshot", snapshot, "--max-lag", "60", "--format", "json").stdout)
    assert data["exit_code"] == 3 and data["summary"]["unknown"] == 1


def test_cert_threshold_comes_from_the_profile_or_the_flag(three: Path) -> None:
    # link-finance's certificate expires in 12 days: inside preflight's 30, outside a 10-day flag.
    assert run_cli("links", "--snapshot", str(three), "--cert-warn-days", "10", "--format", "json").returncode == 1
    data = json.loads(run_cli("links", "--snapshot", str(three), "--cert-warn-days", "10",
                              "--format", "json").stdout)
    finance = data["links"][2]
    assert "cert_expiring" not in {f["code"] for f in finance["flags"]}
    audit = json.loads(run_cli("links", "--snapshot", str(three), "--profile", "audit", "--format", "json").stdout)
    assert audit["targets"]["cert_expiry_warn_days"] == 90


def test_html_is_self_contained_and_escaped(tmp_path: Path) -> None:
    hostile = HEALTHY.__class__(**{**HEALTHY.__dict__, "name": "<script>alert(1)</script>"})
    snap = write_snapshot(tmp_path / "h.json", (hostile, DISCONNECTED_LINK))
    out = tmp_path / "links.html"
    result = run_cli("links", "--snapshot", str(snap), "--format", "html", "--output", str(out))
    assert result.returncode == 1 and f"wrote {out}" in result.stderr
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "src=" not in html and "<link " not in html and "@import" not in html
    assert 'id="links"' in html and "link-finance" in html and "(12 days)" in html


def test_links_that_were_not_read_exit_three(tmp_path: Path) -> None:
    result = run_cli("links", "--snapshot", str(write_snapshot(tmp_path / "n.json", None)))
    assert result.returncode == 3 and "could not be read" in result.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), "give --mi RESOURCE_ID or --config FILE"),
        (("--mi", "not-a-resource-id"), "is not a managed instance resource ID"),
        (("--snapshot", "/nonexistent/s.json"), "no such file"),
        (("--snapshot", "x.json", "--mi", MI_ID), "do not combine"),
        (("--mi", MI_ID, "--profile", "nope"), "neither a built-in profile"),
    ],
)
def test_usage_errors_exit_two_with_one_line(args: tuple[str, ...], words: str) -> None:
    result = run_cli("links", *args)
    assert result.returncode == 2 and result.stdout == ""
    assert words in result.stderr and result.stderr.count("\n") == 1


def test_bad_option_value_is_a_usage_error() -> None:
    result = run_cli("links", "--mi", MI_ID, "--max-lag", "-5")
    assert result.returncode == 2 and "--max-lag" in result.stderr


# --- partner endpoint resolution through the real DNS probe against a DNS server on loopback --------


def test_partner_hosts_resolve_through_the_dns_probe(dns_server, silent_dns_server) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from linkready.commands.links import resolve_partner_hosts
    from linkready.tools.links import LinkTargets, build_inventory
    from tests.standins.dns.server import SQL_HOST

    server = dns_server("private")
    gone = "sqlprod-retired.corp.example"
    resolved, notes = resolve_partner_hosts([SQL_HOST, gone], vnet_servers=[server.spec], system=False, timeout=2)
    assert resolved == {SQL_HOST: True, gone: False} and notes == []
    assert (SQL_HOST.lower(), "A") in server.queries

    links = (HEALTHY.__class__(**{**HEALTHY.__dict__, "partner_endpoint": f"TCP://{SQL_HOST}:5022"}),
             HEALTHY.__class__(**{**HEALTHY.__dict__, "name": "link-old", "partner_endpoint": f"TCP://{gone}:5022"}))
    inv = build_inventory(links, instance="mi", as_of=NOW, targets=LinkTargets(), resolved=resolved)
    assert [(link.name, [f.code for f in link.flags]) for link in inv.links] == [
        ("link-sales", []), ("link-old", ["endpoint_unresolved"])]

    silent, _ = resolve_partner_hosts([SQL_HOST], servers=[silent_dns_server.spec], system=False, timeout=0.3)
    assert silent == {}  # a timeout is "not checked", never "does not resolve"
    unchecked = build_inventory(links[:1], instance="mi", as_of=NOW, targets=LinkTargets(), resolved=silent)
    assert unchecked.exit_code == 0 and any("no definitive DNS answer" in n for n in unchecked.notes)


def test_snapshot_mode_uses_the_network_probes_partner_answers(tmp_path: Path) -> None:
    from dataclasses import replace

    from linkready.facts.network import DNS_NXDOMAIN, DnsAnswer, NetworkFacts
    from linkready.snapshot import loads

    path = write_snapshot(tmp_path / "s.json", (HEALTHY,))
    snapshot = loads(path.read_text())
    answer = DnsAnswer(name="sqlprod01.contoso.local", server="10.0.0.4:53", status=DNS_NXDOMAIN, via="vnet")
    facts = replace(snapshot.facts, network=NetworkFacts(partner_dns=(answer,)))
    path.write_text(dumps(replace(snapshot, facts=facts)))
    result = run_cli("links", "--snapshot", str(path), "--format", "json")
    assert result.returncode == 1
    link = json.loads(result.stdout)["links"][0]
    assert link["partner_resolves"] is False and link["flags"][0]["code"] == "endpoint_unresolved"


def test_html_fragment_is_just_the_section(three: Path) -> None:
    result = run_cli("links", "--snapshot", str(three), "--format", "html", "--fragment")
    assert result.returncode == 1
    text = result.stdout.strip()
    assert text.startswith('<section id="links"') and text.endswith("</section>") and "<html" not in text
    assert run_cli("links", "--snapshot", str(three), "--fragment").returncode == 2


def test_html_renders_in_chromium_without_errors_or_requests(three: Path, tmp_path: Path) -> None:
    import shutil

    from tests.conftest import require_component

    chromium = shutil.which("chromium")
    require_component("chromium", chromium is not None, "apt-get install chromium")
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "links.html"
    assert run_cli("links", "--snapshot", str(three), "--max-lag", "60", "--format", "html",
                   "-o", str(page_file)).returncode == 1
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_file.as_uri())
        assert page.locator(".verdict").inner_text() == (
            "3 link(s), 2 not meeting targets, 1 target(s) that could not be evaluated")  # link-finance's lag
        assert page.locator(".link.flagged").count() == 2
        text = page.locator("#links").inner_text()
        assert "lag_above_target" in text and "could not evaluate the lag of Finance is not reported" in text
        page.screenshot(path=str(tmp_path / "links.png"), full_page=True)
        browser.close()
    assert errors == []
    assert requests == [page_file.as_uri()]
