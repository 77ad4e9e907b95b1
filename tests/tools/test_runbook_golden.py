"""The runbook's four files for every shape, compared byte for byte with the stored golden.

The golden pins what users run; a refactor of the generator must leave it unchanged. When a change
to the runbook's text is intended, regenerate and review the diff:

    .venv/bin/python -m pytest -q tests/tools/test_runbook_golden.py --snapshot-update
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from linkready.reports.runbook import files as written
from syrupy.assertion import SnapshotAssertion

from linkready.facts import Facts
from linkready.facts.azure import TrustCertificate
from linkready.facts.sql import AvailabilityGroup
from linkready.model import Status, Verdict
from linkready.tools.runbook import generate
from tests.builders.reports import finding
from tests.conformance.az_commands import runbook_shapes
from tests.conformance.test_ddl_grammar import _endpoint_variants

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _more_shapes(base: Facts) -> Iterator[tuple[str, Facts]]:
    """Shapes beyond the conformance set: each branch of the generator taken at least once."""
    assert base.sql is not None and base.sql.instance is not None and base.azure is not None
    sql, instance = base.sql, base.sql.instance
    yield "sql-2016", replace(base, sql=replace(sql, instance=replace(instance, product_version="13.0.7000.253")))
    yield "no-master-key", replace(base, sql=replace(sql, master_key_present=False))
    yield "master-key-unknown", replace(base, sql=replace(sql, master_key_present=None))
    yield "named-instance-bare", replace(base, sql=replace(
        sql, instance=replace(instance, server_name="SQL01\\INST2"), endpoints=(), certificates=()))
    assert sql.certificates
    thumbprint = sql.certificates[0].thumbprint.removeprefix("0x")
    yield "trusted-on-mi", replace(base, azure=replace(
        base.azure, server_trust_certificates=(TrustCertificate("sqlprod01", thumbprint),)))
    groups = tuple(AvailabilityGroup(name, is_distributed, False, "NONE", link.databases) for link in base.plan.links
                   for name, is_distributed in ((link.partner_ag_name, False), (link.name, True)))
    yield "ags-exist", replace(base, sql=replace(sql, availability_groups=groups))
    yield "mi-not-collected", replace(base, azure=None, plan=replace(base.plan, mi_fqdn="mi.abc.database.windows.net"))
    # The managed instance as initial primary on a SQL Server that supports it (2022 CU10+, SQLServer2022 policy):
    # an empty AG, GRANT CREATE ANY DATABASE, the database named in the instance's listener URL.
    yield "mi-initial-primary-2022", replace(
        base, plan=replace(base.plan, initial_primary="ManagedInstance"),
        sql=replace(sql, instance=replace(instance, product_version="16.0.4125.3")))


def shapes() -> dict[str, Facts]:
    conformance = runbook_shapes()
    found = dict(conformance)
    found.update((f"endpoint-{name}", facts) for name, facts in _endpoint_variants(conformance["one-way"]))
    found.update(_more_shapes(conformance["one-way"]))
    return found


SHAPES = shapes()
BLOCKER = finding("SQL-004", Status.FAIL, "Always On availability groups are not enabled")


BLOB = re.compile(r"0x[0-9A-F]{64,}")


def _short_blobs(text: str) -> str:
    """Certificate DER blobs (kilobytes of hex) as their length and digest: still byte-exact, a tenth the size."""
    return BLOB.sub(lambda m: f"0x<{len(m[0])} hex digits, sha256 {hashlib.sha256(m[0].encode()).hexdigest()[:16]}>",
                    text)


def _generate(shape: str, *, forced: bool = False) -> dict[str, str]:
    runbook = generate(SHAPES[shape], verdict=Verdict.NOT_READY if forced else Verdict.READY, digest="sha256:0",
                       generated_at=NOW, forced=forced, blockers=(BLOCKER,) if forced else ())
    files = {name: _short_blobs(text) for name, text in written(runbook).items()}
    # An endpoint variant changes only the SQL Server script: the other three files are the one-way shape's.
    return {"01-sqlserver.sql": files["01-sqlserver.sql"]} if shape.startswith("endpoint-") else files


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_runbook_files_are_unchanged(shape: str, snapshot: SnapshotAssertion) -> None:
    assert _generate(shape) == snapshot


@pytest.mark.parametrize("shape", ["one-way", "nothing-in-place"])
def test_forced_runbook_files_are_unchanged(shape: str, snapshot: SnapshotAssertion) -> None:
    assert _generate(shape, forced=True) == snapshot


def test_endpoint_variants_leave_the_other_files_alone() -> None:
    # What the endpoint golden leaves out must really be the one-way shape's text.
    one_way = written(generate(SHAPES["one-way"], verdict=Verdict.READY, digest="sha256:0", generated_at=NOW))
    for shape in (s for s in SHAPES if s.startswith("endpoint-")):
        files = written(generate(SHAPES[shape], verdict=Verdict.READY, digest="sha256:0", generated_at=NOW))
        assert files["02-managed-instance.sh"] == one_way["02-managed-instance.sh"], shape
        assert files["03-verify.sql"] == one_way["03-verify.sql"], shape
