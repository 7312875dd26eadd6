"""The evaluation pages: the list of evaluations and one evaluation (status, figures, downloads, regenerate).

Downloads go through ``evaluation-file``: the file when it is stored; a city user's report not
made yet is queued as a job (never made inside the request) and the user is sent back to the
evaluation, which says "正在生成…" and refreshes itself until the job has finished.
"""

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import TemplateView

from common.choices import RoleChoices
from common.scope import user_role
from evaluations.choices import (
    REPORT_CONTENT_TYPES,
    EvaluationGradeChoices,
    EvaluationStatusChoices,
    ReportFormatChoices,
)
from evaluations.filtersets import EvaluationFilterSet
from evaluations.models import Evaluation
from evaluations.reports.content import grade_counts, main_targets
from evaluations.services import (
    ReportNotReady,
    city_report_job,
    evaluation_generate,
    evaluation_report_file,
    report_variant,
)
from jobs.choices import JobStatusChoices
from jobs.models import Job
from jobs.services import JobNotQueued

from .views import PageMixin

PAGE_SIZE = 50


def _evaluations(user):
    return (
        Evaluation.objects.for_user(user)
        .select_related("plan", "generated_by", "job")
        .defer("snapshot", "docx_template")
    )


class EvaluationListView(PageMixin, TemplateView):
    template_name = "pages/evaluations/list.html"
    section = "evaluations"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = EvaluationFilterSet(
            self.request.GET or None, queryset=_evaluations(self.request.user), request=self.request
        )
        evaluations = filterset.qs if filterset.is_valid() else _evaluations(self.request.user)
        page = Paginator(evaluations, PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(page=page, is_province=user_role(self.request.user) == RoleChoices.PROVINCE)
        return context


class EvaluationDetailView(PageMixin, TemplateView):
    template_name = "pages/evaluations/detail.html"
    section = "evaluations"

    def get_evaluation(self) -> Evaluation:
        return get_object_or_404(
            Evaluation.objects.for_user(self.request.user).select_related("plan", "created_by", "generated_by", "job"),
            pk=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        evaluation = self.get_evaluation()
        targets = main_targets(evaluation.snapshot) if evaluation.is_frozen else []
        counts = grade_counts(targets)
        variant = report_variant(evaluation=evaluation, user=self.request.user)
        city_job = city_report_job(evaluation=evaluation, user=self.request.user, variant=variant) if variant else None
        context.update(
            evaluation=evaluation,
            grades=[(choice.label, counts[choice.value]) for choice in EvaluationGradeChoices],
            target_total=len(targets),
            formats=ReportFormatChoices.choices if evaluation.status == EvaluationStatusChoices.GENERATED else [],
            city_version=bool(variant),
            city_job=city_job,
            generating=evaluation.status == EvaluationStatusChoices.GENERATING
            or (city_job is not None and not city_job.is_finished),
            is_province=user_role(self.request.user) == RoleChoices.PROVINCE,
        )
        return context

    def post(self, request, *args, **kwargs):
        """Regenerate the reports (provincial staff)."""
        evaluation = self.get_evaluation()
        if user_role(request.user) != RoleChoices.PROVINCE:
            raise PermissionDenied("只有省级工作人员可以生成评估报告。")
        try:
            evaluation_generate(evaluation=evaluation, user=request.user)
        except JobNotQueued as exc:
            messages.error(request, str(exc))
        return redirect("evaluation", pk=evaluation.pk)


class EvaluationFileView(PageMixin, View):
    """A report download from the page: the file, or back to the evaluation while a job makes it."""

    def get(self, request, pk):
        evaluation = get_object_or_404(Evaluation.objects.for_user(request.user), pk=pk)
        file_format = request.GET.get("file_format", "")
        try:
            report = evaluation_report_file(evaluation=evaluation, user=request.user, file_format=file_format)
            if isinstance(report, Job):
                report.refresh_from_db()
                if report.status == JobStatusChoices.SUCCEEDED:  # made at once (no broker: the job ran eagerly)
                    report = evaluation_report_file(evaluation=evaluation, user=request.user, file_format=file_format)
        except ValidationError:
            messages.error(request, "文件格式须为 docx、xlsx 或 pdf。")
            return redirect("evaluation", pk=evaluation.pk)
        except ReportNotReady as exc:
            messages.info(request, str(exc))
            return redirect("evaluation", pk=evaluation.pk)
        except JobNotQueued as exc:
            messages.error(request, str(exc))
            return redirect("evaluation", pk=evaluation.pk)
        if isinstance(report, Job):
            if report.status == JobStatusChoices.FAILED:
                messages.error(request, f"本市版本的报告生成失败：{report.message}")
            else:
                messages.info(
                    request, "正在生成本市版本的报告（Word、Excel、PDF）…完成后本页自动刷新，再点击下载即可。"
                )
            return redirect("evaluation", pk=evaluation.pk)
        response = HttpResponse(bytes(report.content), content_type=REPORT_CONTENT_TYPES[report.file_format])
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(report.file_name)}"
        return response
