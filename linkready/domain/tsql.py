"""Quoting for the T-SQL that linkready prints (fixes, runbooks) and the SELECTs it sends."""

from __future__ import annotations


def quote_name(name: str | None) -> str:
    """T-SQL QUOTENAME: ``[name]`` with ``]`` doubled, so any name is one safe identifier."""
    return "[" + (name or "").replace("]", "]]") + "]"


def quote_string(text: str) -> str:
    """A T-SQL Unicode literal with quotes doubled."""
    return "N'" + text.replace("'", "''") + "'"


def import_root_ca(name: str, binary: str, suffix: str) -> str:
    """Import a root CA into master and map it to ``*.suffix``, guarded as Microsoft's link script does:
    nothing happens when a certificate of that name is already there, so a re-run never maps twice
    (sp_certificate_add_issuer on an existing mapping fails, and under ``:on error exit`` stops the script).

    ``binary`` is the DER as ``0x…`` hex or a sqlcmd ``$(VARIABLE)``.
    """
    variable = "@" + "".join(c if c.isalnum() else "_" for c in name) + "_id"
    return (f"IF NOT EXISTS (SELECT 1 FROM master.sys.certificates WHERE name = {quote_string(name)})\n"
            "BEGIN\n"
            f"    CREATE CERTIFICATE {quote_name(name)} FROM BINARY = {binary};\n"
            f"    DECLARE {variable} INT = CERT_ID({quote_string(name)});\n"
            f"    EXEC sp_certificate_add_issuer {variable}, {quote_string(suffix)};\n"
            "END")
