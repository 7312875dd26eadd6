"""/api/v1/target-snapshots/: the yearly progress snapshots, read-only, scoped like target progress."""

import pytest
from django.urls import reverse

from plans.models import TargetProgressSnapshot
from plans.snapshots import target_progress_snapshot_take

URL = "/api/v1/target-snapshots/"


@pytest.fixture
def snapshots(ev):
    target_progress_snapshot_take(year=2023)
    return {s.target.key: s for s in TargetProgressSnapshot.objects.select_related("target")}


def test_every_role_reads_the_snapshots_it_may_see(ev, api, snapshots, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        province = api(ev.province_user).get(URL, {"year": 2023, "plan": ev.plan.pk})
    assert province.status_code == 200 and province.json()["count"] == 7
    row = next(r for r in province.json()["results"] if r["target_key"] == "share")
    assert row["latest_value"] == "17.0000" and row["status"] == snapshots["share"].status and row["unit"] == "%"
    taiyuan = api(ev.taiyuan_user).get(URL, {"year": 2023})
    assert {r["target_key"] for r in taiyuan.json()["results"]} == set(snapshots) - {"rd-dt"}
    hidden = api(ev.taiyuan_user).get(f"{URL}{snapshots['rd-dt'].pk}/")
    assert hidden.status_code == 404
    assert api(ev.viewer).get(URL).json()["count"] == 7


def test_snapshots_filter_by_city_and_status_and_export(ev, api, snapshots):
    client = api(ev.province_user)
    by_city = client.get(URL, {"city": "140200"}).json()
    assert [r["target_key"] for r in by_city["results"]] == ["rd-dt"]
    status = snapshots["rd"].status
    assert {r["target_key"] for r in client.get(URL, {"status": status}).json()["results"]} >= {"rd"}
    export = client.get(URL, {"format": "csv"})
    assert export.status_code == 200 and "研发投入强度" in export.getvalue().decode("utf-8-sig")


def test_snapshots_are_read_only(ev, api, snapshots):
    client = api(ev.province_user)
    assert client.post(URL, {"target": ev.faster.pk, "year": 2024, "status": "no_data"}).status_code == 405
    assert client.delete(f"{URL}{snapshots['share'].pk}/").status_code == 405


def test_the_indicator_page_lists_the_snapshots_the_user_may_see(ev, client, snapshots):
    url = reverse("indicator-page", args=[ev.lagging.indicator_id])
    client.force_login(ev.province_user)
    shown = client.get(url).context["snapshots"]
    assert {s.target.key for s in shown} == {"rd", "rd-ty", "rd-dt"}
    content = client.get(url).content.decode()
    assert 'data-testid="indicator-snapshots"' in content
    assert f'data-snapshot="{snapshots["rd-dt"].pk}"' in content and "滞后" in content
    client.force_login(ev.taiyuan_user)
    assert {s.target.key for s in client.get(url).context["snapshots"]} == {"rd", "rd-ty"}
    assert f'data-snapshot="{snapshots["rd-dt"].pk}"' not in client.get(url).content.decode()
