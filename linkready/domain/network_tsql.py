"""The managed instance → SQL Server network test, as T-SQL for the DBA to run (never run by linkready).

linkready probes passively from where it runs (normally the SQL Server side). The reverse direction,
from the managed instance to SQL Server's endpoint, can only be tested from inside the managed
instance: Microsoft's documented procedure creates a temporary SQL Agent job there that runs
``tnc <SQL Server> -port <endpoint port>``. This module writes that T-SQL, filled from the plan;
``linkready network-test --print-tsql`` prints it and NET-004 carries it as its fix.
"""

from __future__ import annotations

import re

from linkready.domain.tsql import quote_string

JOB_NAME = "linkready_NetHelper"


def tsql_for(host: str, port: int) -> str:
    """The three parts: SQL Server listener (only if none), the MI job, SQL Server cleanup."""
    if not re.fullmatch(r"[A-Za-z0-9.:\[\]-]+", host):
        raise ValueError(f"{host!r} is not a host name or IP address")
    return f"""\
-- linkready network-test: managed instance -> SQL Server ({host}:{port}).
-- linkready did NOT run this: until you do, the managed instance -> SQL Server direction is untested.
-- Needs: sysadmin (or SQLAgentOperator in msdb) on the managed instance; SQL Agent is on there by default.

-- Part 1 - on SQL Server, ONLY if nothing listens on port {port} yet (a database mirroring endpoint
-- already listening is enough). A temporary certificate and endpoint so the port answers:
--   CREATE CERTIFICATE [linkready_TEST_CERT] WITH SUBJECT = N'linkready network test', EXPIRY_DATE = '20991231';
--   CREATE ENDPOINT [linkready_TEST_ENDPOINT] STATE = STARTED AS TCP (LISTENER_PORT = {port}, LISTENER_IP = ALL)
--       FOR DATABASE_MIRRORING (ROLE = ALL, AUTHENTICATION = CERTIFICATE [linkready_TEST_CERT],
--       ENCRYPTION = REQUIRED ALGORITHM AES);

-- Part 2 - on the managed instance: a temporary SQL Agent job tests TCP to SQL Server, logs True/False,
-- and is deleted again.
USE master;
DECLARE @job SYSNAME = {quote_string(JOB_NAME)};
DECLARE @command NVARCHAR(4000) = {quote_string(f"tnc {host} -port {port} -InformationLevel Quiet")};
IF EXISTS (SELECT 1 FROM msdb.dbo.sysjobs WHERE name = @job) EXEC msdb.dbo.sp_delete_job @job_name = @job;
EXEC msdb.dbo.sp_add_job @job_name = @job, @enabled = 1, @owner_login_name = N'sa';
EXEC msdb.dbo.sp_add_jobstep @job_name = @job, @step_name = N'tnc', @subsystem = N'PowerShell',
     @command = @command, @flags = 40;  -- 8 + 32: keep the step output in msdb
EXEC msdb.dbo.sp_add_jobserver @job_name = @job;
EXEC msdb.dbo.sp_start_job @job_name = @job;
-- Wait for the step's log, not for "not running": right after sp_start_job the job is not yet recorded
-- as running, so an activity check can end the wait (and delete the job) before it ran.
DECLARE @waited INT = 0;
WHILE @waited < 120 AND NOT EXISTS (
    SELECT 1 FROM msdb.dbo.sysjobstepslogs AS l JOIN msdb.dbo.sysjobsteps AS s ON s.step_uid = l.step_uid
    JOIN msdb.dbo.sysjobs AS j ON j.job_id = s.job_id WHERE j.name = @job)
BEGIN
    WAITFOR DELAY '00:00:05';
    SET @waited += 5;
END;
-- "True" = the managed instance reached {host}:{port}; "False" = blocked (NSG, firewall, routing, DNS).
SELECT j.name AS job, l.log AS tcp_test_succeeded, l.date_modified
FROM msdb.dbo.sysjobstepslogs AS l
JOIN msdb.dbo.sysjobsteps AS s ON s.step_uid = l.step_uid
JOIN msdb.dbo.sysjobs AS j ON j.job_id = s.job_id
WHERE j.name = @job;
IF EXISTS (
    SELECT 1 FROM msdb.dbo.sysjobstepslogs AS l JOIN msdb.dbo.sysjobsteps AS s ON s.step_uid = l.step_uid
    JOIN msdb.dbo.sysjobs AS j ON j.job_id = s.job_id WHERE j.name = @job)
    EXEC msdb.dbo.sp_delete_job @job_name = @job  -- no ';' before ELSE
ELSE
    PRINT N'The job has not logged a result yet: re-run the SELECT above later, then sp_delete_job.';

-- Part 3 - on SQL Server, only if you ran Part 1:
--   DROP ENDPOINT [linkready_TEST_ENDPOINT];
--   DROP CERTIFICATE [linkready_TEST_CERT];
"""
