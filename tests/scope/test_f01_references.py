"""Issue 12, finding 1: relation fields accept only records the user may see; hidden ids answer like missing ones.

Generated over every writable relation field, to a city-scoped model, of every API resource
that city staff write (the others refuse city staff altogether).
"""

import re

import pytest
from rest_framework import relations

import plans.api.urls
import projects.api.urls
import regions.api.urls
from common.api.views import ScopedModelViewSet
from common.scope import is_city_scoped
from transfers.datasets import CellError, Lookups

from .conftest import api_client

pytestmark = pytest.mark.django_db

MISSING = 999999


def writable_relations():
    """(viewset, field name, related model, many) for every writable relation to a city-scoped model."""
    found = []
    for urls in (regions.api.urls, plans.api.urls, projects.api.urls):
        for _, viewset, _ in urls.router.registry:
            if not issubclass(viewset, ScopedModelViewSet) or not is_city_scoped(viewset.queryset.model):
                continue
            for name, field in viewset.serializer_class().fields.items():
                many = isinstance(field, relations.ManyRelatedField)
                relation = field.child_relation if many else field
                queryset = getattr(relation, "queryset", None)
                if not field.read_only and queryset is not None and is_city_scoped(queryset.model):
                    found.append((viewset, name, queryset.model, many))
    return found


RELATIONS = writable_relations()


def test_the_fields_of_the_finding_are_generated():
    names = {(viewset.queryset.model.__name__, name) for viewset, name, _, _ in RELATIONS}
    expected = {("KeyProject", "enterprise"), ("KeyProject", "park"), ("KeyProject", "base")}
    expected |= {("IndustryBase", "parks"), ("IndustryBase", "anchors"), ("ProjectReport", "project")}
    assert expected <= names


def _own(town, model):
    return {
        "KeyProject": town.ty_proj,
        "IndustryBase": town.ty_base,
        "ProjectReport": town.ty_report,
        "ProjectMention": town.ty_mention,
        "ProjectBuilder": town.ty_builder,
        "Milestone": town.ty_milestone,
        "ProjectYearPlan": town.ty_year_plan,
        "BatchProject": town.ty_batch_entry,
    }[model.__name__]


def _url(viewset, record):
    prefix = next(p for urls in (regions.api.urls, plans.api.urls, projects.api.urls)
                  for p, v, _ in urls.router.registry if v is viewset)  # fmt: skip
    return f"/api/v1/{prefix}/{record.pk}/"


@pytest.mark.parametrize(
    "viewset,name,related,many", RELATIONS, ids=[f"{v.queryset.model.__name__}.{n}" for v, n, _, _ in RELATIONS]
)
def test_hidden_id_is_answered_like_a_missing_id(town, viewset, name, related, many):
    client = api_client(town.taiyuan)
    hidden = town.hidden[related]
    url = _url(viewset, _own(town, viewset.queryset.model))
    answers = []
    for pk in (hidden.pk, MISSING):
        response = client.patch(url, {name: [pk] if many else pk}, format="json")
        assert response.status_code == 400, response.content
        answers.append(re.sub(rf"\b{pk}\b", "ID", response.content.decode()))
    assert answers[0] == answers[1]
    assert str(hidden) not in answers[0]


def test_patch_with_a_hidden_enterprise_never_echoes_its_name(town):
    response = api_client(town.taiyuan).patch(f"/api/v1/projects/{town.ty_proj.pk}/", {"enterprise": town.dt_ent.pk})
    assert response.status_code == 400
    assert town.dt_ent.name not in response.content.decode()
    town.ty_proj.refresh_from_db()
    assert town.ty_proj.enterprise == town.yq_ent


def test_province_links_any_record(town):
    response = api_client(town.province).patch(f"/api/v1/projects/{town.ty_proj.pk}/", {"enterprise": town.dt_ent.pk})
    assert response.status_code == 200 and response.json()["enterprise_name"] == town.dt_ent.name


@pytest.mark.parametrize("kind,hidden,missing", [
    ("enterprise", "大同电力机车有限责任公司", "不存在的企业"),
    ("enterprise", "同车", "不存在的简称"),
    ("park", "大同经济技术开发区", "不存在的园区"),
    ("project", "大同机车项目", "不存在的项目"),
])  # fmt: skip
def test_import_names_a_hidden_record_like_a_missing_one(town, kind, hidden, missing):
    lookups = Lookups(town.taiyuan)
    messages = []
    for text in (hidden, missing):
        with pytest.raises(CellError) as error:
            getattr(lookups, kind)(text)
        messages.append(str(error.value).replace(text, "NAME"))
    assert messages[0] == messages[1]
    assert getattr(Lookups(town.province), kind)(hidden) is not None
