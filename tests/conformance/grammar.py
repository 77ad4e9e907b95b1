"""The documented T-SQL syntax of each DDL kind linkready prints, as anchored patterns.

Written from the syntax blocks of Microsoft's reference pages (CREATE ENDPOINT, ALTER ENDPOINT,
CREATE CERTIFICATE, sp_certificate_add_issuer, CREATE AVAILABILITY GROUP, ALTER AVAILABILITY GROUP, DBCC TRACEON). Only the
subset linkready uses is accepted: anything else is a defect until checked against the page.
"""

from __future__ import annotations

import re

NAME = r"\[(?:[^\]]|\]\])+\]"
STRING = r"N?'(?:[^']|'')*'"
WINDOWS = r"WINDOWS(?: (?:NTLM|KERBEROS|NEGOTIATE))?"
CERT = rf"CERTIFICATE {NAME}"
AUTH = rf"AUTHENTICATION = (?:{WINDOWS}(?: {CERT})?|{CERT}(?: {WINDOWS})?)"
ENCRYPTION = r"ENCRYPTION = (?:DISABLED|(?:SUPPORTED|REQUIRED)(?: ALGORITHM (?:AES|RC4|AES RC4|RC4 AES))?)"
ROLE = r"ROLE = (?:WITNESS|PARTNER|ALL)"
TCP = r"AS TCP \(LISTENER_PORT = \d{1,5}(?:, LISTENER_IP = (?:ALL|\([0-9.:a-fA-F]+\)))?\)"
STATE = r"STATE = (?:STARTED|STOPPED|DISABLED)"


def _mirroring_ok(body: str) -> bool:
    """FOR DATABASE_MIRRORING ( [AUTHENTICATION] [, ENCRYPTION] , ROLE ): each at most once, ROLE required."""
    parts = [p.strip() for p in body.split(",")]
    # AUTHENTICATION values never contain a comma in the grammar: a comma inside is a syntax error.
    kinds = []
    for part in parts:
        for kind, pattern in (("auth", AUTH), ("encryption", ENCRYPTION), ("role", ROLE)):
            if re.fullmatch(pattern, part):
                kinds.append(kind)
                break
        else:
            return False
    return "role" in kinds and len(kinds) == len(set(kinds))


def _normal(statement: str) -> str:
    return re.sub(r"\s+", " ", statement.strip().rstrip(";")).replace("( ", "(").replace(" )", ")")


ENDPOINT = re.compile(
    rf"(?P<verb>CREATE|ALTER) ENDPOINT {NAME}(?: {STATE})?(?: {TCP})? FOR DATABASE_MIRRORING \((?P<body>.*)\)")
CERT_FROM_BINARY = re.compile(rf"CREATE CERTIFICATE {NAME} FROM BINARY = (?:0x[0-9A-F]+|\$\(\w+\))")
CERT_WITH_SUBJECT = re.compile(rf"CREATE CERTIFICATE {NAME} WITH SUBJECT = {STRING}(?:, EXPIRY_DATE = '\d{{8}}')?")
ADD_ISSUER = re.compile(r"EXEC (?:sys\.)?sp_certificate_add_issuer @\w+, N?'\*\.[a-z.]+'")
DECLARE_CERT_ID = re.compile(r"DECLARE @\w+ INT = CERT_ID\(N?'[^']+'\)")
AG_REPLICA = (r"ENDPOINT_URL = N?'TCP://[^']+:\d+', FAILOVER_MODE = MANUAL, AVAILABILITY_MODE = "
              r"(?:SYNCHRONOUS|ASYNCHRONOUS)_COMMIT, BACKUP_PRIORITY = \d+, SECONDARY_ROLE \(ALLOW_CONNECTIONS = "
              r"(?:NO|READ_ONLY|ALL)\), SEEDING_MODE = (?:AUTOMATIC|MANUAL)")
# FOR [ DATABASE database_name [ ,...n ] ] REPLICA ON ...: the database list is optional (an AG that receives its
# database by automatic seeding, as SQL Server's AG does when the managed instance is the initial primary).
CREATE_AG = re.compile(
    rf"CREATE AVAILABILITY GROUP {NAME}(?: WITH \(CLUSTER_TYPE = NONE\))? FOR(?: DATABASE {NAME}(?:, {NAME})*)? "
    rf"REPLICA ON {STRING} WITH \({AG_REPLICA}\)")
