"""Every writer of every model goes through the model's services and comes to the same outcome.

The writers: the admin (add, change, inline row, delete, bulk delete, revert from history), the
API (create, update, delete), the import (batched and row by row) and the seed loader. For each
the same bad input gets the same message, the history entry names the acting user, actor fields
(``reported_by``) are set, and the derived progress rows are right after the write.
"""

from __future__ import annotations

import inspect
import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

import common.admin
import plans.api.views
import plans.services
import projects.api.views
import regions.api.views
from common.api.views import ScopedModelViewSet
from common.choices import RoleChoices
from plans.choices import ProgressStatusChoices
from plans.models import Observation, TargetProgress
from plans.services import observation_create, target_create
from projects.models import KeyProject, ProjectReport
from projects.services import key_project_create
from seeds.loader import SERVICES as LOADER_SERVICES
from tests import factories
from transfers.datasets import DATASETS
from transfers.services import import_table
from transfers.spreadsheet import Table

ACTIONS = ("create", "update", "delete")


#: Empty management forms of the project inlines that a hand-built admin post must carry.
NO_PROJECT_INLINES = {
    "mentions-TOTAL_FORMS": "0",
    "mentions-INITIAL_FORMS": "0",
    "builders-TOTAL_FORMS": "0",
    "builders-INITIAL_FORMS": "0",
}


def entity(model) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower()


def assert_services_of(model, services, actions=ACTIONS) -> None:
    """The declared functions are ``<app>.services.<entity>_<action>`` of this model."""
    for action, function in zip(actions, services, strict=True):
        assert (function.__module__, function.__name__) == (
            f"{model._meta.app_label}.services",
            f"{entity(model)}_{action}",
        )


# Declarations: every writer names its services ---------------------------------------------------


#: Admins that create nothing: warnings are opened by the rules (projects.services.warnings_evaluate) and
#: only acknowledged in the admin, through projects.services.warning_acknowledge.
READ_AND_ACKNOWLEDGE = {"ProjectWarning"}


def _admins():
    for model, model_admin in admin.site._registry.items():
        if model.__name__ in READ_AND_ACKNOWLEDGE:
            continue
        if isinstance(model_admin, common.admin.ServiceAdminMixin):
            yield pytest.param(model, model_admin, id=f"admin-{model.__name__}")
            for inline in model_admin.inlines:
                yield pytest.param(inline.model, inline, id=f"inline-{model.__name__}-{inline.model.__name__}")


@pytest.mark.parametrize(("model", "writer"), list(_admins()))
def test_each_admin_and_inline_declares_the_services_of_its_model(model, writer):
    services = writer.services
    assert_services_of(model, (services.create, services.update, services.delete))
    if services.delete_many:
        assert_services_of(model, (services.delete_many,), ("delete_many",))


API_VIEWS = (regions.api.views, plans.api.views, projects.api.views)  # imported: their viewsets are registered


WRITE_METHODS = {"post", "put", "patch", "delete"}


def _viewsets(cls=ScopedModelViewSet):
    """Every viewset that writes (one limited to reads by ``http_method_names`` has no services: the snapshots)."""
    for subclass in cls.__subclasses__():
        if WRITE_METHODS & set(subclass.http_method_names):
            yield pytest.param(subclass, id=subclass.__name__)
        yield from _viewsets(subclass)


@pytest.mark.parametrize("viewset", list(_viewsets()))
def test_each_api_viewset_declares_the_services_of_its_model(viewset):
    services = viewset.services
    assert_services_of(viewset.queryset.model, (services.create, services.update, services.delete))


@pytest.mark.parametrize("dataset", DATASETS.values(), ids=list(DATASETS))
def test_each_import_declares_the_services_of_its_model(dataset):
    assert_services_of(dataset.model, (dataset.create, dataset.update), ("create", "update"))
    if dataset.create_many:
        assert_services_of(dataset.model, (dataset.create_many,), ("create_many",))


@pytest.mark.parametrize("model", list(LOADER_SERVICES), ids=lambda model: model.__name__)
def test_the_seed_loader_declares_the_services_of_each_model(model):
    assert_services_of(model, LOADER_SERVICES[model], ("create", "update"))


def test_services_are_keyword_only():
    for model_admin in admin.site._registry.values():
        services = getattr(model_admin, "services", None)
        for function in (services.create, services.update, services.delete) if services else ():
            kinds = {p.kind for p in inspect.signature(function).parameters.values()}
            assert kinds == {inspect.Parameter.KEYWORD_ONLY}, function.__name__


