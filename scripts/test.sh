#!/usr/bin/env bash
# Run the test suite: SQLite by default, PostgreSQL when DATABASE_URL is set.
# Installs what it needs first (Python and npm packages, Debian's Chromium for browser tests).
#
#   scripts/test.sh          every test but those marked fuzz, broker or postgres (make test)
#   scripts/test.sh --all    every test; needs DATABASE_URL=postgres://… and SXPLAN_TEST_BROKER=redis://…
#   scripts/test.sh ARGS…    more pytest arguments; a later -m or -n replaces the default one
#
# Tests run in SXPLAN_TEST_PROCESSES processes (pytest-xdist; default: one per core, 0: in this
# process), a file's tests in one process so that its shared test data is built once, those of
# tests/seeds/ together, the longest first (tests/scheduling.py). A selected test whose service
# is missing fails; none is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

markers="not fuzz and not broker and not postgres"
if [ "${1:-}" = "--all" ]; then
    markers=""
    shift
fi

bash scripts/setup.sh
bash scripts/ensure_chromium.sh
export DJANGO_SETTINGS_MODULE=sxplan_site.settings.test
# Bytecode is kept (__pycache__, ignored by git): without it every test process compiles the
# project's modules and rewrites the tests' asserts again, about 6 s of CPU each.
unset PYTHONDONTWRITEBYTECODE
echo "==> database: ${DATABASE_URL:-sqlite (default)}; markers: ${markers:-all}"
# Checked while the tests start (it takes seconds); a difference fails the run at the end.
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null &
migrations_check=$!
status=0
.venv/bin/python -m pytest -n "${SXPLAN_TEST_PROCESSES:-auto}" --dist loadfile -m "$markers" "$@" || status=$?
if ! wait "$migrations_check"; then
    echo "models and migrations differ: run manage.py makemigrations" >&2
    exit 1
fi
exit "$status"
