-- Managed Instance link runbook: SQLPROD01 → sqlmi-museum-prod
-- Generated 2026-11-26 06:49 UTC by linkready from snapshot sha256:0551c7b9a592c4db90b16c04ac33bf24b5e3efba88fcbcc341969e5042a6eb95
-- Preflight verdict: Not ready. Nothing here has been run by linkready.
-- !!! GENERATED WITH --force: the preflight verdict is Not ready, NOT Ready.
-- !!! Fix the blocking findings listed in runbook.md first, or these steps will fail.

USE master;
GO

-- Step 3.1: Check the replicas are connected and healthy
SELECT ag.name, ar.replica_server_name, rs.role_desc, rs.connected_state_desc, rs.synchronization_health_desc FROM master.sys.availability_groups AS ag JOIN master.sys.availability_replicas AS ar ON ar.group_id = ag.group_id LEFT JOIN master.sys.dm_hadr_availability_replica_states AS rs ON rs.replica_id = ar.replica_id WHERE ag.name IN (N'link-membership', N'AG_Membership', N'link-ticketing', N'AG_Ticketing');
GO

-- Step 3.2: Follow seeding and synchronisation per database
SELECT local_database_name, current_state, failure_state_desc, transferred_size_bytes, database_size_bytes, estimate_time_complete_utc FROM master.sys.dm_hadr_physical_seeding_stats;
SELECT ag.name, DB_NAME(drs.database_id) AS database_name, drs.synchronization_state_desc, drs.synchronization_health_desc, drs.log_send_queue_size, drs.redo_queue_size FROM master.sys.dm_hadr_database_replica_states AS drs JOIN master.sys.availability_groups AS ag ON ag.group_id = drs.group_id WHERE ag.name IN (N'link-membership', N'AG_Membership', N'link-ticketing', N'AG_Ticketing');
GO
