"""SVC-021 (leftover distributed AGs) and SVC-022 (leftover managed instance certificates) on facts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from linkready.facts import Facts, ProbeError
from linkready.facts.azure import ExistingLink
from linkready.facts.sql import AgReplica, AvailabilityGroup, SqlCertificate
from linkready.model import Status
from tests.builders.azure_facts import CERTS, FQDN, azure, facts, link, sql, sql_cert
from tests.builders.checks import findings, one
from tests.conformance.grammar import kind_of

OLD_MI = "sqlmi-old-weu.3f6c9a1d2b4e.database.windows.net"


def dag(name: str, mi_host: str = FQDN) -> AvailabilityGroup:
    replicas = (AgReplica("ag-sales", "tcp://sqlsrv01.corp.example:5022", "PRIMARY", "ASYNCHRONOUS_COMMIT", "HEALTHY",
                          "CONNECTED"),
                AgReplica("mi-ag-sales", f"tcp://{mi_host}:5022", "SECONDARY", "ASYNCHRONOUS_COMMIT", "HEALTHY",
                          "CONNECTED"))
    return AvailabilityGroup(name, is_distributed=True, basic_features=False, cluster_type="none", databases=(),
                             replicas=replicas)


def with_groups(*groups: AvailabilityGroup, certs: tuple[SqlCertificate, ...] = (),
                links: tuple[ExistingLink, ...] = ()) -> Facts:
    base = sql()
    assert base.certificates is not None
    return facts(sql_facts=replace(sql(), availability_groups=groups, certificates=(*base.certificates, *certs)),
                 azure_facts=azure(links=links))


@pytest.mark.parametrize(("groups", "links", "expected"), [
    ((), (), ["PASS"]),
    ((dag("link-sales"),), (link("link-sales"),), ["PASS"]),  # the instance has that link
    ((dag("LINK-SALES"),), (link("link-sales"),), ["PASS"]),  # names compared without case
    ((dag("link-sales"),), (), ["WARN"]),  # named like the plan, nothing on the instance
    ((dag("dag-2024", mi_host=OLD_MI),), (), ["WARN"]),  # not planned, but its partner is a managed instance
    # A distributed AG between two SQL Servers is not a link
    ((dag("dag-dr", mi_host="sqldr01.corp.example"),), (), ["PASS"]),
])
def test_leftover_distributed_ag(groups: tuple[AvailabilityGroup, ...], links: tuple[ExistingLink, ...],
                                 expected: list[str]) -> None:
    assert [f.status.value for f in findings("SVC-021", with_groups(*groups, links=links))] == expected


def test_leftover_dag_fix_is_documented_ddl() -> None:
    f = one("SVC-021", with_groups(dag("link-sales")))
    assert f.status is Status.WARN and "no link of that name" in f.observed
    statement = f.fix[0].code.splitlines()[-1]
    assert statement == "DROP AVAILABILITY GROUP [link-sales];"
    assert kind_of(statement) == "drop availability group"


def test_leftover_checks_need_the_instance_links_and_availability_groups() -> None:
    error = ProbeError("azure", "azure.links", "permission", "403 on distributedAvailabilityGroups")
    f = facts(sql_facts=replace(sql(), availability_groups=()), errors=(error,))
    assert one("SVC-021", f).status is Status.ERROR
    assert one("SVC-022", facts(sql_facts=sql())).status is Status.ERROR  # availability groups not collected


def test_leftover_partner_certificate() -> None:
    # The builder's master holds the planned instance's certificate (named by its FQDN): expected, not stale.
    assert [f.status for f in findings("SVC-022", with_groups())] == [Status.PASS]
    old = sql_cert(CERTS.mi_endpoint, OLD_MI, 300, pvt="NA")
    stale = findings("SVC-022", with_groups(certs=(old,)))
    assert [(f.status, f.target) for f in stale] == [(Status.WARN, OLD_MI)]
    assert kind_of(stale[0].fix[0].code.splitlines()[-1]) == "drop certificate"
    # Still the partner of a distributed AG on SQL Server: in use, not a leftover (SVC-021 judges the DAG)
    in_use = with_groups(dag("dag-2024", OLD_MI), certs=(old,))
    assert [f.status for f in findings("SVC-022", in_use)] == [Status.PASS]
