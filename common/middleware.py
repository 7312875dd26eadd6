"""Refuse a request body larger than any upload sxplan accepts, from its Content-Length, before it is read."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

# Room for the multipart framing and the form's other fields next to the largest allowed file.
FORM_SLACK_BYTES = 1024 * 1024


def max_request_bytes() -> int:
    return settings.TRANSFER_MAX_UPLOAD_BYTES + FORM_SLACK_BYTES


class RequestSizeLimitMiddleware:
    """413 when the declared Content-Length exceeds the largest upload; nothing of the body is read.

    A body without a Content-Length (chunked) is bounded by the proxy (``client_max_body_size``,
    see README) and by Django's own limits (``DATA_UPLOAD_MAX_MEMORY_SIZE``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > max_request_bytes():
            return self.too_large(request)
        return self.get_response(request)

    @staticmethod
    def too_large(request: HttpRequest) -> HttpResponse:
        limit = settings.TRANSFER_MAX_UPLOAD_BYTES // 1048576
        message = f"上传内容过大：单个文件不能超过 {limit} MB，请拆分后分批上传。"
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=413)
        return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
