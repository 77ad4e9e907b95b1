"""Which SQL Server side ports a plan needs: one home, linkready.domain.endpoints.sql_side_ports."""

from __future__ import annotations

from linkready.domain.endpoints import sql_side_ports


def test_sql_side_ports_are_the_planned_partner_ports_then_the_endpoint_then_5022() -> None:
    # The partner endpoint is what the link is created with (scheme case as the Azure CLI sends it).
    assert sql_side_ports(["TCP://10.0.0.4:5023", "tcp://sql01:5023", "TCP://sql01:5022"], [5022]) == (5022, 5023)
    assert sql_side_ports(["not an endpoint"], [5024]) == (5024,)
    assert sql_side_ports([], []) == (5022,)
