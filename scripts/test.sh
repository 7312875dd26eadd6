#!/usr/bin/env bash
# Run the whole test suite: SQLite by default, PostgreSQL when DATABASE_URL is set.
# Installs what it needs first (Python and npm packages, Debian's Chromium for browser tests).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/ensure_chromium.sh
export DJANGO_SETTINGS_MODULE=sxplan_site.settings.test
echo "==> database: ${DATABASE_URL:-sqlite (default)}"
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null || {
    echo "models and migrations differ: run manage.py makemigrations" >&2
    exit 1
}
exec .venv/bin/python -m pytest "$@"
