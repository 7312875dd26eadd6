"""Jobs that cannot leave a lie: lost processes are detected, unqueueable jobs fail at once, failures are recorded.

- a running job without a heartbeat within ``JOB_LEASE_SECONDS``, or a job pending longer than
  ``JOB_PENDING_TIMEOUT_SECONDS``, is marked failed by the beat task and whenever jobs are read;
- a job whose task the broker does not take fails at once and the API answers 503 quickly;
- a database error inside an in-request import leaves the job failed with a reason;
- a failed job is retried (as a new job) by its owner or provincial staff only.
"""

import datetime
import time

import kombu.pools
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.utils import timezone
from rest_framework.test import APIClient

from jobs.choices import JobKindChoices, JobStatusChoices
from jobs.models import Job
from jobs.services import INTERRUPTED_MESSAGE, NOT_QUEUED_MESSAGE, job_start
from jobs.tasks import expire_stale_jobs
from projects.models import KeyProject
from sxplan_site.celery import app
from transfers.datasets import DATASETS
from transfers.services import import_job_create

from ..transfers.conftest import header, project_row, xlsx_bytes

pytestmark = pytest.mark.django_db

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def make_job(*, user, status: str, age_seconds: int, heartbeat_age: int | None = None) -> Job:
    """An import job created ``age_seconds`` ago, with a heartbeat ``heartbeat_age`` seconds ago (None: none)."""
    now = timezone.now()
    job = Job.objects.create(kind=JobKindChoices.IMPORT, dataset="projects", user=user, status=status)
    heartbeat = now - datetime.timedelta(seconds=heartbeat_age) if heartbeat_age is not None else None
    Job.objects.filter(pk=job.pk).update(created=now - datetime.timedelta(seconds=age_seconds), heartbeat=heartbeat)
    return job


@pytest.fixture
def lease(settings):
    settings.JOB_LEASE_SECONDS = 60
    settings.JOB_PENDING_TIMEOUT_SECONDS = 600


def test_sweeper_fails_lost_jobs_and_leaves_live_ones(lease, province_user):
    dead = make_job(user=province_user, status=JobStatusChoices.RUNNING, age_seconds=900, heartbeat_age=61)
    alive = make_job(user=province_user, status=JobStatusChoices.RUNNING, age_seconds=900, heartbeat_age=5)
    forgotten = make_job(user=province_user, status=JobStatusChoices.PENDING, age_seconds=601)
    queued = make_job(user=province_user, status=JobStatusChoices.PENDING, age_seconds=30)
    done = make_job(user=province_user, status=JobStatusChoices.SUCCEEDED, age_seconds=9000, heartbeat_age=9000)

    assert expire_stale_jobs.delay().get() == 2

    states = dict(Job.objects.values_list("pk", "status"))
    assert states == {
        dead.pk: JobStatusChoices.FAILED,
        alive.pk: JobStatusChoices.RUNNING,
        forgotten.pk: JobStatusChoices.FAILED,
        queued.pk: JobStatusChoices.PENDING,
        done.pk: JobStatusChoices.SUCCEEDED,
    }
    dead.refresh_from_db()
    assert dead.message == INTERRUPTED_MESSAGE and dead.finished is not None


def test_job_start_takes_a_fresh_lease(lease, province_user):
    job = make_job(user=province_user, status=JobStatusChoices.PENDING, age_seconds=30)
    job_start(job=job)
    assert expire_stale_jobs.delay().get() == 0
    job.refresh_from_db()
    assert job.status == JobStatusChoices.RUNNING and job.heartbeat == job.started


def test_reading_a_job_fails_it_when_its_process_is_gone(lease, taiyuan_user):
    job = make_job(user=taiyuan_user, status=JobStatusChoices.RUNNING, age_seconds=900, heartbeat_age=120)
    detail = client_for(taiyuan_user).get(f"/api/v1/jobs/{job.pk}/").json()
    assert (detail["status"], detail["message"]) == ("failed", INTERRUPTED_MESSAGE)


def test_listing_jobs_fails_the_lost_ones(lease, taiyuan_user):
    make_job(user=taiyuan_user, status=JobStatusChoices.PENDING, age_seconds=3600)
    [row] = client_for(taiyuan_user).get("/api/v1/jobs/").json()["results"]
    assert row["status"] == "failed"


