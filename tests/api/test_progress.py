"""plans.progress: the status rule, on every kind of target, and its scope."""

import pytest

from plans.choices import ProgressStatusChoices as S
from plans.models import Target
from plans.progress import annotate_progress

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


def test_the_target_year_passed_unmet_is_off_track(data):
    data.t_at_risk.observations.create(indicator="x", value=190, year=2025, scope=data.province)
    assert statuses(data.admin)["at-risk"] == S.OFF_TRACK


def test_filter_and_api_agree(data, api):
    response = api(data.admin).get("/api/v1/targets/", {"status": ["on_track", "at_risk"], "page_size": 100})
    assert response.status_code == 200, response.json()
    assert {row["key"] for row in response.json()["results"]} == {"on-track", "at-risk", "falling"}
    assert {row["progress_status"] for row in response.json()["results"]} == {"on_track", "at_risk"}
