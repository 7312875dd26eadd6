"""Issue 12, findings 2, 5, 6, 7, 8b, 10, 11 and 13b: the city boundary on the remaining side doors."""

import re

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse

from plans.models import Observation
from plans.services import observation_create
from projects.models import Enterprise, EnterpriseAlias, KeyProject
from projects.services import enterprise_aliases_set

from .conftest import admin_client, api_client

pytestmark = pytest.mark.django_db


def _admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


# Finding 2: browsable API forms list only what the user may see.
@pytest.mark.parametrize("url", ["/api/v1/projects/?format=api", "/api/v1/bases/?format=api", "/PROJECT?format=api"])
def test_f02_browsable_api_forms_offer_only_visible_records(town, url):
    url = url.replace("/PROJECT", f"/api/v1/projects/{town.ty_proj.pk}/")
    html = api_client(town.taiyuan).get(url).content.decode()
    assert town.ty_ent.name in html and town.ty_park.name in html
    for hidden in (town.dt_ent.name, town.dt_park.name, town.dt_base.name, town.dt_proj.name):
        assert hidden not in html


# Finding 5: admin writes obey the scope rules of the services.
def test_f05_admin_refuses_what_the_api_refuses(town):
    client = admin_client(town.taiyuan)
    management = {"aliases-TOTAL_FORMS": "0", "aliases-INITIAL_FORMS": "0"}
    response = client.post(_admin_url(Enterprise, "add"), {"name": "无城市企业", "kind": "other", **management})
    assert response.status_code == 200 and not Enterprise.objects.filter(name="无城市企业").exists()
    page = client.get(_admin_url(Enterprise, "change", town.ty_ent.pk))
    data = {"name": town.ty_ent.name, "kind": town.ty_ent.kind, "city": "", **management}
    data["edit_version"] = page.context["adminform"].form["edit_version"].value()
    assert client.post(_admin_url(Enterprise, "change", town.ty_ent.pk), data).status_code == 200
    town.ty_ent.refresh_from_db()
    assert town.ty_ent.city == town.ty
    response = client.post(_admin_url(EnterpriseAlias, "add"), {"enterprise": town.free_ent.pk, "alias": "煤化所"})
    assert response.status_code == 200 and not EnterpriseAlias.objects.filter(alias="煤化所").exists()
    yuci = town.regions["140702"]
    data = {"name": "榆次项目", "city": town.ty.pk, "county": yuci.pk, "stage": "planned"}
    data |= {"reports-TOTAL_FORMS": "0", "reports-INITIAL_FORMS": "0"}
    assert client.post(_admin_url(KeyProject, "add"), data).status_code == 200
    assert not KeyProject.objects.filter(name="榆次项目").exists()


# Finding 6: only the province deletes a base; a city changes only its links on a shared one.
def test_f06_shared_bases(town):
    client = api_client(town.taiyuan)
    for base in (town.shared_base, town.ty_base):
        assert client.delete(f"/api/v1/bases/{base.pk}/").status_code == 403
    assert admin_client(town.taiyuan).get(_admin_url(type(town.ty_base), "delete", town.ty_base.pk)).status_code == 403
    response = client.patch(f"/api/v1/bases/{town.shared_base.pk}/", {"name": "改名"}, format="json")
    assert response.status_code == 400
    assert api_client(town.province).delete(f"/api/v1/bases/{town.shared_base.pk}/").status_code == 204


# Finding 7: a city page names only the parks and enterprises the user may see.
def test_f07_city_page_bases_block(town):
    html = admin_client(town.taiyuan).get(reverse("city", args=["140100"])).content.decode()
    assert town.shared_base.name in html and town.ty_ent.name in html and town.ty_park.short_name in html
    assert town.dt_ent.name not in html and town.dt_park.name not in html


