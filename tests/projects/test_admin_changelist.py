"""The projects changelist at scale: filters without DISTINCT, industry choices by EXISTS, estimated counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.admin import EstimatedCountPaginator
from projects.models import IndustryBase, KeyProject
from tests import factories

pytestmark = pytest.mark.django_db
WORLD_BUILT_ONCE = True

PROJECTS = "/admin/projects/keyproject/"
BASES = "/admin/projects/industrybase/"


def _changelist(client, user, url, params=None):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return response, [q["sql"] for q in queries]


def _listed(response):
    return {obj.pk for obj in response.context["cl"].result_list}


def test_the_city_filter_of_a_one_city_record_joins_without_distinct(client, province_user, world):
    response, sql = _changelist(client, province_user, PROJECTS, {"city": "140100"})
    assert _listed(response) == set(KeyProject.objects.filter(city__code="140100").values_list("pk", flat=True))
    assert world["ty_proj"].pk in _listed(response) and world["dt_proj"].pk not in _listed(response)
    assert not [q for q in sql if "projects_keyproject" in q and "DISTINCT" in q]


def test_the_city_filter_of_a_record_of_several_cities_lists_each_once(client, province_user, world):
    response, _ = _changelist(client, province_user, BASES, {"city": "140100"})
    listed = [obj.pk for obj in response.context["cl"].result_list]
    assert sorted(listed) == sorted(IndustryBase.objects.filter(cities__code="140100").values_list("pk", flat=True))
    assert world["shared_base"].pk in listed and world["dt_base"].pk not in listed


def test_the_zone_filter_lists_the_projects_of_its_cities_without_distinct(client, province_user, world):
    response, sql = _changelist(client, province_user, PROJECTS, {"zone": world["zone"].pk})
    assert world["ty_proj"].pk in _listed(response) and world["dt_proj"].pk not in _listed(response)
    assert not [q for q in sql if "projects_keyproject" in q and "DISTINCT" in q]


def test_the_industry_choices_are_those_of_the_users_projects_found_without_distinct(
    client, taiyuan_user, province_user, world, regions
):
    unused = factories.make_industry(code="S9", name="未使用的产业")
    datong_only = factories.make_industry(code="S8", name="只有大同用的产业")
    factories.make_project("大同另一项目", regions["140200"], industry=datong_only)
    for user, expected in ((province_user, {world["industry"], datong_only}), (taiyuan_user, {world["industry"]})):
        response, sql = _changelist(client, user, PROJECTS)
        spec = next(f for f in response.context["cl"].filter_specs if getattr(f, "field_path", None) == "industry")
        assert {name for _, name in spec.lookup_choices} == {str(i) for i in expected}
        assert str(unused) not in {name for _, name in spec.lookup_choices}
        assert not [q for q in sql if "DISTINCT" in q]


def test_counts_are_exact_below_the_threshold_and_on_filtered_lists(client, province_user, world):
    response, _ = _changelist(client, province_user, PROJECTS)
    cl = response.context["cl"]
    assert cl.result_count == KeyProject.objects.count() and not cl.paginator.estimated
    assert "估计数" not in response.content.decode()


@pytest.mark.postgres
def test_a_large_unfiltered_list_shows_the_planners_estimate_marked_as_such(client, province_user, world, monkeypatch):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE projects_keyproject")
    monkeypatch.setattr(EstimatedCountPaginator, "exact_up_to", 0)
    response, sql = _changelist(client, province_user, PROJECTS)
    assert response.context["cl"].paginator.estimated and "估计数" in response.content.decode()
    assert not [q for q in sql if q.upper().startswith("SELECT COUNT(") and "projects_keyproject" in q]
    filtered, _ = _changelist(client, province_user, PROJECTS, {"city": "140100"})
    assert not filtered.context["cl"].paginator.estimated


def test_the_row_checkbox_is_djangos_own_markup(world):
    from django.contrib import admin as django_admin

    project = KeyProject(pk=5, name="a<b&c")
    ours = django_admin.site._registry[KeyProject].action_checkbox(project)
    assert ours == django_admin.ModelAdmin.action_checkbox(None, project)
