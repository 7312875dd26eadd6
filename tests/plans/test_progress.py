"""plans.progress: the status rule, on every kind of target, and its scope."""

import datetime

import pytest

import plans.services
from plans.choices import ProgressStatusChoices as S
from plans.models import Indicator, Target, TargetProgress
from plans.progress import annotate_progress, progress_as_of, refresh_progress
from plans.services import (
    observation_create,
    observation_delete,
    observation_update,
    plan_delete,
    target_create,
    target_delete,
    target_update,
)
from tests.api.base import all_rows, query_count

MID_TERM = datetime.date(2024, 6, 30)

# Today (after 2025, the world's target year): judged by a value of the target year, or any value reaching the goal.
EXPECTED = {
    "achieved": S.ACHIEVED,
    "on-track": S.OVERDUE_NO_DATA,
    "at-risk": S.OVERDUE_NO_DATA,
    "off-track": S.OVERDUE_NO_DATA,
    "no-data": S.OVERDUE_NO_DATA,
    "falling": S.OVERDUE_NO_DATA,
    "range": S.ACHIEVED,
    "no-baseline": S.OVERDUE_NO_DATA,
    "taiyuan": S.ACHIEVED,
    "achieved-taiyuan": S.OVERDUE_NO_DATA,
}
# As of 2024-06-30 (the mid-term picture): against 序时进度; 2024's annual value is not out yet.
EXPECTED_MID_TERM = {
    "achieved": S.AHEAD,
    "on-track": S.FASTER,
    "at-risk": S.BEHIND,
    "off-track": S.FAR_BEHIND,
    "no-data": S.NO_DATA,
    "falling": S.NO_DATA,
    "range": S.AHEAD,
    "no-baseline": S.NO_DATA,
    "taiyuan": S.AHEAD,
    "achieved-taiyuan": S.NO_DATA,
}


def statuses(user):
    return dict(annotate_progress(Target.objects.all(), user=user).values_list("key", "progress_status"))


def statuses_as_of(user, as_of=MID_TERM):
    keys = dict(Target.objects.values_list("pk", "key"))
    return {
        keys[pk]: progress.status
        for pk, progress in progress_as_of(Target.objects.all(), as_of=as_of, user=user).items()
    }


def test_status_of_each_kind_of_target(data):
    assert statuses(data.admin) == EXPECTED
    assert statuses_as_of(data.admin) == EXPECTED_MID_TERM


def test_latest_observation_and_progress(data):
    target = annotate_progress(Target.objects.filter(pk=data.t_on_track.pk), user=data.admin).get()
    # 2023's annual value (170) wins over its third quarter (120).
    assert (target.latest_year, target.latest_quarter, float(target.latest_value)) == (2023, 0, 170.0)
    assert target.progress == pytest.approx(0.7)
    assert target.expected_progress == pytest.approx(1.0)  # the target year has passed


def test_a_city_user_gets_no_progress_from_another_citys_observations(data):
    assert statuses(data.dt_staff)["taiyuan"] == S.NO_DATA
    assert statuses(data.ty_staff)["taiyuan"] == S.ACHIEVED
    assert statuses_as_of(data.dt_staff)["taiyuan"] == S.NO_DATA
    assert statuses_as_of(data.ty_staff)["taiyuan"] == S.AHEAD


def observe(target, **data):
    return observation_create(user=None, data={"indicator": target.indicator, **data})


def test_the_target_year_passed_unmet_is_missed(data):
    observe(data.t_at_risk, value=190, year=2025, scope=data.province)
    assert statuses(data.admin)["at-risk"] == S.MISSED


def test_filter_and_api_agree(data, api):
    params = {"status": ["faster", "behind"], "as_of": MID_TERM.isoformat(), "page_size": 100}
    response = api(data.admin).get("/api/v1/targets/", params)
    assert response.status_code == 200, response.json()
    assert {row["key"] for row in response.json()["results"]} == {"on-track", "at-risk"}
    assert {row["status"] for row in response.json()["results"]} == {"faster", "behind"}


