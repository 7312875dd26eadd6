"""The permission matrix over the REST API: every resource, every path, every role (see matrix.py)."""

import pytest
from django.db import models

from common.scope import can_change, scope_queryset

from .conftest import api_client
from .entries import ENTRIES
from .matrix import (
    API_ANONYMOUS,
    API_HIDDEN,
    API_VIEWER_WRITES,
    action_cases,
    api_action_request,
    api_cases,
    api_request,
    api_url,
    api_viewsets,
    as_for,
    every_model,
    missing_write_cases,
    relation_cases,
    response_text,
    snapshot,
    unlinked_hidden_record,
    without_tokens,
)
from .world import MISSING_PK

pytestmark = pytest.mark.django_db


def test_every_model_has_an_entry():
    missing = sorted(model._meta.label for model in every_model() - set(ENTRIES))
    assert not missing, f"models without a permission-matrix entry (tests/permissions/entries.py): {missing}"


def test_every_entry_is_a_model_of_the_code():
    assert set(ENTRIES) <= every_model()


@pytest.mark.parametrize("entry,action", api_cases(ENTRIES, API_ANONYMOUS))
def test_anonymous_is_401(w, entry, action):
    record = getattr(w, entry.own)
    before = snapshot(record)
    response = api_request(api_client(), entry.model, action, record)
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Token")
    assert snapshot(record) == before


@pytest.mark.parametrize("entry,action", api_cases(ENTRIES, API_HIDDEN, needs_other=True))
def test_another_citys_record_is_answered_like_a_missing_one(w, entry, action):
    """太原 staff on a 大同 record: 404, the body of a missing id, and the record unchanged."""
    client, hidden = api_client(w.taiyuan), getattr(w, entry.other)
    before = snapshot(hidden)
    response = api_request(client, entry.model, action, hidden, {"note": "改"})
    missing = api_request(client, entry.model, action, MISSING_PK, {"note": "改"})
    assert response.status_code == 404, response.content
    assert (missing.status_code, as_for(missing.content.decode(), hidden.pk)) == (
        404,
        without_tokens(response.content.decode()),
    )
    assert snapshot(hidden) == before


WRITE_METHODS = ("post", "put", "patch", "delete")


@pytest.mark.parametrize("entry,action", missing_write_cases(ENTRIES))
def test_a_write_a_resource_does_not_offer_is_405(w, entry, action):
    """Even for provincial staff: a read-only resource (its records change through actions) answers 405, not 500."""
    record = getattr(w, entry.own)
    before = snapshot(record)
    body = entry.create(w) if entry.create else {"note": "改"}
    response = api_request(api_client(w.province), entry.model, action, record, body)
    assert response.status_code == 405, response.content
    assert snapshot(record) == before


@pytest.mark.parametrize("entry,path,method", action_cases(ENTRIES))
def test_anonymous_is_401_on_every_action(w, entry, path, method):
    record = getattr(w, entry.own)
    before = snapshot(record)
    response = api_action_request(api_client(), entry.model, path, method, record)
    assert response.status_code == 401, response.content
    assert snapshot(record) == before


@pytest.mark.parametrize("entry,path,method", action_cases(ENTRIES, needs_other=True))
def test_an_action_on_another_citys_record_is_answered_like_on_a_missing_one(w, entry, path, method):
    """太原 staff submitting, acknowledging … a 大同 record: 404, the body of a missing id, the record unchanged."""
    client, hidden = api_client(w.taiyuan), getattr(w, entry.other)
    before = snapshot(hidden)
    response = api_action_request(client, entry.model, path, method, hidden)
    missing = api_action_request(client, entry.model, path, method, MISSING_PK)
    assert response.status_code == 404, response.content
    assert (missing.status_code, as_for(missing.content.decode(), hidden.pk)) == (
        404,
        without_tokens(response.content.decode()),
    )
    assert snapshot(hidden) == before


@pytest.mark.parametrize("entry,path,method", action_cases(ENTRIES, not_owners=True, methods=WRITE_METHODS))
def test_viewer_never_acts(w, entry, path, method):
    record = getattr(w, entry.viewer_own or entry.own)
    before = snapshot(record)
    response = api_action_request(api_client(w.viewer), entry.model, path, method, record)
    assert response.status_code in (403, 405), response.content
    assert snapshot(record) == before


@pytest.mark.parametrize("entry,path,method", action_cases(ENTRIES, not_owners=True, methods=WRITE_METHODS))
def test_city_staff_never_act_on_a_record_they_may_not_change(w, entry, path, method):
    """An action on a record 太原 staff may read but not change (a round, an evaluation): 403, nothing changed."""
    record = getattr(w, entry.own)
    if can_change(w.taiyuan, record):
        return  # what they may do there is the action's own rule (tests of its app)
    before = snapshot(record)
    response = api_action_request(api_client(w.taiyuan), entry.model, path, method, record)
    assert response.status_code == 403, response.content
    assert snapshot(record) == before


