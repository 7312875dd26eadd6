"""The monitoring pages: the rounds (填报任务), a city's data entry per submission, the province's round page.

Plain forms (no script): every write goes through monitoring.services, every refusal is shown in
words a clerk understands. Reads go through the scope rule (monitoring.selectors.submission_queryset):
a city sees its own submissions, the province all, a viewer only approved ones.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.generic import TemplateView

from common.choices import RoleChoices
from common.scope import can_change, user_role
from monitoring.choices import RoundStatusChoices, SubmissionStateChoices, TimelinessChoices
from monitoring.models import Round, Submission, SubmissionTransition, SubmissionValue
from monitoring.selectors import (
    allocations,
    completeness,
    open_projects,
    period_months,
    submission_queryset,
    timeliness,
    values_locked_reason,
)
from monitoring.services import (
    SubmissionConflict,
    submission_approve,
    submission_errors,
    submission_reopen,
    submission_return,
    submission_submit,
    submission_values_save,
)
from plans.choices import QualifierChoices
from projects.models import ProjectReport

from .views import PageMixin

#: How monitoring.services.submission_errors says a value is empty; more than SHOWN_UNFILLED become one line.
UNFILLED, SHOWN_UNFILLED = "尚未填写。", 5

TIMELINESS_CLASS = {
    TimelinessChoices.ON_TIME: "status-achieved",
    TimelinessChoices.LATE: "status-behind",
    TimelinessChoices.MISSING: "status-far_behind",
    TimelinessChoices.NOT_DUE: "status-no_data",
}


def _error_text(error) -> str:
    if isinstance(error, ValidationError):
        return "；".join(error.messages)
    return str(error)


def _is_province(user) -> bool:
    return user_role(user) == RoleChoices.PROVINCE


class RoundListView(PageMixin, TemplateView):
    """The rounds a user takes part in, each city's state, and completeness per city across rounds."""

    template_name = "pages/monitoring/rounds.html"
    section = "monitoring"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        user = self.request.user
        submissions = list(
            submission_queryset(user).select_related("round", "city").order_by("-round__due_on", "city__code")
        )
        by_round: dict[int, list] = {}
        for submission in submissions:
            submission.timeliness = timeliness(submission, today)
            submission.timeliness_label = TimelinessChoices(submission.timeliness).label
            submission.timeliness_class = TIMELINESS_CLASS[submission.timeliness]
            by_round.setdefault(submission.round_id, []).append(submission)
        rounds = list(Round.objects.filter(pk__in=list(by_round)).order_by("-due_on", "name"))
        if _is_province(user):
            rounds = list(Round.objects.order_by("-due_on", "name"))
        for rnd in rounds:
            rnd.status_label = RoundStatusChoices(rnd.status(today)).label
            rnd.city_submissions = by_round.get(rnd.pk, [])
            rnd.reported = sum(
                s.state in (SubmissionStateChoices.SUBMITTED, SubmissionStateChoices.APPROVED)
                for s in rnd.city_submissions
            )
        context.update(
            rounds=rounds,
            completeness=completeness(submissions=submissions, today=today),
            is_province=_is_province(user),
        )
        return context


