"""The projects' figures (ProjectFigures, ProjectYearFigures): kept by the services equal to the raw
aggregation of reports, year plans and warnings, and the dashboard's sums read from them equal the
sums over the raw rows."""

import datetime
from collections import defaultdict
from decimal import Decimal

import pytest

from common.choices import RoleChoices
from projects.models import (
    KeyProject,
    ProjectFigures,
    ProjectReport,
    ProjectWarning,
    ProjectYearFigures,
    ProjectYearPlan,
)
from projects.selectors import (
    city_rankings,
    completion_rate,
    investment_by_city,
    investment_summary,
    warning_counts,
    warning_counts_by_city,
)
from projects.services import (
    key_project_create,
    key_project_delete,
    milestone_update,
    project_report_create,
    project_report_create_many,
    project_report_delete,
    project_report_update,
    project_rollup_rebuild,
    project_year_plan_create,
    project_year_plan_delete,
    project_year_plan_update,
    warning_resolve,
    warnings_evaluate,
)
from tests import factories

pytestmark = pytest.mark.django_db

D = datetime.date
YEAR = 2025


def raw_figures() -> tuple[dict, dict]:
    """Per project and per (project, year), the figures computed from the reports, plans and warnings."""
    totals = defaultdict(lambda: [None, 0, 0, 0])
    years = defaultdict(lambda: [None, None, 0])
    for project, year, amount in ProjectReport.objects.values_list("project_id", "year", "investment_completed"):
        for row, done in ((totals[project], 0), (years[(project, year)], 1)):
            if amount is None:
                row[1 + done] += 1
            else:
                row[done] = (row[done] or Decimal(0)) + amount
    for project, year, planned in ProjectYearPlan.objects.values_list("project_id", "year", "planned_investment"):
        years[(project, year)][0] = planned
    for project, level in ProjectWarning.objects.filter(resolved_on__isnull=True).values_list("project_id", "level"):
        totals[project][2] += 1
        totals[project][3] += level == "red"
    return (
        {pk: tuple(row) for pk, row in totals.items()},
        {key: (row[0], row[1], row[2]) for key, row in years.items()},
    )


def stored_figures() -> tuple[dict, dict]:
    totals = {
        row.project_id: (row.completed_total, row.reports_unknown, row.open_warnings, row.red_warnings)
        for row in ProjectFigures.objects.all()
    }
    years = {
        (row.project_id, row.year): (row.planned, row.completed, row.reports_unknown)
        for row in ProjectYearFigures.objects.all()
    }
    return totals, years


def assert_kept():
    assert stored_figures() == raw_figures()


def raw_summary(projects, year: int) -> dict:
    """``investment_summary`` computed from the raw rows, project by project (the rule as written in issue 15)."""
    figures, years = raw_figures()
    sums, counts = defaultdict(lambda: None), defaultdict(int)

    def add(name, value):
        if value is None:
            counts[name] += 1
        else:
            sums[name] = (sums[name] or Decimal(0)) + value

    for project in projects:
        done_total, total_unknown, opened, red = figures.get(project.pk, (None, 0, 0, 0))
        planned, done_year, year_unknown = years.get((project.pk, year), (None, None, 0))
        done_year = None if year_unknown else done_year
        done_total = None if total_unknown else done_total
        counts["projects"] += 1
        counts["open_warnings"] += opened
        counts["red_warnings"] += red
        add("total", project.total_investment)
        add("planned", planned)
        add("completed_year", done_year)
        add("completed_total", done_total)
        if done_year is not None and planned:
            add("rate_year_done", done_year)
            add("rate_year_planned", planned)
        if done_total is not None and project.total_investment:
            add("rate_total_done", done_total)
            add("rate_total_planned", project.total_investment)
    names = ("total", "planned", "completed_year", "completed_total")
    return {
        "year": year,
        "projects": counts["projects"],
        **{name: sums[name] for name in names},
        **{f"{name}_unknown": counts[name] for name in names},
        "year_rate": completion_rate(sums["rate_year_done"], 0, sums["rate_year_planned"]),
        "total_rate": completion_rate(sums["rate_total_done"], 0, sums["rate_total_planned"]),
        "open_warnings": counts["open_warnings"],
        "red_warnings": counts["red_warnings"],
    }


@pytest.fixture
def world():
    regions = factories.make_regions()
    ty, dt = regions["140100"], regions["140200"]
    province = factories.make_user("sheng", RoleChoices.PROVINCE)
    money = factories.make_project("投资项目", dt, stage="started", total_investment=Decimal("500"))
    quiet = factories.make_project("报送项目", ty, stage="started", total_investment=Decimal("40"))
    late = factories.make_project("里程碑项目", ty, stage="planned")
    milestone = factories.make_milestone(late, code="land", planned_on=D(2025, 1, 1))
    return ty, dt, province, money, quiet, late, milestone


