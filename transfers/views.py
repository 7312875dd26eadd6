"""A submission's sheet on its data-entry page (/monitoring/submissions/<id>/): download it, import it back.

The page itself belongs to ``pages``; these two views sit here because they read and write spreadsheets.
Both answer a submission the user may not see with 404, like the page.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_POST

from common.scope import can_change, user_role
from jobs.choices import FileFormatChoices, JobStatusChoices
from jobs.services import JobNotQueued
from monitoring.models import Submission
from monitoring.selectors import submission_queryset

from . import services
from .spreadsheet import FileRefused, file_response, submission_sheet_name

#: Row errors listed on the page after a failed import (the job keeps them all).
SHOWN_ERRORS = 20


def _submission(request, pk: int) -> Submission:
    if user_role(request.user) is None:
        raise PermissionDenied("您的账户尚未分配角色，请联系省级管理员。")
    return get_object_or_404(submission_queryset(request.user).select_related("round", "city"), pk=pk)


@require_GET
@login_required
def submission_sheet_view(request, pk: int):
    submission = _submission(request, pk)
    content = services.submission_sheet(submission=submission, user=request.user)
    return file_response(content, submission_sheet_name(submission), FileFormatChoices.XLSX)


@require_POST
@login_required
def submission_import_view(request, pk: int):
    submission = _submission(request, pk)
    back = redirect("monitoring-submission", pk=submission.pk)
    if not can_change(request.user, submission):
        messages.error(request, "您无权修改此报送。")
        return back
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "请选择要导入的填报表文件（.xlsx 或 .csv）。")
        return back
    if upload.size > settings.TRANSFER_MAX_UPLOAD_BYTES:
        messages.error(request, f"文件过大，不能超过 {settings.TRANSFER_MAX_UPLOAD_BYTES // 1048576} MB。")
        return back
    try:
        job = services.submission_import(
            user=request.user, submission=submission, file_name=upload.name, content=upload.read()
        )
    except (FileRefused, ValidationError) as exc:
        messages.error(request, "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
        return back
    except JobNotQueued as exc:
        messages.error(request, str(exc))
        return back
    job.refresh_from_db()
    if job.status == JobStatusChoices.SUCCEEDED:
        messages.success(request, job.message)
    elif job.status == JobStatusChoices.FAILED:
        messages.error(request, job.message)
        for error in job.errors[:SHOWN_ERRORS]:
            messages.error(request, error["text"])
        if len(job.errors) > SHOWN_ERRORS:
            messages.error(request, f"另有 {len(job.errors) - SHOWN_ERRORS} 处错误，请在导入任务记录中查看。")
    else:
        messages.info(request, "文件较大，已在后台导入；完成后刷新本页查看。")
    return back
