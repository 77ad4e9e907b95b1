"""`linkready explain` with a check ID, an error number or a service error code, through the real CLI."""

from __future__ import annotations

import pytest
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


def test_code_no_check_covers_says_so() -> None:
    uncovered = [code for code in SERVICE_CODES if not checks_preventing(code)]
    if not uncovered:
        pytest.skip("every known service code has a check")
    result = run_cli("explain", uncovered[0])
    assert result.returncode == 0, result.stderr
    assert "No check prevents it yet" in result.stdout


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