# Outcomes: the same for every writer ------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module through the services; each test's writes are rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        regions = factories.make_regions()
        plan = factories.make_plan()
        ty, dt = regions["140100"], regions["140200"]
        indicator = factories.make_indicator("产值", "亿元")
        target = target_create(
            user=None,
            data={"plan": plan, "key": "t", "indicator": indicator, "target_value": Decimal(200), "target_year": 2030,
                  "baseline_value": Decimal(100), "baseline_year": 2020, "scope": ty},
        )  # fmt: skip
        first = observation_create(
            user=None, data={"indicator": indicator, "value": Decimal(150), "year": 2022, "scope": ty}
        )
        project = key_project_create(user=None, data={"name": "太原项目", "city": ty, "stage": "started"})
        world = {
            "province": factories.make_user("w-province", RoleChoices.PROVINCE),
            "taiyuan": factories.make_user("w-taiyuan", RoleChoices.CITY, [ty]),
            "ty": ty,
            "dt": dt,
            "plan": plan,
            "indicator": indicator,
            "target": target,
            "first": first,
            "project": project,
        }
        yield world
        transaction.set_rollback(True)


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def page_data(response) -> dict:
    """The POST data of an admin page's forms (main form, inline management forms and rows) as shown."""
    forms = [response.context["adminform"].form]
    for inline in response.context.get("inline_admin_formsets", []):
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            key = form.add_prefix(name)
            data[key] = [str(v) for v in value] if isinstance(value, list | tuple) else "on" if value is True else value
    return data


def history_of(record):
    return record.history.order_by("-history_id").first()


def progress_of(target):
    return TargetProgress.objects.get(target=target)


def form_errors(response) -> list[str]:
    form = response.context["adminform"].form
    return [message for messages in form.errors.values() for message in messages]


def import_rows(user, dataset_name: str, rows: list[list]) -> object:
    dataset = DATASETS[dataset_name]
    table = Table(header=dataset.headers, rows=list(enumerate(rows, start=2)), file_format="csv")
    return import_table(dataset=dataset, table=table, user=user, dry_run=False)


def report_row(project, year, month) -> list:
    values = {"项目名称": project.name, "年份": str(year), "月份": str(month), "阶段": "开工"}
    return [values.get(header, "") for header in DATASETS["reports"].headers]


def observation_row(target, value, year) -> list:
    values = {
        "指标（编号或名称）": target.indicator.key,
        "范围（城市代码或名称）": target.scope.code,
        "年份": str(year),
        "数值": str(value),
    }
    return [values.get(header, "") for header in DATASETS["observations"].headers]


# ProjectReport: the reporter is the acting user, whoever writes.


def report_by_admin(world, user):
    client = admin_client(user)
    data = {"project": world["project"].pk, "year": 2024, "month": 5, "stage": "started", "investment_completed": "1"}
    assert client.post(reverse("admin:projects_projectreport_add"), data).status_code == 302
    return ProjectReport.objects.get(project=world["project"], month=5)


def report_by_admin_inline(world, user):
    client = admin_client(user)
    url = reverse("admin:projects_keyproject_change", args=[world["project"].pk])
    data = page_data(client.get(url))
    data.update({**NO_PROJECT_INLINES, "reports-TOTAL_FORMS": "1", "reports-0-year": "2024", "reports-0-month": "5",
                 "reports-0-stage": "started", "reports-0-investment_completed": "1"})  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302, form_errors(response)
    return ProjectReport.objects.get(project=world["project"], month=5)


def report_by_api(world, user):
    data = {"project": world["project"].pk, "year": 2024, "month": 5, "stage": "started"}
    response = api_client(user).post("/api/v1/project-reports/", data, format="json")
    assert response.status_code == 201, response.json()
    return ProjectReport.objects.get(pk=response.json()["id"])


def report_by_import(world, user):
    assert import_rows(user, "reports", [report_row(world["project"], 2024, 5)]).errors == []
    return ProjectReport.objects.get(project=world["project"], month=5)


@pytest.mark.parametrize("write", [report_by_admin, report_by_admin_inline, report_by_api, report_by_import])
@pytest.mark.parametrize("role", ["province", "taiyuan"])
def test_a_new_report_names_its_reporter_and_its_author_in_history(db, world, write, role):
    user = world[role]
    report = write(world, user)
    assert report.reported_by == user
    assert (history_of(report).history_type, history_of(report).history_user) == ("+", user)


