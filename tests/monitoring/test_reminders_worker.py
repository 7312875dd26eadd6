"""The beat task ``monitoring.remind_rounds`` on a real Redis broker and Celery workers (PostgreSQL): each
reminder (inbox notice and e-mail) reaches each recipient once, however often and concurrently it runs."""

import datetime
from decimal import Decimal

import pytest
from celery import group

from monitoring.services import submission_submit, submission_values_save
from monitoring.tasks import remind_rounds
from notices.models import Notice
from projects.services import project_report_create
from sxplan_site.celery import app
from tests.transfers.broker import broker  # noqa: F401  (fixture)

from .helpers import build_loop


def test_the_reminders_are_scheduled_every_morning():
    entry = next(e for e in app.conf.beat_schedule.values() if e["task"] == "monitoring.remind_rounds")
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({8}, {30})


def _sent() -> list[tuple]:
    return sorted(Notice.objects.values_list("recipient__username", "kind", "key"))


@pytest.mark.broker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reminders_on_a_worker_are_sent_once(broker):  # noqa: F811
    loop = build_loop()
    for user in (loop.province, loop.taiyuan, loop.datong):
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    # 太原 reports (the province is told at once); 大同 has not reported yet.
    rows = {value.pk: {"value": Decimal("12"), "comment": "核实"} for value in loop.ty.values.all()}
    submission_values_save(user=loop.taiyuan, submission=loop.ty, rows=rows)
    project_report_create(
        user=loop.taiyuan, data={"project": loop.project, "year": 2025, "month": 12, "stage": "started"}
    )
    submission_submit(user=loop.taiyuan, submission=loop.ty)
    review_key = f"submission:{loop.ty.pk}:v2:review"
    assert _sent() == [("province", "review_waiting", review_key)]

    broker.start_worker()
    broker.start_worker()
    soon = (loop.round.due_on - datetime.timedelta(days=2)).isoformat()
    # Twice at once on two workers, then once more (a retry, tomorrow's beat): one reminder in all.
    concurrent = group(remind_rounds.s(soon), remind_rounds.s(soon)).apply_async().get(timeout=120)
    assert sorted(concurrent) == [0, 1]
    assert remind_rounds.delay(soon).get(timeout=120) == 0
    due_soon_key = f"round:{loop.round.pk}:city:140200:due_soon"
    assert _sent() == [("datong", "due_soon", due_soon_key), ("province", "review_waiting", review_key)]

    overdue = (loop.round.due_on + datetime.timedelta(days=1)).isoformat()
    assert remind_rounds.delay(overdue).get(timeout=120) == 1
    assert remind_rounds.delay(overdue).get(timeout=120) == 0
    assert Notice.objects.filter(kind="overdue").values_list("recipient__username", "key").get() == (
        "datong",
        f"round:{loop.round.pk}:city:140200:overdue",
    )
    # Mailed by the worker after its transaction committed: every notice once.
    assert Notice.objects.count() == 3
    assert not Notice.objects.filter(emailed_at=None).exists()
