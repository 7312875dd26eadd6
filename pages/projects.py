"""A key project's page and the warning board (issue 15).

Every record goes through ``Model.objects.for_user`` (common.scope): another city's project is a
404, as a missing one. Figures come from projects.selectors, the same as the API's.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from common.scope import can_change
from projects.choices import WarningLevelChoices, WarningRuleChoices
from projects.filtersets import ProjectWarningFilterSet
from projects.models import KeyProject, ProjectBuilder, ProjectMention, ProjectWarning
from projects.selectors import (
    monthly_investment,
    project_figures_year,
    project_progress,
    warning_counts,
    with_investment_progress,
)
from projects.services import warning_acknowledge

from .views import PageMixin, admin_change_url

HISTORY_SHOWN = 20
WARNINGS_PER_PAGE = 50
#: The warning board's age choices: (days, label) — warnings opened at least that long ago.
AGE_CHOICES = [(7, "7 天以上"), (30, "30 天以上"), (90, "90 天以上")]


def history_rows(project: KeyProject) -> list[dict]:
    """The project's latest changes: who, when, why and which fields (compared with the version before)."""
    records = list(project.history.select_related("history_user").order_by("-history_id")[: HISTORY_SHOWN + 1])
    fields = [f for f in KeyProject._meta.concrete_fields if f.name not in ("id", "created", "updated")]
    rows = []
    # Each version against the one before it (the oldest shown has none; generated rows have no history).
    for record, before in zip(records, [*records[1:], None][: len(records)], strict=True):
        changed = [
            str(f.verbose_name)
            for f in fields
            if before is None or getattr(record, f.attname) != getattr(before, f.attname)
        ]
        rows.append(
            {
                "when": record.history_date,
                "who": record.history_user.get_username() if record.history_user else "系统",
                "type": {"+": "新增", "~": "修改", "-": "删除"}[record.history_type],
                "reason": record.history_change_reason or "",
                "changed": changed if before is not None else [],
            }
        )
    return rows[:HISTORY_SHOWN]


class ProjectView(PageMixin, TemplateView):
    """One key project: what the plans say, schedule, investment, reports, warnings, history."""

    template_name = "pages/project.html"
    section = "project"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        this_year = timezone.localdate().year
        year = project_figures_year(project_id=self.kwargs["pk"], year=this_year)
        projects = KeyProject.objects.for_user(user).select_related(
            "city", "county", "industry", "enterprise", "plan", "park", "base"
        )
        project = get_object_or_404(with_investment_progress(projects, year=year), pk=self.kwargs["pk"])
        mentions = ProjectMention.objects.filter(project=project).select_related("plan")
        builders = ProjectBuilder.objects.filter(project=project).select_related("enterprise")
        warnings = list(project.warnings.select_related("acknowledged_by").order_by("resolved_on", "-opened_on"))
        context.update(
            project=project,
            year=year,
            this_year=this_year,
            progress=project_progress(project),
            mentions=mentions,
            builders=builders,
            milestones=project.milestones.all(),
            year_plans=project.year_plans.order_by("-year"),
            reports=project.reports.select_related("reported_by").order_by("-year", "-month"),
            open_warnings=[w for w in warnings if w.resolved_on is None],
            closed_warnings=[w for w in warnings if w.resolved_on is not None],
            batches=project.batch_entries.select_related("batch").order_by("-batch__held_on"),
            history=history_rows(project),
            admin_url=admin_change_url(user, project),
            can_acknowledge=can_change(user, project),
            page_data={"months": monthly_investment(project=project)},
        )
        return context


class WarningBoardView(PageMixin, TemplateView):
    """Open warnings (province: every city; city staff: their own), by city, level, rule and age."""

    template_name = "pages/warnings.html"
    section = "warnings"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        params = self.request.GET.copy()
        params.setdefault("is_open", "true")
        params.setdefault("ordering", "level,-opened_on")  # red first, then the newest
        age = params.pop("age", [""])[-1]
        if age.isdigit():
            params["opened_on_max"] = (timezone.localdate() - timezone.timedelta(days=int(age))).isoformat()
        params.pop("page", None)
        queryset = ProjectWarning.objects.for_user(user).select_related("project__city", "acknowledged_by")
        filterset = ProjectWarningFilterSet(data=params, queryset=queryset, request=self.request)
        rows = filterset.qs if filterset.is_valid() else ProjectWarning.objects.none()
        page = Paginator(rows, WARNINGS_PER_PAGE).get_page(self.request.GET.get("page"))
        today = timezone.localdate()
        for warning in page:
            warning.age = (today - warning.opened_on).days
            warning.can_acknowledge = warning.resolved_on is None and can_change(user, warning)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filterset=filterset,
            page=page,
            query=query.urlencode(),
            counts=warning_counts(queryset=ProjectWarning.objects.for_user(user)),
            selected={
                "city": self.request.GET.get("city", ""),
                "level": self.request.GET.getlist("level"),
                "rule": self.request.GET.getlist("rule"),
                "age": age,
                "is_open": params["is_open"],
            },
            levels=WarningLevelChoices.choices,
            rules=WarningRuleChoices.choices,
            ages=AGE_CHOICES,
        )
        return context


class WarningAcknowledgeView(PageMixin, View):
    """POST: acknowledge a warning with a comment (projects.services.warning_acknowledge)."""

    def post(self, request, pk):
        warning = get_object_or_404(ProjectWarning.objects.for_user(request.user), pk=pk)
        try:
            warning_acknowledge(instance=warning, user=request.user, comment=request.POST.get("comment", "")[:2000])
        except PermissionDenied:
            messages.error(request, "您无权确认此预警。")
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已确认预警：{warning.project.name}。")
        target = request.POST.get("next", "")
        return redirect(target if target.startswith("/") and not target.startswith("//") else "warnings")
