"""The whole CLI against Azure with a real azure-identity credential.

`linkready collect` / `check` run as subprocesses with ``[azure] credential = "environment"``:
azure-identity's EnvironmentCredential reads ``AZURE_TENANT_ID``/``AZURE_CLIENT_ID``/
``AZURE_CLIENT_SECRET``, MSAL discovers the tenant and takes a token from the Entra stand-in
(tests/standins/entra), and the real azure-mgmt clients present it to the ARM stand-in. Nothing is
injected into the probe. The SQL Server (TDS stand-in), DNS and network side are real too
(tests/e2e/estate.py), so the certificate checks that need both sides are judged.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.estate import SQL_PASSWORD, Estate, Run, read_report, secrets_found, worst_by_check
from tests.standins.arm.server import TOKEN
from tests.standins.entra.server import CLIENT_SECRET

TENANT_DISCOVERY = "/v2.0/.well-known/openid-configuration"
WRONG_SECRET = "lr~E2E.wrong-secret_Hh4dY7tR2mQ9"
SECRETS = {"client secret": CLIENT_SECRET, "wrong client secret": WRONG_SECRET, "access token": TOKEN,
           "SQL password": SQL_PASSWORD}
AZURE_AREAS = ("managed_instance", "nsg", "target", "link")
#: Probes that read Resource Manager, each with its own credential (so its own token request).
AZURE_PROBES = 2


def assert_nothing_leaked(run: Run, *roots: Path) -> None:
    files = [p for root in roots for p in ([root] if root.is_file() else root.rglob("*"))]
    assert files, "nothing to search"
    leaks = secrets_found(SECRETS, {"stdout": run.stdout, "stderr": run.stderr}, files)
    assert not leaks, leaks


def azure_errors(report: dict) -> list[dict]:  # type: ignore[type-arg]
    return [e for e in report["snapshot"]["facts"]["errors"] if e["probe"] == "azure"] \
        if "facts" in report.get("snapshot", {}) else []


def snapshot_errors(snapshot: Path) -> list[dict]:  # type: ignore[type-arg]
    import json

    data = json.loads(snapshot.read_text(encoding="utf-8"))
    return [e for e in data["facts"]["errors"] if e["probe"] == "azure"]


def test_healthy_collect_then_evaluate_with_a_real_credential(fresh: Estate) -> None:
    snapshot = fresh.tmp / "healthy-snapshot.json"
    config = fresh.config("healthy.toml", output="healthy")
    collected = fresh.run("collect", "-c", str(config), "-o", str(snapshot))
    assert collected.returncode == 0, collected.stderr
    assert "0 fact(s) could not be read" in collected.stdout
    assert snapshot_errors(snapshot) == []

    # MSAL asked the configured authority only: tenant discovery, then a client-credentials token,
    # once for each probe that reads ARM (azure, target; each builds its credential). No instance
    # discovery (it would have gone to the public cloud).
    assert sorted(fresh.entra.paths()) == sorted(AZURE_PROBES * [f"GET /{fresh.entra.tenant}{TENANT_DISCOVERY}",
                                                                  f"POST /{fresh.entra.tenant}/oauth2/v2.0/token"])
    for token_request in fresh.entra.token_requests():
        assert token_request.grant_type == "client_credentials"
        assert token_request.scope == "https://management.azure.com/.default"
        assert token_request.client_id == fresh.entra.client_id
        assert {"client_id", "client_secret", "grant_type", "scope"} <= set(token_request.form_keys)
    # Every ARM read carried the token Entra issued, and every one was a GET.
    assert fresh.arm.requests and all(r.authorized for r in fresh.arm.requests)
    assert fresh.arm.methods() == {"GET"}

    out = fresh.tmp / "healthy"
    evaluated = fresh.run("evaluate", str(snapshot), "--format", "json", "-o", str(out), "-q")
    worst = worst_by_check(read_report(out / "linkready-report.json"))
    for check in ("MI-001", "MI-002", "MI-003", "MI-004", "MI-005", "MI-006", "MI-007", "MI-008", "MI-009",
                  "NSG-001", "NSG-002", "NSG-003", "NSG-004", "NSG-005", "CERT-003", "CERT-004",
                  "DB-011", "DB-012", "DB-013"):
        assert worst[check] == "PASS", (check, worst[check])
    # The root CA is imported; its sp_certificate_add_issuer mapping is invisible to a SELECT, and the
    # finding says so instead of guessing either way.
    assert worst["CERT-005"] == "PASS"
    assert evaluated.returncode == 0, evaluated.stderr
    assert_nothing_leaked(collected, snapshot, out)
    assert_nothing_leaked(evaluated, out)


def test_rejected_client_secret_is_one_auth_error_and_the_rest_still_reports(fresh: Estate) -> None:
    snapshot = fresh.tmp / "rejected-snapshot.json"
    config = fresh.config("rejected.toml", output="rejected", sql=False)
    run = fresh.run("check", "-c", str(config), "--save-snapshot", str(snapshot),
                    env=fresh.env(AZURE_CLIENT_SECRET=WRONG_SECRET))
    # Azure could not be read and nothing FAILs: "could not evaluate".
    assert run.returncode == 3, run.stderr
    # stderr is progress only: the SDK's own log lines do not repeat the cause around it.
    assert run.stderr and all(line.startswith("probe ") for line in run.stderr.splitlines()), run.stderr
    assert "probe azure: error" in run.stderr
    [error] = snapshot_errors(snapshot)
    assert error["kind"] == "auth" and error["fact"] == "azure"
    assert "\n" not in error["reason"]
    assert "environment credential" in error["reason"] and "AADSTS7000215" in error["reason"], error["reason"]
    assert fresh.arm.requests == [], "no token, so no ARM request"
    assert len(fresh.entra.token_requests()) == AZURE_PROBES

    report = read_report(fresh.tmp / "rejected" / "linkready-report.json")
    worst = worst_by_check(report)
    azure_checks = {f["check_id"] for f in report["findings"] if f["area"] in AZURE_AREAS}
    assert azure_checks and all(worst[c] in ("ERROR", "SKIP") for c in azure_checks), worst
    assert worst["MI-001"] == "ERROR"
    mi_001 = next(f for f in report["findings"] if f["check_id"] == "MI-001")
    assert "AADSTS7000215" in mi_001["message"]
    # The plan, DNS and network checks do not need Azure and still report.
    for check in ("PLAN-001", "PLAN-003", "DNS-001", "NET-001", "NET-002", "NET-003"):
        assert worst[check] == "PASS", (check, worst[check])
    assert_nothing_leaked(run, snapshot, fresh.tmp / "rejected")


def test_expired_token_at_resource_manager(fresh: Estate) -> None:
    fresh.arm.add_fault(path=".", status=401, code="ExpiredAuthenticationToken",
                        message="The access token expiry UTC time '5/1/2025 9:41:07 AM' is earlier than current UTC "
                                "time '5/1/2025 10:02:13 AM'.")
    snapshot = fresh.tmp / "expired-snapshot.json"
    config = fresh.config("expired.toml", output="expired", sql=False)
    run = fresh.run("check", "-c", str(config), "--save-snapshot", str(snapshot))
    assert run.returncode == 3, run.stderr
    assert all(line.startswith("probe ") for line in run.stderr.splitlines()), run.stderr
    errors = snapshot_errors(snapshot)
    assert errors and {e["kind"] for e in errors} == {"auth"}
    for e in errors:
        assert "\n" not in e["reason"]
        assert "401 ExpiredAuthenticationToken" in e["reason"] and e["resource"] in e["reason"], e["reason"]
    worst = worst_by_check(read_report(fresh.tmp / "expired" / "linkready-report.json"))
    assert worst["MI-001"] == "ERROR" and worst["NSG-001"] == "ERROR"
    assert worst["PLAN-001"] == "PASS" and worst["NET-001"] == "PASS"
    assert_nothing_leaked(run, snapshot, fresh.tmp / "expired")


def test_forbidden_nsg_read_names_the_action_and_spares_the_rest(fresh: Estate) -> None:
    fresh.serve("nsg-read-forbidden")
    snapshot = fresh.tmp / "forbidden-snapshot.json"
    config = fresh.config("forbidden.toml", output="forbidden")
    run = fresh.run("check", "-c", str(config), "--save-snapshot", str(snapshot), "-q")
    [error] = snapshot_errors(snapshot)
    assert error["kind"] == "permission" and error["fact"] == "azure.nsg"
    assert "Microsoft.Network/networkSecurityGroups/read" in error["reason"]
    assert error["resource"].endswith("/networkSecurityGroups/nsg-sqlmi")
    worst = worst_by_check(read_report(fresh.tmp / "forbidden" / "linkready-report.json"))
    assert {c for c in ("NSG-001", "NSG-002", "NSG-003") if worst[c] == "ERROR"} == {"NSG-001", "NSG-002", "NSG-003"}
    for check in ("MI-001", "MI-004", "MI-009", "NSG-004", "NSG-005", "CERT-003", "CERT-004", "DB-012"):
        assert worst[check] == "PASS", (check, worst[check])
    assert run.returncode == 3, run.stderr  # NSG-001..003 could not be evaluated; nothing FAILs
    assert_nothing_leaked(run, snapshot, fresh.tmp / "forbidden")


@pytest.mark.parametrize(("scenario", "recovers"), [("throttled-once", True), ("throttled", False)])
def test_throttling(fresh: Estate, scenario: str, recovers: bool) -> None:
    fresh.serve(scenario)
    snapshot = fresh.tmp / f"{scenario}-snapshot.json"
    config = fresh.config(f"{scenario}.toml", output=scenario, sql=False)
    run = fresh.run("check", "-c", str(config), "--save-snapshot", str(snapshot))
    assert all(line.startswith("probe ") for line in run.stderr.splitlines()), run.stderr
    worst = worst_by_check(read_report(fresh.tmp / scenario / "linkready-report.json"))
    # First pages only: the database list is paginated in this scenario ($skiptoken).
    throttled = [r for r in fresh.arm.requests
                 if r.path.endswith(("/databases", "/distributedAvailabilityGroups")) and "skiptoken" not in r.query]
    [fault] = fresh.arm.state.faults
    if recovers:
        # 429 with Retry-After: 1 on the database list once; the SDK's retry policy waits and gets it.
        assert fault.hits == 1
        assert snapshot_errors(snapshot) == []
        assert worst["DB-011"] == "PASS" and worst["MI-005"] == "PASS"
        assert run.returncode == 0, run.stderr
    else:
        # Every attempt throttled: after the configured retry it is an error naming the resource.
        [error] = snapshot_errors(snapshot)
        assert error["kind"] == "throttled" and error["fact"] == "azure.links"
        assert "429" in error["reason"] and "after 1 retry" in error["reason"]
        assert error["reason"].endswith("/distributedAvailabilityGroups")
        assert sum(r.path.endswith("/distributedAvailabilityGroups") for r in throttled) == 2
        assert worst["MI-007"] == "ERROR" and worst["MI-001"] == "PASS"
        assert run.returncode == 3, run.stderr
    assert_nothing_leaked(run, snapshot, fresh.tmp / scenario)


def test_no_secret_or_token_in_any_output(fresh: Estate) -> None:
    """Every format, the snapshot, stdout and stderr of a full run: no secret, no token."""
    snapshot = fresh.tmp / "all-formats-snapshot.json"
    config = fresh.config("all-formats.toml", output="all-formats",
                          formats=("console", "json", "junit", "md", "html", "sarif"))
    run = fresh.run("check", "-c", str(config), "--save-snapshot", str(snapshot))
    assert run.returncode == 0, run.stderr
    written = sorted(p.name for p in (fresh.tmp / "all-formats").iterdir())
    assert written == ["linkready-junit.xml", "linkready-report.html", "linkready-report.json",
                       "linkready-report.md", "linkready.sarif"]
    assert "DNS-003" in run.stdout  # the console summary was printed, so stdout was searched for real
    assert fresh.entra.token_requests(), "the secret was really used"
    assert_nothing_leaked(run, snapshot, fresh.tmp / "all-formats", fresh.tmp / "all-formats.toml")
