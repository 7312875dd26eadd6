#!/usr/bin/env bash
# make bench: sxplan against its limits and its peers on PostgreSQL (see README, "Performance").
# BENCH_DATABASE_URL names the database to (re)build, by default sxplan_bench on 127.0.0.1:5432.
# Extra arguments go to bench/run.py, e.g. `bash scripts/bench.sh --projects 100000 --reuse`.
set -euo pipefail
cd "$(dirname "$0")/.."

export BENCH_DATABASE_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/sxplan_bench}"
case "$BENCH_DATABASE_URL" in
    postgres://*|postgresql://*) ;;
    *) echo "make bench needs PostgreSQL (BENCH_DATABASE_URL=postgres://…); SQLite is not benchmarked." >&2; exit 2 ;;
esac

bash scripts/setup.sh
echo "==> installing the benchmark packages (requirements/bench.txt)"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/bench.txt
if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "==> installing Debian's wrk for the throughput scenario"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
    else
        echo "wrk is missing ('sudo apt-get install -y wrk'): the throughput scenario will be skipped" >&2
    fi
fi
echo "==> benchmarking on $BENCH_DATABASE_URL"
exec .venv/bin/python -m bench.run --database-url "$BENCH_DATABASE_URL" "$@"