# Observation: progress is right after every write, history names the writer.


def observation_by_admin(world, user):
    client = admin_client(user)
    data = {"indicator": world["indicator"].pk, "value": "210", "year": 2023, "quarter": 0, "month": 0,
            "scope": world["ty"].pk, "status": "final"}  # fmt: skip
    response = client.post(reverse("admin:plans_observation_add"), data)
    assert response.status_code == 302, form_errors(response)
    return Observation.objects.get(year=2023)


def observation_by_api(world, user):
    data = {"indicator": world["indicator"].pk, "value": "210", "year": 2023, "scope": "140100"}
    response = api_client(user).post("/api/v1/observations/", data, format="json")
    assert response.status_code == 201, response.json()
    return Observation.objects.get(pk=response.json()["id"])


def observation_by_import(world, user):
    assert import_rows(user, "observations", [observation_row(world["target"], 210, 2023)]).errors == []
    return Observation.objects.get(year=2023)


@pytest.mark.parametrize("write", [observation_by_admin, observation_by_api, observation_by_import])
def test_a_new_observation_moves_progress_at_once(db, world, write):
    """Observations belong to an indicator (no inline on the target's page); 210 in 2023 reaches the 2030 target."""
    user = world["taiyuan"]
    observation = write(world, user)
    assert observation.reported_by == user
    assert (history_of(observation).history_type, history_of(observation).history_user) == ("+", user)
    assert progress_of(world["target"]).observation == observation
    assert progress_of(world["target"]).status == ProgressStatusChoices.AHEAD


def change_by_admin(world, user, observation):
    client = admin_client(user)
    url = reverse("admin:plans_observation_change", args=[observation.pk])
    data = page_data(client.get(url)) | {"value": "210"}
    response = client.post(url, data)
    assert response.status_code == 302, form_errors(response)


def change_by_api(world, user, observation):
    response = api_client(user).patch(f"/api/v1/observations/{observation.pk}/", {"value": "210"}, format="json")
    assert response.status_code == 200, response.json()


def change_by_import(world, user, observation):
    assert import_rows(user, "observations", [observation_row(world["target"], 210, 2022)]).errors == []


def change_by_revert(world, user, observation):
    """Change to 210 through the service, then revert from history to the version before: back to 150."""
    api_client(user).patch(f"/api/v1/observations/{observation.pk}/", {"value": "210"}, format="json")
    old = observation.history.order_by("history_id").first()
    client = admin_client(user)
    url = reverse("admin:plans_observation_simple_history", args=[observation.pk, old.history_id])
    response = client.post(url, page_data(client.get(url)))
    assert response.status_code == 302, form_errors(response)


@pytest.mark.parametrize("write", [change_by_admin, change_by_api, change_by_import, change_by_revert])
def test_a_changed_observation_moves_progress_at_once(db, world, write):
    user, observation = world["taiyuan"], world["first"]
    write(world, user, observation)
    observation.refresh_from_db()
    expected = ProgressStatusChoices.ON_TRACK if write is change_by_revert else ProgressStatusChoices.AHEAD
    assert (history_of(observation).history_type, history_of(observation).history_user) == ("~", user)
    assert progress_of(world["target"]).status == expected


def delete_by_admin(world, user, observation):
    client = admin_client(user)
    response = client.post(reverse("admin:plans_observation_delete", args=[observation.pk]), {"post": "yes"})
    assert response.status_code == 302


def delete_by_admin_action(world, user, observation):
    client = admin_client(user)
    data = {"action": "delete_selected", "_selected_action": [observation.pk], "post": "yes"}
    assert client.post(reverse("admin:plans_observation_changelist"), data).status_code == 302


def delete_by_api(world, user, observation):
    assert api_client(user).delete(f"/api/v1/observations/{observation.pk}/").status_code == 204


@pytest.mark.parametrize("write", [delete_by_admin, delete_by_admin_action, delete_by_api])
def test_a_deleted_observation_moves_progress_at_once(db, world, write):
    user, observation = world["taiyuan"], world["first"]
    write(world, user, observation)
    assert not Observation.objects.filter(pk=observation.pk).exists()
    deleted = Observation.history.filter(id=observation.pk).order_by("-history_id").first()
    assert (deleted.history_type, deleted.history_user) == ("-", user)
    assert progress_of(world["target"]).status == ProgressStatusChoices.NO_DATA


