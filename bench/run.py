"""sxplan against its limits and its peers, side by side: ``python -m bench.run`` (``make bench``).

Every figure is a ratio against a baseline measured in the same run, since the machines are
shared and noisy. Variants of one case are measured in alternation (round-robin, the order
rotated every round) after a warm-up, so that a burst of noise hits them alike.

Scenarios (see README, “Performance”):
  1 project list over HTTP (gunicorn): API vs the bare-SQL limit vs a naive DRF peer
  2 dashboard aggregates: API vs raw GROUP BY
  3 target progress with observation history: API vs one SQL query
  4 import of a CSV of projects: sxplan (when its import service exists) vs django-import-export vs COPY
  5 throughput under concurrent clients (wrk): API vs limit, with error counts
  6 load_seeds time and generate_data rows per second
  7 the dashboard page / (server time) and its outlines as a cached file (ETag, max-age)
  8 deep pages: page 1 vs a deep numbered page vs a cursor page at that depth vs keyset SQL; how lists count
  9 search through the maintained column (3-character and 2-character terms) vs a bare ILIKE
  10–12 operations (bench/ops.py): exports, admin changelist, PATCH and observation import

Quick mode: ``--projects 100000`` (or fewer) uses smaller side loads and fewer rounds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from datetime import datetime
from pathlib import Path

from bench import ops

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sxplan_bench"


# ---- small helpers ---------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def manage(env: dict, *args: str, check: bool = True) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600
    )
    if check and done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return time.perf_counter() - started, done.stdout + done.stderr


def database(url: str, name: str | None = None):
    import environ
    import psycopg
    from django.db.utils import ConnectionHandler  # noqa: F401 (django is importable: fail early otherwise)

    config = environ.Env.db_url_config(url)
    return psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"] or "postgres",
        password=config["PASSWORD"] or None,
        dbname=name or config["NAME"],
        autocommit=True,
    )


def recreate_database(url: str, name: str) -> None:
    with database(url, "postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def with_name(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


# ---- HTTP measurement ------------------------------------------------------------------------------


class Client:
    def __init__(self, port: int, token: str):
        self.port, self.headers = port, {"Authorization": f"Token {token}", "Accept": "application/json"}

    def get(self, path: str) -> tuple[float, int, int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        started = time.perf_counter()
        conn.request("GET", path, headers=self.headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        conn.close()
        return elapsed, response.status, int(response.getheader("X-Query-Count", "-1")), body


def measure(variants: dict[str, callable], *, repeat: int, warmup: int) -> dict[str, dict]:
    """Run each variant (a callable returning (seconds, status, queries)) in rotated round-robin."""
    names = list(variants)
    for _ in range(warmup):
        for name in names:
            variants[name]()
    samples = {name: [] for name in names}
    info = {name: {"errors": 0, "queries": None} for name in names}
    for round_ in range(repeat):
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        for name in order:
            seconds, status, queries = variants[name]()
            samples[name].append(seconds)
            info[name]["queries"] = queries
            if status >= 400:
                info[name]["errors"] += 1
    return {
        name: {
            "median_ms": statistics.median(values) * 1000,
            "p95_ms": percentile(values, 0.95) * 1000,
            "runs": len(values),
            **info[name],
        }
        for name, values in samples.items()
    }


def http_variant(client: Client, path: str):
    def run():
        seconds, status, queries, _ = client.get(path)
        return seconds, status, queries

    return run


# ---- the runner ------------------------------------------------------------------------------------


class Bench:
    def __init__(self, args):
        self.args = args
        self.url = args.database_url
        self.db_name = self.url.rsplit("/", 1)[1]
        self.env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "PYTHONPATH": str(ROOT),
        }
        self.rows: list[dict] = []
        self.extra: dict = {}
        self.server = None
        #: The migrated and seeded database that prepare() leaves for scenario 6 (dropped at the end).
        self.seeded_name = f"{self.db_name}_seeded"

    # -- results

    def add(self, scenario, case, result, *, baseline=None, ratio_of=None, target="", ok=None, unit="ms", **more):
        row = {"scenario": scenario, "case": case, "unit": unit, **result, "target": target, "ok": ok, **more}
        if baseline is not None and ratio_of is not None:
            row["ratio"] = ratio_of
            row["baseline"] = baseline
        self.rows.append(row)
        return row

    # -- database

    def prepare(self) -> None:
        a = self.args
        with database(self.url, "postgres") as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.db_name]).fetchone()
        if a.reuse and exists:
            with database(self.url) as conn:
                try:
                    have = conn.execute(
                        "SELECT count(*) FROM projects_keyproject WHERE source_file = 'synthetic'"
                    ).fetchone()[0]
                except Exception:  # noqa: BLE001 (no tables yet: rebuild)
                    have = -1
            if have == a.projects:
                log(f"reusing {self.db_name}: {have:,} synthetic projects")
                return
        log(f"building {self.db_name}: migrate, load_seeds, generate_data ({a.projects:,} × {a.reports_per_project})")
        recreate_database(self.url, self.db_name)
        build = self.extra.setdefault("build_seconds", {})
        build["migrate"] = manage(self.env, "migrate", "--noinput", "-v0")[0]
        build["load_seeds"] = manage(self.env, "load_seeds")[0]
        # A copy of the migrated and seeded database: scenario 6 generates its rows in a copy of it and
        # reports the load_seeds just timed, instead of migrating and seeding a database of its own
        # again (a copy takes seconds, migrate and load_seeds a minute or more).
        with database(self.url, "postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.seeded_name}"')
            conn.execute(f'CREATE DATABASE "{self.seeded_name}" TEMPLATE "{self.db_name}"')
        seconds, out = manage(
            self.env,
            "generate_data",
            f"--projects={a.projects}",
            f"--reports-per-project={a.reports_per_project}",
            f"--seed={a.seed}",
        )
        build["generate_data"] = seconds
        rows = int(re.search(r"共 ([\d,]+) 行", out).group(1).replace(",", ""))
        self.extra["full_generate"] = {"seconds": seconds, "rows": rows, "rows_per_s": rows / seconds}
        log(f"migrate {build['migrate']:.0f}s, load_seeds {build['load_seeds']:.0f}s")
        log(f"generated {rows:,} rows in {seconds:.0f}s")
        for line in out.splitlines():
            if "各阶段用时" in line:
                log(line.strip())

    def setup_django(self) -> None:
        os.environ.update({"DATABASE_URL": self.url, "DJANGO_SETTINGS_MODULE": "bench.settings"})
        import django

        django.setup()
        from django.contrib.auth.models import User
        from rest_framework.authtoken.models import Token

        user, _ = User.objects.get_or_create(username="bench", defaults={"is_superuser": True, "is_staff": True})
        self.token = Token.objects.get_or_create(user=user)[0].key

    # -- server

    def start_server(self) -> None:
        a = self.args
        if not a.port:
            with socket.socket() as probe:  # a free port: other servers may run on this machine
                probe.bind(("127.0.0.1", 0))
                a.port = probe.getsockname()[1]
        command = [
            sys.executable, "-m", "gunicorn", "sxplan_site.wsgi:application", "--bind", f"127.0.0.1:{a.port}",
            "--workers", str(a.workers), "--timeout", "300", "--log-level", "warning", "--chdir", str(ROOT),
        ]  # fmt: skip
        self.server = subprocess.Popen(command, env=self.env, cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.server.returncode}")
            try:
                socket.create_connection(("127.0.0.1", a.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        else:
            raise SystemExit("gunicorn did not start")
        self.client = Client(a.port, self.token)
        status = self.client.get("/api/v1/projects/?page_size=1")[1]
        if status != 200:
            raise SystemExit(f"/api/v1/projects/ answered {status}")

    def stop_server(self) -> None:
        if self.server and self.server.poll() is None:
            self.server.terminate()
            self.server.wait(timeout=30)

    # -- scenarios

    def list_filters(self) -> str:
        from django.db import connection

        # The root industry with the most projects in 太原: a filter that selects a real share of rows.
        with connection.cursor() as cursor:
            cursor.execute(
                """WITH RECURSIVE tree AS (
                       SELECT id, id AS root FROM plans_industry WHERE parent_id IS NULL
                       UNION ALL SELECT c.id, t.root FROM plans_industry c JOIN tree t ON c.parent_id = t.id)
                   SELECT t.root FROM projects_keyproject p JOIN tree t ON t.id = p.industry_id
                   JOIN regions_region r ON r.id = p.city_id WHERE r.code = '140100'
                   GROUP BY t.root ORDER BY count(*) DESC LIMIT 1"""
            )
            industry = cursor.fetchone()[0]
        return f"city=140100&stage=started&industry={industry}&ordering=-total_investment"

    def scenario_list(self) -> None:
        a, c = self.args, self.client
        filters = self.list_filters()
        self.extra["list_filters"] = filters
        for size in (50, 500):
            query = f"{filters}&page_size={size}"
            results = measure(
                {
                    "limit": http_variant(c, f"/bench/limit/projects/?{query}"),
                    "api": http_variant(c, f"/api/v1/projects/?{query}"),
                    "naive": http_variant(c, f"/bench/naive/projects/?{query}"),
                },
                repeat=a.repeat if size == 50 else max(3, a.repeat // 2),
                # The naive peer takes seconds a page at 500 rows: one warm-up round is enough there.
                warmup=a.warmup if size == 50 else 1,
            )
            base = results["limit"]["median_ms"]
            api_ratio = results["api"]["median_ms"] / base
            speedup = results["naive"]["median_ms"] / results["api"]["median_ms"]
            case = f"page_size={size}"
            self.add("1 project list", f"{case} · limit (SQL+orjson)", results["limit"], baseline="limit", ratio_of=1.0)
            target = (
                f"≤2.0× limit, ≥5× faster than naive (is {speedup:.1f}×)"
                if size == 50
                else f"≤3.0× limit ({speedup:.1f}× faster than naive)"
            )
            ok = (api_ratio <= 2.0 and speedup >= 5) if size == 50 else api_ratio <= 3.0
            self.add(
                "1 project list",
                f"{case} · sxplan API",
                results["api"],
                baseline="limit",
                ratio_of=api_ratio,
                target=target,
                ok=ok,
            )
            self.add(
                "1 project list", f"{case} · naive DRF", results["naive"], baseline="limit",
                ratio_of=results["naive"]["median_ms"] / base,
            )  # fmt: skip
            # The query count must not grow with the page: compare with a page of one row.
            queries_one = c.get(f"/api/v1/projects/?{filters}&page_size=1")[2]
            self.extra[f"api_queries_page_1_vs_{size}"] = [queries_one, results["api"]["queries"]]

    def scenario_dashboards(self) -> None:
        """Dashboards and the map's figures from the rollups, against the GROUP BY over the projects."""
        a, c = self.args, self.client
        cases = [
            (name, f"/api/v1/dashboard/{name}/", f"/bench/limit/dashboard/{name}/")
            for name in ("projects-by-city", "projects-by-stage", "projects-by-zone", "projects-by-industry")
        ]
        cases += [(f"geo/{name}", f"/api/v1/geo/{name}/", f"/bench/limit/geo/{name}/") for name in ("cities", "zones")]
        cases.append(("targets-by-status", "/api/v1/dashboard/targets-by-status/", None))
        for name, api_path, raw_path in cases:
            variants = {"api": http_variant(c, api_path)}
            if raw_path:
                variants["raw"] = http_variant(c, raw_path)
            results = measure(variants, repeat=a.repeat, warmup=a.warmup)
            api = results["api"]
            if raw_path is None:  # target progress: not a rollup (tens of targets), scenario 3 compares it
                self.add("2 dashboard", f"{name} · sxplan API", api, target="≤20 ms", ok=api["median_ms"] <= 20)
                continue
            same = _same_numbers(name, json.loads(c.get(api_path)[3]), json.loads(c.get(raw_path)[3]))
            ratio = api["median_ms"] / results["raw"]["median_ms"]
            self.add("2 dashboard", f"{name} · raw GROUP BY", results["raw"], baseline="raw", ratio_of=1.0)
            self.add(
                "2 dashboard", f"{name} · sxplan API (rollups)", api, baseline="raw", ratio_of=ratio,
                target="≤20 ms, ≤0.1× raw, same numbers" + ("" if same else " (NUMBERS DIFFER)"),
                ok=api["median_ms"] <= 20 and ratio <= 0.1 and same,
            )  # fmt: skip

    def scenario_progress(self) -> None:
        a, c = self.args, self.client

        def api():
            total, queries, status, page = 0.0, 0, 200, 1
            while page <= 1000:  # bounded: at most a million targets
                seconds, code, q, body = c.get(f"/api/v1/targets/with-observations/?page_size=1000&page={page}")
                total, queries, status = total + seconds, queries + q, max(status, code)
                if code != 200 or not json.loads(body).get("next"):
                    break
                page += 1
            return total, status, queries

        results = measure(
            {"limit": http_variant(c, "/bench/limit/targets-with-history/"), "api": api},
            repeat=max(2, a.repeat // 5),
            warmup=1,
        )
        ratio = results["api"]["median_ms"] / results["limit"]["median_ms"]
        self.add(
            "3 target progress", "all targets + history · one SQL", results["limit"], baseline="limit", ratio_of=1.0
        )
        self.add(
            "3 target progress", "all targets + history · API (targets/with-observations)", results["api"],
            baseline="limit", ratio_of=ratio,
        )  # fmt: skip

    def scenario_import(self) -> None:
        from bench import imports

        a = self.args
        path = imports.write_project_file(
            RESULTS.parent / "tmp" / f"projects-{a.import_rows}.csv", rows=a.import_rows, seed=a.seed + 7
        )
        results = {"copy": imports.copy_limit(path)}
        results["import_export"] = imports.import_export_peer(path, limit=a.peer_import_rows)
        sxplan = imports.sxplan_import(path, limit=a.sxplan_import_rows)
        if sxplan is not None:
            results["sxplan"] = sxplan
        base = results["copy"]["rows_per_s"]
        for name, label in (
            ("copy", "raw COPY + INSERT…SELECT"),
            ("sxplan", "sxplan import"),
            ("import_export", "django-import-export"),
        ):
            if name not in results:
                continue
            r = results[name]
            more = {}
            if name == "sxplan":
                peer = results["import_export"]["rows_per_s"]
                more = {
                    "target": f"≥10× import-export (is {r['rows_per_s'] / peer:.1f}×)",
                    "ok": r["rows_per_s"] >= 10 * peer,
                }
            self.add(
                "4 import", f"{r['rows']:,} rows · {label}", {"rows_per_s": r["rows_per_s"], "seconds": r["seconds"]},
                baseline="COPY", ratio_of=r["rows_per_s"] / base, unit="rows/s", **more,
            )  # fmt: skip
        if "sxplan" not in results:
            self.extra["import_note"] = "the sxplan import service (transfers/) is not there yet: not measured"
        self.extra["copy_rows_per_s"] = base

    def scenario_throughput(self) -> None:
        a = self.args
        if not shutil.which("wrk"):
            self.extra["throughput_note"] = "wrk is not installed: skipped"
            return
        query = f"{self.extra.get('list_filters') or self.list_filters()}&page_size=50"
        results = {}
        for name, path in (("limit", f"/bench/limit/projects/?{query}"), ("api", f"/api/v1/projects/?{query}")):
            results[name] = run_wrk(f"http://127.0.0.1:{a.port}{path}", self.token, a.connections, a.throughput_seconds)
        base = results["limit"]["requests_per_s"]
        for name, label in (("limit", "limit"), ("api", "sxplan API")):
            r = results[name]
            errors = r["errors"]
            self.add(
                "5 throughput", f"{a.connections} clients {a.throughput_seconds}s · {label}",
                {key: r[key] for key in ("requests_per_s", "requests", "errors", "p50_ms", "p99_ms")},
                baseline="limit", ratio_of=r["requests_per_s"] / base, unit="req/s",
                target="0 errors" if name == "limit" else "≥0.5× limit, 0 errors",
                ok=errors == 0 and (name == "limit" or r["requests_per_s"] >= 0.5 * base),
            )  # fmt: skip

    def scenario_load(self) -> None:
        """load_seeds and generate_data on a scratch database, so that the main one can be reused.

        When prepare() built the main database in this run, its load_seeds (into the freshly migrated
        database) is the one reported, and generate_data runs in a copy of the seeded database.
        """
        a = self.args
        scratch = f"{self.db_name}_scratch"
        url = with_name(self.url, scratch)
        env = {**self.env, "DATABASE_URL": url}
        seeded = self.extra.get("build_seconds", {}).get("load_seeds")
        with database(self.url, "postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
            if (
                seeded is not None
                and not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.seeded_name]).fetchone()
            ):
                seeded = None
            # The seeded copy prepare() left, else an empty database (a reused one: prepare() built nothing).
            conn.execute(f'CREATE DATABASE "{scratch}"' + (f' TEMPLATE "{self.seeded_name}"' if seeded else ""))
        try:
            startup = min(manage(env, "check")[0] for _ in range(3))
            if seeded is None:
                manage(env, "migrate", "--noinput", "-v0")
                seconds, _ = manage(env, "load_seeds")
            else:
                seconds = seeded  # load_seeds into the freshly migrated database, timed by prepare() in this run
            self.add(
                "6 loading",
                "Django start (manage.py check)",
                {"seconds": startup},
                baseline="start",
                ratio_of=1.0,
                unit="s",
            )
            self.add(
                "6 loading",
                "load_seeds (5 plans)",
                {"seconds": seconds},
                baseline="start",
                ratio_of=seconds / startup,
                unit="s",
            )
            projects = min(a.projects, a.load_projects)
            seconds, out = manage(
                env,
                "generate_data",
                f"--projects={projects}",
                f"--reports-per-project={a.reports_per_project}",
                f"--seed={a.seed}",
            )
            rows = int(re.search(r"共 ([\d,]+) 行", out).group(1).replace(",", ""))
            copy = self.extra.get("copy_rows_per_s")
            self.add(
                "6 loading", f"generate_data {projects:,} projects ({rows:,} rows)",
                {"rows_per_s": rows / seconds, "seconds": seconds},
                baseline="COPY" if copy else None, ratio_of=(rows / seconds) / copy if copy else None, unit="rows/s",
            )  # fmt: skip
        finally:
            with database(self.url, "postgres") as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')

    def scenario_page(self) -> None:
        """The dashboard page ``/`` (server time), its size, and its outlines as a cached file."""
        from django.conf import settings
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.auth.models import User
        from django.contrib.sessions.backends.db import SessionStore

        a = self.args
        user = User.objects.get(username="bench")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        page = Client(a.port, self.token)
        page.headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}", "Accept": "text/html"}
        _, status, queries, body = page.get("/")
        match = re.search(rb'"boundaries": "([^"]+)"', body)
        results = measure({"page": http_variant(page, "/")}, repeat=a.repeat, warmup=a.warmup)["page"]
        self.add(
            "7 dashboard page", f"/ · {len(body) / 1024:.0f} KB, status {status}", results,
            target="≤150 ms server time", ok=status == 200 and results["median_ms"] <= 150,
        )  # fmt: skip
        if not match:
            self.extra["page_note"] = "the page names no outline file"
            return
        url = match.group(1).decode()
        seconds, status, _, outlines = page.get(url)
        conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=30)
        conn.request("GET", url)
        response = conn.getresponse()
        response.read()
        etag, cache = response.getheader("ETag"), response.getheader("Cache-Control")
        conn.request("GET", url, headers={"If-None-Match": etag or ""})
        revalidated = conn.getresponse()
        revalidated.read()
        conn.close()
        self.add(
            "7 dashboard page", f"outlines {len(outlines) / 1024:.0f} KB · {cache}",
            {"median_ms": seconds * 1000, "p95_ms": seconds * 1000, "runs": 1},
            target=f"ETag, a year's max-age (revalidation: {revalidated.status})",
            ok=bool(etag) and "max-age=31536000" in (cache or "") and revalidated.status == 304,
        )  # fmt: skip

    def scenario_pages(self) -> None:
        """Deep pages: page 1 vs a deep numbered page vs a cursor page at that depth vs keyset SQL; counts."""
        from django.db import connection

        from common.api.pagination import Keyset
        from projects.models import KeyProject

        a, c = self.args, self.client
        total = KeyProject.objects.count()
        depth = min(10_000, max(1, total // 50 - 1))  # page number at page size 50
        ordered = Keyset(KeyProject.objects.all()).ordered()
        row = ordered[(depth - 1) * 50 - 1 : (depth - 1) * 50][0]
        cursor = Keyset(KeyProject.objects.all()).encode(row)
        keyset_sql = (
            "SELECT id FROM projects_keyproject WHERE updated <= %s AND (updated < %s OR (updated = %s AND "
            "(name > %s OR (name = %s AND id > %s)))) ORDER BY updated DESC, name, id LIMIT 50"
        )
        params = [row.updated, row.updated, row.updated, row.name, row.name, row.pk]

        def keyset():
            started = time.perf_counter()
            with connection.cursor() as sql:
                sql.execute(keyset_sql, params)
                sql.fetchall()
            return time.perf_counter() - started, 200, 1

        results = measure(
            {
                "first": http_variant(c, "/api/v1/projects/?page_size=50"),
                "deep": http_variant(c, f"/api/v1/projects/?page_size=50&page={depth}"),
                "cursor": http_variant(c, f"/api/v1/projects/?page_size=50&cursor={cursor}"),
                "keyset": keyset,
            },
            repeat=a.repeat,
            warmup=a.warmup,
        )
        base = results["first"]["median_ms"]
        self.add("8 pages", "page 1 (count from the rollups)", results["first"], baseline="page 1", ratio_of=1.0)
        self.add(
            "8 pages", f"page {depth:,} (numbered)", results["deep"], baseline="page 1",
            ratio_of=results["deep"]["median_ms"] / base,
        )  # fmt: skip
        ratio = results["cursor"]["median_ms"] / base
        self.add(
            "8 pages", f"cursor at row {(depth - 1) * 50:,}", results["cursor"], baseline="page 1", ratio_of=ratio,
            target="≤1.3× page 1", ok=ratio <= 1.3,
        )  # fmt: skip
        self.add(
            "8 pages", "keyset SQL at that depth (limit)", results["keyset"], baseline="page 1",
            ratio_of=results["keyset"]["median_ms"] / base,
        )  # fmt: skip
        # Counts: a list the rollups keep is counted by them; others by estimate above 100,000 rows.
        for label, query in (("unfiltered", ""), ("has_enterprise=true (not in the rollups)", "has_enterprise=true")):
            body = json.loads(c.get(f"/api/v1/projects/?page_size=1&{query}")[3])
            exact = body["count"] == (
                total if not query else KeyProject.objects.filter(enterprise__isnull=False).count()
            )
            large = body["count"] > 100_000
            self.add(
                "8 pages", f"count of {label}: {body['count']:,}"
                + (" (estimate)" if body["count_is_estimate"] else " (exact)"),
                {"median_ms": 0.0, "p95_ms": 0.0, "runs": 1},
                target="no exact COUNT over >100,000 rows",
                ok=exact if not body["count_is_estimate"] else large,
            )  # fmt: skip

    def scenario_search(self) -> None:
        """Search through the maintained column: API vs a bare ILIKE over the projects' own fields."""
        from django.db import connection

        a, c = self.args, self.client
        bare = (
            "SELECT count(*) FROM projects_keyproject p LEFT JOIN projects_enterprise e ON e.id = p.enterprise_id"
            " WHERE p.name ILIKE %s OR e.name ILIKE %s"
        )
        for term, target in (("太钢煤", 50), ("煤层", 300), ("太钢", 300)):

            def ilike(term=term):
                started = time.perf_counter()
                with connection.cursor() as sql:
                    sql.execute(bare, [f"%{term}%"] * 2)
                    sql.fetchall()
                return time.perf_counter() - started, 200, 1

            path = f"/api/v1/projects/?search={urllib.parse.quote(term)}&page_size=50"
            results = measure({"ilike": ilike, "api": http_variant(c, path)}, repeat=a.repeat, warmup=a.warmup)
            found = json.loads(c.get(path)[3])["count"]
            api = results["api"]
            self.add("9 search", f"'{term}' · bare ILIKE (name, enterprise)", results["ilike"], baseline="ILIKE",
                     ratio_of=1.0)  # fmt: skip
            self.add(
                "9 search", f"'{term}' · sxplan API ({found:,} found)", api, baseline="ILIKE",
                ratio_of=api["median_ms"] / results["ilike"]["median_ms"],
                target=f"≤{target} ms", ok=api["median_ms"] <= target,
            )  # fmt: skip

    # -- report

    def machine(self) -> dict:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT version(), current_setting('shared_buffers'), current_setting('work_mem')")
            version, shared_buffers, work_mem = cursor.fetchone()
            cursor.execute("SELECT count(*) FROM projects_keyproject")
            projects = cursor.fetchone()[0]
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'projects_projectreport'")
            reports = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM plans_observation")
            observations = cursor.fetchone()[0]
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        memory = next(
            (line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")),
            "0",
        )
        return {
            "cpu": cpu,
            "cores": os.cpu_count(),
            "memory_gb": round(int(memory) / 1024 / 1024, 1),
            "load_average_at_start": self.extra.get("load_at_start"),
            "python": platform.python_version(),
            "postgresql": version.split(" on ")[0],
            "shared_buffers": shared_buffers,
            "work_mem": work_mem,
            "gunicorn_workers": self.args.workers,
            "data": {"projects": projects, "reports_estimate": reports, "observations": observations},
        }

    def report(self) -> None:
        machine = self.machine()
        table = format_table(self.rows)
        header = (
            f"sxplan bench {datetime.now().isoformat(timespec='seconds')} · {machine['cpu']} "
            f"({machine['cores']} cores, "
            f"{machine['memory_gb']} GB) · {machine['postgresql']} · projects {machine['data']['projects']:,}, "
            f"reports ≈{machine['data']['reports_estimate']:,}, observations {machine['data']['observations']:,}"
        )
        print(header)
        print(table)
        for key, value in self.extra.items():
            if key.endswith("note"):
                print(f"note: {value}")
        phases = {**self.extra.get("build_seconds", {}), **self.extra.get("scenario_seconds", {})}
        if phases:
            # Where the run's time went: the build's steps (a fresh database) and each scenario.
            spent = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in phases.items())
            print(f"time: {spent}; in all {self.extra.get('total_seconds', 0):.0f}s")
        RESULTS.mkdir(parents=True, exist_ok=True)
        document = {
            "when": datetime.now().isoformat(timespec="seconds"),
            "machine": machine,
            "args": vars(self.args),
            "rows": self.rows,
            "extra": self.extra,
        }
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        for name in (f"{stamp}.json", "latest.json"):
            (RESULTS / name).write_text(
                json.dumps(document, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
            )
        (RESULTS / "latest.txt").write_text(header + "\n" + table + "\n", encoding="utf-8")
        log(f"results in bench/results/{stamp}.json (and latest.json, latest.txt)")


def _same_numbers(name: str, api, raw) -> bool:
    """The API's figures equal the raw SQL's: counts, known sums (to the cent) and unknown counts."""

    def money(value):
        return None if value is None else f"{float(value):.2f}"

    if name.startswith("geo/"):
        figures = {
            str(f["id"]): (f["properties"]["project_count"], money(f["properties"]["project_investment"]))
            for f in api["features"]
        }
        return figures == {r["key"]: (r["count"], money(r["investment"])) for r in raw}

    def key(rows):
        return {(r["key"], r["count"], money(r["investment"]), r["investment_unknown"]) for r in rows}

    totals = [(t["count"], money(t["investment"]), t["investment_unknown"]) for t in (api["total"], raw["total"])]
    return key(api["results"]) == key(raw["results"]) and totals[0] == totals[1]


def run_wrk(url: str, token: str, connections: int, seconds: int) -> dict:
    command = [
        "wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency",
        "-H", f"Authorization: Token {token}", url,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout

    def number(pattern, default=0.0):
        match = re.search(pattern, out)
        return float(match.group(1)) if match else default

    def latency(label):
        match = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        if not match:
            return None
        return float(match.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[match.group(2)]

    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = sum(int(x) for x in socket_errors.groups()) if socket_errors else 0
    errors += int(number(r"Non-2xx or 3xx responses: (\d+)"))
    return {
        "requests_per_s": number(r"Requests/sec:\s+([\d.]+)"),
        "requests": int(number(r"(\d+) requests in")),
        "errors": errors,
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "raw": out,
    }


def format_table(rows: list[dict]) -> str:
    lines = [f"{'scenario':<18} {'case':<58} {'median':>10} {'p95':>10} {'ratio':>8} {'queries':>7}  target"]
    lines.append("-" * len(lines[0]) + "-" * 30)
    for row in rows:
        unit = row["unit"]
        if unit == "ms":
            median, p95 = f"{row['median_ms']:.1f}ms", f"{row['p95_ms']:.1f}ms"
        elif unit == "s":
            median, p95 = f"{row['seconds']:.2f}s", ""
        elif unit == "rows/s":
            median, p95 = f"{row['rows_per_s']:,.0f}/s", f"{row['seconds']:.1f}s"
        else:
            median, p95 = f"{row['requests_per_s']:,.0f}/s", f"err {row['errors']}"
        ratio = f"{row['ratio']:.2f}×" if row.get("ratio") is not None else ""
        queries = "" if row.get("queries") is None else str(row["queries"])
        verdict = {True: "✔ ", False: "✘ ", None: ""}[row.get("ok")]
        target = f"{verdict}{row.get('target', '')}"
        lines.append(
            f"{row['scenario']:<18} {row['case']:<58} {median:>10} {p95:>10} {ratio:>8} {queries:>7}  {target}"
        )
    return "\n".join(lines)


#: (number, function of the Bench, needs the HTTP server), in the order they run; bench/ops.py holds
#: the operations scenarios (exports, admin, writes).
SCENARIOS = [
    ("1", Bench.scenario_list, True),
    ("2", Bench.scenario_dashboards, True),
    ("3", Bench.scenario_progress, True),
    ("4", Bench.scenario_import, False),
    ("5", Bench.scenario_throughput, True),
    ("6", Bench.scenario_load, False),
    ("7", Bench.scenario_page, True),
    ("8", Bench.scenario_pages, True),
    ("9", Bench.scenario_search, True),
    ("10", ops.scenario_exports, True),
    ("11", ops.scenario_admin, True),
    ("12", ops.scenario_writes, True),
]


#: Quick mode (``--projects 100000`` or fewer): smaller side loads and fewer rounds, under 5 minutes
#: on a prepared database (``--reuse``); every option given explicitly wins.
QUICK = {
    "repeat": 7,
    "warmup": 2,
    "import_rows": 10_000,
    "peer_import_rows": 500,
    "load_projects": 10_000,
    "throughput_seconds": 10,
}
FULL = {
    "repeat": 15,
    "warmup": 3,
    "import_rows": 100_000,
    "peer_import_rows": 1_500,
    "load_projects": 100_000,
    "throughput_seconds": 30,
}


def quick(args) -> None:
    defaults = QUICK if args.projects <= 100_000 else FULL
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.only is None:
        args.only = ",".join(str(n) for n in range(1, 100))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--projects", type=int, default=1_000_000)
    parser.add_argument("--reports-per-project", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep the database if it already holds this many projects")
    parser.add_argument("--repeat", type=int, default=None, help="timed runs per variant (15; quick mode 7)")
    parser.add_argument("--warmup", type=int, default=None)
    parser.add_argument("--import-rows", type=int, default=None)
    parser.add_argument(
        "--peer-import-rows",
        type=int,
        default=None,
        help="rows of the file that django-import-export imports (it is slow; 1,500, quick mode 500)",
    )
    parser.add_argument(
        "--sxplan-import-rows", type=int, default=None, help="rows of the file that sxplan imports (default: all)"
    )
    parser.add_argument("--load-projects", type=int, default=None, help="projects generated in scenario 6")
    parser.add_argument("--throughput-seconds", type=int, default=None)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--observation-rows", type=int, default=10_000, help="observations imported in scenario 12")
    parser.add_argument("--only", default=None, help="scenarios to run, e.g. 1,2 (default: all)")
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        print(
            "make bench needs PostgreSQL (BENCH_DATABASE_URL=postgres://…); SQLite is not benchmarked.", file=sys.stderr
        )
        return 2
    quick(args)
    only = set(args.only.split(","))
    started = time.perf_counter()
    bench = Bench(args)
    bench.extra["load_at_start"] = os.getloadavg()
    bench.prepare()
    bench.setup_django()
    scenarios = SCENARIOS
    timing = bench.extra.setdefault("scenario_seconds", {})
    try:
        if only & {number for number, _, needs_server in scenarios if needs_server}:
            bench.start_server()
        for number, scenario, _ in scenarios:
            if number in only:
                log(f"scenario {number}: {(scenario.__doc__ or scenario.__name__).splitlines()[0]}")
                mark = time.perf_counter()
                scenario(bench)
                timing[f"scenario {number}"] = round(time.perf_counter() - mark, 1)
    finally:
        bench.stop_server()
        with database(bench.url, "postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{bench.seeded_name}"')
    bench.extra["total_seconds"] = round(time.perf_counter() - started, 1)
    bench.report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
