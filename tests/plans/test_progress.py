"""plans.progress: the status rule, on every kind of target, and its scope."""

import pytest

import plans.services
from plans.choices import ProgressStatusChoices as S
from plans.models import Target, TargetProgress
from plans.progress import annotate_progress, refresh_progress
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

EXPECTED = {
    "achieved": S.ACHIEVED,
    "on-track": S.ON_TRACK,
    "at-risk": S.AT_RISK,
    "off-track": S.OFF_TRACK,
    "no-data": S.NO_DATA,
    "falling": S.ON_TRACK,
    "range": S.ACHIEVED,
    "no-baseline": S.NO_DATA,
    "taiyuan": S.ACHIEVED,
}


def statuses(user):
    return dict(annotate_progress(Target.objects.all(), user=user).values_list("key", "progress_status"))


def test_status_of_each_kind_of_target(data):
    assert statuses(data.admin) == EXPECTED


def test_latest_observation_and_progress(data):
    target = annotate_progress(Target.objects.filter(pk=data.t_on_track.pk), user=data.admin).get()
    # 2023's annual value (170) wins over its third quarter (120).
    assert (target.latest_year, target.latest_quarter, float(target.latest_value)) == (2023, 0, 170.0)
    assert target.progress == pytest.approx(0.7)
    assert target.expected_progress == pytest.approx(0.6)


def test_a_city_user_gets_no_progress_from_another_citys_observations(data):
    assert statuses(data.dt_staff)["taiyuan"] == S.NO_DATA
    assert statuses(data.ty_staff)["taiyuan"] == S.ACHIEVED


def observe(target, **data):
    return observation_create(user=None, data={"target": target, "indicator": "x", **data})


def test_the_target_year_passed_unmet_is_off_track(data):
    observe(data.t_at_risk, value=190, year=2025, scope=data.province)
    assert statuses(data.admin)["at-risk"] == S.OFF_TRACK


def test_filter_and_api_agree(data, api):
    response = api(data.admin).get("/api/v1/targets/", {"status": ["on_track", "at_risk"], "page_size": 100})
    assert response.status_code == 200, response.json()
    assert {row["key"] for row in response.json()["results"]} == {"on-track", "at-risk", "falling"}
    assert {row["progress_status"] for row in response.json()["results"]} == {"on_track", "at_risk"}


# The TargetProgress rollup follows every write of the services (plans.services) -----------------


def test_every_target_has_a_rollup_row_with_the_rule_applied(data):
    rows = dict(TargetProgress.objects.values_list("target__key", "status"))
    assert rows == EXPECTED


def test_a_new_observation_updates_the_status(data):
    observe(data.t_no_data, value=210, year=2024, scope=data.province)
    assert statuses(data.admin)["no-data"] == S.ACHIEVED


def test_an_edited_observation_updates_the_status(data):
    observation_update(instance=data.t_off_track.observations.get(), user=data.admin, data={"value": 250})
    assert statuses(data.admin)["off-track"] == S.ACHIEVED


def test_an_observation_moved_to_another_target_updates_both(data):
    observation_update(instance=data.t_at_risk.observations.get(), user=data.admin, data={"target": data.t_no_data})
    assert statuses(data.admin)["at-risk"] == S.NO_DATA
    assert statuses(data.admin)["no-data"] == S.AT_RISK


def test_a_deleted_observation_updates_the_status(data):
    observation_delete(instance=data.t_achieved.observations.get(year=2023), user=data.admin)
    assert statuses(data.admin)["achieved"] == S.ON_TRACK  # back to 2022's 150: progress 0.5 ≥ 0.4


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
    observation_delete(instance=data.t_on_track.observations.filter(quarter=3).get(), user=data.admin)
    assert calls == [[data.t_on_track.pk]]  # an observation deleted on its own refreshes its target
    calls.clear()
    target_delete(instance=data.t_achieved, user=data.admin)  # its observations go with it: nothing to refresh
    plan_delete(instance=data.plan, user=data.admin)
    assert calls == []


