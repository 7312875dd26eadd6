#!/usr/bin/env bash
# Install everything sxplan needs into ./.venv and ./node_modules; idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "==> creating virtualenv .venv"
    "$PYTHON" -m venv .venv
fi
echo "==> installing Python packages (requirements.txt)"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt

if [ -f package.json ]; then
    echo "==> installing front-end packages from the npm registry"
    if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
    if [ -f scripts/vendor_assets.py ]; then .venv/bin/python scripts/vendor_assets.py; fi
fi
