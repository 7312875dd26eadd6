"""The permission matrix over the admin: every registered model and inline, every view, every role (see matrix.py)."""

import pytest
from django import forms
from django.contrib import admin
from django.db import models

from common.scope import can_change, is_city_scoped, scope_queryset
from projects.models import IndustryBase, KeyProject
from tests.test_writers import page_data

from .conftest import admin_client
from .entries import ENTRIES
from .matrix import (
    ADMIN_ANONYMOUS,
    ADMIN_HIDDEN,
    ADMIN_VIEWER_WRITES,
    admin_cases,
    admin_model_cases,
    admin_view_url,
    as_for,
    autocomplete_cases,
    links,
    snapshot,
    without_tokens,
)
from .world import MISSING_PK

pytestmark = pytest.mark.django_db


def _request(client, view: str, url: str):
    return client.post(url, {"post": "yes"}) if view.endswith("-post") else client.get(url)


@pytest.mark.parametrize("entry,view", admin_cases(ENTRIES, ADMIN_ANONYMOUS))
def test_anonymous_is_sent_to_sign_in(w, entry, view):
    response = admin_client().get(admin_view_url(entry.model, view, getattr(w, entry.own)))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("entry,view", admin_cases(ENTRIES, ADMIN_HIDDEN, needs_other=True))
def test_another_citys_record_is_answered_like_a_missing_one(w, entry, view):
    """太原 staff on a 大同 record: as for a missing id (404, 403 or a redirect to the index); nothing changes."""
    client, hidden = admin_client(w.taiyuan), getattr(w, entry.other)
    before = snapshot(hidden)
    response = _request(client, view, admin_view_url(entry.model, view, hidden))
    missing = _request(client, view, admin_view_url(entry.model, view, MISSING_PK))
    assert response.status_code in (404, 403, 302), response.status_code
    if response.status_code == 302:
        assert response["Location"] == "/admin/"
    assert response.status_code == missing.status_code
    assert without_tokens(response.content.decode()) == as_for(missing.content.decode(), hidden.pk)
    assert snapshot(hidden) == before


@pytest.mark.parametrize("entry,view", admin_cases(ENTRIES, ADMIN_VIEWER_WRITES))
def test_viewer_never_writes(w, entry, view):
    record = getattr(w, entry.own)
    before = snapshot(record)
    response = _request(admin_client(w.viewer), view, admin_view_url(entry.model, view, record))
    assert response.status_code == 403
    assert snapshot(record) == before


def _city_changes(model, model_admin) -> bool:
    return is_city_scoped(model) and isinstance(model_admin, admin.ModelAdmin)


@pytest.mark.parametrize("entry", admin_model_cases(ENTRIES, only=_city_changes, case="save-unchanged"))
def test_a_form_saved_unchanged_by_city_staff_keeps_every_link(w, entry):
    """Every link (those to records the clerk cannot see too) and every inline row survives an unchanged save."""
    record = getattr(w, entry.own)
    assert can_change(w.taiyuan, record), f"{entry.own} must be a record 太原 staff may change"
    client, url = admin_client(w.taiyuan), admin_view_url(entry.model, "change", record)
    before = links(record)
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, page_data(page))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert links(record) == before


PAGES = ("changelist", "add", "change", "history")


@pytest.mark.parametrize("entry,view", admin_cases(ENTRIES, PAGES))
def test_pages_never_name_a_hidden_record(w, hidden_names_of, entry, view):
    """Lists, forms (their selects and read-only values), inlines and history: no name of a record 太原 may not see."""
    response = admin_client(w.taiyuan).get(admin_view_url(entry.model, view, getattr(w, entry.own)))
    assert response.status_code in (200, 403) or response["Location"] == "/admin/", response.status_code
    text = response.content.decode()
    assert not {name for name in hidden_names_of[w.taiyuan.pk] if name in text}


@pytest.mark.parametrize("entry,view", admin_cases(ENTRIES, ("change",)))
def test_read_only_pages_never_name_a_hidden_record(w, hidden_names_of, entry, view):
    """A viewer of 太原 sees every field read-only: a linked record of another city is shown as the placeholder."""
    response = admin_client(w.ty_viewer).get(admin_view_url(entry.model, view, getattr(w, entry.own)))
    assert response.status_code in (200, 403) or response["Location"] == "/admin/", response.status_code
    text = response.content.decode()
    assert not {name for name in hidden_names_of[w.ty_viewer.pk] if name in text}


def _choice_fields(response):
    form_list = [response.context["adminform"].form]
    for inline in response.context.get("inline_admin_formsets", []):
        form_list += list(inline.formset.forms) + [inline.formset.empty_form]
    for form in form_list:
        for name, field in form.fields.items():
            # An inline row's own key is a hidden field that only names rows of its parent (the formset's queryset).
            if isinstance(field, forms.ModelChoiceField) and name != form._meta.model._meta.pk.name:
                yield form, name, field


@pytest.mark.parametrize("entry,view", admin_cases(ENTRIES, ("add", "change")))
def test_form_choices_hold_only_visible_records(w, entry, view):
    """Every select of a form and its inlines offers what 太原 staff may see, plus the links the record already has."""
    response = admin_client(w.taiyuan).get(admin_view_url(entry.model, view, getattr(w, entry.own)))
    if response.status_code == 403:
        return
    assert response.status_code == 200
    for form, name, field in _choice_fields(response):
        related = field.queryset.model
        visible = set(scope_queryset(related._default_manager.all(), w.taiyuan).values_list("pk", flat=True))
        offered = set(field.queryset.values_list("pk", flat=True))
        linked = set()
        if form.instance.pk is not None:
            value = form.instance._meta.get_field(name)
            if value.many_to_many:
                linked = set(getattr(form.instance, name).values_list("pk", flat=True))
            elif isinstance(value, models.ForeignKey):
                linked = {value.value_from_object(form.instance)}
        assert offered - visible <= linked, f"{form.__class__.__name__}.{name}"


@pytest.mark.parametrize("entry,field", autocomplete_cases(ENTRIES))
def test_autocomplete_holds_only_visible_records(w, entry, field):
    opts = entry.model._meta
    params = {"app_label": opts.app_label, "model_name": opts.model_name, "field_name": field}
    response = admin_client(w.taiyuan).get("/admin/autocomplete/", params)
    if response.status_code == 403:
        return
    assert response.status_code == 200, response.content
    remote = entry.model._meta.get_field(field).remote_field
    to_field = remote.field_name if hasattr(remote, "field_name") and remote.field_name else "pk"
    visible = scope_queryset(remote.model._default_manager.all(), w.taiyuan)
    allowed = {str(value) for value in visible.values_list(to_field, flat=True)}
    shown = {row["id"] for row in response.json()["results"]}
    assert shown <= allowed
    assert shown, "the autocomplete offers nothing: the test world lacks a visible record"


@pytest.mark.parametrize(
    "entry,record,term",
    [
        pytest.param(ENTRIES[KeyProject], "ty_proj", "yq_ent", id="projects.KeyProject-search-builder"),
        pytest.param(ENTRIES[IndustryBase], "ty_base", "dt_ent", id="projects.IndustryBase-search-anchor"),
    ],
)
def test_search_never_matches_through_a_hidden_record(w, entry, record, term):
    """Finding a visible record by the name of a hidden one it links would confirm that name."""
    url, name = admin_view_url(entry.model, "changelist", None), getattr(w, term).name
    assert getattr(w, record) not in admin_client(w.taiyuan).get(url, {"q": name}).context["cl"].result_list
    assert getattr(w, record) in admin_client(w.province).get(url, {"q": name}).context["cl"].result_list
