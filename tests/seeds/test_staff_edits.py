"""load_seeds leaves alone what staff changed after its last write, and says so; --force overwrites."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from common.choices import RoleChoices
from plans.models import Industry, KeyArea, Measure, Plan, Target
from regions.choices import RegionLevelChoices
from regions.models import Region, Zone, ZoneMembership
from seeds.guard import FORCE_REASON, LOADER_REASON
from seeds.loader import SeedLoader
from tests import factories

SHARE = "sei-value-added-share"
SHARE_DOCUMENT = "000_289449fffc4f1164"


@pytest.fixture
def sheng(seeded):
    return factories.make_user("sheng", RoleChoices.PROVINCE)


def share_target() -> Target:
    return Target.objects.get(plan__code=Plan.objects.get(source_file=f"{SHARE_DOCUMENT}.txt").code, key=SHARE)


def admin_form_data(response) -> dict:
    """What the browser would post back from an admin change page, unchanged."""

    def fields(form):
        for bound in form:
            value = bound.value()
            if value is None or value is False:
                continue
            yield bound.html_name, [str(v) for v in value] if isinstance(value, list | tuple) else str(value)

    data = dict(fields(response.context["adminform"].form))
    for inline in response.context["inline_admin_formsets"]:
        data.update(fields(inline.formset.management_form))
        for form in inline.formset.forms:
            data.update(fields(form))
    return data


def edit_in_admin(client, user, obj, **changes) -> None:
    client.force_login(user)
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    data = admin_form_data(client.get(url))
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response


def load(*args) -> str:
    out = StringIO()
    call_command("load_seeds", *args, stdout=out)
    return out.getvalue()


def add_zone_city_as_staff(user) -> ZoneMembership:
    zone = Zone.objects.order_by("pk").first()
    city = Region.objects.filter(level=RegionLevelChoices.CITY).exclude(zones=zone).order_by("code").first()
    membership = ZoneMembership(zone=zone, region=city, note="工作人员补充")
    membership._history_user = user
    membership.save()
    return membership


def test_staff_edits_survive_a_second_load_and_are_reported(client, sheng):
    target = share_target()
    assert target.target_value == 12
    edit_in_admin(client, sheng, target, target_value="11")
    membership = add_zone_city_as_staff(sheng)

    out = load()

    target.refresh_from_db()
    assert target.target_value == 11
    entry = target.history.first()
    assert entry.history_user == sheng and entry.history_change_reason != LOADER_REASON
    assert ZoneMembership.objects.filter(pk=membership.pk).exists()
    today = timezone.localdate().isoformat()
    assert f"指标 {SHARE}：sheng 于 {today} 修改过，保留当前值" in out
    assert f"分区城市 {membership.zone}/{membership.region}：sheng 于 {today} 修改过，保留当前值" in out
    assert "2 条工作人员修改过的记录保留当前值" in out
    assert "载入完成：0 条新增或更新" in out
    table = [line.split() for line in out.splitlines()]
    counts = {row[0]: [int(n) for n in row[1:]] for row in table if len(row) == 5 and "".join(row[1:]).isdigit()}
    assert {kind: row[3] for kind, row in counts.items() if row[3]} == {"指标": 1, "分区城市": 1}
    # Documents are listed by their plan's title, not by their directory's hashed name.
    title = Plan.objects.get(source_file=f"{SHARE_DOCUMENT}.txt").title
    assert SHARE_DOCUMENT not in out
    document_line = next(line for line in out.splitlines() if line.startswith(f"《{title}》: "))
    assert "指标 1" in document_line.partition("；保留：")[2].split(", ")


def test_force_overwrites_staff_edits_with_a_recorded_reason(client, sheng):
    target = share_target()
    edit_in_admin(client, sheng, target, target_value="11")
    membership = add_zone_city_as_staff(sheng)

    out = load("--force")

    target.refresh_from_db()
    assert target.target_value == 12
    entry = target.history.first()
    assert entry.history_change_reason == FORCE_REASON and entry.history_user is None
    assert not ZoneMembership.objects.filter(pk=membership.pk).exists()
    assert membership.history.first().history_change_reason == FORCE_REASON
    assert f"指标 {SHARE}：sheng 于 {timezone.localdate().isoformat()} 修改过，已用种子数据覆盖（--force）" in out
    # The loader wrote last: a plain load no longer sees a staff edit.
    assert SeedLoader().guard.edit_of(target) is None


def test_unchanged_record_stays_unchanged(sheng):
    target = share_target()
    target._history_user = sheng
    target.save()  # a staff save that leaves the seeded values as they are
    entries = target.history.count()

    report = SeedLoader().load()

    assert report.total_changes == 0 and not report.notes
    assert report.changes["指标"] == {"unchanged": Target.objects.count()}
    assert target.history.count() == entries


def test_loader_only_history_keeps_updating(seeded):
    target = share_target()
    # What an earlier version of the seeds wrote: a loader entry, no user.
    target.target_value = Decimal("13")
    target._change_reason = LOADER_REASON
    target.save()

    report = SeedLoader().load()

    target.refresh_from_db()
    assert target.target_value == 12
    assert report.changes["指标"]["updated"] == 1 and not report.notes
    assert target.history.first().history_change_reason == LOADER_REASON


def test_staff_changes_through_the_api(client, sheng):
    """A many-to-many change is kept (the API saves the record too); a deleted record comes back, reported."""
    area = KeyArea.objects.filter(industries__isnull=False).order_by("pk").first()
    seeded = set(area.industries.values_list("pk", flat=True))
    other = Industry.objects.exclude(pk__in=seeded).order_by("pk").first()
    measure = Measure.objects.order_by("pk").first()
    client.force_login(sheng)
    response = client.patch(
        f"/api/v1/key-areas/{area.pk}/", {"industries": [other.pk]}, content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    assert client.delete(f"/api/v1/measures/{measure.pk}/").status_code == 204

    report = SeedLoader().load()

    assert set(area.industries.values_list("pk", flat=True)) == {other.pk}
    assert report.changes["重点领域"]["kept"] == 1
    today = timezone.localdate().isoformat()
    assert f"重点领域 {area.key}：sheng 于 {today} 修改过，保留当前值" in report.notes
    recreated = Measure.objects.get(plan=measure.plan, key=measure.key)
    assert recreated.history.first().history_change_reason == LOADER_REASON
    assert report.changes["保障措施"]["created"] == 1
    assert f"保障措施 {measure.key}：sheng 于 {today} 删除过，已按种子数据重新创建" in report.notes


def test_if_empty_skips_a_database_with_plans(seeded):
    target = share_target()
    target.target_value = Decimal("13")
    target._change_reason = LOADER_REASON
    target.save()

    out = load("--if-empty")

    assert out.strip() == "数据库已有规划数据，跳过种子数据加载（如需重新加载：manage.py load_seeds）"
    target.refresh_from_db()
    assert target.target_value == 13
