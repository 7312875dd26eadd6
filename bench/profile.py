"""Where one request's time goes, by layer: ``python -m bench.profile PATH [--repeat N] [--method PATCH --body JSON]``.

For the misses of ``make bench``: runs the request in this process (Django's test client, as the
benchmark's ``bench`` user with its token) against ``--database-url`` (a database ``make bench``
built), and prints the median time, the SQL time and queries, and the time of each layer from a
profile (middleware and authentication, filters, pagination and counts, serializer, rendering, the
ORM's compiling of SQL, the database's answers). Layers nest: the ORM and SQL lines are also
inside the filter, pagination and serializer lines that run them.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import time

LAYERS = {
    # label: (file fragment, function) pairs whose cumulative time the layer is.
    "whole request (test client)": [("django/test/client.py", "request")],
    "view (DRF dispatch)": [("rest_framework/views.py", "dispatch")],
    "authentication + permissions + throttles": [("rest_framework/views.py", "initial")],
    "filters (django-filter and search)": [("rest_framework/generics.py", "filter_queryset")],
    "pagination (page and count)": [("rest_framework/generics.py", "paginate_queryset")],
    "serializer (rows to data)": [("rest_framework/serializers.py", "data")],
    "list rows: read (projects/api/rows.py)": [("projects/api/rows.py", "read")],
    "list rows: represent (projects/api/rows.py)": [("projects/api/rows.py", "represent")],
    "rendering (data to bytes)": [("rest_framework/response.py", "rendered_content")],
    "ORM: compiling SQL": [("django/db/models/sql/compiler.py", "as_sql")],
    "database: executing queries": [("django/db/backends/utils.py", "_execute")],
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", default="")
    parser.add_argument("--session", action="store_true", help="sign in with a session (admin pages)")
    a = parser.parse_args(argv)
    if a.database_url:
        os.environ["DATABASE_URL"] = a.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from rest_framework.authtoken.models import Token

    user = User.objects.get(username="bench")
    token = Token.objects.get_or_create(user=user)[0].key
    client = Client(SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token}")
    if a.session:
        client.force_login(user)
    sql = []

    def timed(execute, query, params, many, context):
        started = time.perf_counter()
        try:
            return execute(query, params, many, context)
        finally:
            sql[-1].append(time.perf_counter() - started)

    def request():
        if a.method == "GET":
            return client.get(a.path, HTTP_ACCEPT="application/json")
        return client.generic(a.method, a.path, a.body.encode(), content_type="application/json")

    for _ in range(3):  # warm: caches, connection, first imports
        status = request().status_code
    if status >= 400:
        raise SystemExit(f"{a.method} {a.path} answers {status}")
    times = []
    with connection.execute_wrapper(timed):
        for _ in range(a.repeat):  # timed, not profiled
            sql.append([])
            started = time.perf_counter()
            request()
            times.append(time.perf_counter() - started)
    profile = cProfile.Profile()
    for _ in range(a.repeat):  # profiled: the layers' shares (a profile slows Python code, not the database)
        profile.enable()
        request()
        profile.disable()
    stats = pstats.Stats(profile).stats
    median = statistics.median(times) * 1000
    sql_ms = statistics.median(sum(s) for s in sql) * 1000
    queries = statistics.median(len(s) for s in sql)
    print(f"{a.method} {a.path}: status {status}, median {median:.1f} ms, "
          f"SQL {sql_ms:.1f} ms in {queries:.0f} queries ({a.repeat} runs); shares of the profiled runs:")  # fmt: skip
    whole = None
    for label, functions in LAYERS.items():
        seconds = sum(
            cumulative
            for (filename, _, name), (_, _, _, cumulative, _) in stats.items()
            for fragment, function in functions
            if fragment in filename and name == function
        )
        per_request = seconds / a.repeat * 1000
        whole = whole or per_request
        print(f"  {label:45s} {per_request / whole:6.1%}")
    print(json.dumps({"median_ms": round(median, 2), "sql_ms": round(sql_ms, 2), "queries": queries}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
