"""Warning rules at their boundaries (a frozen clock: ``today=`` passed explicitly), escalation,
idempotent evaluation, red notices, investment sums with unknown amounts, and the warnings API by role."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from common.choices import RoleChoices
from notices.models import Notice
from projects import warning_rules
from projects.models import KeyProject, ProjectWarning
from projects.selectors import investment_summary, with_investment_progress
from projects.services import (
    _warnings_open,
    milestone_update,
    project_report_create,
    project_report_update,
    warnings_evaluate,
)
from tests import factories
from tests.shared import built_once, fresh_copy

pytestmark = pytest.mark.django_db

D = datetime.date
LONG_AGO = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


def _project(name, city, **fields):
    project = factories.make_project(name, city, **fields)
    KeyProject.objects.filter(pk=project.pk).update(created=LONG_AGO)
    project.refresh_from_db()
    return project


def build():
    regions = factories.make_regions()
    ty, dt = regions["140100"], regions["140200"]
    w = SimpleNamespace(ty=ty, dt=dt)
    w.province = factories.make_user("sheng", RoleChoices.PROVINCE)
    w.ty_staff = factories.make_user("ty", RoleChoices.CITY, [ty], email="ty@example.cn")
    w.dt_staff = factories.make_user("dt", RoleChoices.CITY, [dt])
    w.viewer = factories.make_user("viewer", RoleChoices.VIEWER)
    # Milestone rule: land approval due 2025-01-01, not met.
    w.late = _project("用地逾期项目", ty, stage="planned")
    w.land = factories.make_milestone(w.late, code="land", planned_on=D(2025, 1, 1))
    # Stage rule: start due 2025-01-01, project only signed.
    w.slow = _project("开工滞后项目", ty, stage="planned")
    factories.make_milestone(w.slow, code="start", planned_on=D(2025, 1, 1))
    # Investment rule: 120 planned in 2025.
    w.money = _project("投资滞后项目", dt, stage="planned", total_investment=Decimal("500"))
    factories.make_year_plan(w.money, year=2025, planned_investment="120")
    # Report rule: started, reports up to April 2025.
    w.quiet = _project("未报送项目", dt, stage="started")
    for month in (3, 4):
        factories.make_report(w.quiet, year=2025, month=month, investment_completed=Decimal("1"))
    return w


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker=django_db_blocker, build=build)


@pytest.fixture
def w(built, db):
    return fresh_copy(built)


def open_warning(project, rule):
    return ProjectWarning.objects.filter(project=project, rule=rule, resolved_on__isnull=True).first()


# Milestone overdue ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "days,level",
    [(0, None), (29, None), (30, "yellow"), (89, "yellow"), (90, "red")],
)
def test_milestone_overdue_boundaries(w, days, level):
    warnings_evaluate(today=D(2025, 1, 1) + datetime.timedelta(days=days), projects=[w.late])
    warning = open_warning(w.late, "milestone_overdue")
    assert (warning.level if warning else None) == level
    if warning:
        assert warning.figures["days"] == days and warning.figures["milestone"] == w.land.pk


def test_escalation_keeps_the_opened_date_and_is_recorded(w):
    warnings_evaluate(today=D(2025, 2, 15), projects=[w.late])
    yellow = open_warning(w.late, "milestone_overdue")
    warnings_evaluate(today=D(2025, 4, 5), projects=[w.late])
    red = open_warning(w.late, "milestone_overdue")
    assert red.pk == yellow.pk and red.level == "red"
    assert red.opened_on == D(2025, 2, 15) and red.escalated_on == D(2025, 4, 5)
    assert [h.level for h in red.history.order_by("history_id")] == ["yellow", "red"]
    # Never back to yellow while the rule still breaks.
    warnings_evaluate(today=D(2025, 2, 20), projects=[w.late])
    assert open_warning(w.late, "milestone_overdue").level == "red"


def test_evaluation_is_idempotent(w):
    first = warnings_evaluate(today=D(2025, 7, 20))
    count = ProjectWarning.objects.count()
    second = warnings_evaluate(today=D(2025, 7, 20))
    assert first.opened >= 4 and (second.opened, second.escalated, second.resolved) == (0, 0, 0)
    assert ProjectWarning.objects.count() == count


def test_the_nightly_run_reads_the_projects_in_key_order_chunks(w, monkeypatch):
    """Every project once, each chunk read from where the last ended (no OFFSET: a million rows walked again)."""
    import projects.services

    everyone = warnings_evaluate(today=D(2025, 7, 20), projects=KeyProject.objects.none())
    assert (everyone.opened, everyone.escalated, everyone.resolved) == (0, 0, 0)
    whole = warnings_evaluate(today=D(2025, 7, 20))
    ProjectWarning.objects.all().delete()
    seen = []
    evaluate = projects.services._evaluate_chunk
    monkeypatch.setattr(projects.services, "EVALUATION_BATCH", 2)
    monkeypatch.setattr(
        projects.services,
        "_evaluate_chunk",
        lambda chunk, *args: seen.append([p.pk for p in chunk]) or evaluate(chunk, *args),
    )
    with CaptureQueriesContext(connection) as queries:
        chunked = warnings_evaluate(today=D(2025, 7, 20), projects=KeyProject.objects.order_by("-name"))
    keys = [pk for chunk in seen for pk in chunk]
    assert keys == sorted(KeyProject.objects.values_list("pk", flat=True)) and len(seen) == (len(keys) + 1) // 2 >= 2
    assert all(len(chunk) <= 2 for chunk in seen)
    assert not any("OFFSET" in q["sql"] for q in queries.captured_queries)
    assert chunked.opened == whole.opened >= 4


def test_met_milestone_resolves_the_warning_and_a_new_breach_opens_a_new_one(w):
    warnings_evaluate(today=D(2025, 3, 1), projects=[w.late])
    warning = open_warning(w.late, "milestone_overdue")
    ProjectWarning.objects.filter(pk=warning.pk)  # still open
    w.land.status, w.land.actual_on = "met", D(2025, 2, 1)
    w.land.save()
    result = warnings_evaluate(today=D(2025, 3, 2), projects=[w.late])
    warning.refresh_from_db()
    assert result.resolved == 1 and warning.resolved_on == D(2025, 3, 2)
    assert open_warning(w.late, "milestone_overdue") is None


# Stage late ----------------------------------------------------------------------------------------


def test_stage_late_until_the_stage_is_reached(w):
    warnings_evaluate(today=D(2025, 1, 30), projects=[w.slow])
    assert open_warning(w.slow, "stage_late") is None
    warnings_evaluate(today=D(2025, 1, 31), projects=[w.slow])
    warning = open_warning(w.slow, "stage_late")
    assert warning.level == "yellow" and warning.figures["expected"] == "started"
    # A start milestone is judged by the stage, not as an overdue procedure milestone.
    assert open_warning(w.slow, "milestone_overdue") is None
    KeyProject.objects.filter(pk=w.slow.pk).update(stage="started")
    warnings_evaluate(today=D(2025, 2, 1), projects=[KeyProject.objects.get(pk=w.slow.pk)])
    assert open_warning(w.slow, "stage_late") is None


# Investment behind 序时进度 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "done,level",
    # Mid-June: 5 months elapsed, 序时进度 5/12 = 41.67% of 120 = 50.
    [("50", None), ("38", None), ("37.99", "yellow"), ("26", "yellow"), ("25.99", "red")],
)
def test_investment_behind_boundaries(w, done, level):
    factories.make_report(w.money, year=2025, month=5, investment_completed=Decimal(done))
    warnings_evaluate(today=D(2025, 6, 15), projects=[w.money])
    warning = open_warning(w.money, "investment_behind")
    assert (warning.level if warning else None) == level
    if warning:
        assert warning.figures["planned"] == "120.00" and Decimal(warning.figures["actual"]) == Decimal(done)


def test_red_boundary_is_strictly_beyond_twenty_points(w):
    # 26 of 120 = 21.67%: 20 points behind 41.67% → exactly 20: yellow, not red.
    factories.make_report(w.money, year=2025, month=5, investment_completed=Decimal("26"))
    warnings_evaluate(today=D(2025, 6, 15), projects=[w.money])
    assert open_warning(w.money, "investment_behind").level == "yellow"


def test_an_unknown_monthly_amount_leaves_the_rule_unjudged(w):
    factories.make_report(w.money, year=2025, month=4, investment_completed=None)
    warnings_evaluate(today=D(2025, 6, 15), projects=[w.money])
    assert open_warning(w.money, "investment_behind") is None


# No report -----------------------------------------------------------------------------------------


def test_no_report_boundaries(w):
    # On 10 June May's report is not yet missing (due 10 days after the month); April's is there.
    warnings_evaluate(today=D(2025, 6, 10), projects=[w.quiet])
    assert open_warning(w.quiet, "no_report") is None
    warnings_evaluate(today=D(2025, 6, 11), projects=[w.quiet])
    warning = open_warning(w.quiet, "no_report")
    assert warning.level == "yellow" and warning.figures["missing"] == ["2025-05"]
    # Two months missing: red.
    warnings_evaluate(today=D(2025, 7, 11), projects=[w.quiet])
    warning.refresh_from_db()
    assert warning.level == "red" and warning.figures["missing"] == ["2025-06", "2025-05"]


def test_a_new_red_warning_notifies_the_city_staff_once(w):
    warnings_evaluate(today=D(2025, 7, 11), projects=[w.quiet])
    warnings_evaluate(today=D(2025, 7, 12), projects=[w.quiet])
    notices = Notice.objects.filter(key__startswith="warning:", kind="warning_red")
    assert [n.recipient for n in notices] == [w.dt_staff]
    assert notices[0].link == f"/projects/{w.quiet.pk}/"


# Reports move the stage and re-evaluate ------------------------------------------------------------


def test_a_report_moves_the_stage_with_history(w):
    report = project_report_create(
        user=w.ty_staff,
        data={"project": w.slow, "year": 2025, "month": 5, "stage": "started", "investment_completed": None},
    )
    w.slow.refresh_from_db()
    assert w.slow.stage == "started"
    assert w.slow.history.first().history_change_reason == "2025年5月调度报告"
    assert w.slow.history.first().history_user == w.ty_staff
    # Correcting an older report does not move the stage back.
    older = project_report_create(
        user=w.ty_staff, data={"project": w.slow, "year": 2025, "month": 4, "stage": "signed"}
    )
    w.slow.refresh_from_db()
    assert w.slow.stage == "started" and report.investment_completed is None
    project_report_update(instance=older, user=w.ty_staff, data={"stage": "planned"})
    w.slow.refresh_from_db()
    assert w.slow.stage == "started"


def test_a_problem_needs_its_level(w):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        project_report_create(
            user=w.ty_staff,
            data={"project": w.slow, "year": 2025, "month": 6, "stage": "signed", "problems": "用地指标不足"},
        )
    assert "协调层级" in str(caught.value)


# Investment sums with unknown amounts ---------------------------------------------------------------


def test_investment_sums_keep_unknown_apart(w):
    factories.make_report(w.money, year=2025, month=5, investment_completed=Decimal("30"))
    projects = KeyProject.objects.filter(pk__in=[w.money.pk, w.quiet.pk, w.late.pk])
    figures = investment_summary(queryset=projects, year=2025)
    assert figures["total"] == Decimal("500") and figures["total_unknown"] == 2
    assert figures["planned"] == Decimal("120") and figures["planned_unknown"] == 2
    assert figures["completed_year"] == Decimal("32") and figures["completed_year_unknown"] == 1
    assert figures["year_rate"] == 25.0  # 30 of 120: only projects with both amounts known
    none_known = investment_summary(queryset=KeyProject.objects.filter(pk=w.late.pk), year=2025)
    assert none_known["total"] is None and none_known["total_unknown"] == 1  # "—", never 0


def test_progress_of_a_project_with_an_unknown_month_has_no_rate(w):
    factories.make_report(w.money, year=2025, month=5, investment_completed=None)
    factories.make_report(w.money, year=2025, month=4, investment_completed=Decimal("10"))
    project = with_investment_progress(KeyProject.objects.filter(pk=w.money.pk), year=2025).get()
    assert project.completed_year == Decimal("10") and project.completed_year_unknown == 1


# API -----------------------------------------------------------------------------------------------


def client_for(user):
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(pk=user.pk))
    return client


@pytest.fixture
def warned(w):
    warnings_evaluate(today=D(2025, 7, 20))
    return w


def test_warning_list_is_scoped_and_filtered(warned, django_assert_max_num_queries):
    w = warned
    rows = client_for(w.ty_staff).get("/api/v1/warnings/", {"page_size": 100}).json()["results"]
    assert rows and {row["city"] for row in rows} == {"140100"}
    everything = client_for(w.province).get("/api/v1/warnings/", {"page_size": 100}).json()["results"]
    assert {row["city"] for row in everything} == {"140100", "140200"}
    red = client_for(w.province).get("/api/v1/warnings/", {"level": "red", "city": "140200"}).json()["results"]
    assert red and all(row["level"] == "red" and row["city"] == "140200" for row in red)
    assert client_for(w.province).get("/api/v1/warnings/", {"rule": "nope"}).status_code == 400
    with django_assert_max_num_queries(8):
        assert client_for(w.province).get("/api/v1/warnings/", {"page_size": 1}).status_code == 200
    with django_assert_max_num_queries(8):
        assert client_for(w.province).get("/api/v1/warnings/", {"page_size": 100}).status_code == 200


def test_acknowledge_and_resolve_by_role(warned):
    w = warned
    own = open_warning(w.late, "milestone_overdue")
    other = open_warning(w.quiet, "no_report")
    url = f"/api/v1/warnings/{own.pk}/acknowledge/"
    assert client_for(w.viewer).post(url, {"comment": "看过"}, format="json").status_code == 403
    assert (
        client_for(w.ty_staff).post(f"/api/v1/warnings/{other.pk}/acknowledge/", {}, format="json").status_code == 404
    )
    response = client_for(w.ty_staff).post(url, {"comment": "已协调国土部门"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["comment"] == "已协调国土部门" and body["acknowledged_by"] == "ty" and response["ETag"]
    response = client_for(w.ty_staff).post(f"/api/v1/warnings/{own.pk}/resolve/", {"reason": "已办结"}, format="json")
    assert response.status_code == 200 and response.json()["resolved_on"]
    again = client_for(w.ty_staff).post(f"/api/v1/warnings/{own.pk}/resolve/", {}, format="json")
    assert again.status_code == 400 and "resolved_on" in again.json()
    # Warnings are not written directly.
    assert client_for(w.province).post("/api/v1/warnings/", {}, format="json").status_code == 405


def test_projects_carry_investment_progress_and_warning_counts(warned, django_assert_max_num_queries):
    w = warned
    client = client_for(w.province)
    with django_assert_max_num_queries(7):
        one = client.get("/api/v1/projects/", {"page_size": 1})
    with django_assert_max_num_queries(7):
        rows = client.get("/api/v1/projects/", {"page_size": 100}).json()["results"]
    assert one.status_code == 200
    row = next(r for r in rows if r["id"] == w.quiet.pk)
    assert row["open_warnings"] >= 1 and row["red_warnings"] >= 1
    assert set(row["investment_progress"]) >= {"year_planned", "year_rate", "total_completed", "total_rate"}
    late = next(r for r in rows if r["id"] == w.late.pk)
    assert late["investment_progress"]["total_rate"] is None  # unknown total investment: no rate


def test_milestone_update_needs_a_reason_to_move_the_plan(w):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        milestone_update(instance=w.land, user=w.ty_staff, data={"planned_on": D(2025, 3, 1)})
    moved = milestone_update(
        instance=w.land, user=w.ty_staff, data={"planned_on": D(2025, 3, 1)}, reason="土地报批延后"
    )
    assert moved.baseline_on == D(2025, 1, 1) and moved.planned_on == D(2025, 3, 1)
    assert moved.history.first().history_change_reason == "土地报批延后"


def test_city_rankings(w):
    from projects.selectors import city_rankings

    factories.make_report(w.money, year=2025, month=5, investment_completed=Decimal("60"))
    warnings_evaluate(today=D(2025, 7, 20))
    rows = {row["code"]: row for row in city_rankings(queryset=KeyProject.objects.all(), year=2025)}
    # 大同: one of two started (50%); 太原: none of two (0%).
    assert rows["140200"]["start_rate"] == 50.0 and rows["140200"]["start_rate_rank"] == 1
    assert rows["140100"]["start_rate"] == 0.0 and rows["140100"]["start_rate_rank"] == 2
    # Only 大同 has a plan with known amounts: 60 of 120.
    assert rows["140200"]["investment_rate"] == 50.0 and rows["140100"]["investment_rate"] is None
    assert rows["140100"]["investment_rate_rank"] is None
    assert {rows[c]["warnings_rank"] for c in rows} == {1, 2}


# Opening many at once --------------------------------------------------------------------------------


def _late_projects(w, count, prefix):
    projects = []
    for index in range(count):
        project = _project(f"{prefix}{index:03d}", w.ty, stage="planned")
        factories.make_milestone(project, code="land", planned_on=D(2025, 1, 1))
        projects.append(project)
    return projects


def test_warnings_open_in_batches_with_history_and_queries_that_do_not_grow_per_warning(w):
    small, large = _late_projects(w, 5, "少批"), _late_projects(w, 25, "多批")
    counts = []
    for projects in (small, large):
        with CaptureQueriesContext(connection) as captured:
            result = warnings_evaluate(today=D(2025, 3, 1), projects=projects)
        assert result.opened == len(projects)
        counts.append(len(captured.captured_queries))
    assert counts[1] == counts[0]
    opened = ProjectWarning.objects.filter(project__in=large, rule="milestone_overdue", resolved_on=None)
    assert opened.count() == len(large)
    history = ProjectWarning.history.filter(id__in=opened.values("pk"))
    assert set(history.values_list("history_type", "history_change_reason")) == {("+", "规则评估发出预警")}


def test_a_warning_opened_meanwhile_is_left_as_it_is_and_the_others_open(w):
    projects = _late_projects(w, 3, "并发")
    ProjectWarning.objects.create(
        project=projects[1],
        rule="milestone_overdue",
        level="yellow",
        message="已由另一次评估发出",
        opened_on=D(2025, 2, 1),
    )
    finding = warning_rules.Finding(level="yellow", message="里程碑逾期", figures={})
    opening = [(project, "milestone_overdue", finding) for project in projects]
    opened = _warnings_open(opening=opening, today=D(2025, 3, 1))
    assert opened[1] is None and all(isinstance(warning, ProjectWarning) for warning in (opened[0], opened[2]))
    assert ProjectWarning.objects.get(project=projects[1], resolved_on=None).message == "已由另一次评估发出"
