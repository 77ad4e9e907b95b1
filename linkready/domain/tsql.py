"""Quoting for the T-SQL that linkready prints (fixes, runbooks) and the SELECTs it sends."""

from __future__ import annotations


def quote_name(name: str | None) -> str:
    """T-SQL QUOTENAME: ``[name]`` with ``]`` doubled, so any name is one safe identifier."""
    return "[" + (name or "").replace("]", "]]") + "]"


def quote_string(text: str) -> str:
    """A T-SQL Unicode literal with quotes doubled."""
    return "N'" + text.replace("'", "''") + "'"
