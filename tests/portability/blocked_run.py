"""Run linkready with the Unix-only modules blocked, as Windows would: ``python blocked_run.py ARGS…``.

``sys.modules[name] = None`` makes every later ``import name`` raise ImportError, exactly what a
Windows interpreter does for these modules. With ``--import-all`` every module of the package is
imported first (so a module-level Unix import anywhere fails); the remaining arguments go to the CLI.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

UNIX_ONLY = ("resource", "fcntl", "termios", "pwd", "grp")


def block() -> None:
    for name in UNIX_ONLY:
        sys.modules.pop(name, None)
        sys.modules[name] = None  # type: ignore[assignment]


#: The top-level packages a wheel installs (pyproject maps checks/, reports/, profiles/ into linkready).
PACKAGES = ("linkready", "linkready.checks", "linkready.reports", "linkready.profiles")


def import_all() -> list[str]:
    names: list[str] = []
    for package in PACKAGES:
        module = importlib.import_module(package)
        names.append(package)
        # Only the package's own directory: in a checkout linkready.__path__ also holds the repository
        # root (for the mapped packages), whose tests/ and scripts/ are not part of the package.
        own = [str(Path(module.__file__ or "").parent)]
        for info in pkgutil.walk_packages(own, package + "."):
            if info.name.endswith(".__main__"):
                continue  # importing it runs the CLI; the tests run the CLI themselves
            importlib.import_module(info.name)
            names.append(info.name)
    return sorted(set(names))


if __name__ == "__main__":
    block()
    args = sys.argv[1:]
    if args[:1] == ["--import-all"]:
        imported = import_all()
        print(f"imported {len(imported)} modules")
        args = args[1:]
    if args:
        from linkready.cli import main

        sys.argv = ["linkready", *args]
        main()
