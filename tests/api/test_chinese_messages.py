"""Every message the API answers with is Chinese: validation, relations, parse errors, paging,
throttling, filters; and the docs name the sort options in Chinese (issue 18)."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.exceptions import Throttled

from common.api.exceptions import exception_handler
from projects.models import Batch, KeyProject

pytestmark = pytest.mark.django_db
WORLD_BUILT_ONCE = True

LATIN_WORDS = re.compile(r"[A-Za-z]{4,}")


def english(body) -> list[str]:
    """The messages of a 4xx body that carry English words (field names and echoed input aside)."""
    messages = body.values() if isinstance(body, dict) else [body]
    flat = [m for value in messages for m in (value if isinstance(value, list) else [value])]
    return [str(m) for m in flat if LATIN_WORDS.search(re.sub(r"“[^”]*”|\b(str|list|JSON|UTF)\b", "", str(m)))]


@pytest.fixture
def clerk(api, taiyuan_user):
    return api(taiyuan_user)


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"page": "999"}, "detail", "没有这一页。"),
        ({"ordering": "nope"}, "ordering", "“nope”不在可选范围内。"),
        ({"stage": "nope"}, "stage", "“nope”不在可选范围内。"),
        ({"city": "999"}, "city", "所选的值不在可选范围内。"),
    ],
)
def test_list_parameters_answer_in_chinese(world, clerk, params, field, message):
    answer = clerk.get("/api/v1/projects/", params)
    assert answer.status_code in (400, 404)
    body = answer.json()
    assert message in (body[field] if isinstance(body[field], list) else [body[field]])


def test_writes_answer_in_chinese(world, clerk):
    body = {"name": "", "stage": "x", "city": "999999", "plan": "abc", "industry": 99999, "total_investment": "x"}
    answer = clerk.post("/api/v1/projects/", body, format="json")
    assert answer.status_code == 400
    errors = answer.json()
    assert errors["stage"] == ["“x”不是有效的选项。"]
    assert errors["industry"] == ["编号为“99999”的记录不存在。"]
    assert errors["city"] == ["代码为“999999”的记录不存在。"]
    assert errors["plan"] == ["类型错误：应为记录编号（整数），收到的是 str。"]
    assert not english(errors), errors
    not_an_object = clerk.post("/api/v1/projects/", [1, 2], format="json").json()
    assert not_an_object == {"non_field_errors": ["数据格式错误：应为 JSON 对象，收到的是 list。"]}


def test_a_json_value_of_the_wrong_type_is_refused_not_coerced(world, clerk, province_user, api):
    # DRF alone would store 387851 as the name "387851", 1 as true and "5" as 5.
    before = KeyProject.objects.count()
    body = {"name": 387851, "stage": "x", "city": "140100", "total_investment": True}
    errors = clerk.post("/api/v1/projects/", body, format="json").json()
    assert errors["name"] == ["请填写文本（字符串）。"]
    assert errors["total_investment"] == ["请填写数值。"]
    assert errors["stage"] == ["“x”不是有效的选项。"]  # the other fields are still checked
    typed = clerk.post("/api/v1/projects/", {"name": "某项目", "city": 140100, "industry": "1"}, format="json")
    assert typed.json()["city"] == ["请填写代码（字符串）。"]
    assert typed.json()["industry"] == ["类型错误：应为记录编号（整数），收到的是 str。"]
    assert KeyProject.objects.count() == before
    province = api(province_user)
    leading = province.post("/api/v1/enterprises/", {"name": "某企业", "is_leading": 1}, format="json")
    assert leading.json()["is_leading"] == ["请填写 true 或 false。"]
    answer = province.post("/api/v1/batches/", {"name": 387851, "held_on": "2026-06-30"}, format="json")
    assert (answer.status_code, answer.json()) == (400, {"name": ["请填写文本（字符串）。"]})
    assert not Batch.objects.filter(name="387851").exists()
    # A form encoding sends every value as text, read as before.
    fine = province.post("/api/v1/batches/", {"name": "第九批", "held_on": "2026-06-30"})
    assert fine.status_code == 201, fine.json()


def test_a_write_refuses_a_query_parameter_it_does_not_know(world, province_user, api):
    province = api(province_user)
    body = {"name": "第十批", "held_on": "2026-06-30"}
    answer = province.post("/api/v1/batches/?nmae=x", body, format="json")
    assert (answer.status_code, answer.json()) == (400, {"nmae": ["未知的查询参数。"]})
    assert not Batch.objects.filter(name="第十批").exists()
    # The browsable API posts to the list's whole address: its filters and ?format= are known.
    assert province.post("/api/v1/batches/?format=json&page=2", body, format="json").status_code == 201
    assert province.post("/api/v1/notices/read-all/?x=1").status_code == 400


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{bad json", "请求内容不是有效的 JSON：第 1 行第 2 列有误。"),
        (b"\xff\xfe", "请求内容不是有效的 JSON（须为 UTF-8 编码的 JSON 文本）。"),
    ],
)
def test_parse_errors_answer_in_chinese(world, clerk, content, message):
    answer = clerk.generic("POST", "/api/v1/projects/", content, content_type="application/json")
    assert answer.status_code == 400 and answer.json() == {"detail": message}


def test_unsupported_body_and_throttling_answer_in_chinese(world, clerk):
    answer = clerk.generic("POST", "/api/v1/projects/", "x", content_type="text/plain")
    assert answer.status_code == 415 and not english(answer.json())
    throttled = exception_handler(Throttled(wait=3.2), {})
    assert throttled.data == {"detail": "请求过于频繁，请 4 秒后再试。"} and throttled["Retry-After"] == "4"


def test_docs_name_every_sort_option_in_chinese():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    options = [
        line
        for operations in schema["paths"].values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "ordering"
        for line in parameter.get("description", "").splitlines()
        if line.startswith("* `")
    ]
    assert len(options) > 100
    assert "* `-name` - 项目名称（降序）" in options
    assert not [line for line in options if LATIN_WORDS.search(line.split(" - ", 1)[1])]


def test_browsable_forms_offer_an_empty_choice_in_chinese(world, api, province_user):
    client = api(province_user)
    html = client.get("/api/v1/projects/", HTTP_ACCEPT="text/html").content.decode()
    assert '<option value="" selected>请选择</option>' in html and ">--------<" not in html
