"""The operations scenarios of ``make bench`` (issue 17), each against its baseline in the same run.

10 exports: streamed CSV (time to first byte, rows/s, the worker's peak and retained RSS) vs COPY;
  a large XLSX (answered with the way to the job) and the XLSX export job's peak memory
11 admin changelist of projects vs the API, same filter and page
12 writes: PATCH of a project vs the same SQL transaction; observation import rows/s vs COPY
"""

from __future__ import annotations

import http.client
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

MB = 1024 * 1024


def _worker_pids(master: int) -> list[int]:
    try:
        return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        return []


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class RssSampler(threading.Thread):
    """The largest RSS of any gunicorn worker, sampled every 20 ms while a request runs."""

    def __init__(self, master: int):
        super().__init__(daemon=True)
        self.master, self.peak, self.done = master, 0, threading.Event()

    def run(self):
        while not self.done.is_set():
            self.peak = max([self.peak, *(_rss(pid) for pid in _worker_pids(self.master))])
            time.sleep(0.02)

    def stop(self) -> int:
        self.done.set()
        self.join()
        return self.peak


def stream(port: int, path: str, headers: dict, master: int) -> dict:
    """One download: time to the first body byte, total time, bytes, lines, the workers' peak RSS."""
    sampler = RssSampler(master)
    sampler.start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    first = response.read(1)
    first_byte = time.perf_counter() - started
    size, lines = len(first), first.count(b"\n")
    while block := response.read(MB):
        size, lines = size + len(block), lines + block.count(b"\n")
    seconds = time.perf_counter() - started
    conn.close()
    peak = sampler.stop()
    time.sleep(0.3)
    retained = max([0, *(_rss(pid) for pid in _worker_pids(master))])
    return {
        "status": response.status,
        "first_byte_s": first_byte,
        "seconds": seconds,
        "bytes": size,
        "rows": max(0, lines - 1),
        "peak_rss_mb": peak / MB,
        "retained_rss_mb": retained / MB,
    }


def copy_rows(bench, where: str, params: list) -> dict:
    """The limit: COPY of the projects' own columns to CSV, read whole by the client."""
    from bench.run import database

    started = time.perf_counter()
    size = 0
    with database(bench.url) as conn, conn.cursor() as cursor:
        rows_sql = f"SELECT p.* FROM projects_keyproject p JOIN regions_region c ON c.id = p.city_id {where}"
        sql = f"COPY ({rows_sql}) TO STDOUT WITH CSV HEADER"
        with cursor.copy(sql, params) as copy:
            for block in copy:
                size += len(block)
        seconds = time.perf_counter() - started
        # Counted, not read off the newlines: quoted values (source quotes, search text) hold newlines too.
        cursor.execute(f"SELECT count(*) FROM ({rows_sql}) r", params)
        rows = cursor.fetchone()[0]
    return {"seconds": seconds, "rows": rows, "rows_per_s": rows / seconds, "bytes": size}


def scenario_exports(bench) -> None:
    """10 exports: streamed CSV vs COPY, worker memory, XLSX."""
    client = bench.client
    port, master = bench.args.port, bench.server.pid
    headers = {**client.headers, "Accept": "*/*"}  # the format comes from ?format=
    for label, query, where, params in (
        ("太原 CSV", "city=140100", "WHERE c.code = %s", ["140100"]),
        ("province CSV", "", "", []),
    ):
        copy = copy_rows(bench, where, params)
        result = stream(port, f"/api/v1/projects/?format=csv&{query}", headers, master)
        rate = result["rows"] / result["seconds"]
        bench.add(
            "10 exports", f"{label} · COPY TO STDOUT ({copy['rows']:,} rows)",
            {"rows_per_s": copy["rows_per_s"], "seconds": copy["seconds"]}, baseline="COPY", ratio_of=1.0,
            unit="rows/s",
        )  # fmt: skip
        ok = (
            result["status"] == 200
            and result["first_byte_s"] <= 1.0
            and result["peak_rss_mb"] <= 300
            and rate >= 50_000
            and result["rows"] == copy["rows"]
        )
        bench.add(
            "10 exports", f"{label} · API stream ({result['rows']:,} rows)",
            {"rows_per_s": rate, "seconds": result["seconds"]}, baseline="COPY", ratio_of=rate / copy["rows_per_s"],
            unit="rows/s", ok=ok,
            target=(
                f"first byte {result['first_byte_s'] * 1000:.0f}ms ≤1s, peak RSS {result['peak_rss_mb']:.0f}MB ≤300MB "
                f"(after: {result['retained_rss_mb']:.0f}MB), ≥50,000 rows/s"
            ),
        )  # fmt: skip
        bench.extra[f"export_{label}"] = result
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    conn.request("GET", "/api/v1/projects/?format=xlsx", headers=headers)
    answer = conn.getresponse()
    status, body = answer.status, answer.read()
    seconds = time.perf_counter() - started
    conn.close()
    bench.add(
        "10 exports", "province XLSX · API answer", {"seconds": seconds}, unit="s", ok=status == 400,
        target=f"{status}: the way to the export job" if status == 400 else f"{status} (expected 400 above the limit)",
    )  # fmt: skip
    bench.extra["xlsx_answer"] = body.decode("utf-8", "replace")[:300]
    job = xlsx_job(bench, {"city": "140100"})
    bench.add(
        "10 exports", f"太原 XLSX · export job ({job['rows']:,} rows)",
        {"rows_per_s": job["rows"] / job["seconds"], "seconds": job["seconds"]}, unit="rows/s",
        ok=job["peak_rss_mb"] <= 300, target=f"job process peak RSS {job['peak_rss_mb']:.0f}MB ≤300MB",
    )  # fmt: skip