# The TargetProgress rollup follows every write of the services (plans.services) -----------------


def test_every_target_has_a_rollup_row_with_the_rule_applied(data):
    rows = dict(TargetProgress.objects.values_list("target__key", "status"))
    assert rows == EXPECTED


def test_a_new_observation_updates_the_status(data):
    observe(data.t_no_data, value=210, year=2025, scope=data.province)
    assert statuses(data.admin)["no-data"] == S.ACHIEVED


def test_an_edited_observation_updates_the_status(data):
    observation_update(instance=data.t_off_track.indicator.observations.get(), user=data.admin, data={"value": 250})
    assert statuses(data.admin)["off-track"] == S.ACHIEVED


def test_an_observation_moved_to_another_indicator_updates_the_targets_of_both(data):
    moved = data.t_at_risk.indicator.observations.get()
    observation_update(instance=moved, user=data.admin, data={"indicator": data.t_no_data.indicator})
    rows = {row.target.key: row for row in TargetProgress.objects.select_related("target")}
    assert (rows["at-risk"].observation, rows["no-data"].observation) == (None, moved)
    assert (statuses_as_of(data.admin)["at-risk"], statuses_as_of(data.admin)["no-data"]) == (S.NO_DATA, S.BEHIND)


def test_a_deleted_observation_updates_the_status(data):
    observation_delete(instance=data.t_achieved.indicator.observations.get(year=2023), user=data.admin)
    assert statuses(data.admin)["achieved"] == S.OVERDUE_NO_DATA  # back to 2022's 150, short of 200


def test_a_changed_target_updates_the_status(data):
    target_update(instance=data.t_off_track, user=data.admin, data={"target_value": 105})
    assert statuses(data.admin)["off-track"] == S.ACHIEVED


def test_targets_and_plans_with_observations_can_be_deleted(data):
    target_delete(instance=data.t_achieved, user=data.admin)
    assert not TargetProgress.objects.filter(target_id=data.t_achieved.pk).exists()
    plan_delete(instance=data.plan, user=data.admin)
    assert not TargetProgress.objects.exists()


def test_a_cascade_does_not_recompute_per_observation(data, monkeypatch):
    calls = []
    monkeypatch.setattr(plans.services, "refresh_progress", lambda ids=None: calls.append(sorted(ids)))
    observation = data.t_on_track.indicator.observations.filter(quarter=3).get()
    observation_delete(instance=observation, user=data.admin)
    assert calls == [[data.t_on_track.pk]]  # an observation refreshes the targets of its indicator and region
    calls.clear()
    target_delete(instance=data.t_achieved, user=data.admin)  # observations belong to the indicator: nothing to do
    plan_delete(instance=data.plan, user=data.admin)
    assert calls == []


def test_refresh_progress_repairs_rows_written_around_the_services(data):
    TargetProgress.objects.update(status=S.FAR_BEHIND, observation=None, progress=None)
    refresh_progress()
    assert statuses(data.admin) == EXPECTED


@pytest.mark.parametrize(
    ("comparator", "baseline", "goal", "top", "latest", "status"),
    [
        ("ge", 100, 200, None, 200, S.ACHIEVED),
        ("gt", 100, 200, None, 200, S.MISSED),
        ("le", 10, 5, None, 5, S.ACHIEVED),
        ("lt", 10, 5, None, 5, S.MISSED),
        ("eq", 10, 5, None, 4, S.ACHIEVED),  # falling toward "=": reached from above
        ("approx", 100, 200, None, 199, S.MISSED),  # "约" has no tolerance: as before, not reached
        ("range", 100, 150, 180, 181, S.MISSED),  # past the range
        ("range", 200, 150, 180, 190, S.MISSED),  # coming down toward a range, not in it yet
        ("range", 200, 150, 180, 170, S.ACHIEVED),
        ("ge", 100, 200, None, 130, S.MISSED),
    ],
)
def test_each_comparator_in_the_target_year(data, comparator, baseline, goal, top, latest, status):
    indicator = Indicator.objects.create(key="case", name="case", unit="%")
    target_create(user=None, data={
        "plan": data.plan, "key": "case", "indicator": indicator, "comparator": comparator,
        "baseline_value": baseline, "baseline_year": 2020, "target_value": goal, "target_value_max": top,
        "target_year": 2025, "scope": data.province,
    })  # fmt: skip
    observation_create(user=None, data={"indicator": indicator, "value": latest, "year": 2025, "scope": data.province})
    assert statuses(data.admin)["case"] == status


