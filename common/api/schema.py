"""The OpenAPI schema tells every answer an operation can give (drf-spectacular postprocessing hook).

The views declare their successful answers; the answers every operation shares come from the
framework around them and are added here, once, from what the operation takes:

- 401 and 403 (authentication and permissions), 406 (``format`` or ``Accept`` not served), 429
  (throttles) for every operation;
- 400 for operations with query parameters or a body, 404 for operations on one record, a page
  past the last (pagination) or a ``format`` no renderer serves (DRF's answer), 415 for
  operations with a body, 413 for uploads, 503 for operations that queue a background job;
- the success answer a write lost when its view documented only its 412;
- request bodies refuse properties they do not declare (the serializers ignore nothing silently),
  and state the model's check constraints that ``AutoSchema`` set aside for after the enum hook.

``AutoSchema`` gives each field of a model the bounds the model enforces (its validators and
check constraints), so that a value the schema allows is one the API accepts.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import is_patched_serializer
from rest_framework import serializers

from common.validators import MagnitudeValidator, validate_plausible_date

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "说明（中文）"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": "每个字段（或 non_field_errors、查询参数名）对应的错误说明。",
    "additionalProperties": {},
}

SHARED = {
    "401": "未登录或令牌无效、已过期",
    "403": "无权执行此操作",
    "406": "不支持请求的格式（format 或 Accept）",
    "429": "请求过于频繁，请稍后再试",
}
BAD_REQUEST = "请求参数或内容有误，逐项说明"
NOT_FOUND = "记录或页码不存在（或不属于您可见的范围）"
UNSUPPORTED_MEDIA = "不支持的请求内容类型"
TOO_LARGE = "上传文件过大"
QUEUE_UNAVAILABLE = "后台任务队列不可用，任务未能提交"
#: Operations that queue a background job answer 503 when the broker is down (jobs.services.job_queue).
QUEUEING = {("/api/v1/jobs/import/", "post"), ("/api/v1/jobs/export/", "post")}
QUEUEING_SUFFIXES = ("/apply/", "/retry/")
WRITE_METHODS = ("post", "put", "patch")
RULES = "x-check-constraints"
#: Text without NUL, which Django and DRF refuse in every text field and filter.
NO_NUL = "^[^\\u0000]*$"
#: Text without NUL and with at least one character that is not white space.
NOT_BLANK = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
#: A real date from 1949-01-01 to 2100-12-31 (``common.validators.validate_plausible_date``); 29 February is
#: left out, the only day a pattern cannot tell real from not.
PLAUSIBLE_DATE = (
    r"^(?:19(?:49|[5-9]\d)|20\d\d|2100)-"
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|02-(?:0[1-9]|1\d|2[0-8]))$"
)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def document_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR)
    components.setdefault("FieldErrors", FIELD_ERRORS)
    for name, component in components.items():
        if RULES in component:
            component["allOf"] = component.pop(RULES)
        if name.endswith("Request") and component.get("type") == "object":
            component.setdefault("additionalProperties", False)
            _forbid_nul(component)
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                _document(path, method, operation, item)
                _json_bodies_only(operation, components)
                for parameter in operation.get("parameters", []):
                    if parameter["in"] == "query":
                        _forbid_nul(parameter.get("schema", {}))
    return result


def _forbid_nul(schema) -> None:
    """Every free text of a request body or query takes no NUL (a pattern of its own already says what it takes)."""
    if isinstance(schema, list):
        for item in schema:
            _forbid_nul(item)
    elif isinstance(schema, dict):
        if schema.get("type") == "string" and not ({"pattern", "enum", "format"} & set(schema)):
            # A text that may not be blank needs a character other than white space (DRF trims it).
            schema["pattern"] = NOT_BLANK if schema.get("minLength", 0) >= 1 else NO_NUL
        for value in schema.values():
            if isinstance(value, dict | list):
                _forbid_nul(value)


def _json_bodies_only(operation: dict, components: dict) -> None:
    """A body without a file is documented as JSON only.

    The form encodings (which DRF's parsers also read, for the browsable API's forms) cannot say
    ``null``: a client that sends a null there sends the text "None" or "", so they are no
    contract for a JSON API.
    """
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return
    schema = content["application/json"].get("schema", {})
    name = schema.get("$ref", "").rsplit("/", 1)[-1]
    if '"binary"' in json.dumps(components.get(name, schema)):
        return
    for media_type in FORM_TYPES:
        content.pop(media_type, None)


def _document(path: str, method: str, operation: dict, item: dict) -> None:
    responses = operation.setdefault("responses", {})
    _restore_success(method, responses, item)
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    for code, description in SHARED.items():
        _add(responses, code, description, "Error")
    if has_body or any(parameter["in"] == "query" for parameter in parameters):
        _add(responses, "400", BAD_REQUEST, "FieldErrors")
    if any(parameter["in"] == "path" or parameter["name"] in ("page", "format") for parameter in parameters):
        _add(responses, "404", NOT_FOUND, "Error")
    if has_body:
        _add(responses, "415", UNSUPPORTED_MEDIA, "Error")
        if "multipart/form-data" in operation["requestBody"].get("content", {}):
            _add(responses, "413", TOO_LARGE, "Error")
    if method == "post" and ((path, method) in QUEUEING or path.endswith(QUEUEING_SUFFIXES)):
        if path.startswith("/api/v1/jobs/"):
            _add(responses, "503", QUEUE_UNAVAILABLE, "Error")


def _restore_success(method: str, responses: dict, item: dict) -> None:
    """A write whose view documented only an error (412) answers what its read answers, or 204 for a delete."""
    if any(code.startswith("2") for code in responses):
        return
    if method == "delete":
        responses["204"] = {"description": "已删除"}
    elif method in WRITE_METHODS and "200" in item.get("get", {}).get("responses", {}):
        responses["200"] = item["get"]["responses"]["200"]


def _add(responses: dict, code: str, description: str, component: str) -> None:
    if code in responses and responses[code].get("content"):
        return
    responses[code] = {
        "description": responses.get(code, {}).get("description") or description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }


#: The summary of each standard action, by the resource's Chinese name.
ACTION_SUMMARIES = {
    "list": "{name}列表",
    "retrieve": "查看一条{name}",
    "create": "新建{name}",
    "update": "修改{name}（整条替换）",
    "partial_update": "修改{name}（部分字段）",
    "destroy": "删除{name}",
}
#: Tags of the endpoints that are not one model's records, by the path's first part after /api/v1/.
PATH_TAGS = {"dashboard": "统计看板", "geo": "地图", "auth": "身份认证", "jobs": "导入导出与后台任务"}
CJK = re.compile(r"[\u4e00-\u9fff]")


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema, with Chinese tags and summaries and the bounds a model puts on its fields.

    - one tag per resource, its model's Chinese plural name (or ``PATH_TAGS``), instead of one "v1" tag;
    - a Chinese summary per operation: the action's own docstring where it is Chinese (custom actions),
      else "新建{资源}"-style text for the standard actions; the view classes' docstrings, written for
      developers, never reach the docs;

    - decimals (strings): a pattern that takes only numbers (drf-spectacular's also takes ``""``
      and ``"-."``), bounded by a ``MagnitudeValidator``, without a sign where a check constraint
      says ``<field>__gte=0``;
    - integers and numbers: ``maximum`` / ``minimum`` from a ``MagnitudeValidator`` and from the
      ``<field>__gte`` / ``<field>__lte`` of the model's check constraints (years: 1949–2100);
    - strings: the ``pattern`` of a ``<field>__regex`` check constraint (region codes);
    - whole request bodies (not PATCH, whose rule depends on the stored record): the check
      constraints made of ``exact`` and ``isnull`` lookups on the body's fields, as ``allOf`` /
      ``anyOf`` / ``not`` (a province has no parent region; a city or county has one).
    """

    def _resource_name(self) -> str | None:
        model = getattr(getattr(self.view, "queryset", None), "model", None)
        return str(model._meta.verbose_name_plural) if model is not None else None

    def _action_doc(self) -> str:
        action = getattr(self.view, "action", None) or self.method.lower()
        doc = (getattr(getattr(self.view, action, None), "__doc__", None) or "").strip()
        if CJK.search(doc):
            return doc
        if self._path_tag():
            # Dashboards and maps: the nearest Chinese docstring of the view's classes says what it counts.
            for cls in type(self.view).__mro__:
                doc = (cls.__dict__.get("__doc__") or "").strip()
                if CJK.search(doc):
                    return doc
        return ""

    def _path_tag(self) -> str | None:
        parts = self._tokenize_path()
        first = parts[1] if len(parts) > 1 and parts[0] == "v1" else (parts[0] if parts else "")
        return PATH_TAGS.get(first)

    def get_tags(self) -> list[str]:
        tag = self._path_tag() or self._resource_name()
        return [tag] if tag else super().get_tags()

    def get_summary(self) -> str | None:
        doc = self._action_doc()
        if doc:
            return doc.splitlines()[0].rstrip("。")
        template = ACTION_SUMMARIES.get(getattr(self.view, "action", None) or "")
        name = self._resource_name()
        return template.format(name=name) if template and name else None

    def get_description(self) -> str:
        doc = self._action_doc()
        return "\n".join(doc.splitlines()[1:]).strip() if doc else ""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # A required to-many relation (a round's cities) refuses an empty list: say so.
        if isinstance(field, serializers.ManyRelatedField) and not field.allow_empty and schema.get("type") == "array":
            schema.setdefault("minItems", 1)
        return schema

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        model = getattr(getattr(serializer, "Meta", None), "model", None)
        if direction != "request" or model is None or is_patched_serializer(serializer, direction):
            return schema
        writable = {name for name, field in serializer.fields.items() if not field.read_only}
        rules = [
            rule
            for constraint in model._meta.constraints
            if isinstance(constraint, models.CheckConstraint)
            and (rule := condition_schema(constraint.condition, writable)) is not None
        ]
        if rules:
            # Set aside until drf-spectacular's enum hook has run (``document_error_responses``
            # moves them to ``allOf``): it would turn their one-value enums into the field's enum.
            schema[RULES] = rules
        return schema

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        model_field = _model_field(field)
        if model_field is None:
            return
        if schema.get("format") == "date" and validate_plausible_date in model_field.validators:
            schema["pattern"] = PLAUSIBLE_DATE
        maximum = _magnitude(model_field)
        bounds = constraint_bounds(model_field.model).get(model_field.name, {})
        if schema.get("type") == "string" and schema.get("format") == "decimal":
            schema["pattern"] = decimal_pattern(
                whole_digits=model_field.max_digits - model_field.decimal_places,
                decimal_places=model_field.decimal_places,
                maximum=maximum,
                signed=bounds.get("minimum", -1) < 0,
            )
            return
        if schema.get("type") in ("integer", "number"):
            if maximum is not None:
                bounds = {"minimum": -maximum, "maximum": maximum, **bounds}
            for key, value in bounds.items():
                if key in ("minimum", "maximum"):
                    schema[key] = int(value) if value == int(value) else float(value)
        elif schema.get("type") == "string" and "pattern" in bounds and "pattern" not in schema:
            schema["pattern"] = bounds["pattern"]


