"""Two approvers at once on PostgreSQL: one wins, the other is told the submission was reviewed already."""

import threading

import pytest
from django.db import connections

from monitoring.choices import SubmissionStateChoices
from monitoring.services import submission_submit, submission_values_save
from plans.models import Observation
from projects.services import project_report_create
from tests.concurrency import run_at_once

from .helpers import build_loop, client_for


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_one_wins():
    loop = build_loop()
    rows = {value.pk: {"value": 12, "comment": "核实"} for value in loop.ty.values.all()}
    submission_values_save(user=loop.taiyuan, submission=loop.ty, rows=rows)
    project_report_create(
        user=loop.taiyuan, data={"project": loop.project, "year": 2025, "month": 3, "stage": "started"}
    )
    submission_submit(user=loop.taiyuan, submission=loop.ty)
    url = f"/api/v1/submissions/{loop.ty.pk}/"
    approvers = 2
    barrier = threading.Barrier(approvers)
    results: dict[int, tuple[int, dict]] = {}

    def approve(index: int) -> None:
        client = client_for(loop.province)
        barrier.wait()
        try:
            response = client.post(f"{url}approve/", {"comment": f"审核人 {index}"}, format="json")
            results[index] = (response.status_code, response.json())
        finally:
            connections.close_all()

    run_at_once(approve, approvers, timeout=60)
    statuses = sorted(status for status, _ in results.values())
    assert statuses == [200, 409], results
    [refused] = [body for status, body in results.values() if status == 409]
    assert "已被其他人审核" in refused["detail"]
    loop.ty.refresh_from_db()
    assert loop.ty.state == SubmissionStateChoices.APPROVED
    assert loop.ty.transitions.filter(to_state=SubmissionStateChoices.APPROVED).count() == 1
    assert Observation.objects.filter(scope=loop.ty.city, year=2025, locked=True).count() == 2