# /api/v1/targets/with-observations/ ------------------------------------------------------------

WITH_OBSERVATIONS = "/api/v1/targets/with-observations/"


def test_targets_come_with_their_observations_in_time_order(data, api):
    rows = all_rows(api(data.admin), WITH_OBSERVATIONS)
    by_key = {row["key"]: row for row in rows}
    assert set(by_key) == set(EXPECTED)
    on_track = by_key["on-track"]
    assert [(o["year"], o["quarter"], o["value"]) for o in on_track["observations"]] == [
        (2023, 0, "170.0000"),
        (2023, 3, "120.0000"),
    ]
    assert on_track["status"] == S.OVERDUE_NO_DATA and on_track["latest_value"] == "170.0000"
    assert by_key["no-data"]["observations"] == []
    assert by_key["taiyuan"]["observations"][0]["scope"] == "140100"


def test_a_city_user_sees_only_observations_in_scope(data, api):
    by_key = {row["key"]: row for row in all_rows(api(data.dt_staff), WITH_OBSERVATIONS)}
    assert by_key["taiyuan"]["observations"] == [] and by_key["taiyuan"]["status"] == S.NO_DATA
    by_key = {row["key"]: row for row in all_rows(api(data.ty_staff), WITH_OBSERVATIONS)}
    assert [o["value"] for o in by_key["taiyuan"]["observations"]] == ["300.0000"]


def test_with_observations_filters_like_the_list(data, api):
    rows = all_rows(api(data.admin), WITH_OBSERVATIONS, {"status": "achieved"})
    assert {row["key"] for row in rows} == {"achieved", "range", "taiyuan"}


def test_with_observations_query_count_is_fixed(data, api):
    before, _ = query_count(api, data.admin, WITH_OBSERVATIONS, {"page_size": 100})
    for n in range(10):
        indicator = Indicator.objects.create(key=f"more-{n}", name=f"more-{n}", unit="%")
        Target.objects.create(
            plan=data.plan, key=f"more-{n}", indicator=indicator, target_value=1, target_year=2025, scope=data.province
        )
        for year in (2021, 2022, 2023):
            indicator.observations.create(value=n, year=year, scope=data.province)
    after, response = query_count(api, data.admin, WITH_OBSERVATIONS, {"page_size": 100})
    assert response.json()["count"] == len(EXPECTED) + 10
    assert after == before


@pytest.mark.parametrize("params", [{}, {"as_of": MID_TERM.isoformat()}], ids=["today", "as_of"])
def test_target_list_query_count_is_fixed_for_one_and_many_targets(data, api, params):
    one, response = query_count(api, data.admin, "/api/v1/targets/", {**params, "search": "on-track", "page_size": 100})
    assert response.json()["count"] == 1
    many, response = query_count(api, data.admin, "/api/v1/targets/", {**params, "page_size": 100})
    for n in range(10):
        indicator = Indicator.objects.create(key=f"more-{n}", name=f"more-{n}", unit="%")
        Target.objects.create(
            plan=data.plan, key=f"more-{n}", indicator=indicator, baseline_value=1, baseline_year=2020,
            target_value=2, target_year=2025, scope=data.province,
        )  # fmt: skip
        indicator.observations.create(value=n, year=2023, scope=data.province)
    more, response = query_count(api, data.admin, "/api/v1/targets/", {**params, "page_size": 100})
    assert response.json()["count"] == len(EXPECTED) + 10
    assert one == many == more