@pytest.mark.parametrize("entry,field,related,many,method", relation_cases(ENTRIES))
def test_hidden_id_in_a_relation_field_is_answered_like_a_missing_one(
    w, hidden_names_of, entry, field, related, many, method
):
    """An id 太原 staff may not see, in every writable relation field: the same 400 as an id that does not exist."""
    client, own = api_client(w.taiyuan), getattr(w, entry.own)
    hidden = unlinked_hidden_record(own, field, related, w.taiyuan)
    before = snapshot(own)
    answers = []
    for pk in (hidden.pk, MISSING_PK):
        body = {field: [pk] if many else pk}
        if method == "post":
            response = client.post(api_url(entry.model), {**entry.create(w), **body}, format="json")
        else:
            response = client.patch(api_url(entry.model, own), body, format="json")
        answers.append((response.status_code, as_for(response_text(response), hidden.pk)))
    assert answers[0] == answers[1]
    status, text = answers[0]
    assert status in (400, 403), text
    if status == 400:
        assert f'"{field}"' in text
    assert not {name for name in hidden_names_of[w.taiyuan.pk] if name in text}
    assert snapshot(own) == before


@pytest.mark.parametrize("entry,action", api_cases(ENTRIES, ("list", "detail")))
def test_viewer_reads(w, entry, action):
    record = getattr(w, entry.viewer_own or entry.own)
    response = api_request(api_client(w.viewer), entry.model, action, record)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("entry,action", api_cases(ENTRIES, API_VIEWER_WRITES))
def test_viewer_never_writes(w, entry, action):
    record = getattr(w, entry.viewer_own or entry.own)
    before = snapshot(record)
    body = entry.create(w) if entry.create else {}
    response = api_request(api_client(w.viewer), entry.model, action, record, body)
    assert response.status_code in (403, 405), response.content
    assert snapshot(record) == before


READ_PATHS = ("list", "detail", "export-csv", "export-xlsx", "browsable-list", "browsable-detail")


@pytest.mark.parametrize("entry,path", api_cases(ENTRIES, READ_PATHS))
def test_reads_never_name_a_hidden_record(w, hidden_names_of, entry, path):
    """No answer to 太原 staff names a record they may not see: not in data, linked names, forms or exports."""
    client, own = api_client(w.taiyuan), getattr(w, entry.own)
    if path.startswith("browsable-"):
        url = api_url(entry.model, own if path == "browsable-detail" else None)
        response = client.get(url, {"format": "api"})
    else:
        response = api_request(client, entry.model, path, own)
    assert response.status_code == 200, response.content
    text = response_text(response)
    assert not {name for name in hidden_names_of[w.taiyuan.pk] if name in text}


def _filter_cases():
    cases = []
    for model, (_, viewset) in sorted(api_viewsets().items(), key=lambda item: item[0]._meta.label):
        if getattr(viewset, "filterset_class", None) is not None:
            cases.append(pytest.param(ENTRIES[model], viewset, id=f"{model._meta.label}-filter-choices"))
    return cases


@pytest.mark.parametrize("entry,viewset", _filter_cases())
def test_filter_choices_hold_only_visible_records(w, entry, viewset, rf):
    request = rf.get("/")
    request.user = w.taiyuan
    filterset = viewset.filterset_class(data={}, queryset=viewset.queryset, request=request)
    for name, form_field in filterset.form.fields.items():
        queryset = getattr(form_field, "queryset", None)
        if not isinstance(queryset, models.QuerySet):
            continue
        visible = scope_queryset(queryset.model._default_manager.all(), w.taiyuan)
        shown = set(queryset.values_list("pk", flat=True))
        assert shown <= set(visible.values_list("pk", flat=True)), name


@pytest.mark.parametrize(
    "url,text",
    [
        ("/api/v1/projects/", "yq_ent.name"),
        ("/api/v1/projects/", "dt_alias.alias"),
        ("/api/v1/project-builders/", "dt_ent.name"),
    ],
    ids=[
        "projects.KeyProject-search-builder",
        "projects.KeyProject-search-co-builder",
        "projects.ProjectBuilder-search",
    ],
)
def test_search_never_matches_through_a_hidden_record(w, url, text):
    """Finding a visible record by the name of a hidden one it links would confirm that name."""
    obj, attr = text.split(".")
    name = getattr(getattr(w, obj), attr)
    assert api_client(w.taiyuan).get(url, {"search": name}).json()["count"] == 0
    assert api_client(w.province).get(url, {"search": name}).json()["count"] >= 1
