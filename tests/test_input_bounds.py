"""Input bounds shared by the API, the admin and the import (issue 12, finding 13): one validator each,
on the model field (common/validators.py), so every path refuses the same values with the same message."""

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from rest_framework.test import APIClient

from common.validators import MAX_CAPACITY, MagnitudeValidator, validate_no_bidi_controls, validate_plausible_date
from projects.models import KeyProject
from transfers import services

from .transfers.conftest import header, project_row, xlsx_bytes

pytestmark = pytest.mark.django_db
# The regions, users and world of tests/conftest.py, built once for this module.
WORLD_BUILT_ONCE = True

RLO = "\u202e"
DATE_YEAR_1 = "日期 0001-01-01 超出范围（1949-01-01 至 2100-12-31）。"
DATE_YEAR_9999 = "日期 9999-12-31 超出范围（1949-01-01 至 2100-12-31）。"
BIDI = "不能包含不可见的文字方向控制字符（U+202E），请删除后重新输入。"
CAPACITY = "数值过大（99999999999999），不能超过 1000000000000，请确认单位。"

API_CASES = [
    ("signed_on", "0001-01-01", DATE_YEAR_1),
    ("production_on", "9999-12-31", DATE_YEAR_9999),
    ("capacity_value", "99999999999999", CAPACITY),
    ("name", f"太原{RLO}目项新", BIDI),
]


@pytest.mark.parametrize(("field", "value", "message"), API_CASES, ids=[case[0] for case in API_CASES])
def test_the_api_refuses_values_out_of_bounds(world, province_user, field, value, message):
    client = APIClient()
    client.force_authenticate(province_user)
    response = client.patch(f"/api/v1/projects/{world['ty_proj'].pk}/", {field: value}, format="json")
    assert response.status_code == 400
    assert response.json()[field] == [message]


def test_the_api_refuses_bidi_controls_in_enterprise_names_and_huge_observations(world, province_user):
    client = APIClient()
    client.force_authenticate(province_user)
    enterprise = client.patch(f"/api/v1/enterprises/{world['ty_ent'].pk}/", {"name": f"甲{RLO}乙"}, format="json")
    assert enterprise.status_code == 400
    assert enterprise.json()["name"] == [BIDI]
    observation = client.patch(
        f"/api/v1/observations/{world['ty_obs'].pk}/", {"value": "9999999999999999"}, format="json"
    )
    assert observation.status_code == 400
    assert observation.json()["value"] == ["数值过大（9999999999999999），不能超过 1000000000000000，请确认单位。"]


@pytest.mark.parametrize(("field", "value", "message"), API_CASES, ids=[case[0] for case in API_CASES])
def test_the_admin_form_refuses_the_same_values(world, province_user, field, value, message):
    request = RequestFactory().get("/admin/")
    request.user = province_user
    model_admin = admin.site._registry[KeyProject]
    project = world["ty_proj"]
    form_class = model_admin.get_form(request, project)
    initial = form_class(instance=project).initial
    data = {name: form_class.base_fields[name].prepare_value(initial.get(name)) for name in form_class.base_fields}
    data = {name: "" if value is None else value for name, value in data.items()}
    data[field] = value
    form = form_class(data=data, instance=project)
    assert not form.is_valid()
    assert form.errors[field] == [message]


def import_rows(user, *rows):
    content = xlsx_bytes([header("projects"), *rows])
    return services.import_job_create(
        user=user, dataset_name="projects", file_name="p.xlsx", content=content, dry_run=True
    )


def test_the_import_gives_the_same_messages(world, province_user):
    job = import_rows(
        province_user,
        project_row(f"导入{RLO}项目"),
        project_row("导入项目二", **{"签约日期": "1900-01-01", "产能数值": "99999999999999"}),
    )
    messages = {(error["row"], error["column"]): error["message"] for error in job.errors}
    assert messages[(2, "项目名称")] == BIDI
    assert messages[(3, "签约日期")] == "日期 1900-01-01 超出范围（1949-01-01 至 2100-12-31）。"
    assert messages[(3, "产能数值")] == CAPACITY


def test_validators_accept_the_bounds_themselves():
    validate_plausible_date(datetime.date(1949, 1, 1))
    validate_plausible_date(datetime.date(2100, 12, 31))
    MagnitudeValidator(MAX_CAPACITY)(MAX_CAPACITY)
    MagnitudeValidator(MAX_CAPACITY)(-MAX_CAPACITY)
    validate_no_bidi_controls("太原重工（集团）‐ 轨道交通")
    with pytest.raises(ValidationError):
        MagnitudeValidator(MAX_CAPACITY)(MAX_CAPACITY + Decimal("0.01"))
    with pytest.raises(ValidationError, match="U\\+2066、U\\+2069"):
        validate_no_bidi_controls("甲\u2066乙\u2069")