def test_every_write_keeps_the_figures_equal_to_the_raw_rows(world):
    ty, dt, province, money, quiet, late, milestone = world
    assert_kept()
    first = project_report_create(
        user=province, data={"project": money, "year": YEAR, "month": 3, "stage": "started", "investment_completed": 10}
    )
    assert_kept()
    unknown = project_report_create(
        user=province, data={"project": money, "year": YEAR, "month": 4, "stage": "started"}
    )
    assert_kept()
    assert ProjectFigures.objects.get(project=money).reports_unknown == 1
    project_report_update(instance=unknown, user=province, data={"investment_completed": Decimal("2.5")})
    assert_kept()
    project_report_update(instance=first, user=province, data={"year": YEAR - 1})
    assert_kept()
    outcomes = project_report_create_many(
        user=province,
        rows=[
            {"project": quiet, "year": YEAR, "month": month, "stage": "started", "investment_completed": month}
            for month in (1, 2)
        ]
        + [{"project": quiet, "year": YEAR, "month": 13, "stage": "started"}],  # refused: counted nowhere
    )
    assert sum(isinstance(outcome, ProjectReport) for outcome in outcomes) == 2
    assert_kept()
    plan = project_year_plan_create(user=province, data={"project": money, "year": YEAR, "planned_investment": 120})
    assert_kept()
    project_year_plan_update(instance=plan, user=province, data={"planned_investment": Decimal("90")})
    assert_kept()
    project_report_delete(instance=first, user=province)
    assert_kept()
    # Warnings opened by the rules, escalated, resolved by hand and by the rules.
    warnings_evaluate(today=D(2025, 6, 1), notify=False)
    assert_kept()
    assert ProjectFigures.objects.get(project=late).open_warnings >= 1
    warnings_evaluate(today=D(2025, 12, 1), notify=False)
    assert_kept()
    warning = ProjectWarning.objects.filter(resolved_on__isnull=True).order_by("pk").first()
    warning_resolve(instance=warning, user=province, today=D(2025, 12, 2))
    assert_kept()
    milestone_update(instance=milestone, user=province, data={"actual_on": D(2025, 2, 1), "status": "met"})
    assert_kept()
    project_year_plan_delete(instance=plan, user=province)
    assert_kept()
    key_project_delete(instance=quiet, user=province)
    assert_kept()
    assert not ProjectFigures.objects.filter(project_id=quiet.pk).exists()
    fresh = key_project_create(user=province, data={"name": "新项目", "city": ty, "stage": "signed"})
    assert_kept()
    assert not ProjectFigures.objects.filter(project=fresh).exists()  # read as no report, no warning


def test_rebuild_recounts_rows_written_around_the_services(world):
    ty, dt, province, money, quiet, late, milestone = world
    ProjectReport.objects.create(project=money, year=YEAR, month=1, stage="started", investment_completed=7)
    ProjectWarning.objects.create(project=quiet, rule="no_report", level="red", message="测试", opened_on=D(2025, 5, 1))
    assert stored_figures() != raw_figures()
    project_rollup_rebuild()
    assert_kept()


def test_dashboard_sums_from_the_figures_equal_the_raw_rows(world):
    ty, dt, province, money, quiet, late, _ = world
    for project, month, amount in ((money, 1, "30"), (money, 2, None), (quiet, 1, "4"), (quiet, 2, "6")):
        factories.make_report(project, year=YEAR, month=month, investment_completed=amount and Decimal(amount))
    factories.make_report(late, year=YEAR - 1, month=6, investment_completed=Decimal("1"))
    factories.make_year_plan(money, year=YEAR, planned_investment="120")
    factories.make_year_plan(quiet, year=YEAR, planned_investment="20")
    factories.make_year_plan(late, year=YEAR, planned_investment="0")
    factories.make_warning(quiet, rule="no_report", level="red")
    factories.make_warning(money, rule="stage_late", level="yellow")
    factories.make_warning(money, rule="no_report", level="yellow", resolved_on=D(2025, 6, 1))
    projects = KeyProject.objects.all()
    for year in (YEAR - 1, YEAR, YEAR + 1):
        assert investment_summary(queryset=projects, year=year) == raw_summary(list(projects), year)
    by_city = investment_by_city(queryset=projects, year=YEAR)
    assert warning_counts_by_city(by_city=by_city) == warning_counts(queryset=ProjectWarning.objects.all())
    rankings = {row["code"]: row for row in city_rankings(queryset=projects, year=YEAR)}
    assert rankings["140100"]["projects"] == 2 and rankings["140100"]["started"] == 1
    assert rankings["140100"]["investment_rate"] == 50.0  # quiet: 10 of 20; late's plan of 0 is no rate
    assert rankings["140200"]["investment_rate"] is None  # money's year has a report without an amount
    assert (rankings["140100"]["warnings"], rankings["140100"]["red"]) == (1, 1)
    assert (rankings["140200"]["warnings"], rankings["140200"]["red"]) == (1, 0)
