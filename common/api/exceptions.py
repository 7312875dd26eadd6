from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """Turn model validation and integrity errors into 400s with readable messages, never 500s."""
    if isinstance(exc, DjangoValidationError):
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
