"""Reads that tolerate lag go to a real PostgreSQL streaming replica; a writer reads its own writes from the primary.

The replica is a cluster of its own made for this module on 127.0.0.1 with ``pg_basebackup`` from the
test server (PostgreSQL 15 at DATABASE_URL), started on a free port and removed afterwards.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from common.choices import RoleChoices
from tests import factories

pytestmark = pytest.mark.postgres

BIN = Path("/usr/lib/postgresql/15/bin")
REPLICATION_RULE = "host replication all 127.0.0.1/32 trust"


def _as_postgres(*command: str, **kwargs) -> subprocess.CompletedProcess:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], check=True, capture_output=True, text=True, timeout=600, **kwargs)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _allow_replication(cursor) -> None:
    """The server must accept replication connections from 127.0.0.1 (Debian's default pg_hba.conf does not)."""
    cursor.execute("SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database) AND error IS NULL")
    if cursor.fetchone()[0]:
        return
    cursor.execute("SHOW hba_file")
    hba = Path(cursor.fetchone()[0])
    note = "# sxplan tests: a streaming replica made with pg_basebackup"
    hba.write_text(f"{hba.read_text()}\n{note}\n{REPLICATION_RULE}\n")
    cursor.execute("SELECT pg_reload_conf()")


def _lsn(alias: str, sql: str) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT ({sql}) - '0/0'::pg_lsn")
        return int(cursor.fetchone()[0])


def _caught_up() -> None:
    target = _lsn("default", "pg_current_wal_lsn()")
    deadline = time.monotonic() + 60
    while _lsn("replica", "pg_last_wal_replay_lsn()") < target:
        assert time.monotonic() < deadline, "the replica did not catch up within 60 s"
        time.sleep(0.05)


@pytest.fixture(scope="module", autouse=True)
def replica(django_db_setup, django_db_blocker):
    primary = connections["default"].settings_dict
    assert connections["default"].vendor == "postgresql", "these tests need DATABASE_URL=postgres://…"
    base = Path(tempfile.mkdtemp(prefix="sxplan-replica-"))
    data, port = base / "data", _free_port()
    shutil.chown(base, "postgres") if os.geteuid() == 0 else None
    started = False
    try:
        with django_db_blocker.unblock(), connections["default"].cursor() as cursor:
            _allow_replication(cursor)
        _as_postgres(
            str(BIN / "pg_basebackup"), "-h", primary["HOST"] or "127.0.0.1", "-p", str(primary["PORT"] or 5432),
            "-U", primary["USER"] or "postgres", "-D", str(data), "-X", "stream", "-R", "--checkpoint=fast",
        )  # fmt: skip
        # Debian keeps the configuration outside the data directory: the copy gets its own.
        settings = (
            f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{base}'\n"
            "hot_standby = on\nfsync = off\nshared_buffers = 32MB\n"
        )
        _as_postgres("tee", str(data / "postgresql.conf"), input=settings)
        _as_postgres("tee", str(data / "pg_hba.conf"), input="local all all trust\nhost all all 127.0.0.1/32 trust\n")
        _as_postgres("tee", str(data / "pg_ident.conf"), input="")
        _as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-t", "120", "start")
        started = True
        connections.settings["replica"] = {
            **primary,
            "HOST": "127.0.0.1",
            "PORT": port,
            "TEST": {**primary["TEST"], "MIRROR": "default"},
        }
        with django_db_blocker.unblock():
            _caught_up()
        yield port
    finally:
        if "replica" in connections.settings:
            connections["replica"].close()
            del connections.settings["replica"]
            del connections["replica"]
        if started:
            _as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


REPLICA_DB = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def project():
    regions = factories.make_regions()
    user = factories.make_user("r-province", RoleChoices.PROVINCE)
    made = factories.make_project("副本测试项目", regions["140100"], capacity="年产10万吨")
    _caught_up()
    return user, made


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _paused():
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")


def _resumed():
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")


@REPLICA_DB
def test_reads_go_to_the_replica_and_a_writer_reads_its_own_write_from_the_primary(project):
    user, made = project
    url = f"/api/v1/projects/{made.pk}/"
    writer, other = _client(user), _client(user)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        listed = other.get("/api/v1/projects/").json()
    assert [row["name"] for row in listed["results"]] == ["副本测试项目"]
    assert [q for q in on_replica if "projects_keyproject" in q["sql"]]
    _paused()  # from here the replica lags: what the primary writes is not replayed
    try:
        answer = writer.patch(url, {"capacity": "年产20万吨"}, format="json")
        assert answer.status_code == 200, answer.content
        assert "sxplan_wrote" in answer.cookies
        # The writer reads its own write, from the primary, for REPLICA_PIN_SECONDS ...
        assert writer.get(url).json()["capacity"] == "年产20万吨"
        # ... another client reads the lagging replica.
        assert other.get(url).json()["capacity"] == "年产10万吨"
        health = other.get("/healthz").json()
        assert health["replica"]["in_recovery"] and health["replica"]["lag_bytes"] > 0
    finally:
        _resumed()
    _caught_up()
    assert other.get(url).json()["capacity"] == "年产20万吨"
    caught_up = other.get("/healthz").json()["replica"]
    assert caught_up["ok"] and caught_up["lag_seconds"] < 5


@REPLICA_DB
def test_an_api_client_without_cookies_is_pinned_by_its_credentials(project):
    user, made = project
    token = Token.objects.create(user=user)
    url = f"/api/v1/projects/{made.pk}/"
    _caught_up()
    _paused()
    try:
        writer = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
        assert writer.patch(url, {"capacity": "年产30万吨"}, format="json").status_code == 200
        writer.cookies.clear()
        assert writer.get(url).json()["capacity"] == "年产30万吨"
    finally:
        _resumed()


@REPLICA_DB
def test_healthz_answers_503_when_the_replica_lags_beyond_the_limit(project, settings):
    user, made = project
    settings.HEALTHZ_MAX_REPLICA_LAG_SECONDS = 0.0
    _paused()
    try:
        assert _client(user).patch(f"/api/v1/projects/{made.pk}/", {"capacity": "x"}, format="json").status_code == 200
        time.sleep(0.2)
        answer = APIClient().get("/healthz")
        assert answer.status_code == 503 and answer.json()["replica"]["ok"] is False
        assert "副本延迟" in answer.json()["replica"]["error"]
    finally:
        _resumed()
