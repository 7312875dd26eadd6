"""The jobs list (/api/v1/jobs/) filters like every other list: unknown parameters are refused."""

import pytest
from rest_framework.test import APIClient

from jobs.choices import JobKindChoices, JobStatusChoices
from jobs.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(province_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(province_user)
    Job.objects.create(kind=JobKindChoices.SNAPSHOT, status=JobStatusChoices.SUCCEEDED, message="2025 年指标进度快照")
    Job.objects.create(kind=JobKindChoices.REMINDER, status=JobStatusChoices.SUCCEEDED, message="太原市未报进展")
    return client


def test_unknown_parameter_is_refused(client):
    response = client.get("/api/v1/jobs/", {"knd": "snapshot"})
    assert response.status_code == 400
    assert response.json()["knd"] == ["未知的查询参数。"]


def test_unknown_choice_is_refused(client):
    assert client.get("/api/v1/jobs/", {"kind": "nope"}).status_code == 400


def test_filters_search_and_ordering(client):
    assert [job["kind"] for job in client.get("/api/v1/jobs/", {"kind": "snapshot"}).json()["results"]] == ["snapshot"]
    assert client.get("/api/v1/jobs/", {"search": "太原"}).json()["count"] == 1
    oldest_first = client.get("/api/v1/jobs/", {"ordering": "created"}).json()["results"]
    assert [job["kind"] for job in oldest_first] == ["snapshot", "reminder"]
