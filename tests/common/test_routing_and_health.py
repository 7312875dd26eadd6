"""Which database a read goes to (common.routers), and /healthz (sxplan_site.health)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory

from common import routers
from common.routers import PIN_COOKIE, ReplicaReadMiddleware, ReplicaRouter, reading_from_replica, replica_reads
from projects.models import KeyProject
from sxplan_site.celery import app as celery_app


@pytest.fixture
def with_replica(monkeypatch):
    monkeypatch.setattr(routers, "replica_configured", lambda: True)


def _seen(request, status=200):
    """The middleware's decision for this request (replica reads allowed?) and its response."""
    seen = {}

    def view(req):
        seen["allowed"] = replica_reads.get()
        return HttpResponse(status=status)

    response = ReplicaReadMiddleware(view)(request)
    return seen["allowed"], response


def test_without_a_replica_every_read_goes_to_the_primary():
    with reading_from_replica():
        assert ReplicaRouter().db_for_read(KeyProject) == "default"
    allowed, response = _seen(RequestFactory().get("/api/v1/projects/"))
    assert not allowed and PIN_COOKIE not in response.cookies


def test_the_router_sends_only_allowed_reads_of_data_to_the_replica(with_replica, transactional_db):
    router = ReplicaRouter()
    assert router.db_for_read(KeyProject) == "default"  # outside a request that allows it
    with reading_from_replica():
        assert router.db_for_read(KeyProject) == "replica"
        assert router.db_for_read(get_user_model()) == "default"  # sign-in and tokens
        with transaction.atomic():
            assert router.db_for_read(KeyProject) == "default"  # a transaction reads what it writes
    assert router.db_for_write(KeyProject) == "default"
    assert router.allow_migrate("default", "projects") and not router.allow_migrate("replica", "projects")


def test_a_write_pins_its_client_to_the_primary_for_a_while(with_replica, settings, locmem_cache):
    settings.REPLICA_PIN_SECONDS = 10
    factory = RequestFactory()
    allowed, _ = _seen(factory.get("/api/v1/projects/"))
    assert allowed
    allowed, response = _seen(factory.patch("/api/v1/projects/1/"))
    assert not allowed and response.cookies[PIN_COOKIE]["max-age"] == 10
    pinned = factory.get("/api/v1/projects/")
    pinned.COOKIES[PIN_COOKIE] = response.cookies[PIN_COOKIE].value
    assert _seen(pinned)[0] is False
    stale = factory.get("/api/v1/projects/")
    stale.COOKIES[PIN_COOKIE] = "1.0"  # a write long ago
    assert _seen(stale)[0] is True
    stale.COOKIES[PIN_COOKIE] = "不是时间"
    assert _seen(stale)[0] is True
    # A refused write changes nothing: no pin.
    assert PIN_COOKIE not in _seen(factory.post("/api/v1/projects/"), status=400)[1].cookies


def test_an_api_client_is_pinned_by_its_credentials(with_replica, locmem_cache):
    factory = RequestFactory()
    _seen(factory.post("/api/v1/projects/", HTTP_AUTHORIZATION="Token abc"))
    assert _seen(factory.get("/api/v1/projects/", HTTP_AUTHORIZATION="Token abc"))[0] is False
    assert _seen(factory.get("/api/v1/projects/", HTTP_AUTHORIZATION="Token other"))[0] is True


@pytest.fixture
def locmem_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_healthz_reports_each_dependency(client, db, settings, locmem_cache):
    settings.CELERY_BROKER_URL = ""
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer["Cache-Control"].startswith("max-age=0")
    body = answer.json()
    assert body["status"] == "ok" and body["database"]["ok"] and body["cache"]["ok"]
    assert body["replica"] == {"ok": True, "configured": False}
    assert body["broker"] == {"ok": True, "configured": False}


def test_healthz_is_503_when_the_cache_loses_what_it_was_given(client, db, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    answer = client.get("/healthz")
    assert answer.status_code == 503 and answer.json()["status"] == "error"
    assert answer.json()["cache"]["ok"] is False and answer.json()["database"]["ok"]


def test_healthz_is_503_when_the_broker_is_unreachable(client, db, settings, locmem_cache, monkeypatch):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    answer = client.get("/healthz")
    assert answer.status_code == 503 and answer.json()["broker"]["ok"] is False
    assert "error" in answer.json()["broker"]


def test_healthz_answers_only_get(client, db):
    assert client.post("/healthz").status_code == 405
