"""The nightly warning run on a real Redis broker and worker (PostgreSQL): idempotent, notices sent once."""

import datetime

import pytest

from common.choices import RoleChoices
from notices.models import Notice
from projects.models import ProjectWarning
from projects.tasks import evaluate_warnings
from sxplan_site.celery import app
from tests import factories
from tests.transfers.broker import broker  # noqa: F401  (fixture)


def test_the_nightly_task_is_scheduled():
    entry = next(e for e in app.conf.beat_schedule.values() if e["task"] == "projects.evaluate_warnings")
    assert entry["schedule"].hour == {1}


@pytest.mark.broker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_nightly_run_on_a_worker_is_idempotent(broker):  # noqa: F811
    regions = factories.make_regions()
    staff = factories.make_user("ty-worker", RoleChoices.CITY, [regions["140100"]])
    project = factories.make_project("太原夜间评估项目", regions["140100"])
    factories.make_milestone(project, code="land", planned_on=datetime.date(2025, 1, 1))
    broker.start_worker()
    first = evaluate_warnings.delay("2025-06-30").get(timeout=120)
    again = evaluate_warnings.delay("2025-06-30").get(timeout=120)
    assert first == {"opened": 1, "escalated": 0, "resolved": 0}
    assert again == {"opened": 0, "escalated": 0, "resolved": 0}
    warning = ProjectWarning.objects.get(project=project)
    assert warning.level == "red" and warning.rule == "milestone_overdue"
    assert list(Notice.objects.filter(key=f"warning:{warning.pk}:red").values_list("recipient", flat=True)) == [
        staff.pk
    ]