def _model_field(field) -> models.Field | None:
    model = getattr(getattr(getattr(field, "parent", None), "Meta", None), "model", None)
    source = getattr(field, "source", None)
    if model is None or not source or "." in source or source == "*":
        return None
    try:
        model_field = model._meta.get_field(source)
    except FieldDoesNotExist:
        return None
    return model_field if model_field.concrete and not model_field.is_relation else None


def _magnitude(model_field: models.Field) -> Decimal | None:
    limits = [validator.maximum for validator in model_field.validators if isinstance(validator, MagnitudeValidator)]
    return min(limits) if limits else None


def decimal_pattern(*, whole_digits: int, decimal_places: int, maximum: Decimal | None, signed: bool) -> str:
    """A decimal as DRF's DecimalField reads it: digits, an optional point and fraction, a sign if ``signed``.

    A ``maximum`` that is a power of ten (10**k, fewer digits than the field holds) limits the
    whole part to k digits, or to the maximum itself.
    """
    fraction = rf"(?:\.\d{{0,{decimal_places}}})?" if decimal_places else r"\.?"
    alternatives = []
    exponent = _power_of_ten(maximum)
    if exponent is not None and exponent < whole_digits:
        alternatives.append(rf"\d{{1,{exponent}}}{fraction}" if exponent else rf"0{fraction}")
        zeros = rf"(?:\.0{{0,{decimal_places}}})?" if decimal_places else r"\.?"
        alternatives.append(f"1{'0' * exponent}{zeros}")
    else:
        alternatives.append(rf"\d{{1,{whole_digits}}}{fraction}" if whole_digits else rf"0{fraction}")
    if decimal_places:
        alternatives.append(rf"\.\d{{1,{decimal_places}}}")
    sign = "-?" if signed else ""
    return rf"^{sign}(?:{'|'.join(alternatives)})$"


