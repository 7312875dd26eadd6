"""The evaluation pages: the list of evaluations and one evaluation (status, figures, downloads, regenerate)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import TemplateView

from common.choices import RoleChoices
from common.scope import user_role
from evaluations.choices import EvaluationGradeChoices, EvaluationStatusChoices, ReportFormatChoices
from evaluations.filtersets import EvaluationFilterSet
from evaluations.models import Evaluation
from evaluations.reports.content import grade_counts, main_targets
from evaluations.services import evaluation_generate, report_variant
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
        context.update(
            evaluation=evaluation,
            grades=[(choice.label, counts[choice.value]) for choice in EvaluationGradeChoices],
            target_total=len(targets),
            formats=ReportFormatChoices.choices if evaluation.status == EvaluationStatusChoices.GENERATED else [],
            city_version=bool(variant),
            generating=evaluation.status == EvaluationStatusChoices.GENERATING,
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
