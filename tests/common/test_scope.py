"""The city-scope rule (common.scope) for every role and every kind of city-scoped model."""

import pytest

from common.scope import can_add, can_change, can_use_region, scope_queryset
from plans.models import Observation, Plan, Target
from projects.models import Enterprise, EnterpriseAlias, IndustryBase, KeyProject, ProjectReport
from regions.models import Park
from tests import factories

pytestmark = pytest.mark.django_db
# The regions, users and world of tests/conftest.py, built once for this module.
WORLD_BUILT_ONCE = True


def names(model, user):
    return set(str(o) for o in scope_queryset(model.objects.all(), user))


def test_province_sees_every_record(world, province_user):
    assert scope_queryset(KeyProject.objects.all(), province_user).count() == 2
    assert scope_queryset(IndustryBase.objects.all(), province_user).count() == 3


def test_city_user_sees_own_city_and_province_wide_records(world, taiyuan_user):
    assert names(KeyProject, taiyuan_user) == {"太原轨道交通项目"}
    assert names(Park, taiyuan_user) == {"太原高新技术产业开发区"}
    assert names(Enterprise, taiyuan_user) == {"太原重工股份有限公司", "中国科学院山西煤炭化学研究所"}
    assert {str(r.project) for r in scope_queryset(ProjectReport.objects.all(), taiyuan_user)} == {"太原轨道交通项目"}
    # A base is visible to each of its cities, once (no duplicate rows from the join).
    assert sorted(names(IndustryBase, taiyuan_user)) == ["太原轨道交通装备制造基地", "煤机装备基地"]
    assert scope_queryset(IndustryBase.objects.all(), taiyuan_user).count() == 2
    # Observations: own city and province-wide, never another city's.
    assert {o.scope.code for o in scope_queryset(Observation.objects.all(), taiyuan_user)} == {"140100", "140000"}
    # Province-wide models are fully visible.
    assert scope_queryset(Plan.objects.all(), taiyuan_user).count() == 1
    assert scope_queryset(Target.objects.all(), taiyuan_user).count() == 1


def test_alias_follows_its_enterprise(world, taiyuan_user):
    EnterpriseAlias.objects.create(enterprise=world["dt_ent"], alias="大同机车")
    EnterpriseAlias.objects.create(enterprise=world["ty_ent"], alias="太重")
    assert names(EnterpriseAlias, taiyuan_user) == {"太重", "太重集团"}


def test_user_without_role_sees_nothing(world, regions):
    nobody = factories.make_user("nobody", None)
    assert scope_queryset(Plan.objects.all(), nobody).count() == 0
    assert scope_queryset(KeyProject.objects.all(), nobody).count() == 0


def test_viewer_with_a_city_sees_like_that_city(world, regions):
    viewer = factories.make_user("dt-viewer", "viewer", [regions["140200"]])
    assert names(KeyProject, viewer) == {"大同机车项目"}
    assert not can_change(viewer, world["dt_proj"])


def test_change_rights(world, province_user, taiyuan_user, viewer_user):
    assert can_change(province_user, world["dt_proj"])
    assert can_change(taiyuan_user, world["ty_proj"])
    assert not can_change(taiyuan_user, world["dt_proj"])
    assert can_change(taiyuan_user, world["ty_report"])
    assert not can_change(taiyuan_user, world["dt_report"])
    assert can_change(taiyuan_user, world["ty_obs"])
    assert not can_change(taiyuan_user, world["province_obs"])
    assert not can_change(taiyuan_user, world["free_ent"])
    assert not can_change(taiyuan_user, world["plan"])
    assert can_change(taiyuan_user, world["shared_base"])
    assert not can_change(taiyuan_user, world["dt_base"])
    for obj in (world["ty_proj"], world["plan"], world["ty_obs"]):
        assert not can_change(viewer_user, obj)


def test_add_rights(province_user, taiyuan_user, viewer_user):
    assert can_add(province_user, Plan)
    assert can_add(taiyuan_user, KeyProject) and can_add(taiyuan_user, Observation)
    assert not can_add(taiyuan_user, Plan)
    assert not can_add(taiyuan_user, IndustryBase), "only the province sets a base's cities"
    assert not can_add(viewer_user, KeyProject)


def test_region_use(regions, taiyuan_user, province_user):
    assert can_use_region(taiyuan_user, regions["140100"])
    assert can_use_region(taiyuan_user, regions["140105"]), "a county of the user's city"
    assert not can_use_region(taiyuan_user, regions["140200"])
    assert not can_use_region(taiyuan_user, regions["140702"])
    assert not can_use_region(taiyuan_user, regions["140000"])
    assert can_use_region(province_user, regions["140000"])
