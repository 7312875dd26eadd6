"""A key project's page and the warning board, server-side per role, and the project page in a browser."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from projects.models import KeyProject, ProjectWarning
from projects.services import milestone_update, warnings_evaluate
from tests import factories
from tests.shared import built_once

from .conftest import build_pages_data

pytestmark = pytest.mark.django_db

TY_PROJECT = "太重轨道交通装备扩能项目"
DT_PROJECT = "大同风电装备基地项目"


def add_dispatch(data) -> dict:
    """Milestones, a year plan, monthly reports and warnings for one project of each of 太原 and 大同."""
    year = timezone.localdate().year
    ty = data.projects[TY_PROJECT]
    dt = data.projects[DT_PROJECT]
    KeyProject.objects.filter(pk__in=[ty.pk, dt.pk]).update(created=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    KeyProject.objects.filter(pk=ty.pk).update(source_quote="推进太重轨道交通装备扩能项目建设")
    land = factories.make_milestone(
        ty, code="land", planned_on=datetime.date(year - 1, 3, 1), responsible_unit="市自然资源局"
    )
    milestone_update(
        instance=land, user=None, data={"planned_on": datetime.date(year - 1, 6, 1)}, reason="用地报批延后"
    )
    factories.make_milestone(
        ty,
        code="approval",
        planned_on=datetime.date(year - 1, 1, 1),
        status="met",
        actual_on=datetime.date(year - 1, 1, 5),
    )
    factories.make_year_plan(ty, year=year, planned_investment="24")
    for month in range(1, 4):
        factories.make_report(
            ty, year=year, month=month, investment_completed=Decimal("1.5") if month != 2 else None, progress="主体施工"
        )
    factories.make_report(
        ty,
        year=year - 1,
        month=12,
        investment_completed=Decimal("3"),
        problems="用地指标不足",
        problem_level="province",
    )
    factories.make_milestone(dt, code="eia", planned_on=datetime.date(year - 1, 1, 1))
    warnings_evaluate(today=timezone.localdate())
    return {"ty": ty.pk, "dt": dt.pk}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    def build():
        data = build_pages_data()
        data.dispatch = add_dispatch(data)
        return data

    yield from built_once(django_db_blocker=django_db_blocker, build=build)


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


@pytest.mark.parametrize("role", ["province", "taiyuan", "viewer"])
def test_project_page_per_role(client, world, role):
    response = get(client, world.users[role], f"/projects/{world.dispatch['ty']}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert TY_PROJECT in html and "推进太重轨道交通装备扩能项目建设" in html
    # Baseline and moved plan both shown; the move's reason in the history of the milestone.
    milestones = response.context["milestones"]
    land = next(m for m in milestones if m.code == "land")
    assert land.baseline_on != land.planned_on and "已调整" in html
    assert "用地指标不足" in html and "省级" in html
    # An unknown month keeps the year's sum known but its rate unknown ("—").
    progress = response.context["progress"]
    assert progress["year_completed"] == Decimal("3.00") and progress["year_unknown_reports"] == 1
    assert progress["year_rate"] is None
    months = response.context["page_data"]["months"]
    assert months[-1]["planned_cumulative"] == 24.0 and len(months) >= 12
    assert response.context["open_warnings"]
    assert response.context["can_acknowledge"] == (role != "viewer")


def test_a_project_without_history_has_a_page(client, world):
    project = KeyProject.objects.get(pk=world.dispatch["dt"])
    project.history.all().delete()  # as generated (bulk-written) projects have none
    response = get(client, world.users["province"], f"/projects/{project.pk}/")
    assert response.status_code == 200 and response.context["history"] == []


def test_another_citys_project_is_a_404(client, world):
    assert get(client, world.users["taiyuan"], f"/projects/{world.dispatch['dt']}/").status_code == 404
    assert get(client, world.users["taiyuan"], "/projects/987654/").status_code == 404
    assert get(client, world.users["datong"], f"/projects/{world.dispatch['dt']}/").status_code == 200


def test_project_page_queries_do_not_grow(client, world):
    client.force_login(world.users["province"])
    url = f"/projects/{world.dispatch['ty']}/"
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    ty = KeyProject.objects.get(pk=world.dispatch["ty"])
    for month in range(4, 10):
        factories.make_report(ty, year=timezone.localdate().year - 2, month=month, investment_completed=Decimal("1"))
        factories.make_milestone(ty, code="other", name=f"设备到货{month}", planned_on=datetime.date(2024, month, 1))
    with CaptureQueriesContext(connection) as after:
        assert client.get(url).status_code == 200
    assert len(after) == len(before) <= 30


def test_the_city_page_links_to_project_pages(client, world):
    html = get(client, world.users["taiyuan"], "/cities/140100/").content.decode()
    assert f'href="/projects/{world.dispatch["ty"]}/"' in html


@pytest.mark.parametrize("role,cities", [("province", {"太原市", "大同市"}), ("taiyuan", {"太原市"})])
def test_warning_board_per_role(client, world, role, cities):
    response = get(client, world.users[role], "/warnings/")
    assert response.status_code == 200
    assert {w.project.city.name for w in response.context["page"]} == cities
    assert {row["name"] for row in response.context["counts"]["rows"]} == cities


def test_warning_board_filters(client, world):
    user = world.users["province"]
    rows = get(client, user, "/warnings/", city="140200").context["page"]
    assert rows and {w.project.city.code for w in rows} == {"140200"}
    rule = get(client, user, "/warnings/", rule="milestone_overdue").context["page"]
    assert rule and {w.rule for w in rule} == {"milestone_overdue"}
    old = get(client, user, "/warnings/", age="90").context["page"]
    assert list(old) == []  # every warning was opened today
    assert get(client, user, "/warnings/", level="bogus").context["filterset"].errors


def test_acknowledge_from_the_board(client, world):
    warning = ProjectWarning.objects.filter(project_id=world.dispatch["ty"], resolved_on__isnull=True).first()
    url = f"/warnings/{warning.pk}/acknowledge/"
    client.force_login(world.users["viewer"])
    client.post(url, {"comment": "看过"})
    warning.refresh_from_db()
    assert warning.acknowledged_at is None
    client.force_login(world.users["datong"])
    assert client.post(url, {"comment": "x"}).status_code == 404
    client.force_login(world.users["taiyuan"])
    response = client.post(url, {"comment": "已报省自然资源厅协调", "next": "/warnings/"})
    assert response.status_code == 302 and response["Location"] == "/warnings/"
    warning.refresh_from_db()
    assert warning.comment == "已报省自然资源厅协调" and warning.acknowledged_by == world.users["taiyuan"]


def test_dashboard_shows_unknown_investment_as_a_dash(client, world):
    KeyProject.objects.update(total_investment=None)
    response = get(client, world.users["province"], "/")
    figures = response.context["figures"]
    assert figures["investment"] is None and figures["investment_unknown"] == figures["projects"] > 0
    assert "另有" in response.content.decode()
    assert response.context["warnings"]["red"] + response.context["warnings"]["yellow"] > 0
