"""Evaluations over the API: ``/api/v1/evaluations/``.

Provincial staff create and change evaluations, freeze their figures (``POST {id}/freeze/``) and
generate their reports (``POST {id}/generate/``: a background job, answered 202 with the job);
every role reads them and downloads the report (``GET {id}/download/?file_format=docx|xlsx|pdf``).
A city user's download holds their own cities' data only, unless the evaluation is public
(evaluations.services.report_variant).
"""

from urllib.parse import quote

from django.db.models import Prefetch
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from common.api.views import ScopedModelViewSet
from common.services import ModelServices
from jobs.choices import JobStatusChoices
from jobs.models import Job
from jobs.services import JobNotQueued

from ..choices import REPORT_CONTENT_TYPES
from ..filtersets import EvaluationFilterSet
from ..models import Evaluation, EvaluationFile
from ..services import (
    ReportNotReady,
    evaluation_create,
    evaluation_delete,
    evaluation_freeze,
    evaluation_generate,
    evaluation_report_file,
    evaluation_update,
)
from .serializers import CityReportJobSerializer, EvaluationJobSerializer, EvaluationSerializer

CONTENT_TYPES = {str(key): value for key, value in REPORT_CONTENT_TYPES.items()}


#: Which files an evaluation has (not their content).
FILE_KINDS = EvaluationFile.objects.only("evaluation", "file_format", "variant")


class QueueUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "queue_unavailable"


class EvaluationViewSet(ScopedModelViewSet):
    queryset = (
        Evaluation.objects.select_related("plan", "created_by", "generated_by", "job")
        .defer("snapshot", "docx_template")
        .prefetch_related(Prefetch("files", queryset=FILE_KINDS))
    )
    serializer_class = EvaluationSerializer
    filterset_class = EvaluationFilterSet
    services = ModelServices(create=evaluation_create, update=evaluation_update, delete=evaluation_delete)

    @extend_schema(request=None, responses=EvaluationSerializer)
    @action(detail=True, methods=["post"])
    def freeze(self, request, pk=None):
        """重新冻结评估数据（按评估截止日期重新计算全部数字；已生成的报告作废，需重新生成）。"""
        evaluation = Evaluation.objects.get(pk=self.get_object().pk)
        evaluation_freeze(evaluation=evaluation, user=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=evaluation.pk)).data)

    @extend_schema(request=None, responses={202: EvaluationJobSerializer, 201: EvaluationJobSerializer})
    @action(detail=True, methods=["post"])
    def generate(self, request, pk=None):
        """生成评估报告（Word、Excel、PDF）：后台任务，返回任务及其进度；尚未冻结数据时先冻结。"""
        evaluation = self.get_object()
        try:
            job = evaluation_generate(evaluation=evaluation, user=request.user)
        except JobNotQueued as exc:
            raise QueueUnavailable(str(exc)) from exc
        job.refresh_from_db()
        code = status.HTTP_201_CREATED if job.is_finished else status.HTTP_202_ACCEPTED
        return Response(EvaluationJobSerializer(job).data, status=code)

    @extend_schema(
        parameters=[
            OpenApiParameter("file_format", str, enum=list(CONTENT_TYPES), required=True, description="文件格式")
        ],
        responses={
            **{(200, content_type): OpenApiResponse(OpenApiTypes.BINARY) for content_type in CONTENT_TYPES.values()},
            202: OpenApiResponse(CityReportJobSerializer, description="本市版本的报告正在生成：任务及其进度"),
            404: OpenApiResponse(description="报告尚未生成"),
        },
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def download(self, request, pk=None):
        """下载评估报告；市级用户（评估未公开时）得到仅含本人负责城市数据的版本。

        本市版本首次下载时由后台任务生成（Word、Excel、PDF 一并生成）：应答 202 及任务（`url` 可查询进度），
        任务完成后再次下载即可。
        """
        evaluation = Evaluation.objects.get(pk=self.get_object().pk)
        file_format = request.query_params.get("file_format", "")
        try:
            report = evaluation_report_file(evaluation=evaluation, user=request.user, file_format=file_format)
            if isinstance(report, Job):
                report.refresh_from_db()
                if report.status == JobStatusChoices.SUCCEEDED:  # made at once (no broker: the job ran eagerly)
                    report = evaluation_report_file(evaluation=evaluation, user=request.user, file_format=file_format)
        except ReportNotReady as exc:
            raise exceptions.NotFound(str(exc)) from exc
        except JobNotQueued as exc:
            raise QueueUnavailable(str(exc)) from exc
        if isinstance(report, Job) and report.status == JobStatusChoices.FAILED:
            raise QueueUnavailable(f"本市版本的评估报告生成失败：{report.message}")
        if isinstance(report, Job):
            data = CityReportJobSerializer(report, context={"request": request}).data
            return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})
        response = HttpResponse(bytes(report.content), content_type=CONTENT_TYPES[report.file_format])
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(report.file_name)}"
        return response
