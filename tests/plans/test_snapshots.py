"""Yearly snapshots stand at 31 December of their year, whenever they are taken."""

import datetime
from decimal import Decimal

import pytest

from jobs.models import Job
from plans import tasks
from plans.models import TargetProgressSnapshot
from plans.snapshots import target_progress_snapshot_take
from tests import factories
from tests.shared import built_once


def build():
    regions = factories.make_regions()
    plan = factories.make_plan()
    target = factories.make_target(
        plan, regions["140000"], baseline_value=Decimal("100"), baseline_year=2020, target_value=Decimal("200")
    )
    # A stock indicator: the path is compound, 100 · 2 ** (730 / 1826) = 131.9 on 2022-12-31, so 130
    # there is 0.30 of the way against 0.319 expected (0.94): 滞后.
    # 2024: 190, entered later: on track for the end of 2024, met by the end of 2025.
    for year, value in [(2022, "130"), (2024, "190"), (2025, "201")]:
        factories.make_observation(regions["140000"], year=year, value=value, target=target, source="统计公报")
    return {"target": target}


@pytest.fixture(scope="module")
def data(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker=django_db_blocker, build=build)


pytestmark = pytest.mark.django_db


def snapshot(year):
    return TargetProgressSnapshot.objects.get(year=year)


def test_a_snapshot_stands_at_the_31_december_of_its_year_not_at_today(data):
    # Today (December 2026 or later) the target is past its year and met with the 2025 value.
    assert target_progress_snapshot_take(year=2022) == 1
    row = snapshot(2022)
    assert (row.latest_value, row.latest_year, row.status) == (Decimal("130"), 2022, "behind")
    assert row.progress == pytest.approx(0.3)
    assert row.expected_progress == pytest.approx(2 ** (730 / 1826) - 1, rel=1e-3)


@pytest.mark.parametrize(
    ("year", "latest", "status"),
    [(2021, None, "no_data"), (2023, Decimal("130"), "far_behind"), (2024, Decimal("190"), "faster"),
     (2025, Decimal("201"), "ahead"), (2026, Decimal("201"), "achieved")],
)  # fmt: skip
def test_each_year_is_judged_by_the_values_of_its_own_time(data, year, latest, status):
    target_progress_snapshot_take(year=year)
    row = snapshot(year)
    assert (row.latest_value, row.status) == (latest, status)


def test_taking_a_snapshot_again_changes_nothing(data):
    target_progress_snapshot_take(year=2022)
    target_progress_snapshot_take(year=2022)
    row = snapshot(2022)
    assert row.history.count() == 1
    assert "截至 2022-12-31" in Job.objects.get(key="snapshot:2022").message


def test_the_task_snapshots_the_year_just_ended_by_the_clock(data, monkeypatch):
    monkeypatch.setattr(tasks.timezone, "localdate", lambda: datetime.date(2025, 1, 2))
    assert tasks.snapshot_target_progress.delay().get() == 1
    # The 2025 value exists already, but the snapshot of 2024 stands at 2024-12-31.
    assert (snapshot(2024).latest_value, snapshot(2024).status) == (Decimal("190"), "faster")
