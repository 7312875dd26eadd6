"""Milestones, year plans and batches over the API: baseline kept, reason required, scope, query bounds."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from common.choices import RoleChoices
from projects.models import Milestone
from tests import factories
from tests.shared import built_once, fresh_copy

pytestmark = pytest.mark.django_db
D = datetime.date


def build():
    regions = factories.make_regions()
    ty, dt = regions["140100"], regions["140200"]
    world = {
        "province": factories.make_user("sheng", RoleChoices.PROVINCE),
        "ty_staff": factories.make_user("ty", RoleChoices.CITY, [ty]),
        "viewer": factories.make_user("viewer", RoleChoices.VIEWER, [ty]),
        "ty_project": factories.make_project("太原项目", ty),
        "dt_project": factories.make_project("大同项目", dt),
    }
    for i in range(3):
        factories.make_milestone(world["ty_project"], code="other", name=f"设备{i}", planned_on=D(2025, i + 1, 1))
        factories.make_milestone(world["dt_project"], code="other", name=f"设备{i}", planned_on=D(2025, i + 1, 1))
    world["ty_milestone"] = factories.make_milestone(world["ty_project"], code="start", planned_on=D(2025, 5, 1))
    world["dt_milestone"] = factories.make_milestone(world["dt_project"], code="start", planned_on=D(2025, 5, 1))
    world["batch"] = factories.make_batch(entries=[(world["ty_project"], "sign"), (world["dt_project"], "start")])
    return world


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker=django_db_blocker, build=build)


@pytest.fixture
def w(built, db):
    return fresh_copy(built)


def client_for(user):
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(pk=user.pk))
    return client


def test_create_sets_the_baseline(w):
    payload = {"project": w["ty_project"].pk, "code": "land", "planned_on": "2025-04-01", "baseline_on": "2000-01-01"}
    response = client_for(w["ty_staff"]).post("/api/v1/milestones/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["baseline_on"] == "2025-04-01" and response.json()["label"] == "用地"


def test_moving_the_plan_needs_a_reason_and_keeps_the_baseline(w):
    url = f"/api/v1/milestones/{w['ty_milestone'].pk}/"
    client = client_for(w["ty_staff"])
    refused = client.patch(url, {"planned_on": "2025-08-01"}, format="json")
    assert refused.status_code == 400 and "planned_on" in refused.json()
    moved = client.patch(url, {"planned_on": "2025-08-01", "change_reason": "设备到货推迟"}, format="json")
    assert moved.status_code == 200, moved.json()
    assert moved.json()["planned_on"] == "2025-08-01" and moved.json()["baseline_on"] == "2025-05-01"
    history = client.get(f"{url}history/").json()["results"]
    assert history[0]["history_change_reason"] == "设备到货推迟"
    # Changing other fields needs no reason.
    assert client.patch(url, {"responsible_unit": "市发改委"}, format="json").status_code == 200


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"code": "other", "planned_on": "2025-01-01"}, "non_field_errors"),  # "other" needs a name
        ({"code": "land", "planned_on": "2025-01-01", "actual_on": "2025-01-02"}, "non_field_errors"),
        ({"code": "land", "planned_on": "2025-01-01", "status": "met"}, "non_field_errors"),
        ({"code": "start", "planned_on": "2025-01-01"}, "non_field_errors"),  # one start per project
        ({"code": "bogus", "planned_on": "2025-01-01"}, "code"),
    ],
)
def test_invalid_milestones_answer_400(w, payload, field):
    response = client_for(w["province"]).post(
        "/api/v1/milestones/", {"project": w["ty_project"].pk, **payload}, format="json"
    )
    assert response.status_code == 400 and field in response.json(), response.json()


def test_scope(w):
    client = client_for(w["ty_staff"])
    rows = client.get("/api/v1/milestones/", {"page_size": 100}).json()["results"]
    assert rows and {row["city"] for row in rows} == {"140100"}
    assert client.get(f"/api/v1/milestones/{w['dt_milestone'].pk}/").status_code == 404
    # Another city's project is answered like a missing one.
    other = client.post(
        "/api/v1/milestones/",
        {"project": w["dt_project"].pk, "code": "land", "planned_on": "2025-01-01"},
        format="json",
    )
    missing = client.post(
        "/api/v1/milestones/", {"project": 987654, "code": "land", "planned_on": "2025-01-01"}, format="json"
    )
    assert other.status_code == missing.status_code == 400
    assert other.json()["project"][0].replace(str(w["dt_project"].pk), "") == missing.json()["project"][0].replace(
        "987654", ""
    )
    assert client_for(w["viewer"]).patch(
        f"/api/v1/milestones/{w['ty_milestone'].pk}/", {"note": "x"}, format="json"
    ).status_code in (403, 404)


@pytest.mark.parametrize("url", ["/api/v1/milestones/", "/api/v1/batches/", "/api/v1/batch-projects/"])
def test_list_queries_do_not_grow_with_page_size(w, url, django_assert_max_num_queries):
    client = client_for(w["ty_staff"])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(url, {"page_size": 1}).status_code == 200
    with django_assert_max_num_queries(len(one)):
        assert client.get(url, {"page_size": 100}).status_code == 200
    assert len(one) <= 8


def test_batches_count_visible_projects_only_and_are_the_provinces(w):
    body = client_for(w["ty_staff"]).get(f"/api/v1/batches/{w['batch'].pk}/").json()
    assert body["counts"] == {"sign": 1, "start": 0, "production": 0}
    assert client_for(w["province"]).get(f"/api/v1/batches/{w['batch'].pk}/").json()["counts"]["start"] == 1
    refused = client_for(w["ty_staff"]).post("/api/v1/batches/", {"name": "x", "held_on": "2025-01-01"}, format="json")
    assert refused.status_code == 403
    entry = client_for(w["ty_staff"]).post(
        "/api/v1/batch-projects/",
        {"batch": w["batch"].pk, "project": w["dt_project"].pk, "kind": "sign"},
        format="json",
    )
    assert entry.status_code == 400 and "project" in entry.json()


def test_milestones_export_as_csv(w):
    response = client_for(w["province"]).get("/api/v1/milestones/", {"format": "csv"})
    assert response.status_code == 200 and Milestone.objects.count() + 1 == response.getvalue().decode().count("\n")
