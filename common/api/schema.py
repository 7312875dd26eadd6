"""The OpenAPI schema tells every answer an operation can give (drf-spectacular postprocessing hook).

The views declare their successful answers; the answers every operation shares come from the
framework around them and are added here, once, from what the operation takes:

- 401 and 403 (authentication and permissions), 406 (``format`` or ``Accept`` not served), 429
  (throttles) for every operation;
- 400 for operations with query parameters or a body, 404 for operations on one record, a page
  past the last (pagination) or a ``format`` no renderer serves (DRF's answer), 415 for
  operations with a body, 413 for uploads, 503 for operations that queue a background job;
- the success answer a write lost when its view documented only its 412;
- request bodies refuse properties they do not declare (the serializers ignore nothing silently).
"""

from __future__ import annotations

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


def document_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR)
    components.setdefault("FieldErrors", FIELD_ERRORS)
    for name, component in components.items():
        if name.endswith("Request") and component.get("type") == "object":
            component.setdefault("additionalProperties", False)
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                _document(path, method, operation, item)
    return result


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
