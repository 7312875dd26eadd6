"""Import, export and job status over the API: ``/api/v1/jobs/``.

``POST jobs/import/`` (multipart) checks the file and previews it (``dry_run``, the default)
or applies it; large files answer 202 and run on a worker. ``POST jobs/{id}/apply/`` applies a
successful preview; ``POST jobs/{id}/retry/`` runs a failed import or export again (owner or
provincial staff). ``POST jobs/export/`` exports in the import format; ``GET
jobs/{id}/download/`` fetches the file. ``GET jobs/template/?dataset=…&file_format=…`` gives the
empty template; ``GET jobs/template/?dataset=submission_values&submission=<id>`` the sheet of one
submission, its values filled in as they stand, to be filled in offline and imported back.
Everyone sees only their own jobs (provincial staff: all). Reading jobs first marks failed those
whose process died, so no job stays "running" forever; a job that cannot be queued (broker down)
fails at once and the request answers 503.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.viewsets import ReadOnlyModelViewSet

from common.api.exceptions import validation_error_detail
from common.api.filters import StrictFilterBackend, StrictWriteQueryMixin
from common.choices import RoleChoices
from common.scope import can_add, can_view_model, user_role
from jobs.choices import FileFormatChoices, JobKindChoices
from jobs.filtersets import JobFilterSet
from jobs.models import Job
from jobs.services import JobNotQueued, job_expire_stale
from monitoring.selectors import submission_queryset

from .. import services
from ..spreadsheet import FileRefused, file_response, submission_sheet_name
from .serializers import ExportRequestSerializer, ImportRequestSerializer, JobSerializer, TemplateQuerySerializer


class CanUseJobs(BasePermission):
    """Every signed-in role reads its jobs and exports; importing is checked per dataset in the view."""

    def has_permission(self, request, view):
        return can_view_model(request.user)


class QueueUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "queue_unavailable"


def _query(request, serializer_class) -> dict:
    """A GET action's query string, validated: each parameter known and given once (400 otherwise)."""
    known = set(serializer_class().fields) | {api_settings.URL_FORMAT_OVERRIDE}
    errors = {name: ["未知的查询参数。"] for name in sorted(set(request.query_params) - known)}
    errors |= {
        name: ["只能指定一个值。"] for name, values in request.query_params.lists() if name in known and len(values) > 1
    }
    if errors:
        raise exceptions.ValidationError(errors)
    form = serializer_class(data=request.query_params.dict())
    form.is_valid(raise_exception=True)
    return form.validated_data


def _refused(exc: Exception):
    if isinstance(exc, FileRefused):
        return exceptions.ValidationError({"file": [str(exc)]})
    return exceptions.ValidationError(validation_error_detail(exc))


def _job_response(job: Job) -> Response:
    job.refresh_from_db()
    code = status.HTTP_201_CREATED if job.is_finished else status.HTTP_202_ACCEPTED
    return Response(JobSerializer(job).data, status=code)


JOB_CREATED = {201: JobSerializer, 202: OpenApiResponse(JobSerializer, description="已排队，由后台任务处理")}
FILE = OpenApiResponse(OpenApiTypes.BINARY, description="XLSX 或 CSV 文件")
#: A file download's 200, by the content types it is sent as (file_response).
FILE_RESPONSES = {
    (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): FILE,
    (200, "text/csv"): FILE,
}


