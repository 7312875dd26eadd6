"""The projects changelist at scale: filters without DISTINCT, industry choices by EXISTS, estimated counts.

And (issue 17) what it shows and lets do stays, for the province and a city, while the work it was cut by
stays cut: no year figures, no annotated filter query, no model list built for nothing, no URL lookups or
template compiling left for a worker's first request."""

import re
from unittest import mock

import pytest
from django.contrib import admin
from django.contrib.admin.sites import AdminSite
from django.contrib.admin.templatetags import admin_urls
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import clear_url_caches, reverse
from django.urls.resolvers import URLResolver

from common.admin import EstimatedCountPaginator
from projects.models import IndustryBase, KeyProject, ProjectFigures
from tests import factories

pytestmark = pytest.mark.django_db
WORLD_BUILT_ONCE = True

PROJECTS = "/admin/projects/keyproject/"
BASES = "/admin/projects/industrybase/"
REPORTS = "/admin/projects/projectreport/"


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
    """The project reports (ten per project: ten million at provincial scale), which no rollup counts."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE projects_projectreport")
    monkeypatch.setattr(EstimatedCountPaginator, "exact_up_to", 0)
    response, sql = _changelist(client, province_user, REPORTS)
    assert response.context["cl"].paginator.estimated and "估计数" in response.content.decode()
    assert not [q for q in sql if q.upper().startswith("SELECT COUNT(") and "projects_projectreport" in q]
    filtered, _ = _changelist(client, province_user, REPORTS, {"city": "140100"})
    assert not filtered.context["cl"].paginator.estimated


def _counted_rows(sql: list[str]) -> list[str]:
    return [q for q in sql if "COUNT(" in q.upper() and "projects_keyproject" in q]


@pytest.mark.parametrize("user", ["province_user", "taiyuan_user", "viewer_user"])
def test_the_filters_the_rollups_keep_are_counted_by_them_and_the_count_is_the_rows(client, request, world, user):
    """城市, 阶段, 产业 and 规划 (and none): the count from ProjectRollup, equal to the listed rows for every
    role; what the rollups do not keep (a search, a zone) is counted from the rows."""
    user = request.getfixturevalue(user)
    stage = world["ty_proj"].stage
    kept = [
        {},
        {"city": "140100"},
        {"city": "140200"},
        {"stage__exact": stage},
        {"industry__id__exact": world["industry"].pk},
        {"plan": world["plan"].pk},
        {"city": "140100", "stage__exact": stage, "industry__id__exact": world["industry"].pk, "o": "2", "p": "1"},
    ]
    counts = []
    for params in kept:
        response, sql = _changelist(client, user, PROJECTS, params)
        cl = response.context["cl"]
        assert cl.result_count == cl.queryset.count() == len(cl.result_list), params
        assert not _counted_rows(sql) and any("projects_projectrollup" in q for q in sql), params
        assert not cl.paginator.estimated
        counts.append(cl.result_count)
    assert counts[1] == 1 and counts[0] == (2 if user.username != "taiyuan" else 1)  # not all empty lists
    for params in ({"q": "太原"}, {"zone": world["zone"].pk}, {"city": "140100", "q": "轨道"}):
        response, sql = _changelist(client, user, PROJECTS, params)
        assert response.context["cl"].result_count == response.context["cl"].queryset.count(), params
        assert _counted_rows(sql), params


def test_the_row_checkbox_is_djangos_own_markup(world):
    from django.contrib import admin as django_admin

    project = KeyProject(pk=5, name="a<b&c")
    ours = django_admin.site._registry[KeyProject].action_checkbox(project)
    assert ours == django_admin.ModelAdmin.action_checkbox(None, project)


CHANGELIST = reverse("admin:projects_keyproject_changelist")
COLUMNS = ["项目名称", "建设单位", "所在城市", "产业", "阶段", "总投资（亿元）", "累计完成投资", "未解除预警"]
FILTERS = ["城市", "布局分区", "阶段", "规划", "产业"]


def headers(html: str) -> list[str]:
    head = html[html.index("<thead>") : html.index("</thead>")]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r'<div class="text">(.*?)</div>', head)][1:]


def filter_choices(html: str, parameter: str) -> set[str]:
    return set(re.findall(rf'href="\?{parameter}=([^"&]+)"', html))


@pytest.fixture
def other_industry(world):
    """A second industry, of the 大同 project only: a 太原 clerk's industry filter does not offer it."""
    industry = factories.make_industry(code="3", name="新材料产业")
    KeyProject.objects.filter(pk=world["dt_proj"].pk).update(industry=industry)
    return industry


@pytest.mark.parametrize("user", ["province_user", "taiyuan_user"])
def test_changelist_shows_the_same_columns_and_filters_to_every_role(client, request, world, other_industry, user):
    client.force_login(request.getfixturevalue(user))
    response = client.get(CHANGELIST)
    html = response.content.decode()
    assert headers(html) == COLUMNS
    assert re.findall(r'data-filter-title="([^"]*)"', html) == FILTERS
    assert 'name="action"' in html and "删除所选的" in html  # the actions, in Chinese
    rows = list(response.context["cl"].result_list)
    for project in rows:  # each row links to its change page, its checkbox names it
        assert f'<a href="{reverse("admin:projects_keyproject_change", args=[project.pk])}">' in html
        assert f'value="{project.pk}" class="action-select" aria-label="选择此对象执行操作 - {project.name}"' in html
    industries = filter_choices(html, "industry__id__exact")
    if user == "province_user":
        assert {world["ty_proj"], world["dt_proj"]} <= set(rows)
        assert industries == {str(world["industry"].pk), str(other_industry.pk)}
    else:  # a city's clerk: their city's projects, and the industries those projects are of
        assert world["ty_proj"] in rows and world["dt_proj"] not in rows
        assert filter_choices(html, "city") == {"140100"}
        assert industries == {str(world["industry"].pk)}