def test_a_bulk_delete_of_observations_in_the_admin_refreshes_progress_once(db, world, monkeypatch):
    user, target = world["taiyuan"], world["target"]
    later = [
        observation_create(
            user=None,
            data={"indicator": world["indicator"], "value": Decimal(250), "year": year, "scope": world["ty"]},
        )
        for year in (2023, 2024, 2025)
    ]
    assert progress_of(target).status == ProgressStatusChoices.AHEAD
    calls = []
    refresh = plans.services.refresh_progress

    def counted(target_ids=None):
        calls.append(sorted(set(target_ids)))
        refresh(target_ids)

    monkeypatch.setattr(plans.services, "refresh_progress", counted)
    data = {"action": "delete_selected", "_selected_action": [o.pk for o in later], "post": "yes"}
    assert admin_client(user).post(reverse("admin:plans_observation_changelist"), data).status_code == 302
    assert calls == [[target.pk]]
    assert not Observation.objects.filter(pk__in=[o.pk for o in later]).exists()
    deleted = Observation.history.filter(id__in=[o.pk for o in later], history_type="-")
    assert [h.history_user for h in deleted] == [user] * 3
    assert progress_of(target).status == ProgressStatusChoices.ON_TRACK  # only 2022's value is left


# Validation: the same bad input, the same message, whoever writes.

BAD_DATES = {"signed_on": "2024-05-01", "started_on": "2024-01-01"}
DATES_MESSAGE = "签约日期不能晚于开工日期。"


def bad_project_by_admin(world, user) -> list[str]:
    data = {"name": "坏项目", "city": world["ty"].pk, "stage": "started", **BAD_DATES,
            **NO_PROJECT_INLINES, "reports-TOTAL_FORMS": "0", "reports-INITIAL_FORMS": "0"}  # fmt: skip
    response = admin_client(user).post(reverse("admin:projects_keyproject_add"), data)
    assert response.status_code == 200
    return form_errors(response)


def bad_project_by_api(world, user) -> list[str]:
    data = {"name": "坏项目", "city": "140100", "stage": "started", **BAD_DATES}
    response = api_client(user).post("/api/v1/projects/", data, format="json")
    assert response.status_code == 400
    return [message for messages in response.json().values() for message in messages]


def bad_project_by_import(world, user) -> list[str]:
    values = {
        "项目名称": "坏项目",
        "所在城市（代码或名称）": "140100",
        "签约日期": "2024-05-01",
        "开工日期": "2024-01-01",
    }
    row = [values.get(header, "") for header in DATASETS["projects"].headers]
    return [error.message for error in import_rows(user, "projects", [row]).errors]


@pytest.mark.parametrize("write", [bad_project_by_admin, bad_project_by_api, bad_project_by_import])
def test_the_same_bad_input_gets_the_same_message_from_every_writer(db, world, write):
    assert write(world, world["taiyuan"]) == [DATES_MESSAGE]
    assert not KeyProject.objects.filter(name="坏项目").exists()


COUNTY_MESSAGE = "小店区不属于大同市。"


def county_by_admin(world, user) -> dict:
    data = {"name": "错县项目", "city": world["dt"].pk, "county": factories.make_regions()["140105"].pk,
            "stage": "started", **NO_PROJECT_INLINES,
            "reports-TOTAL_FORMS": "0", "reports-INITIAL_FORMS": "0"}  # fmt: skip
    response = admin_client(user).post(reverse("admin:projects_keyproject_add"), data)
    assert response.status_code == 200
    return dict(response.context["adminform"].form.errors)


def county_by_api(world, user) -> dict:
    data = {"name": "错县项目", "city": "140200", "county": "140105", "stage": "started"}
    response = api_client(user).post("/api/v1/projects/", data, format="json")
    assert response.status_code == 400
    return response.json()


@pytest.mark.parametrize("write", [county_by_admin, county_by_api])
def test_a_rule_only_the_service_knows_is_a_field_error_in_admin_and_api(db, world, write):
    """The admin form cannot see it: the service refuses, the save is rolled back and the form shows the error."""
    assert write(world, world["province"]) == {"county": [COUNTY_MESSAGE]}
    assert not KeyProject.objects.filter(name="错县项目").exists()