def test_admin_pages_fail_the_lost_jobs(lease, client, taiyuan_user):
    job = make_job(user=taiyuan_user, status=JobStatusChoices.RUNNING, age_seconds=900, heartbeat_age=None)
    client.force_login(taiyuan_user)
    page = client.get(f"/admin/jobs/job/{job.pk}/change/")
    assert page.status_code == 200
    assert INTERRUPTED_MESSAGE in page.content.decode()


@pytest.fixture
def broker_down():
    """The Celery app publishes to a broker nobody listens on (as when Redis is down)."""
    saved = {name: app.conf[name] for name in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=UNREACHABLE_BROKER, task_always_eager=False)
    _reset_connections()
    yield
    app.conf.update(saved)
    _reset_connections()


def _reset_connections() -> None:
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_broker_down_fails_the_job_at_once_with_503(world, taiyuan_user, settings, broker_down):
    settings.TRANSFER_ASYNC_ROWS = 0
    content = xlsx_bytes([header("projects"), project_row("排队失败项目")])
    started = time.monotonic()
    response = client_for(taiyuan_user).post(
        "/api/v1/jobs/import/",
        {"dataset": "projects", "file": SimpleUploadedFile("p.xlsx", content), "dry_run": False},
        format="multipart",
    )
    assert time.monotonic() - started < 8
    assert response.status_code == 503
    assert response.json() == {"detail": NOT_QUEUED_MESSAGE}
    job = Job.objects.get()
    assert (job.status, job.message, job.task_id) == (JobStatusChoices.FAILED, NOT_QUEUED_MESSAGE, "")


def test_database_error_inside_an_in_request_import_fails_the_job(world, taiyuan_user, monkeypatch):
    create_many = DATASETS["projects"].create_many

    def create_then_lose_the_connection(**kwargs):
        create_many(**kwargs)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(DATASETS["projects"], "create_many", create_then_lose_the_connection)
    content = xlsx_bytes([header("projects"), project_row("断线项目")])
    job = import_job_create(
        user=taiyuan_user, dataset_name="projects", file_name="p.xlsx", content=content, dry_run=False
    )
    job.refresh_from_db()
    assert (job.status, job.message) == (JobStatusChoices.FAILED, INTERRUPTED_MESSAGE)
    assert job.finished is not None
    assert not KeyProject.objects.filter(name="断线项目").exists()


@pytest.fixture
def failed_import(world, taiyuan_user):
    """A failed preview of a valid file (its first run was interrupted)."""
    content = xlsx_bytes([header("projects"), project_row("重试项目")])
    return Job.objects.create(
        kind=JobKindChoices.IMPORT,
        dataset="projects",
        dry_run=True,
        user=taiyuan_user,
        status=JobStatusChoices.FAILED,
        message=INTERRUPTED_MESSAGE,
        file_name="p.xlsx",
        file_format="xlsx",
        upload=content,
        total_rows=1,
    )


def test_owner_retries_a_failed_job_as_a_new_job(failed_import, taiyuan_user):
    response = client_for(taiyuan_user).post(f"/api/v1/jobs/{failed_import.pk}/retry/")
    assert response.status_code == 201
    retried = response.json()
    assert retried["id"] != failed_import.pk
    assert (retried["status"], retried["counts"]["created"], retried["dry_run"]) == ("succeeded", 1, True)
    failed_import.refresh_from_db()
    assert failed_import.status == JobStatusChoices.FAILED


def test_province_may_retry_any_failed_job(failed_import, province_user):
    assert client_for(province_user).post(f"/api/v1/jobs/{failed_import.pk}/retry/").status_code == 201


def test_another_citys_user_cannot_see_the_job_to_retry(failed_import, datong_user):
    response = client_for(datong_user).post(f"/api/v1/jobs/{failed_import.pk}/retry/")
    assert response.status_code == 404
    assert Job.objects.count() == 1


def test_only_failed_jobs_are_retried(failed_import, taiyuan_user):
    Job.objects.filter(pk=failed_import.pk).update(status=JobStatusChoices.SUCCEEDED)
    response = client_for(taiyuan_user).post(f"/api/v1/jobs/{failed_import.pk}/retry/")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["只能重试失败的任务。"]}


def test_admin_action_retries_own_failed_jobs(failed_import, client, taiyuan_user):
    client.force_login(taiyuan_user)
    response = client.post(
        "/admin/jobs/job/", {"action": "retry_jobs", "_selected_action": [failed_import.pk]}, follow=True
    )
    assert "已重新提交 1 个任务。" in response.content.decode()
    assert Job.objects.filter(status=JobStatusChoices.SUCCEEDED, user=taiyuan_user).count() == 1