# Finding 8b: every admin page answers 200, 403 or 404 for every role, never 500.
@pytest.mark.parametrize("role", ["province", "taiyuan", "viewer"])
def test_f08b_every_admin_page_for_every_role(town, role):
    client = admin_client(getattr(town, role))
    for model in admin.site._registry:
        record = model._default_manager.order_by("pk").first()
        urls = [_admin_url(model, "changelist"), _admin_url(model, "add")]
        if record is not None:
            urls += [_admin_url(model, view, record.pk) for view in ("change", "history", "delete")]
        for url in urls:
            assert client.get(url).status_code in (200, 403, 404), url


# Finding 10: provenance is the province's.
def test_f10_provenance_is_read_only_but_for_the_province(town):
    url = f"/api/v1/projects/{town.ty_proj.pk}/"
    response = api_client(town.taiyuan).patch(url, {"source_quote": "伪造"}, format="json")
    assert response.status_code == 400 and "source_quote" in response.json()
    assert (
        api_client(town.taiyuan).patch(url, {"source_quote": "原文", "stage": "signed"}, format="json").status_code
        == 200
    )
    assert api_client(town.province).patch(url, {"source_quote": "更正"}, format="json").status_code == 200
    city_form = admin_client(town.taiyuan).get(_admin_url(KeyProject, "change", town.ty_proj.pk))
    assert "source_quote" not in city_form.context["adminform"].form.fields
    province_form = admin_client(town.province).get(_admin_url(KeyProject, "change", town.ty_proj.pk))
    assert "source_quote" in province_form.context["adminform"].form.fields


# Finding 11: no message confirms a hidden record.
def test_f11_alias_message_names_only_visible_enterprises(town):
    with pytest.raises(ValidationError) as hidden:
        enterprise_aliases_set(enterprise=town.ty_ent, user=town.taiyuan, aliases=["同车"])
    assert town.dt_ent.name not in str(hidden.value) and "已被使用" in str(hidden.value)
    with pytest.raises(ValidationError) as visible:
        enterprise_aliases_set(enterprise=town.ty_ent, user=town.province, aliases=["同车"])
    assert town.dt_ent.name in str(visible.value)


@pytest.mark.parametrize(
    "url,name,hidden",
    [
        ("/api/v1/projects/", "enterprise", "dt_ent"),
        ("/api/v1/projects/", "park", "dt_park"),
        ("/api/v1/projects/", "base", "dt_base"),
        ("/api/v1/bases/", "anchor", "dt_ent"),
        ("/api/v1/bases/", "park", "dt_park"),
        ("/api/v1/project-reports/", "project", "dt_proj"),
    ],
)
def test_f11_filter_by_a_hidden_id_answers_like_a_missing_id(town, url, name, hidden):
    client = api_client(town.taiyuan)
    answers = []
    for pk in (getattr(town, hidden).pk, 999999):
        response = client.get(url, {name: pk})
        answers.append((response.status_code, re.sub(rf"\b{pk}\b", "ID", response.content.decode())))
    assert answers[0] == answers[1] and answers[0][0] == 400


def test_f11_admin_answers_another_citys_record_like_a_missing_one(town):
    client = admin_client(town.taiyuan)
    for view in ("change", "delete", "history"):
        assert client.get(_admin_url(KeyProject, view, town.dt_proj.pk)).status_code == 404
        assert client.get(_admin_url(KeyProject, view, 999999)).status_code == 404


# Finding 13b: an observation for a county of one's own city.
def test_f13b_city_staff_record_observations_for_their_counties(town):
    xiaodian, yuci = town.regions["140105"], town.regions["140702"]
    indicator = town.target.indicator
    payload = {"indicator": indicator.pk, "value": "1.5", "year": 2023, "scope": xiaodian.code}
    response = api_client(town.taiyuan).post("/api/v1/observations/", payload, format="json")
    assert response.status_code == 201, response.content
    assert Observation.objects.for_user(town.taiyuan).filter(indicator=indicator, scope=xiaodian).exists()
    response = api_client(town.taiyuan).post("/api/v1/observations/", {**payload, "scope": yuci.code}, format="json")
    assert response.status_code == 400
    with pytest.raises(ValidationError):
        observation_create(user=town.taiyuan, data={"indicator": indicator, "value": 1, "year": 2023, "scope": yuci})