JOB_SCRIPT = """
import json, resource, sys, time
import django
django.setup()
from django.contrib.auth.models import User
from transfers.services import export_job_create, export_job_run
from jobs.models import Job
user = User.objects.get(username="bench")
started = time.perf_counter()
job = Job.objects.get(pk=export_job_create(user=user, dataset_name="projects", file_format="xlsx",
                                           filters=json.loads(sys.argv[1])).pk)
if job.status != "succeeded":
    job = export_job_run(job=job)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the job's: before the file is read back to size it
print(json.dumps({"status": job.status, "rows": job.total_rows, "seconds": seconds, "bytes": len(job.result or b""),
                  "peak_rss_mb": peak}))
Job.objects.filter(pk=job.pk).delete()
"""


def xlsx_job(bench, filters: dict) -> dict:
    import json

    env = {**bench.env, "CELERY_BROKER_URL": ""}  # the job runs in this process, measured alone
    done = subprocess.run(
        [sys.executable, "-c", JOB_SCRIPT, json.dumps(filters)], env=env, cwd=bench.env["PYTHONPATH"],
        capture_output=True, text=True, timeout=1800, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- 8 admin -------------------------------------------------------------------------------------


def admin_session(user) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def _get(port: int, path: str, headers: dict):
    def run():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        seconds = time.perf_counter() - started
        conn.close()
        return seconds, response.status, int(response.getheader("X-Query-Count", "-1"))

    return run


def _busiest_leaf_industry() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT p.industry_id FROM projects_keyproject p
               WHERE NOT EXISTS (SELECT 1 FROM plans_industry c WHERE c.parent_id = p.industry_id)
               GROUP BY p.industry_id ORDER BY count(*) DESC LIMIT 1"""
        )
        return cursor.fetchone()[0]


def scenario_admin(bench) -> None:
    """11 admin changelist of projects vs the API (same filter, page 1 of 50)."""
    from django.contrib.auth.models import User

    from bench.run import measure

    a, port = bench.args, bench.args.port
    cookie = {"Cookie": f"sessionid={admin_session(User.objects.get(username='bench'))}"}
    industry = _busiest_leaf_industry()
    for label, admin_query, api_query in (
        ("unfiltered", "", ""),
        ("city=140100", "city=140100", "city=140100"),
        (f"industry={industry}", f"industry__id__exact={industry}", f"industry={industry}"),
    ):
        results = measure(
            {
                "api": _get(port, f"/api/v1/projects/?page_size=50&{api_query}", bench.client.headers),
                "admin": _get(port, f"/admin/projects/keyproject/?{admin_query}", cookie),
            },
            repeat=max(3, a.repeat // 2),
            warmup=1,
        )
        ratio = results["admin"]["median_ms"] / results["api"]["median_ms"]
        bench.add("11 admin", f"{label} · API page of 50", results["api"], baseline="api", ratio_of=1.0)
        bench.add(
            "11 admin", f"{label} · admin changelist page of 50", results["admin"], baseline="api", ratio_of=ratio,
            target="≤2× API, 0 errors", ok=ratio <= 2.0 and results["admin"]["errors"] == 0,
        )  # fmt: skip


# ---- 9 writes ------------------------------------------------------------------------------------


def _sql_transaction(bench, project_id: int, user_id: int):
    """The limit of a PATCH: lock the row, update it, write its history row, in one transaction."""
    from bench.run import database
    from projects.models import KeyProject

    history = KeyProject.history.model
    # The columns the history keeps (not the maintained search column).
    kept = {f.column for f in history._meta.concrete_fields}
    columns = [f.column for f in KeyProject._meta.concrete_fields if f.column in kept]
    own = ", ".join(f'"{c}"' for c in columns)
    conn = database(bench.url)
    conn.autocommit = False
    counter = iter(range(10**9))

    def run():
        started = time.perf_counter()
        with conn.cursor() as cursor:
            cursor.execute(f"SELECT {own} FROM projects_keyproject WHERE id = %s FOR UPDATE", [project_id])
            cursor.fetchone()
            cursor.execute(
                "UPDATE projects_keyproject SET capacity = %s, updated = now() WHERE id = %s",
                [f"年产{next(counter)}吨", project_id],
            )
            cursor.execute(
                f'INSERT INTO {history._meta.db_table} ({own}, "history_date", "history_type", "history_user_id") '
                f"SELECT {own}, now(), '~', %s FROM projects_keyproject WHERE id = %s",
                [user_id, project_id],
            )
        conn.commit()
        return time.perf_counter() - started, 200, 4

    return run


def _patch(bench, project_id: int):
    counter = iter(range(10**9))
    headers = {**bench.client.headers, "Content-Type": "application/json"}

    def run():
        import json

        conn = http.client.HTTPConnection("127.0.0.1", bench.args.port, timeout=60)
        body = json.dumps({"capacity": f"年产{next(counter)}万吨"}, ensure_ascii=False).encode()
        started = time.perf_counter()
        conn.request("PATCH", f"/api/v1/projects/{project_id}/", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        seconds = time.perf_counter() - started
        conn.close()
        return seconds, response.status, int(response.getheader("X-Query-Count", "-1"))

    return run


def scenario_writes(bench) -> None:
    """12 writes: PATCH vs the SQL transaction; observation import vs COPY."""
    from django.contrib.auth.models import User

    from bench.run import measure
    from projects.models import KeyProject

    a = bench.args
    project = KeyProject.objects.filter(source_file="synthetic").order_by("pk").first()
    user = User.objects.get(username="bench")
    results = measure(
        {"sql": _sql_transaction(bench, project.pk, user.pk), "api": _patch(bench, project.pk)},
        repeat=a.repeat,
        warmup=a.warmup,
    )
    ratio = results["api"]["median_ms"] / results["sql"]["median_ms"]
    bench.add("12 writes", "PATCH project · SQL transaction (lock, update, history)", results["sql"], baseline="sql",
              ratio_of=1.0)  # fmt: skip
    bench.add(
        "12 writes", "PATCH project · API", results["api"], baseline="sql", ratio_of=ratio,
        target="≤3× the SQL transaction", ok=ratio <= 3.0 and results["api"]["errors"] == 0,
    )  # fmt: skip
    observation_import(bench, rows=a.observation_rows)


def observation_file(rows: int, seed: int) -> tuple[list[str], list[list]]:
    """Values for indicator × city × month that the database does not hold yet (a source of their own, 1950 on)."""
    from plans.models import Indicator
    from regions.models import Region
    from transfers.datasets import DATASETS

    dataset = DATASETS["observations"]
    header = {column.field: column.header for column in dataset.columns}
    indicators = list(Indicator.objects.order_by("pk").values_list("name", flat=True)[:20])
    cities = list(Region.objects.filter(level="city").order_by("code").values_list("code", flat=True))
    generator = random.Random(seed)
    table = []
    year, month = 1950, 1
    while len(table) < rows:
        for indicator in indicators:
            for city in cities:
                row = {"indicator": indicator, "scope": city, "year": year, "month": month, "source": "基准测试"}
                row["value"] = round(generator.uniform(1, 500), 2)
                table.append([row.get(field, "") for field in header])
        month = month % 12 + 1
        year += month == 1
    return list(header.values()), table[:rows]


def observation_import(bench, *, rows: int) -> None:
    import csv
    import io

    from django.contrib.auth.models import User

    from bench.run import database
    from transfers.datasets import DATASETS
    from transfers.services import import_table
    from transfers.spreadsheet import read_table

    header, table = observation_file(rows, bench.args.seed)
    out = io.StringIO()
    csv.writer(out).writerows([header, *table])
    content = out.getvalue().encode("utf-8")
    user = User.objects.get(username="bench")
    refreshes = {"count": 0}
    started = time.perf_counter()
    parsed = read_table(content, "observations.csv")
    result = import_table(
        dataset=DATASETS["observations"], table=parsed, user=user, dry_run=True,
        progress=lambda done: refreshes.__setitem__("count", refreshes["count"] + 1),
    )  # fmt: skip
    seconds = time.perf_counter() - started
    # The limit: COPY of the same values into a scratch table.
    with database(bench.url) as conn, conn.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_obs (indicator text, scope text, year int, month int, value numeric)")
        copy_started = time.perf_counter()
        with cursor.copy("COPY bench_obs FROM STDIN") as copy:
            for row in table:
                copy.write_row([row[0], row[1], row[2], row[4], row[5]])  # the columns read above
        copy_seconds = time.perf_counter() - copy_started
    copy_rate = rows / copy_seconds
    rate = result.total / seconds
    bench.add("12 writes", f"{rows:,} observations · COPY", {"rows_per_s": copy_rate, "seconds": copy_seconds},
              baseline="COPY", ratio_of=1.0, unit="rows/s")  # fmt: skip
    bench.add(
        "12 writes", f"{rows:,} observations · sxplan import (dry run)", {"rows_per_s": rate, "seconds": seconds},
        baseline="COPY", ratio_of=rate / copy_rate, unit="rows/s", ok=rate >= 2000 and not result.errors,
        target=f"≥2,000 rows/s, {len(result.errors)} row errors, {refreshes['count']} progress calls",
    )  # fmt: skip
