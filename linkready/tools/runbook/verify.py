"""Phase 3.x: the queries that show the links are healthy and seeding (03-verify.sql)."""

from __future__ import annotations

from linkready.domain.tsql import quote_string
from linkready.tools.runbook.model import Context, Piece, step


def verification(ctx: Context) -> Piece:
    names = ", ".join(quote_string(n) for link in ctx.facts.plan.links for n in (link.name, link.partner_ag_name))
    replicas = step(
        "Check the replicas are connected and healthy",
        "verify",
        "Both sides of each distributed availability group should be CONNECTED and HEALTHY once the link exists.",
        [
            "SELECT ag.name, ar.replica_server_name, rs.role_desc, rs.connected_state_desc, "
            "rs.synchronization_health_desc FROM master.sys.availability_groups AS ag "
            "JOIN master.sys.availability_replicas AS ar ON ar.group_id = ag.group_id "
            "LEFT JOIN master.sys.dm_hadr_availability_replica_states AS rs ON rs.replica_id = ar.replica_id "
            f"WHERE ag.name IN ({names})",
        ],
    )
    seeding = step(
        "Follow seeding and synchronisation per database",
        "verify",
        "Seeding progress and then the log send and redo queues: both should trend to zero.",
        [
            # current_state/failure_state_desc live in dm_hadr_automatic_seeding; the byte counts in
            # dm_hadr_physical_seeding_stats (joined through the database, as Microsoft's troubleshooting does).
            "SELECT ag.name, d.name AS database_name, s.current_state, s.failure_state_desc, s.number_of_attempts, "
            "ps.transferred_size_bytes, ps.database_size_bytes, ps.estimate_time_complete_utc "
            "FROM master.sys.dm_hadr_automatic_seeding AS s JOIN master.sys.availability_groups AS ag "
            "ON ag.group_id = s.ag_id LEFT JOIN master.sys.databases AS d ON d.group_database_id = s.ag_db_id "
            "LEFT JOIN master.sys.dm_hadr_physical_seeding_stats AS ps ON ps.local_database_id = d.database_id "
            f"WHERE ag.name IN ({names})",
            "SELECT ag.name, DB_NAME(drs.database_id) AS database_name, drs.synchronization_state_desc, "
            "drs.synchronization_health_desc, drs.log_send_queue_size, drs.redo_queue_size "
            "FROM master.sys.dm_hadr_database_replica_states AS drs JOIN master.sys.availability_groups AS ag "
            f"ON ag.group_id = drs.group_id WHERE ag.name IN ({names})",
        ],
    )
    return Piece(steps=(replicas, seeding))