# ALTER AVAILABILITY GROUP group_name { ... | GRANT CREATE ANY DATABASE | DENY CREATE ANY DATABASE | ... }
GRANT_CREATE_DATABASE = re.compile(rf"ALTER AVAILABILITY GROUP {NAME} GRANT CREATE ANY DATABASE")
# ... | FAILOVER | ... and SET ( ROLE = SECONDARY ): a planned failover run on the primary, and the demotion of a
# distributed AG's primary (distributed availability groups page; the link's failover page, FO-007).
AG_FAILOVER = re.compile(rf"ALTER AVAILABILITY GROUP {NAME} FAILOVER")
AG_SET_SECONDARY = re.compile(rf"ALTER AVAILABILITY GROUP {NAME} SET \(ROLE = SECONDARY\)")
DAG_PART = (rf"{STRING} WITH \(LISTENER_URL = {STRING}, AVAILABILITY_MODE = (?:SYNCHRONOUS|ASYNCHRONOUS)_COMMIT, "
            r"FAILOVER_MODE = MANUAL, SEEDING_MODE = (?:AUTOMATIC|MANUAL)(?:, SESSION_TIMEOUT = \d+)?\)")
CREATE_DAG = re.compile(rf"CREATE AVAILABILITY GROUP {NAME} WITH \(DISTRIBUTED\) AVAILABILITY GROUP ON "
                        rf"{DAG_PART}, {DAG_PART}")
TRACEON = re.compile(r"DBCC TRACEON ?\(\d+(?:, ?\d+)*(?:, ?-1)?\)")
MASTER_KEY = re.compile(r"IF NOT EXISTS \(SELECT 1 FROM master\.sys\.symmetric_keys WHERE symmetric_key_id = 101\) "
                        r"CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'\$\(\w+\)'")

# Microsoft's link script imports and maps a root CA only when no certificate of that name exists.
GUARDED_ROOT = re.compile(
    rf"IF NOT EXISTS \(SELECT 1 FROM master\.sys\.certificates WHERE name = (?P<name>{STRING})\) BEGIN "
    rf"(?P<create>CREATE CERTIFICATE {NAME} FROM BINARY = (?:0x[0-9A-F]+|\$\(\w+\)|0x<[^>]+>)); "
    rf"(?P<declare>DECLARE (?P<var>@\w+) INT = CERT_ID\((?P=name)\)); "
    rf"EXEC sp_certificate_add_issuer (?P=var), N'\*\.[a-z.]+'; END")
ALTER_STATE = re.compile(rf"ALTER ENDPOINT {NAME} {STATE}")  # ALTER may change the state alone
# DROP AVAILABILITY GROUP group_name / DROP CERTIFICATE certificate_name (the leftovers' cleanup, SVC-021/022)
DROP_AG = re.compile(rf"DROP AVAILABILITY GROUP {NAME}")
DROP_CERT = re.compile(rf"DROP CERTIFICATE {NAME}")

KINDS = {
    "endpoint": ENDPOINT, "endpoint state": ALTER_STATE, "certificate from binary": CERT_FROM_BINARY, "certificate": CERT_WITH_SUBJECT,
    "sp_certificate_add_issuer": ADD_ISSUER, "declare cert id": DECLARE_CERT_ID, "availability group": CREATE_AG,
    "distributed availability group": CREATE_DAG, "guarded root import": GUARDED_ROOT, "dbcc traceon": TRACEON, "master key": MASTER_KEY,
    "drop availability group": DROP_AG, "drop certificate": DROP_CERT,
    "grant create any database": GRANT_CREATE_DATABASE,
    "planned failover": AG_FAILOVER, "demote to secondary": AG_SET_SECONDARY,
}


def kind_of(statement: str) -> str | None:
    """The DDL kind the statement belongs to, or None when it matches no documented form."""
    text = _normal(statement)
    for kind, pattern in KINDS.items():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        if kind == "endpoint" and not _mirroring_ok(match["body"]):
            return None
        if kind == "endpoint" and match["verb"] == "CREATE" and " AS TCP " not in text:
            return None
        return kind
    return None
