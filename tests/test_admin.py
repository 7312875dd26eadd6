"""The Chinese admin: every page renders, changelists stay at a fixed query count, city scope holds."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import (
    Enterprise,
    IndustryBase,
    KeyProject,
    Milestone,
    ProjectReport,
    ProjectWarning,
    ProjectYearPlan,
)
from regions.models import Park
from tests import factories
from tests.shared import built_once, fresh_copy

pytestmark = pytest.mark.django_db
# The regions, users and world of tests/conftest.py, built once for this module.
WORLD_BUILT_ONCE = True

MODELS = sorted(admin.site._registry, key=lambda m: m._meta.label)
# Accounts, groups and sign-in records (axes) are managed by superusers (tested below); staff work in
# every other model.
# Background jobs are created by uploads and tasks, not by hand (tests/transfers/test_admin.py); notices
# are sent by the system and only read in the admin (tests/notices/). A monitoring submission is created
# with its round, not by hand (tests/monitoring/test_api.py tests that admin per role).
DATA_MODELS = [
    m for m in MODELS if m._meta.app_label not in ("auth", "authtoken", "axes", "jobs", "notices", "monitoring")
]


def admin_url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def add_rows(regions, world, n):
    """n more rows of every city-scoped and plan-level model, so per-row queries would show."""
    plan = world["plan"]
    for i in range(n):
        city = regions["140100"] if i % 2 else regions["140200"]
        ent = factories.make_enterprise(f"企业{i}", city)
        ent.aliases.create(alias=f"简称{i}")
        ent.industries.add(world["industry"])
        park = factories.make_park(f"园区{i}", city)
        park.industries.add(world["industry"])
        project = factories.make_project(
            f"项目{i}", city, enterprise=ent, industry=world["industry"], plan=plan, park=park
        )
        factories.make_report(project, month=(i % 12) + 1)
        factories.make_milestone(project)
        factories.make_year_plan(project)
        factories.make_warning(project)
        factories.make_batch(name=f"活动{i}", entries=[(project, "sign")])
        base = factories.make_base(plan, f"base-{i}", [city], industry=world["industry"])
        base.anchors.add(ent)
        target = factories.make_target(plan, city, key=f"t{i}", industry=world["industry"])
        factories.make_observation(city, indicator=f"指标{i}", target=target)
        plan.sections.create(key=f"9.{i}", title=f"章节{i}")
        plan.key_areas.create(key=f"9.{i}", name=f"领域{i}").industries.add(world["industry"])
        plan.programs.create(key=f"9.{i}", name=f"工程{i}")
        plan.measures.create(key=f"9.{i}", name=f"措施{i}")
        if i < len(factories.CITIES) - 1:
            plan.city_roles.create(city=regions[list(factories.CITIES)[i + 1]], role=f"定位{i}")
    world["zone"].industries.add(world["industry"])


@pytest.fixture
def superuser(regions):
    return factories.make_user("root", None, is_superuser=True)


@pytest.mark.parametrize("model", DATA_MODELS, ids=lambda m: m._meta.label)
def test_province_user_gets_every_page(client, province_user, world, model):
    client.force_login(province_user)
    assert client.get(admin_url(model, "changelist")).status_code == 200
    # Warnings are opened by the rules only (projects.services.warnings_evaluate), never by hand.
    assert client.get(admin_url(model, "add")).status_code == (403 if model is ProjectWarning else 200)
    obj = model._default_manager.first()
    assert obj is not None, "the world fixture should hold a row of every model"
    assert client.get(admin_url(model, "change", obj.pk)).status_code == 200


def test_a_form_does_not_read_the_records_its_fields_could_name(client, province_user, world):
    """A new project's plan and enterprise are chosen by search (autocomplete): the page reads none of them
    (the admin listed every choice of every relation while building the form: ~10 queries per add page)."""
    client.force_login(province_user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(admin_url(KeyProject, "add")).status_code == 200
    tables = (
        'FROM "plans_plan"',
        'FROM "projects_enterprise"',
        'FROM "plans_industry"',
        'FROM "projects_industrybase"',
    )
    assert [q["sql"] for q in queries.captured_queries if any(table in q["sql"] for table in tables)] == []
    assert len(queries.captured_queries) <= 5


def test_superuser_manages_accounts(client, superuser, province_user):
    from django.contrib.auth import get_user_model

    client.force_login(superuser)
    User = get_user_model()
    assert client.get(admin_url(User, "changelist")).status_code == 200
    assert client.get(admin_url(User, "change", province_user.pk)).status_code == 200
    assert client.get(admin_url(User, "add")).status_code == 200
    assert client.get(reverse("admin:authtoken_tokenproxy_changelist")).status_code == 200


@pytest.fixture(scope="class")
def few_queries(world_once, django_db_blocker) -> dict:
    """By model: the queries of its changelist for provincial staff on the world.

    Then 12 more rows of every model are added for the class's tests; everything rolls back after its last test.
    """

    def build():
        built = fresh_copy(world_once)
        client = Client()
        client.force_login(built["province_user"])
        found = {}
        for model in DATA_MODELS:
            url = admin_url(model, "changelist")
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found[model] = len(queries)
        add_rows(built["regions"], built["world"], 12)
        return found

    yield from built_once(django_db_blocker=django_db_blocker, build=build)


class TestChangelistQueryCounts:
    """Every changelist's query count on the world, then with 12 more rows of every model (added once)."""

    @pytest.mark.parametrize("model", DATA_MODELS, ids=lambda m: m._meta.label)
    def test_changelist_query_count_does_not_grow(
        self, client, province_user, few_queries, model, django_assert_max_num_queries
    ):
        client.force_login(province_user)
        url = admin_url(model, "changelist")
        client.get(url)
        with django_assert_max_num_queries(few_queries[model]):
            assert client.get(url).status_code == 200