class JobViewSet(StrictWriteQueryMixin, ReadOnlyModelViewSet):
    queryset = Job.objects.select_related("user", "city").defer("upload", "result")
    serializer_class = JobSerializer
    permission_classes = [CanUseJobs]
    filter_backends = [StrictFilterBackend]
    filterset_class = JobFilterSet

    def get_queryset(self):
        return super().get_queryset().for_user(self.request.user)

    def list(self, request, *args, **kwargs):
        job_expire_stale()
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        job_expire_stale()
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request={"multipart/form-data": ImportRequestSerializer}, responses=JOB_CREATED)
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_file(self, request):
        """上传文件导入：默认只预览（逐行列出错误），dry_run=false 时校验通过则全部写入。"""
        form = ImportRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        dataset = services.dataset_get(form.validated_data["dataset"])
        if not can_add(request.user, dataset.model):
            raise exceptions.PermissionDenied("您无权导入此类数据。")
        upload = form.validated_data["file"]
        try:
            job = services.import_job_create(
                user=request.user,
                dataset_name=dataset.name,
                file_name=upload.name,
                content=upload.read(),
                dry_run=form.validated_data["dry_run"],
            )
        except (FileRefused, ValidationError) as exc:
            raise _refused(exc) from exc
        except JobNotQueued as exc:
            raise QueueUnavailable(str(exc)) from exc
        return _job_response(job)

    @extend_schema(request=None, responses=JOB_CREATED)
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        """应用一次校验通过的预览（作为新任务）。"""
        preview = self.get_object()
        if preview.user_id != request.user.pk:
            raise exceptions.PermissionDenied("只能应用本人上传的预览。")
        try:
            job = services.import_job_apply(preview=preview, user=request.user)
        except (FileRefused, ValidationError) as exc:
            raise _refused(exc) from exc
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        except JobNotQueued as exc:
            raise QueueUnavailable(str(exc)) from exc
        return _job_response(job)

    @extend_schema(request=None, responses=JOB_CREATED)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """重新执行一个失败的导入或导出任务（作为新任务；本人或省级用户）。"""
        job = self.get_object()
        if job.user_id != request.user.pk and user_role(request.user) != RoleChoices.PROVINCE:
            raise exceptions.PermissionDenied("只能重试本人发起的任务。")
        try:
            retried = services.job_retry(job=job, user=request.user)
        except (FileRefused, ValidationError) as exc:
            raise _refused(exc) from exc
        except JobNotQueued as exc:
            raise QueueUnavailable(str(exc)) from exc
        return _job_response(retried)

    @extend_schema(request=ExportRequestSerializer, responses=JOB_CREATED)
    @action(detail=False, methods=["post"])
    def export(self, request):
        """导出为与导入模板相同格式的文件（仅含您有权查看的记录）。"""
        form = ExportRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            data = form.validated_data
            job = services.export_job_create(
                user=request.user,
                dataset_name=data["dataset"],
                file_format=data["file_format"],
                filters=data.get("filters"),
            )
        except ValidationError as exc:
            raise _refused(exc) from exc
        except JobNotQueued as exc:
            raise QueueUnavailable(str(exc)) from exc
        return _job_response(job)

    @extend_schema(responses={**FILE_RESPONSES, 404: OpenApiResponse(description="不是导出任务或文件尚未生成")})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """下载导出文件。"""
        job = self.get_object()
        result = Job.objects.filter(pk=job.pk, kind=JobKindChoices.EXPORT).values_list("result", flat=True).first()
        if not result:
            raise exceptions.NotFound("导出文件尚未生成。")
        return file_response(bytes(result), job.file_name, job.file_format)

    @extend_schema(
        parameters=[TemplateQuerySerializer],
        responses={**FILE_RESPONSES, 404: OpenApiResponse(description="报送不存在或无权查看")},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def template(self, request):
        """下载空白导入模板（XLSX 另附“填写说明”工作表）；带 submission 时下载该报送的填报表。"""
        query = _query(request, TemplateQuerySerializer)
        if "submission" in query:
            return self._submission_sheet(request, query["submission"])
        dataset, file_format = query["dataset"], query["file_format"]
        content = services.template_file(dataset=services.dataset_get(dataset), file_format=file_format)
        return file_response(content, f"{dataset}-template.{file_format}", file_format)

    def _submission_sheet(self, request, pk: int):
        submission = submission_queryset(request.user).select_related("round", "city").filter(pk=pk).first()
        if submission is None:
            raise exceptions.NotFound()
        content = services.submission_sheet(submission=submission, user=request.user)
        return file_response(content, submission_sheet_name(submission), FileFormatChoices.XLSX)
