"""SVC-021 (leftover distributed AGs) and SVC-022 (leftover managed instance certificates) on facts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from linkready.facts import Facts, ProbeError
from linkready.facts.azure import ExistingLink, TrustCertificate
from linkready.facts.sql import AgReplica, AvailabilityGroup, SqlCertificate, SqlFacts
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


# -- SVC-023: server trust certificates on the managed instance ------------------------------------------

def with_trust(*trusted: TrustCertificate, links: tuple[ExistingLink, ...] = (), sql_facts: SqlFacts | None = None,
               errors: tuple[ProbeError, ...] = ()) -> Facts:
    return facts(azure_facts=azure(server_trust_certificates=trusted, links=links), sql_facts=sql_facts or sql(),
                 errors=errors)


CURRENT = TrustCertificate("Cert_SQLSRV01_endpoint", CERTS.sql_endpoint.thumbprint, CERTS.sql_endpoint.der_hex)
OLD = TrustCertificate("Cert_SQLSRV01_2024", CERTS.sql_other.thumbprint, CERTS.sql_other.der_hex)


@pytest.mark.parametrize(("trusted", "links", "expected"), [
    ((), (), ["PASS"]),
    ((CURRENT,), (), ["PASS"]),  # SQL Server's own endpoint certificate (the planned link's)
    ((replace(CURRENT, name="uploaded-under-another-name"),), (), ["PASS"]),  # matched by thumbprint
    ((replace(CURRENT, name="by-key", thumbprint=""),), (), ["PASS"]),  # matched by public key
    ((CURRENT, OLD), (), ["WARN"]),
    # An existing link authenticates its partner with it: in use
    ((CURRENT, OLD), (link(partner_cert_name="cert_sqlsrv01_2024"),), ["PASS"]),
])
def test_leftover_server_trust_certificate(trusted: tuple[TrustCertificate, ...], links: tuple[ExistingLink, ...],
                                           expected: list[str]) -> None:
    assert [f.status.value for f in findings("SVC-023", with_trust(*trusted, links=links))] == expected


def test_leftover_trust_certificate_fix_is_the_partner_cert_delete_command() -> None:
    f = one("SVC-023", with_trust(CURRENT, OLD))
    assert (f.status, f.target) == (Status.WARN, "Cert_SQLSRV01_2024")
    assert f.fix[0].code == ("az sql mi partner-cert delete --resource-group rg-data-weu --instance-name "
                             "sqlmi-contoso-weu --name Cert_SQLSRV01_2024 --yes")


def test_links_that_do_not_name_their_certificate_leave_the_leftover_unproven() -> None:
    # The 2023-08-01 API has no partnerAuthCertValidity: the certificate may be that link's.
    f = one("SVC-023", with_trust(CURRENT, OLD, links=(link(partner_cert_name=""),)))
    assert f.status is Status.WARN and "do not report which certificate" in f.message and not f.fix


def test_trust_certificates_or_the_endpoint_not_read_is_an_error() -> None:
    denied = ProbeError("azure", "azure.server_trust_certificates", "permission", "403 serverTrustCertificates/read")
    assert one("SVC-023", with_trust(errors=(denied,))).status is Status.ERROR
    unread = ProbeError("sql", "sql.endpoints", "permission", "needs VIEW ANY DEFINITION")
    assert one("SVC-023", with_trust(CURRENT, sql_facts=replace(sql(), endpoints=None),
                                     errors=(unread,))).status is Status.ERROR
