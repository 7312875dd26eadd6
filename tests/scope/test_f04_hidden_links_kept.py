"""Issue 12, finding 4: links the editor cannot see are kept on save (admin and API) and shown as a placeholder."""

import pytest
from django.contrib import admin
from django.urls import reverse

from common.scope import HIDDEN_RECORD_LABEL, can_change
from tests.test_writers import page_data

from .conftest import admin_client, api_client

pytestmark = pytest.mark.django_db


def _links(record) -> dict:
    """Every foreign key and many-to-many value of a record, as primary keys."""
    record = type(record)._default_manager.get(pk=record.pk)
    links = {}
    for field in record._meta.get_fields():
        if field.many_to_many and field.concrete:
            links[field.name] = set(getattr(record, field.name).values_list("pk", flat=True))
        elif field.many_to_one:
            links[field.name] = field.value_from_object(record)
    return links


def _change_url(record):
    opts = record._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])


def test_admin_shows_a_hidden_builder_as_a_placeholder_and_keeps_it(town):
    client = admin_client(town.taiyuan)
    page = client.get(_change_url(town.ty_proj))
    html = page.content.decode()
    assert HIDDEN_RECORD_LABEL in html and town.yq_ent.name not in html
    assert client.post(_change_url(town.ty_proj), page_data(page)).status_code == 302
    town.ty_proj.refresh_from_db()
    assert town.ty_proj.enterprise == town.yq_ent


def test_admin_keeps_the_anchors_of_other_cities_on_a_shared_base(town):
    client = admin_client(town.taiyuan)
    page = client.get(_change_url(town.shared_base))
    html = page.content.decode()
    assert HIDDEN_RECORD_LABEL in html and town.dt_ent.name not in html and town.dt_park.name not in html
    data = page_data(page)
    data["anchors"] = [str(town.ty_ent.pk)]  # the clerk unselects the placeholder: 大同's anchor stays
    assert client.post(_change_url(town.shared_base), data).status_code == 302
    assert set(town.shared_base.anchors.all()) == {town.ty_ent, town.dt_ent}
    assert set(town.shared_base.parks.all()) == {town.ty_park, town.dt_park}


def test_api_merges_the_submitted_links_with_the_hidden_ones(town):
    client = api_client(town.taiyuan)
    url = f"/api/v1/bases/{town.shared_base.pk}/"
    assert client.patch(url, {"anchors": [], "parks": [town.ty_park.pk]}, format="json").status_code == 200
    assert set(town.shared_base.anchors.all()) == {town.dt_ent}
    assert set(town.shared_base.parks.all()) == {town.ty_park, town.dt_park}


def test_api_accepts_the_hidden_value_it_already_holds(town):
    client = api_client(town.taiyuan)
    url = f"/api/v1/projects/{town.ty_proj.pk}/"
    response = client.patch(url, {"enterprise": town.yq_ent.pk, "stage": "signed"}, format="json")
    assert response.status_code == 200, response.content
    town.ty_proj.refresh_from_db()
    assert town.ty_proj.enterprise == town.yq_ent and town.ty_proj.stage == "signed"


def _records_taiyuan_may_change(town):
    # The warning first: saving a report or a milestone re-evaluates (here: resolves) the project's warnings.
    records = [town.ty_warning, town.ty_milestone, town.ty_year_plan]
    records += [
        town.ty_proj,
        town.ty_base,
        town.shared_base,
        town.ty_report,
        town.ty_ent,
        town.ty_park,
        town.ty_obs,
        town.ty_submission,
    ]
    return [r for r in records if type(r) in admin.site._registry and can_change(town.taiyuan, r)]


def test_every_admin_form_saved_unchanged_by_a_city_user_keeps_every_link(town):
    records = _records_taiyuan_may_change(town)
    registered = {model for model in admin.site._registry if hasattr(model, "city_scope")}
    assert {type(r) for r in records} >= registered - {type(town.ty_ent.aliases.model())}
    client = admin_client(town.taiyuan)
    for record in records:
        before = _links(record)
        page = client.get(_change_url(record))
        assert page.status_code == 200, record
        response = client.post(_change_url(record), page_data(page))
        assert response.status_code == 302, (record, response.context and response.context["adminform"].form.errors)
        assert _links(record) == before, record