class SubmissionView(PageMixin, TemplateView):
    """A city's data entry for one submission: last period, allocation, the values, save as draft, report."""

    template_name = "pages/monitoring/submission.html"
    section = "monitoring"

    def get_submission(self) -> Submission:
        queryset = submission_queryset(self.request.user).select_related("round", "city", "submitted_by", "reviewed_by")
        return get_object_or_404(queryset, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        submission = kwargs.get("submission") or self.get_submission()
        user = self.request.user
        today = timezone.localdate()
        values = list(submission.values.select_related("indicator", "region").order_by("indicator__pk", "region__code"))
        allocated = allocations(year=submission.round.year, pairs=[(v.indicator_id, v.region_id) for v in values])
        posted = kwargs.get("posted", {})
        row_errors = kwargs.get("row_errors", {})
        for value in values:
            value.allocation = allocated.get((value.indicator_id, value.region_id))
            value.entered = posted.get(value.pk, {}).get(
                "raw", "" if value.value is None else f"{value.value.normalize():f}"
            )
            value.entered_comment = posted.get(value.pk, {}).get("comment", value.comment)
            value.entered_qualifier = posted.get(value.pk, {}).get("qualifier", value.qualifier)
            value.errors = row_errors.get(str(value.pk), [])
        locked = values_locked_reason(submission=submission, today=today)
        editable = locked is None and user_role(user) != RoleChoices.VIEWER and can_change(user, submission)
        context.update(
            submission=submission,
            values=values,
            locked_reason=locked,
            editable=editable,
            qualifiers=QualifierChoices.choices,
            projects=self.project_rows(submission) if submission.round.includes_projects else None,
            transitions=submission.transitions.select_related("user"),
            sent_back=self.sent_back(submission),
            timeliness=TimelinessChoices(timeliness(submission, today)).label,
            is_province=_is_province(user),
            can_review=_is_province(user) and submission.state == SubmissionStateChoices.SUBMITTED,
            can_reopen=_is_province(user) and submission.state == SubmissionStateChoices.APPROVED,
            problems=self.problems(submission) if editable else [],
            form_errors=kwargs.get("form_errors", []),
        )
        return context

    @staticmethod
    def sent_back(submission) -> SubmissionTransition | None:
        """The transition that returned (or reopened) the submission, whose comment the clerk must read first."""
        if submission.state != SubmissionStateChoices.RETURNED:
            return None
        return submission.transitions.select_related("user").order_by("-at", "-pk").first()

    @staticmethod
    def problems(submission) -> list[str]:
        """What keeps the submission from being reported; many empty values in one line (the table shows which)."""
        problems = submission_errors(submission)
        unfilled = [problem for problem in problems if problem.endswith(UNFILLED)]
        if len(unfilled) <= SHOWN_UNFILLED:
            return problems
        rest = [problem for problem in problems if not problem.endswith(UNFILLED)]
        return [f"本市尚有 {len(unfilled)} 项指标的本期数值未填写（见上表中空白的“本期数值”）。", *rest]

    def project_rows(self, submission) -> list:
        rnd = submission.round
        months = period_months(rnd.year, rnd.quarter, rnd.month)
        reports = ProjectReport.objects.filter(year=rnd.year, month__in=months).order_by("-month")
        projects = open_projects(city_id=submission.city_id).prefetch_related(
            Prefetch("reports", reports, to_attr="period_reports")
        )
        return list(projects)

    def post(self, request, *args, **kwargs):
        submission = self.get_submission()
        action = request.POST.get("action", "")
        comment = request.POST.get("comment", "")
        try:
            if action in ("save", "submit"):
                rows, posted, parse_errors = self.parse_rows(submission, request.POST)
                if parse_errors:
                    return self.render_to_response(
                        self.get_context_data(
                            submission=submission,
                            posted=posted,
                            row_errors=parse_errors,
                            form_errors=["部分数值格式有误，请按提示修改后再保存。"],
                        )
                    )
                try:
                    submission_values_save(user=request.user, submission=submission, rows=rows)
                except ValidationError as error:
                    row_errors = error.message_dict if hasattr(error, "error_dict") else {}
                    form_errors = [] if row_errors else error.messages
                    return self.render_to_response(
                        self.get_context_data(
                            submission=submission,
                            posted=posted,
                            row_errors=row_errors,
                            form_errors=form_errors or ["部分数值未能保存，请按提示修改。"],
                        )
                    )
                if action == "submit":
                    submission_submit(user=request.user, submission=submission, comment=comment)
                    messages.success(request, "已报送，等待省级审核。")
                else:
                    messages.success(request, "草稿已保存。")
            elif action == "approve":
                submission_approve(user=request.user, submission=submission, comment=comment)
                messages.success(request, f"{submission.city.name}的报送已审核通过。")
            elif action == "return":
                submission_return(user=request.user, submission=submission, comment=comment)
                messages.success(request, f"已退回{submission.city.name}。")
            elif action == "reopen":
                submission_reopen(user=request.user, submission=submission, reason=comment)
                messages.success(request, "已重新打开，退回城市修改。")
            else:
                raise Http404
        except (ValidationError, PermissionDenied, SubmissionConflict) as error:
            messages.error(request, _error_text(error))
        return redirect("monitoring-submission", pk=submission.pk)

    @staticmethod
    def parse_rows(submission, data):
        rows, posted, errors = {}, {}, {}
        for value in submission.values.all():
            key = f"value-{value.pk}"
            if key not in data:
                continue
            raw = data.get(key, "").strip().replace(",", "").replace("，", "")
            comment = data.get(f"comment-{value.pk}", "").strip()
            qualifier = data.get(f"qualifier-{value.pk}", "")
            posted[value.pk] = {"raw": raw, "comment": comment, "qualifier": qualifier}
            if qualifier not in QualifierChoices.values:
                errors[str(value.pk)] = ["限定词无效。"]
                continue
            try:
                number = Decimal(raw) if raw else None
            except InvalidOperation:
                errors[str(value.pk)] = [f"“{raw}”不是有效的数字，请只填写数字（可带小数点）。"]
                continue
            if number is not None and not number.is_finite():
                errors[str(value.pk)] = ["请填写有限的数字。"]
                continue
            rows[value.pk] = {"value": number, "comment": comment, "qualifier": qualifier}
        return rows, posted, errors


class RoundView(PageMixin, TemplateView):
    """The province's page of a round: every city's state and values beside last period and allocation."""

    template_name = "pages/monitoring/round.html"
    section = "monitoring"

    def get_round(self) -> Round:
        return get_object_or_404(Round.objects.prefetch_related("indicators"), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rnd = self.get_round()
        today = timezone.localdate()
        user = self.request.user
        indicators = list(rnd.indicators.order_by("pk"))
        submissions = list(
            submission_queryset(user)
            .filter(round=rnd)
            .select_related("city", "round")
            .prefetch_related(
                Prefetch(
                    "values",
                    SubmissionValue.objects.filter(region_id=F("submission__city_id")).select_related("indicator"),
                ),
                Prefetch("transitions", SubmissionTransition.objects.order_by("-at", "-pk"), to_attr="log"),
            )
            .order_by("city__code")
        )
        allocated = allocations(year=rnd.year, pairs=[(i.pk, s.city_id) for s in submissions for i in indicators])
        for submission in submissions:
            submission.timeliness = timeliness(submission, today)
            submission.timeliness_label = TimelinessChoices(submission.timeliness).label
            submission.timeliness_class = TIMELINESS_CLASS[submission.timeliness]
            by_indicator = {value.indicator_id: value for value in submission.values.all()}
            submission.cells = []
            for indicator in indicators:
                value = by_indicator.get(indicator.pk)
                submission.cells.append(
                    {"value": value, "allocation": allocated.get((indicator.pk, submission.city_id))}
                )
            submission.last_comment = submission.log[0].comment if submission.log else ""
        context.update(
            round=rnd,
            status_label=RoundStatusChoices(rnd.status(today)).label,
            indicators=indicators,
            submissions=submissions,
            is_province=_is_province(user),
            waiting=sum(s.state == SubmissionStateChoices.SUBMITTED for s in submissions),
        )
        return context

    def post(self, request, *args, **kwargs):
        rnd = self.get_round()
        if not _is_province(request.user):
            raise PermissionDenied("只有省级工作人员可以审核报送。")
        action = request.POST.get("action", "")
        comment = request.POST.get("comment", "")
        ids = [int(pk) for pk in request.POST.getlist("submission") if pk.isdigit()]
        if not ids:
            messages.error(request, "请先勾选要审核的城市。")
            return redirect("monitoring-round", pk=rnd.pk)
        if action == "return" and not comment.strip():
            messages.error(request, "退回时须填写意见，说明需要修改的内容。")
            return redirect("monitoring-round", pk=rnd.pk)
        services = {"approve": submission_approve, "return": submission_return}
        if action not in services:
            raise Http404
        done = []
        for submission in submission_queryset(request.user).filter(round=rnd, pk__in=ids).select_related("city"):
            try:
                services[action](user=request.user, submission=submission, comment=comment)
            except (ValidationError, PermissionDenied, SubmissionConflict) as error:
                messages.error(request, f"{submission.city.name}：{_error_text(error)}")
            else:
                done.append(submission.city.name)
        if done:
            verb = "审核通过" if action == "approve" else "退回"
            messages.success(request, f"已{verb}：{'、'.join(done)}。")
        return redirect("monitoring-round", pk=rnd.pk)