def _power_of_ten(value: Decimal | None) -> int | None:
    if value is None or value < 1:
        return None
    exponent = len(str(int(value))) - 1
    return exponent if Decimal(10) ** exponent == value else None


def constraint_bounds(model) -> dict[str, dict]:
    """Per field: the ``minimum`` / ``maximum`` (``__gte`` / ``__lte``) and ``pattern`` (``__regex``)
    that the model's check constraints set."""
    bounds: dict[str, dict] = {}
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.CheckConstraint):
            for lookup, value in _lookups(constraint.condition):
                name, _, kind = lookup.rpartition("__")
                key = {"gte": "minimum", "lte": "maximum", "regex": "pattern"}.get(kind)
                if key and name and "__" not in name and isinstance(value, int | Decimal | str):
                    bounds.setdefault(name, {})[key] = value
    return bounds


def _lookups(condition: models.Q):
    if condition.negated:
        return
    for child in condition.children:
        if isinstance(child, models.Q):
            yield from _lookups(child)
        else:
            yield child


def condition_schema(condition: models.Q, fields: set[str]) -> dict | None:
    """A check constraint's condition as a JSON schema of the request body, if it has only
    ``exact`` and ``isnull`` lookups on ``fields`` (else None: it is left to the API's answer)."""
    parts = []
    for child in condition.children:
        part = condition_schema(child, fields) if isinstance(child, models.Q) else _lookup_schema(*child, fields)
        if part is None:
            return None
        parts.append(part)
    combined = {"allOf" if condition.connector == models.Q.AND else "anyOf": parts}
    return {"not": combined} if condition.negated else combined


def _lookup_schema(lookup: str, value, fields: set[str]) -> dict | None:
    name, _, kind = lookup.rpartition("__")
    if kind not in ("exact", "isnull") or not name:
        name, kind = lookup, "exact"
    if name not in fields:
        return None
    if kind == "isnull" and value is True:
        return {"properties": {name: {"enum": [None]}}}
    if kind == "isnull":
        return {"properties": {name: {"not": {"enum": [None]}}}, "required": [name]}
    if not isinstance(value, str | int):
        return None
    plain = value if isinstance(value, bool | int) else str(value)
    return {"properties": {name: {"enum": [plain]}}, "required": [name]}