def test_refresh_progress_repairs_rows_written_around_the_services(data):
    TargetProgress.objects.update(status=S.OFF_TRACK, observation=None, progress=None)
    refresh_progress()
    assert statuses(data.admin) == EXPECTED


@pytest.mark.parametrize(
    ("comparator", "baseline", "goal", "top", "latest", "year", "status"),
    [
        ("ge", 100, 200, None, 200, 2023, S.ACHIEVED),
        ("gt", 100, 200, None, 200, 2023, S.ON_TRACK),
        ("le", 10, 5, None, 5, 2023, S.ACHIEVED),
        ("lt", 10, 5, None, 5, 2023, S.ON_TRACK),
        ("eq", 10, 5, None, 4, 2023, S.ACHIEVED),  # falling toward "=": reached from above
        ("approx", 100, 200, None, 199, 2023, S.ON_TRACK),
        ("range", 100, 150, 180, 181, 2023, S.ON_TRACK),  # past the range: unmet, but progress 1.62 ≥ 0.6
        ("range", 200, 150, 180, 190, 2023, S.AT_RISK),  # coming down toward a range: 0.5 of the way
        ("ge", 100, 200, None, 130, 2023, S.OFF_TRACK),  # 0.3 < 0.8 × 0.6
        ("ge", 100, 200, None, 150, 2023, S.AT_RISK),  # 0.5 ≥ 0.48
        ("ge", 100, 200, None, 150, 2025, S.OFF_TRACK),  # the target year has come
        ("ge", 100, 100, None, 90, 2023, S.NO_DATA),  # goal = baseline: no progress
    ],
)
def test_the_rule_on_each_comparator(data, comparator, baseline, goal, top, latest, year, status):
    target = target_create(user=None, data={
        "plan": data.plan, "key": "case", "name": "case", "comparator": comparator, "baseline_value": baseline,
        "baseline_year": 2020, "target_value": goal, "target_value_max": top, "target_year": 2025,
        "scope": data.province,
    })  # fmt: skip
    observe(target, indicator="case", value=latest, year=year, scope=data.province)
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
    assert on_track["progress_status"] == S.ON_TRACK and on_track["latest_value"] == "170.0000"
    assert by_key["no-data"]["observations"] == []
    assert by_key["taiyuan"]["observations"][0]["scope"] == "140100"


def test_a_city_user_sees_only_observations_in_scope(data, api):
    by_key = {row["key"]: row for row in all_rows(api(data.dt_staff), WITH_OBSERVATIONS)}
    assert by_key["taiyuan"]["observations"] == [] and by_key["taiyuan"]["progress_status"] == S.NO_DATA
    by_key = {row["key"]: row for row in all_rows(api(data.ty_staff), WITH_OBSERVATIONS)}
    assert [o["value"] for o in by_key["taiyuan"]["observations"]] == ["300.0000"]


def test_with_observations_filters_like_the_list(data, api):
    rows = all_rows(api(data.admin), WITH_OBSERVATIONS, {"status": "achieved"})
    assert {row["key"] for row in rows} == {"achieved", "range", "taiyuan"}


def test_with_observations_query_count_is_fixed(data, api):
    before, _ = query_count(api, data.admin, WITH_OBSERVATIONS, {"page_size": 100})
    for n in range(10):
        target = Target.objects.create(
            plan=data.plan, key=f"more-{n}", name="more", target_value=1, target_year=2025, scope=data.province
        )
        for year in (2021, 2022, 2023):
            target.observations.create(indicator=f"more-{n}", value=n, year=year, scope=data.province)
    after, response = query_count(api, data.admin, WITH_OBSERVATIONS, {"page_size": 100})
    assert response.json()["count"] == len(EXPECTED) + 10
    assert after == before