CITY_SCOPED = [
    (KeyProject, "ty_proj", "dt_proj"),
    (ProjectReport, "ty_report", "dt_report"),
    (Enterprise, "ty_ent", "dt_ent"),
    (Park, "ty_park", "dt_park"),
    (IndustryBase, "ty_base", "dt_base"),
    (Milestone, "ty_milestone", "dt_milestone"),
    (ProjectYearPlan, "ty_year_plan", "dt_year_plan"),
    (ProjectWarning, "ty_warning", "dt_warning"),
]


@pytest.mark.parametrize("model,own,other", CITY_SCOPED, ids=lambda v: getattr(v, "__name__", v))
def test_city_user_sees_only_own_city(client, taiyuan_user, world, model, own, other):
    client.force_login(taiyuan_user)
    response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    shown = set(response.context["cl"].result_list)
    assert world[own] in shown and world[other] not in shown
    assert client.get(admin_url(model, "change", world[own].pk)).status_code == 200
    # Another city's record is answered like a missing one (issue 12, finding 11).
    assert client.get(admin_url(model, "change", world[other].pk)).status_code == 404
    assert client.get(admin_url(model, "delete", world[other].pk)).status_code == 404
    assert client.get(admin_url(model, "change", 987654)).status_code == 404


def test_city_user_cannot_move_project_to_another_city(client, taiyuan_user, world, regions):
    client.force_login(taiyuan_user)
    project = world["ty_proj"]
    url = admin_url(KeyProject, "change", project.pk)
    data = {
        "name": project.name,
        "city": regions["140200"].pk,
        "stage": "signed",
        "mentions-TOTAL_FORMS": "0",
        "mentions-INITIAL_FORMS": "0",
        "builders-TOTAL_FORMS": "0",
        "builders-INITIAL_FORMS": "0",
        "reports-TOTAL_FORMS": "0",
        "reports-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["city"]
    assert errors and ("只能选择本人所属城市" in errors[0] or "不在可选范围内" in errors[0])
    project.refresh_from_db()
    assert project.city == regions["140100"] and project.stage == "planned"
    data["city"] = regions["140100"].pk
    assert client.post(url, data).status_code == 302
    project.refresh_from_db()
    assert project.stage == "signed"


def test_city_user_reads_plans_but_cannot_change_them(client, taiyuan_user, world):
    from plans.models import Plan

    client.force_login(taiyuan_user)
    response = client.get(admin_url(Plan, "change", world["plan"].pk))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    response = client.post(admin_url(Plan, "change", world["plan"].pk), {"title": "改名"})
    assert response.status_code == 403
    assert client.get(admin_url(Plan, "add")).status_code == 403


def test_city_user_autocomplete_offers_only_own_records(client, taiyuan_user, world):
    client.force_login(taiyuan_user)

    def options(app, model, field):
        response = client.get(
            reverse("admin:autocomplete"), {"app_label": app, "model_name": model, "field_name": field, "term": ""}
        )
        assert response.status_code == 200
        return {item["text"] for item in response.json()["results"]}

    assert options("projects", "keyproject", "city") == {"太原市"}
    assert options("projects", "keyproject", "county") == {"小店区"}
    assert "大同市" in options("plans", "target", "scope"), "province-wide records may name any region"
    enterprises = options("projects", "keyproject", "enterprise")
    assert "太原重工股份有限公司" in enterprises and "大同电力机车有限责任公司" not in enterprises
    assert options("projects", "projectreport", "project") == {"太原轨道交通项目"}
    assert options("projects", "keyproject", "park") == {"太原高新技术产业开发区"}


def test_viewer_cannot_save_anything(client, viewer_user, world):
    client.force_login(viewer_user)
    url = admin_url(KeyProject, "change", world["ty_proj"].pk)
    response = client.get(url)
    assert response.status_code == 200 and not response.context["has_change_permission"]
    assert client.post(url, {"name": "x", "city": world["ty_proj"].city_id, "stage": "signed"}).status_code == 403
    assert client.get(admin_url(KeyProject, "add")).status_code == 403
    assert client.post(admin_url(KeyProject, "delete", world["ty_proj"].pk), {"post": "yes"}).status_code == 403
    assert KeyProject.objects.filter(pk=world["ty_proj"].pk, name="太原轨道交通项目").exists()


def test_search_finds_enterprise_by_alias(client, province_user, world):
    client.force_login(province_user)
    response = client.get(admin_url(Enterprise, "changelist"), {"q": "太重集团"})
    assert list(response.context["cl"].result_list) == [world["ty_ent"]]
    response = client.get(admin_url(KeyProject, "changelist"), {"q": "太重集团"})
    assert list(response.context["cl"].result_list) == [world["ty_proj"]]


def test_city_and_zone_filters(client, province_user, world):
    client.force_login(province_user)
    response = client.get(admin_url(KeyProject, "changelist"), {"city": "140200"})
    assert list(response.context["cl"].result_list) == [world["dt_proj"]]
    response = client.get(admin_url(KeyProject, "changelist"), {"zone": world["zone"].pk})
    assert list(response.context["cl"].result_list) == [world["ty_proj"]]


def test_the_admin_wears_the_sites_colours_and_links_back(client, province_user):
    client.force_login(province_user)
    page = client.get(reverse("admin:index")).content.decode()
    assert "src/admin-theme.css" in page and ">返回网站</a>" in page
