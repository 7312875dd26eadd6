"""plans.progress as of a date: every status at its boundaries, the Open SDG ratio, the path, preferences.

Pure rule tests on unsaved records (no database): ``judge`` and ``path_value`` take the records as
the queries would load them.
"""

import datetime
from decimal import Decimal

import pytest

from plans.choices import (
    ComparatorChoices,
    ObservationStatusChoices,
    ProgressGradeChoices,
    ProgressStatusChoices,
    TimeAggregationChoices,
)
from plans.models import Indicator, Observation, Plan, Target
from plans.progress import Thresholds, _preference, judge, path_value

LIMITS = Thresholds(faster=1.10, on_track=0.95, behind=0.70, sdg_on_track=0.95, sdg_acceleration=0.60, stale_days=548)
S = ProgressStatusChoices


def target(*, baseline=100, goal=200, comparator=ComparatorChoices.GE, time=TimeAggregationChoices.RATE, **fields):
    indicator = Indicator(pk=1, key="x", name="x", time_aggregation=time)
    plan = Plan(pk=1, code="p", title="p", period_start=2021, period_end=2025)
    values = {
        "baseline_value": None if baseline is None else Decimal(baseline),
        "baseline_year": 2020,
        "target_value": Decimal(goal),
        "target_year": 2025,
        "comparator": comparator,
    }
    return Target(pk=1, indicator=indicator, plan=plan, scope_id=1, **{**values, **fields})


def observation(value, year, pk=1, **fields):
    return Observation(pk=pk, indicator_id=1, scope_id=1, value=Decimal(value), year=year, **fields)


def status(goal_target, observations, as_of):
    return judge(goal_target, observations=observations, steps=[], as_of=as_of, limits=LIMITS)


# Straight path 100 → 200 from 2020-12-31 to 2025-12-31: at 2023-12-31 (1095 of 1826 days) 序时进度 is 0.5997.
AS_OF = datetime.date(2023, 12, 31)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (200, S.AHEAD),
        (166.0, S.FASTER),  # 0.66 / 0.5997 = 1.10
        (165.8, S.ON_TRACK),
        (157.0, S.ON_TRACK),  # 0.57 / 0.5997 = 0.950
        (156.9, S.BEHIND),
        (142.0, S.BEHIND),  # 0.42 / 0.5997 = 0.700
        (141.9, S.FAR_BEHIND),
    ],
)
def test_before_the_target_year_progress_is_judged_against_the_path_at_the_as_of_date(value, expected):
    assert status(target(), [observation(value, 2023)], AS_OF).status == expected


def test_before_the_target_year_without_a_value_after_the_baseline_there_is_no_data():
    assert status(target(), [observation(100, 2020)], AS_OF).status == S.NO_DATA


@pytest.mark.parametrize(
    ("observations", "expected"),
    [
        ([observation(200, 2025)], S.ACHIEVED),
        ([observation(199, 2025)], S.MISSED),
        ([observation(150, 2024)], S.OVERDUE_NO_DATA),
        ([], S.OVERDUE_NO_DATA),
        ([observation(250, 2026)], S.OVERDUE_NO_DATA),  # a later year does not answer a 2025 target
    ],
)
def test_after_the_target_year(observations, expected):
    assert status(target(), observations, datetime.date(2026, 1, 1)).status == expected


def test_the_target_year_is_judged_by_the_path_until_its_last_day():
    assert status(target(), [observation(199, 2025)], datetime.date(2025, 12, 31)).status == S.ON_TRACK


def test_a_value_counts_once_its_period_has_ended():
    quarter = observation(190, 2023, quarter=3)
    assert status(target(), [quarter], datetime.date(2023, 9, 29)).status == S.NO_DATA
    assert status(target(), [quarter], datetime.date(2023, 9, 30)).status == S.FASTER


def test_flows_are_judged_by_annual_values_only():
    flow = target(time=TimeAggregationChoices.FLOW)
    assert status(flow, [observation(190, 2023, quarter=3)], AS_OF).status == S.NO_DATA


def test_stale_after_the_configured_age():
    assert not status(target(), [observation(150, 2022)], datetime.date(2024, 7, 1)).stale  # 548 days
    assert status(target(), [observation(150, 2022)], datetime.date(2024, 7, 2)).stale


@pytest.mark.parametrize(
    ("value", "grade"),
    [
        (200, ProgressGradeChoices.ACHIEVED),
        (150, ProgressGradeChoices.ON_TRACK),
        (130, ProgressGradeChoices.ACCELERATION_NEEDED),
        (110, ProgressGradeChoices.LIMITED),
        (90, ProgressGradeChoices.DETERIORATION),
    ],
)
def test_open_sdg_ratio_and_grade(value, grade):
    result = status(target(), [observation(value, 2023)], AS_OF)
    needed = 2 ** (1 / 5) - 1
    observed = (value / 100) ** (1 / 3) - 1
    if grade != ProgressGradeChoices.ACHIEVED:
        assert result.sdg_ratio == pytest.approx(observed / needed)
    assert result.grade == grade


def test_path_is_straight_for_rates_and_compound_for_stocks():
    points = [(2020, 100.0), (2025, 200.0)]
    middle = datetime.date(2023, 7, 2)  # half way in days
    share = (middle.toordinal() - datetime.date(2020, 12, 31).toordinal()) / 1826
    assert path_value(points, at=middle, compound=False) == pytest.approx(100 + 100 * share)
    assert path_value(points, at=middle, compound=True) == pytest.approx(100 * 2**share)


def test_yearly_steps_bend_the_path():
    steps = [(2023, 190.0)]
    result = judge(target(), observations=[observation(180, 2023)], steps=steps, as_of=AS_OF, limits=LIMITS)
    assert result.expected_progress == pytest.approx(0.9)
    assert result.status == S.BEHIND  # 0.8 of the way where the steps expect 0.9: 0.89 < 0.95


def test_baseline_comes_from_the_observation_of_the_year_before_the_period():
    no_baseline = target(baseline=None, baseline_year=None)
    result = status(no_baseline, [observation(100, 2020), observation(170, 2023, pk=2)], AS_OF)
    assert result.baseline == 100
    assert result.status == S.FASTER


def test_per_year_targets_are_judged_each_year_against_the_yearly_goal():
    per_year = target(baseline=None, baseline_year=None, goal=10, comparator=ComparatorChoices.APPROX, is_per_year=True)
    assert status(per_year, [observation(10, 2023)], AS_OF).status == S.ON_TRACK
    assert status(per_year, [observation(8, 2023)], AS_OF).status == S.BEHIND


def test_the_preferred_observation_is_revised_over_final_over_preliminary_then_a_bulletin_then_the_later_plan():
    preliminary = observation(1, 2023, pk=9, status=ObservationStatusChoices.PRELIMINARY)
    final_in_plan = observation(2, 2023, pk=2, status=ObservationStatusChoices.FINAL, source_plan_id=1)
    final_in_plan.source_date = datetime.date(2021, 1, 1)
    final_in_later_plan = observation(3, 2023, pk=1, status=ObservationStatusChoices.FINAL, source_plan_id=2)
    final_in_later_plan.source_date = datetime.date(2022, 1, 1)
    bulletin = observation(4, 2023, pk=3, status=ObservationStatusChoices.FINAL)
    revised = observation(5, 2023, pk=4, status=ObservationStatusChoices.REVISED, source_plan_id=1)
    ranked = sorted([preliminary, final_in_plan, final_in_later_plan, bulletin, revised], key=_preference)
    assert [item.value for item in ranked] == [1, 2, 3, 4, 5]
