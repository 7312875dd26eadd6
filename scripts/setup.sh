#!/usr/bin/env bash
# Install everything sxplan needs into ./.venv and ./node_modules; idempotent. What is already
# installed at the pinned versions is not installed again (scripts/installed.py compares), so a
# re-run on a set-up machine takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "==> creating virtualenv .venv"
    "$PYTHON" -m venv .venv
fi
if .venv/bin/python scripts/installed.py python 2>/dev/null; then
    echo "==> Python packages (requirements.txt) already installed"
else
    echo "==> installing Python packages (requirements.txt)"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
fi

if [ -f package.json ]; then
    if [ -f package-lock.json ] && .venv/bin/python scripts/installed.py npm 2>/dev/null; then
        echo "==> front-end packages (package-lock.json) already installed"
    else
        echo "==> installing front-end packages from the npm registry"
        if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
    fi
    if [ -f scripts/vendor_assets.py ]; then .venv/bin/python scripts/vendor_assets.py; fi
fi
