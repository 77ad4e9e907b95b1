#!/usr/bin/env bash
# Install everything the tests need (Debian + PyPI packages), then lint, type-check and test.
# Usage: bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=$(grep -v '^\s*#' scripts/apt-packages.txt | grep -v '^\s*$' | tr '\n' ' ')
missing=""
for p in $packages; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing Debian packages:$missing"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"

# The real Azure CLI judges the az commands linkready prints (tests/conformance). It lives in its own
# venv outside the clone, cached between runs, so it never mixes with the product's dependencies.
AZURE_CLI_VERSION=2.91.0
az_venv="${XDG_CACHE_HOME:-$HOME/.cache}/linkready/azure-cli-$AZURE_CLI_VERSION"
if [ ! -x "$az_venv/bin/az" ]; then
    echo "installing azure-cli $AZURE_CLI_VERSION into $az_venv"
    rm -rf "$az_venv"
    python3 -m venv "$az_venv"
    "$az_venv/bin/python" -m pip install -q --disable-pip-version-check "azure-cli==$AZURE_CLI_VERSION"
fi
export LINKREADY_AZ="$az_venv/bin/az"

.venv/bin/ruff check .
.venv/bin/mypy
exec .venv/bin/python -m pytest -q "$@"
