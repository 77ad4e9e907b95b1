"""`linkready grant-script`: the least-privilege T-SQL for the probe's login. Nothing in it can write."""

from __future__ import annotations

import re
import sys

import click

#: Server permissions the probe needs: all read-only.
SERVER_GRANTS = ("VIEW SERVER STATE", "VIEW ANY DEFINITION", "CONNECT ANY DATABASE")


def _bracket(name: str) -> str:
    return "[" + name.replace("]", "]]") + "]"



def grant_script(login: str, auth: str = "sql") -> str:
    """The script: a login (SQL or Windows), read-only server grants, read access to msdb backup history."""
    name = _bracket(login)
    lines = [
        "-- linkready probe login: read-only. Review, then run as a sysadmin.",
        "-- Grants only VIEW/CONNECT permissions and SELECT on msdb backup history: nothing here can",
        "-- change data, schema, configuration or security.",
        "USE [master];",
    ]
    if auth == "windows":
        lines.append(f"CREATE LOGIN {name} FROM WINDOWS;")
    else:
        lines += [
            f"CREATE LOGIN {name} WITH PASSWORD = N'<strong password>', CHECK_POLICY = ON;",
            "-- store the password where linkready reads it: LINKREADY_SQL_PASSWORD (source.password_env)",
        ]
    lines += [f"GRANT {permission} TO {name};" for permission in SERVER_GRANTS]
    lines += [
        "USE [msdb];",
        f"CREATE USER {name} FOR LOGIN {name};",
        f"GRANT SELECT ON dbo.backupset TO {name};",
        "",
        f"-- To remove it afterwards: USE [msdb]; DROP USER {name}; USE [master]; DROP LOGIN {name};",
    ]
    return "\n".join(lines)


@click.command(name="grant-script")
@click.option("--login", default="linkready_probe", show_default=True, help="Login name to create.")
@click.option("--windows", is_flag=True, help="A Windows login (DOMAIN\\name) instead of a SQL login.")
def command(login: str, windows: bool) -> None:
    """Print the least-privilege T-SQL that creates the probe's login (read-only permissions only)."""
    if not login.strip() or len(login) > 128 or re.search(r"[\x00-\x1f]", login):
        click.echo(f"linkready: error: --login {login!r} is not a valid login name", err=True)
        sys.exit(2)
    if windows and "\\" not in login:
        click.echo("linkready: error: --windows needs DOMAIN\\name", err=True)
        sys.exit(2)
    click.echo(grant_script(login, "windows" if windows else "sql"))
