"""The permission test matrix: cases generated for every model, every path and every role.

After NetBox's ``utilities/testing`` (``APIViewTestCases`` / ``ViewTestCases``): a model declares
only what is particular to it (an ``Entry``: its records in the test world and a valid new
record); which paths it has is read from the API router and ``admin.site``, and the cases of
every path are generated from that. The models are enumerated from the router, the admin
registry and the admins' inlines, so that a new model without an entry fails
``test_every_model_has_an_entry`` instead of being left out.

Cases are ``pytest.param``s whose id starts with the model's label (``projects.KeyProject-…``),
so that ``conftest.py`` counts the generated tests per model.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import openpyxl
import pytest
from django.contrib import admin
from django.db import models
from django.urls import reverse
from rest_framework import relations
from rest_framework.viewsets import GenericViewSet

from common.api.views import AggregateViewSet, ScopedModelViewSet
from common.scope import is_city_scoped, scope_queryset
from sxplan_site.api_urls import router

from .world import MISSING_PK


@dataclass(frozen=True)
class Entry:
    """What the matrix needs to know of a model that it cannot read from the code.

    ``own``: the world attribute of a record 太原 staff may see (and change, when the model is
    city-scoped). ``other``: a record hidden from them (another city's, another user's job).
    ``create``: a valid API body for a new record, made by 太原 staff where they may (else by the
    province). ``viewer_own``: the record a viewer reads, where it is not ``own`` (a job is its owner's).
    ``owner_may``: the actions a user may call on a record of their own (``own`` is 太原 staff's,
    ``viewer_own`` the viewer's: marking their notice read, retrying their export), whatever their role.
    """

    model: type[models.Model]
    own: str
    other: str | None = None
    create: Callable[[SimpleNamespace], dict] | None = None
    viewer_own: str | None = None
    owner_may: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.model._meta.label


# What each path is, for ids and counts.
API_ANONYMOUS = ("list", "detail", "create", "update", "replace", "delete", "history", "export-csv", "export-xlsx")
API_HIDDEN = ("detail", "update", "replace", "delete", "history", "history-csv")
API_VIEWER_WRITES = ("create", "update", "replace", "delete")
ADMIN_ANONYMOUS = ("changelist", "add", "change", "delete", "history", "revert")
ADMIN_HIDDEN = ("change", "change-post", "delete", "delete-post", "history", "revert", "revert-post")
ADMIN_VIEWER_WRITES = ("add-post", "change-post", "delete-post", "revert-post")


# --- What the code declares: API resources, admin pages, inlines ---------------------------------


def api_viewsets() -> dict[type[models.Model], tuple[str, type[GenericViewSet]]]:
    """Every model with an API resource of its own (a list and details), by model: (prefix, viewset)."""
    found = {}
    for prefix, viewset, _ in router.registry:
        if issubclass(viewset, AggregateViewSet) or not hasattr(viewset, "retrieve"):
            continue
        found[viewset.queryset.model] = (prefix, viewset)
    return found


def admin_models() -> dict[type[models.Model], admin.ModelAdmin]:
    return dict(admin.site._registry)


def inline_models() -> dict[type[models.Model], list[tuple[type[models.Model], admin.options.InlineModelAdmin]]]:
    """Models edited as inline rows, by model: [(parent model, inline admin)]."""
    found: dict = {}
    for parent, model_admin in admin.site._registry.items():
        for inline_class in model_admin.inlines:
            found.setdefault(inline_class.model, []).append((parent, inline_class(parent, admin.site)))
    return found


def every_model() -> set[type[models.Model]]:
    return set(api_viewsets()) | set(admin_models()) | set(inline_models())


# --- Generated cases -------------------------------------------------------------------------------


def _param(entry: Entry, *values, case: str):
    return pytest.param(entry, *values, id=f"{entry.label}-{case}")


def has_action(viewset, action: str) -> bool:
    needs = {
        "create": "create",
        "update": "partial_update",
        "replace": "update",
        "delete": "destroy",
        "history": "history",
        "history-csv": "history",
    }
    if action.startswith("export"):
        file_format = action.removeprefix("export-")
        return any(getattr(renderer, "format", None) == file_format for renderer in viewset.renderer_classes)
    return hasattr(viewset, needs.get(action, "list"))


def missing_write_cases(entries: dict) -> list:
    """A case per write a resource does not offer (a read-only resource's PATCH …): (entry, action)."""
    cases = []
    for model, (_, viewset) in sorted(api_viewsets().items(), key=lambda item: item[0]._meta.label):
        methods = {"create": "post", "update": "patch", "replace": "put", "delete": "delete"}
        for action, method in methods.items():
            if not has_action(viewset, action) or method not in viewset.http_method_names:
                cases.append(_param(entries[model], action, case=f"no-{action}"))
    return cases


def detail_actions(viewset) -> list[tuple[str, str]]:
    """The extra actions of a viewset on one record (``submit/``, ``acknowledge/``, ``download/`` …): (path, method).

    ``history`` is left out: it is a path of its own in the matrix.
    """
    found = []
    for extra in viewset.get_extra_actions():
        if extra.detail and extra.url_path != "history":
            found += [(extra.url_path, method.lower()) for method in sorted(extra.mapping)]
    return found


def action_cases(entries: dict, *, needs_other: bool = False, not_owners: bool = False, methods=None) -> list:
    """A case per extra action on one record of every API resource: (entry, path, method).

    ``not_owners``: the actions refused by role (those of ``Entry.owner_may`` left out).
    """
    cases = []
    for model, (_, viewset) in sorted(api_viewsets().items(), key=lambda item: item[0]._meta.label):
        entry = entries[model]
        if needs_other and entry.other is None:
            continue
        cases += [
            _param(entry, path, method, case=f"action-{path}-{method}")
            for path, method in detail_actions(viewset)
            if (methods is None or method in methods) and not (not_owners and path in entry.owner_may)
        ]
    return cases


def api_cases(entries: dict, actions, *, needs_other: bool = False) -> list:
    cases = []
    for model, (_, viewset) in sorted(api_viewsets().items(), key=lambda item: item[0]._meta.label):
        entry = entries[model]
        if needs_other and entry.other is None:
            continue
        cases += [_param(entry, action, case=action) for action in actions if has_action(viewset, action)]
    return cases


def writable_relations(model) -> list[tuple[str, type[models.Model], bool]]:
    """(field, related model, many) for each writable relation of the model's serializer to a city-scoped model."""
    _, viewset = api_viewsets()[model]
    found = []
    for name, field in viewset.serializer_class().fields.items():
        many = isinstance(field, relations.ManyRelatedField)
        relation = field.child_relation if many else field
        queryset = getattr(relation, "queryset", None)
        if not field.read_only and queryset is not None and is_city_scoped(queryset.model):
            found.append((name, queryset.model, many))
    return found


def relation_cases(entries: dict) -> list:
    cases = []
    for model, (_, viewset) in sorted(api_viewsets().items(), key=lambda item: item[0]._meta.label):
        if not issubclass(viewset, ScopedModelViewSet):
            continue
        entry = entries[model]
        for name, related, many in writable_relations(model):
            for method in ("patch", "post"):
                if method == "post" and entry.create is None:
                    continue
                cases.append(_param(entry, name, related, many, method, case=f"{name}-{method}"))
    return cases


def admin_cases(entries: dict, views, *, needs_other: bool = False) -> list:
    cases = []
    for model in sorted(admin_models(), key=lambda m: m._meta.label):
        entry = entries[model]
        if needs_other and entry.other is None:
            continue
        cases += [_param(entry, view, case=view) for view in views if has_admin_view(model, view)]
    return cases


def admin_model_cases(entries: dict, *, only=lambda model, model_admin: True, case: str) -> list:
    return [
        _param(entries[model], case=case)
        for model, model_admin in sorted(admin_models().items(), key=lambda item: item[0]._meta.label)
        if only(model, model_admin)
    ]


def autocomplete_cases(entries: dict) -> list:
    """Every autocomplete field of every admin page and inline: (entry of the page's model, field name)."""
    cases = []
    pages = [(model, model_admin) for model, model_admin in admin_models().items()]
    pages += [(inline.model, inline) for inlines in inline_models().values() for _, inline in inlines]
    for model, model_admin in sorted(pages, key=lambda item: item[0]._meta.label):
        for name in model_admin.autocomplete_fields:
            cases.append(_param(entries[model], name, case=f"autocomplete-{name}"))
    return list({case.id: case for case in cases}.values())


# --- Requests ------------------------------------------------------------------------------------


def api_url(model, record=None, suffix: str = "") -> str:
    prefix, viewset = api_viewsets()[model]
    if record is None:
        return f"/api/v1/{prefix}/{suffix}"
    key = record if isinstance(record, int | str) else getattr(record, viewset.lookup_field or "pk")
    return f"/api/v1/{prefix}/{key}/{suffix}"


def api_request(client, model, action: str, record=None, body: dict | None = None):
    body = body or {}
    if action == "list":
        return client.get(api_url(model))
    if action.startswith("export-"):
        return client.get(api_url(model), {"format": action.removeprefix("export-")})
    if action == "create":
        return client.post(api_url(model), body, format="json")
    if action == "detail":
        return client.get(api_url(model, record))
    if action == "update":
        return client.patch(api_url(model, record), body, format="json")
    if action == "replace":
        return client.put(api_url(model, record), body, format="json")
    if action == "delete":
        return client.delete(api_url(model, record))
    if action == "history":
        return client.get(api_url(model, record, "history/"))
    if action == "history-csv":
        return client.get(api_url(model, record, "history/"), {"format": "csv"})
    raise ValueError(action)


def api_action_request(client, model, path: str, method: str, record, body: dict | None = None):
    """A request to an extra action on one record (a body of the usual fields of the actions' forms)."""
    body = body if body is not None else {"comment": "意见", "reason": "理由"}
    url = api_url(model, record, f"{path}/")
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, body, format="json")


def admin_url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def admin_view_url(model, view: str, record) -> str:
    """The URL of an admin view; ``revert`` is the history form of the record's latest version."""
    view = view.removesuffix("-post")
    if view in ("changelist", "add"):
        return admin_url(model, view)
    pk = record if isinstance(record, int) else record.pk
    if view == "revert":
        history = getattr(model, "history", None)
        version = history.filter(id=pk).order_by("-history_id").first() if history is not None else None
        return admin_url(model, "simple_history", pk, version.history_id if version else MISSING_PK)
    return admin_url(model, view, pk)


def has_admin_view(model, view: str) -> bool:
    if view.startswith("revert"):
        return hasattr(model, "history") and "simple_history" in _admin_url_names(model)
    return True


def _admin_url_names(model) -> set[str]:
    opts = model._meta
    prefix = f"{opts.app_label}_{opts.model_name}_"
    return {p.name.removeprefix(prefix) for p in admin.site._registry[model].urls if p.name}


# --- What a record is and what an answer shows ------------------------------------------------------


def snapshot(record) -> dict:
    """Everything about a record a write could change: its fields, its many-to-many links, its history length."""
    model = type(record)
    stored = model._default_manager.filter(pk=record.pk).first()
    if stored is None:
        return {"deleted": True}
    state = {field.attname: field.value_from_object(stored) for field in model._meta.concrete_fields}
    for field in model._meta.many_to_many:
        state[field.name] = set(getattr(stored, field.name).values_list("pk", flat=True))
    if hasattr(stored, "history"):
        state["history"] = stored.history.count()
    return state


def links(record) -> dict:
    """Every foreign key and many-to-many value of a record, and the rows of its inlines, as primary keys."""
    model = type(record)
    record = model._default_manager.get(pk=record.pk)
    found = {}
    for field in model._meta.get_fields():
        if field.many_to_many and field.concrete:
            found[field.name] = set(getattr(record, field.name).values_list("pk", flat=True))
        elif field.many_to_one:
            found[field.name] = field.value_from_object(record)
        elif field.one_to_many and field.related_model in inline_models():
            rows = field.related_model._default_manager.filter(**{field.field.name: record})
            found[field.name] = {tuple(links_of_row(row).items()) for row in rows}
    return found


def links_of_row(row) -> dict:
    return {f.name: f.value_from_object(row) for f in row._meta.concrete_fields if f.is_relation}


def hidden_names(user) -> set[str]:
    """The names of every record of a city-scoped model that ``user`` may not see."""
    names = set()
    for model in every_model():
        if not is_city_scoped(model):
            continue
        visible = scope_queryset(model._default_manager.all(), user)
        for record in model._default_manager.exclude(pk__in=visible.values("pk")):
            for attr in ("name", "short_name", "alias"):
                value = getattr(record, attr, "")
                if isinstance(value, str) and len(value) >= 2:
                    names.add(value)
    return names


def unlinked_hidden_record(record, field: str, related, user):
    """A record of ``related`` that ``user`` may not see and that ``record`` does not link in ``field``.

    (A link the record has already is kept, and so accepted again: that is not what is tested.)
    """
    model_field = type(record)._meta.get_field(field)
    if model_field.many_to_many:
        linked = set(getattr(record, field).values_list("pk", flat=True))
    else:
        linked = {model_field.value_from_object(record)}
    visible = scope_queryset(related._default_manager.all(), user).values("pk")
    hidden = related._default_manager.exclude(pk__in=visible).exclude(pk__in=linked - {None}).order_by("pk").first()
    assert hidden is not None, f"the world has no hidden {related.__name__} that {record} does not link"
    return hidden


def response_text(response) -> str:
    """What an answer shows a reader, whatever its format (JSON, HTML, CSV, XLSX)."""
    content_type = response.get("Content-Type", "")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in content_type:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row
        )
    text = content.decode("utf-8-sig")
    if "text/csv" in content_type:
        return "\n".join(",".join(row) for row in csv.reader(io.StringIO(text)))
    if "json" in content_type:
        return json.dumps(json.loads(text), ensure_ascii=False) if text else text
    return text


def without_tokens(text: str) -> str:
    """An answer with the per-request CSRF token and CSP nonce blanked out."""
    return re.sub(r'(name="csrfmiddlewaretoken" value=|nonce=)"[^"]*"', r"\1", text)


def as_for(missing_text: str, pk) -> str:
    """The answer for MISSING_PK as it reads for `pk`: a hidden record's answer must equal it exactly.

    The unlikely MISSING_PK is substituted where it occurs, rather than blanking `pk` in both answers:
    a small id such as 8 also occurs in charset="utf-8" or initial-scale=1.
    """
    return without_tokens(missing_text).replace(str(MISSING_PK), str(pk))
