"""linkready: preflight checks for an Azure SQL Managed Instance link."""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"

# In a source checkout, checks/, reports/ and profiles/ sit beside this package and are mapped
# into it (linkready.checks, ...) by the build; this makes the same names work when running
# from the checkout without an install (tests, git worktrees). Installed copies never match.
_checkout = Path(__file__).resolve().parent.parent
if (_checkout / "pyproject.toml").is_file() and (_checkout / "checks" / "__init__.py").is_file():
    __path__.append(str(_checkout))