def test_changelist_reads_only_the_figures_it_shows(client, province_user, world):
    """The cumulative figures and warnings, not the year's (three lookups per row that no column shows)."""
    client.force_login(province_user)
    client.get(CHANGELIST)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    rows = [
        q["sql"] for q in queries.captured_queries if 'FROM "projects_keyproject"' in q["sql"] and "LIMIT" in q["sql"]
    ]
    assert rows, "the page's rows are read"
    assert all("projectyearfigures" not in sql for sql in rows)
    project = next(p for p in response.context["cl"].result_list if p.pk == world["ty_proj"].pk)
    figures = ProjectFigures.objects.get(project=project)
    assert (project.completed_total, project.completed_total_unknown, project.open_warnings, project.red_warnings) == (
        figures.completed_total,
        figures.reports_unknown,
        figures.open_warnings,
        figures.red_warnings,
    )


def test_industry_filter_looks_choices_up_in_the_scoped_rows(client, taiyuan_user, world):
    """Its EXISTS is over the user's projects, not over the list's queryset (whose figures it built for nothing)."""
    client.force_login(taiyuan_user)
    client.get(CHANGELIST)
    model_admin = admin.site._registry[KeyProject]
    with (
        CaptureQueriesContext(connection) as queries,
        mock.patch.object(
            type(model_admin), "get_queryset", autospec=True, side_effect=type(model_admin).get_queryset
        ) as listed,
    ):
        client.get(CHANGELIST)
    assert listed.call_count == 1  # the list's own rows only
    choices = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "plans_industry"')]
    assert len(choices) == 1
    assert "EXISTS" in choices[0] and "city_id" in choices[0]  # the clerk's scope is kept


def test_changelist_builds_no_model_list_but_the_index_does(client, province_user, world):
    client.force_login(province_user)
    with mock.patch.object(AdminSite, "_build_app_dict", wraps=admin.site._build_app_dict) as build:
        assert client.get(CHANGELIST).status_code == 200
        assert build.call_count == 0  # the sidebar that shows it is off
        index = client.get(reverse("admin:index"))
        assert build.call_count == 1
    assert reverse("admin:projects_keyproject_changelist") in index.content.decode()


def test_warm_up_leaves_no_url_lookup_or_admin_template_to_a_first_request():
    from sxplan_site.warmup import warm_up

    clear_url_caches()
    loader = engines["django"].engine.template_loaders[0]
    loader.reset()
    compiled = warm_up()
    assert "admin/change_list.html" in compiled and "admin/change_list_results.html" in compiled
    assert {"admin/change_list.html", "admin/filter.html"} <= {key.split("-")[0] for key in loader.get_template_cache}
    with mock.patch.object(URLResolver, "_populate", autospec=True) as populate:
        reverse("admin:projects_keyproject_changelist")
        reverse("admin:projects_keyproject_change", args=[1])
        reverse("admin:index")
    assert populate.call_count == 0


def test_a_filtered_lists_row_links_keep_its_filters_resolved_once(client, province_user, world, regions):
    for n in range(4):
        factories.make_project(f"太原项目{n}", regions["140100"])
    client.force_login(province_user)
    with mock.patch("django.contrib.admin.templatetags.admin_urls.resolve", side_effect=admin_urls.resolve) as resolved:
        response = client.get(CHANGELIST, {"city": "140100"})
    html = response.content.decode()
    rows = list(response.context["cl"].result_list)
    assert len(rows) >= 5
    for project in rows:  # back to the same filtered list from each change page
        link = reverse("admin:projects_keyproject_change", args=[project.pk]) + "?_changelist_filters=city%3D140100"
        assert f'<a href="{link}">' in html
    assert resolved.call_count <= 2  # the rows' link once, the add link once: not once per row


def test_every_column_of_a_field_sorts_the_list(client, province_user, world):
    """The linked and number columns (建设单位, 城市, 总投资 …) sort like the plain ones: Django compares the
    columns it shows with those it may sort by identity, so both must be the same column objects."""
    response, _ = _changelist(client, province_user, PROJECTS)
    columns = response.context["cl"].list_display  # the checkbox column first; ?o= counts from it
    sortable = {
        h["text"] for h in response.context["result_headers"] if h["sortable"] and not h["text"].startswith("<")
    }
    assert {"项目名称", "建设单位", "所在城市", "产业", "总投资（亿元）"} <= sortable, sortable
    by_investment = next(i for i, c in enumerate(columns) if getattr(c, "admin_order_field", c) == "total_investment")
    for order, expected in ((f"{by_investment}", "total_investment"), (f"-{by_investment}", "-total_investment")):
        response, _ = _changelist(client, province_user, PROJECTS, {"o": order})
        shown = [obj.pk for obj in response.context["cl"].result_list]
        ordered = list(KeyProject.objects.order_by(expected, "-pk").values_list("pk", flat=True))
        assert shown[: len(ordered)] == ordered[: len(shown)], order
