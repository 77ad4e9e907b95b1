"""Runs inside azure-cli's own venv (not linkready's): parse each argument list with the real CLI.

stdin: a JSON list of argument lists. stdout: a JSON list of {"args", "code", "stderr"}. One process
for all commands: az startup costs about a second, the parser per command a few milliseconds.
"""

import contextlib
import io
import json
import sys

from azure.cli.core import get_default_cli

results = []
for args in json.load(sys.stdin):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = get_default_cli().invoke(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
    results.append({"args": args, "code": code, "stderr": err.getvalue()[:600]})
json.dump(results, sys.stdout)
