"""The reasons shared by direction-insensitive checks, and the direction helpers checks share.

Every check declares ``directions=`` (see :class:`linkready.model.Directions`): what it judges with SQL
Server as initial primary, with the managed instance as initial primary, and for a plan that fails back.
docs/direction-matrix.md is generated from these declarations (scripts/gen_direction_matrix.py), and
tests/verdict/test_direction_matrix.py holds every check to its word: an insensitive check must judge
the same facts the same way in all three directions.
"""

from __future__ import annotations

from linkready.facts import Facts
from linkready.model import Directions

#: SQL Server's instance, endpoint and certificates carry the link whichever side is primary.
SQL_SERVER_SETUP = Directions.insensitive(
    "SQL Server's instance, endpoint and certificates carry the link whichever side is the initial primary"
)
#: The link connects both ways: the path is the same whichever side sends the data.
NETWORK_PATH = Directions.insensitive(
    "the link opens connections both ways (SQL Server to the instance and back) whichever side is the initial "
    "primary, so the same names, ports and rules must work"
)
#: The instance's own state and settings, needed for any link.
INSTANCE_STATE = Directions.insensitive(
    "the instance's own state and settings are needed for a link in either direction"
)
#: The plan's shape: names, endpoints and link modes follow the same rules both ways.
PLAN_SHAPE = Directions.insensitive(
    "the plan's names, endpoint and link mode follow the same rules whichever side is the initial primary"
)
#: Audit of the instance's configuration (profile audit).
AUDITED_CONFIG = Directions.insensitive(
    "audits the instance's configuration, which does not depend on where the link starts"
)
#: Planned-failover preflight of an existing link: it judges the link as it is.
EXISTING_LINK = Directions.insensitive(
    "judges the existing link as the instance and SQL Server report it (connection, lag, certificates), "
    "whichever side started it"
)
#: Leftovers of an earlier attempt are leftovers in either direction.
LEFTOVERS = Directions.insensitive(
    "a leftover of an earlier attempt blocks or confuses a new link in either direction"
)

SQL_FIRST = "SQLServer"
MI_FIRST = "ManagedInstance"


def mi_is_initial_primary(facts: Facts) -> bool:
    """The plan starts on the managed instance: the databases live there and are seeded to SQL Server."""
    return facts.plan.initial_primary == MI_FIRST


#: The SKIP reason of a check that judges what is seeded *onto* the instance, for an MI-first plan.
NOTHING_SEEDED_ONTO_THE_INSTANCE = (
    "Not applicable: plan.initial_primary is ManagedInstance: the planned databases already live on the instance "
    "and are seeded from it to SQL Server, so nothing is added to the instance"
)

#: A per-database check of SQL Server's copy: the source of the seeding when SQL Server starts.
SEEDED_FROM_SQL_SERVER = Directions.sensitive(
    sql_first="judges each planned database on SQL Server, which the link seeds to the instance",
    mi_first="SKIP: the databases live on the instance and are seeded to SQL Server (DB-001 checks they are "
             "there and absent on SQL Server)",
    failback="as with SQL Server first: SQL Server starts as primary, and failing back returns the databases to it",
)
#: A check of what seeding adds to the instance.
SEEDED_ONTO_THE_INSTANCE = Directions.sensitive(
    sql_first="judges what seeding the planned databases adds to the instance",
    mi_first="SKIP: the databases already live on the instance; nothing is seeded onto it (SQL Server's free "
             "disk space for the copies it receives is not read)",
    failback="as with SQL Server first",
)

#: MI-002.
TIER_FOR_THE_DATABASES = Directions.sensitive(
    sql_first="the tier, and Business Critical for planned databases that use In-Memory OLTP on SQL Server",
    mi_first="the tier only: the databases already live on the instance",
    failback="as with SQL Server first",
)

#: MI-003.
UPDATE_POLICY = Directions.sensitive(
    sql_first="a policy SQL Server can replicate to: the matching one, a later one or Always-up-to-date "
              "(SQL Server 2025 cannot use the SQL Server 2022 policy)",
    mi_first="the policy matching SQL Server's version (2022 or 2025), never Always-up-to-date; SQL Server "
             "2016-2019 cannot be the secondary",
    failback="as with the instance first: failing back needs the matching policy",
)

#: MI-005.
DATABASE_COUNT = Directions.insensitive(
    "counts what the plan adds to the instance: planned databases already on it (as a plan with the instance "
    "as initial primary needs) are not counted twice"
)
