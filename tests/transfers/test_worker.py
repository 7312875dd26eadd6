"""Background jobs on a real Redis broker and real worker processes (PostgreSQL), and eagerly without one."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail

from jobs.choices import JobStatusChoices
from jobs.models import Job
from plans.models import TargetProgress, TargetProgressSnapshot
from plans.tasks import refresh_target_progress, snapshot_target_progress
from projects.models import KeyProject
from projects.tasks import remind_stale_projects
from tests import factories
from transfers import services
from transfers.tasks import import_job_task

from .broker import wait_for
from .conftest import header, project_row, xlsx_bytes


def many_projects(count: int, prefix: str) -> bytes:
    rows = [project_row(f"{prefix}{i:05d}", **{"总投资（亿元）": i % 50, "阶段": "开工"}) for i in range(count)]
    return xlsx_bytes([header("projects"), *rows])


def import_projects(user, count: int, prefix: str):
    return services.import_job_create(
        user=user, dataset_name="projects", file_name="big.xlsx", content=many_projects(count, prefix), dry_run=False
    )


def job_state(pk):
    return Job.objects.filter(pk=pk).values("status", "processed_rows", "attempts").get()


@pytest.mark.broker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_large_import_runs_on_a_worker(broker, world, province_user, settings):
    settings.TRANSFER_ASYNC_ROWS = 100
    broker.start_worker()
    job = import_projects(province_user, 600, "队列项目")
    assert job_state(job.pk)["status"] == JobStatusChoices.PENDING
    wait_for(lambda: job_state(job.pk)["status"] == "succeeded", timeout=120, broker=broker, what="the import job")
    job.refresh_from_db()
    assert job.counts == {"total": 600, "created": 600, "updated": 0, "unchanged": 0}
    assert job.task_id and job.attempts == 1
    assert KeyProject.objects.filter(name__startswith="队列项目").count() == 600
    assert KeyProject.history.filter(name="队列项目00007").get().history_user == province_user
    # Delivering the same task again (a retry after the job finished) changes nothing.
    import_job_task.delay(job.pk).get(timeout=60)
    job.refresh_from_db()
    assert job.attempts == 1


@pytest.mark.broker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_import_leaves_nothing_and_the_retry_completes(broker, world, province_user, settings):
    settings.TRANSFER_ASYNC_ROWS = 100
    rows = 1500
    first = broker.start_worker()
    job = import_projects(province_user, rows, "断点项目")
    wait_for(
        lambda: job_state(job.pk)["processed_rows"] >= 400,
        timeout=120,
        broker=broker,
        what="the import to be under way",
    )
    broker.kill(first)
    killed = job_state(job.pk)
    assert killed["status"] == JobStatusChoices.RUNNING and 0 < killed["processed_rows"] < rows
    assert not KeyProject.objects.filter(name__startswith="断点项目").exists()

    broker.start_worker()
    wait_for(
        lambda: job_state(job.pk)["status"] == "succeeded", timeout=180, broker=broker, what="the redelivered import"
    )
    assert job_state(job.pk)["attempts"] == 2
    assert KeyProject.objects.filter(name__startswith="断点项目").count() == rows
    assert KeyProject.history.filter(name__startswith="断点项目").count() == rows


@pytest.mark.broker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_export_and_periodic_tasks_on_a_worker(broker, world, province_user, settings):
    settings.TRANSFER_ASYNC_ROWS = 1
    broker.start_worker()
    job = services.export_job_create(user=province_user, dataset_name="projects", file_format="xlsx")
    wait_for(lambda: job_state(job.pk)["status"] == "succeeded", timeout=60, broker=broker, what="the export job")
    job.refresh_from_db()
    assert job.counts == {"total": 2} and bytes(job.result).startswith(b"PK")
    assert snapshot_target_progress.delay(2025).get(timeout=60) == 1
    assert TargetProgressSnapshot.objects.get(year=2025).target == world["target"]
    assert remind_stale_projects.delay("2099-01-05").get(timeout=60) == 2
    TargetProgress.objects.update(status="achieved", observation=None)  # as a lost race could leave it
    refresh_target_progress.delay().get(timeout=60)
    # The world's only value is of the baseline year (2020): the 2025 target is overdue without data.
    assert TargetProgress.objects.get(target=world["target"]).status == "overdue_no_data"


@pytest.mark.django_db
def test_without_a_broker_large_jobs_run_eagerly(world, province_user, settings, django_capture_on_commit_callbacks):
    settings.TRANSFER_ASYNC_ROWS = 5
    with django_capture_on_commit_callbacks(execute=True):
        job = import_projects(province_user, 20, "即时项目")
    job.refresh_from_db()
    assert (job.status, job.counts["created"], job.attempts) == ("succeeded", 20, 1)
    assert import_job_task.delay(job.pk).get() == "succeeded"
    job.refresh_from_db()
    assert job.attempts == 1


@pytest.mark.django_db
def test_the_nightly_refresh_repairs_stale_progress(world):
    # The world's only value is of the baseline year; its target year's 11 misses the 2025 target of 12.
    factories.make_observation(world["target"].scope, year=2025, value="11", target=world["target"])
    TargetProgress.objects.update(status="achieved", observation=None, progress=None)
    refresh_target_progress.delay().get()
    row = TargetProgress.objects.get(target=world["target"])
    assert (row.status, row.observation.value) == ("missed", Decimal("11"))


@pytest.mark.django_db
def test_snapshot_is_idempotent(world):
    factories.make_observation(world["target"].scope, year=2025, value="11", target=world["target"])
    assert snapshot_target_progress.delay(2025).get() == 1
    assert snapshot_target_progress.delay(2025).get() == 1
    snapshot = TargetProgressSnapshot.objects.get()
    assert (snapshot.year, snapshot.latest_value, snapshot.latest_year, snapshot.status) == (
        2025,
        Decimal("11"),
        2025,
        "far_behind",  # on 2025-12-31 the target year has not passed yet: 11 is 2/3 of the way from 9 to 12
    )
    assert snapshot.history.count() == 1
    assert Job.objects.get(key="snapshot:2025").status == "succeeded"


@pytest.mark.django_db
def test_reminder_once_per_city_and_day(world, taiyuan_user, datong_user, django_capture_on_commit_callbacks):
    taiyuan_user.email = "ty@example.cn"
    taiyuan_user.save()
    KeyProject.objects.filter(pk=world["dt_proj"].pk).update(stage="cancelled")
    today = datetime.date.today() + datetime.timedelta(days=200)
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_stale_projects.delay(today.isoformat()).get() == 1
        assert remind_stale_projects.delay(today.isoformat()).get() == 0
    reminder = Job.objects.get(kind="reminder")
    assert reminder.params["projects"] == ["太原轨道交通项目"]
    assert reminder.message == "太原市有 1 个重点项目超过 90 天未报送进展。"
    assert [m.to for m in mail.outbox] == [["ty@example.cn"]]
    assert list(Job.objects.for_user(taiyuan_user)) == [reminder]
    assert not Job.objects.for_user(datong_user).exists()


@pytest.mark.django_db
def test_recent_report_means_no_reminder(world):
    today = datetime.date(2024, 3, 15)
    KeyProject.objects.update(created=datetime.datetime(2023, 1, 1, tzinfo=datetime.UTC))
    # Both projects reported for January 2024 (the world fixture), within 90 days of 15 March.
    assert remind_stale_projects.delay(today.isoformat()).get() == 0
    assert remind_stale_projects.delay("2024-06-15").get() == 2
