from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

NOT_FOUND = "记录或页面不存在。"


def exception_handler(exc, context):
    """Turn model validation and integrity errors into 400s with readable messages, never 500s.

    A record that does not exist and one the user may not see answer the same Chinese 404 (Django's
    ``get_object_or_404`` message names the model in English: "No KeyProject matches the given query.").
    """
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(NOT_FOUND)
    elif isinstance(exc, exceptions.Throttled):
        # DRF joins two translated sentences with a space; one Chinese sentence instead.
        wait = f"请 {exc.wait} 秒后再试。" if exc.wait is not None else "请稍后再试。"
        wait_seconds, exc = exc.wait, exceptions.Throttled(detail=f"请求过于频繁，{wait}")
        exc.wait = wait_seconds  # the Retry-After header
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=validation_error_detail(exc))
    elif isinstance(exc, ProtectedError | RestrictedError):
        exc = exceptions.ValidationError(
            detail={api_settings.NON_FIELD_ERRORS_KEY: ["该记录仍被其他数据引用，不能删除。"]}
        )
    elif isinstance(exc, IntegrityError):
        exc = exceptions.ValidationError(
            detail={api_settings.NON_FIELD_ERRORS_KEY: ["数据违反完整性约束，未作任何修改。"]}
        )
    return drf_exception_handler(exc, context)


def validation_error_detail(exc: DjangoValidationError) -> dict:
    """A Django ValidationError as DRF's ``{field: [messages]}``, model-wide errors under non_field_errors."""
    if not hasattr(exc, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
    return {
        api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field: messages
        for field, messages in exc.message_dict.items()
    }


# Django's own error pages, for requests that never reach a view (a path that matches no URL
# pattern, such as ``/api/v1/bases/abc/``, or an error outside DRF): JSON under /api/, HTML
# elsewhere. The bodies are the schema's ``Error`` component.

API_PREFIX = "/api/"


def page_not_found(request, exception):
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": NOT_FOUND}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "服务器内部错误，请稍后再试。"}, status=500)
    return defaults.server_error(request)
