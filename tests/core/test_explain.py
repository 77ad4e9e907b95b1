"""`linkready explain` with a check ID, an error number or a service error code, through the real CLI."""

from __future__ import annotations

from linkready.checks.service import SERVICE_CODES, checks_preventing

from tests.conftest import run_cli


def test_error_number_lists_the_checks_that_prevent_it() -> None:
    result = run_cli("explain", "41973")
    assert result.returncode == 0, result.stderr
    assert "EP-003" in result.stdout and "CERT-003" in result.stdout
    assert "PLAN-001" not in result.stdout  # prevents 41976, not 41973


def test_service_error_code_in_any_case_lists_its_checks() -> None:
    result = run_cli("explain", "cannotusereserveddatabasename")
    assert result.returncode == 0, result.stderr
    assert "CannotUseReservedDatabaseName" in result.stdout and "SVC-001" in result.stdout


#: A link-specific code of both spec versions that no readiness check can prevent (a runtime state of seeding).
RUNTIME_CODE = "ManagedInstanceLinkIsNotFound"


def test_code_no_check_covers_says_so() -> None:
    # The code is taken from the spec list, not from "whatever is uncovered today": the test runs (and can
    # fail) whatever checks are added, and the precondition says why this code was chosen.
    code = SERVICE_CODES[RUNTIME_CODE]
    assert code.link_specific and code.unpreventable and checks_preventing(RUNTIME_CODE) == []
    result = run_cli("explain", RUNTIME_CODE.upper())
    assert result.returncode == 0, result.stderr
    assert "Prevented by:" not in result.stdout
    assert f"No check can prevent it: {code.unpreventable}." in result.stdout
    assert "stable/2023-08-01, preview/2025-08-01-preview" in result.stdout


def test_a_gap_says_no_check_yet_and_what_a_check_would_read() -> None:
    # Every code that a check could prevent but none does is explained as a gap, with what such a check reads.
    gaps = [c for c in SERVICE_CODES.values() if not checks_preventing(c.name) and not c.unpreventable]
    assert all(c.gap for c in gaps), [c.name for c in gaps if not c.gap]
    for code in gaps[:2]:
        result = run_cli("explain", code.name)
        assert result.returncode == 0, result.stderr
        assert f"No check prevents it yet. A check would read: {code.gap}." in result.stdout


def test_code_a_new_check_covers_lists_it() -> None:
    result = run_cli("explain", "ManagedInstanceLinkSourceDbHasDefunctFiles")
    assert result.returncode == 0, result.stderr
    assert "SVC-007" in result.stdout and "No check prevents it yet" not in result.stdout


def test_check_explanation_names_its_service_errors() -> None:
    result = run_cli("explain", "svc-001")
    assert result.returncode == 0 and "Prevents service errors: CannotUseReservedDatabaseName" in result.stdout


def test_unknown_code_or_number_is_one_line_and_exit_2() -> None:
    for arg in ("NoSuchServiceCode", "99999", ""):
        result = run_cli("explain", arg)
        assert result.returncode == 2, arg
        assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr
