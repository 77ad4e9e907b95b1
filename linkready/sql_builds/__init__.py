"""SQL Server build catalogue (owned by the SQL room)."""
