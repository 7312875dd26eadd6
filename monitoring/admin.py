"""The monitoring admin (Chinese): templates, rounds with their cities' submissions, values and logs.

Writes go through monitoring.services. A submission's values are editable here only while the
city may still change them (a draft or returned, the round open or excepted); its state moves
through the actions (报送、审核通过) and, with a comment or a reason, on the round page
(/monitoring/rounds/<id>/).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from common.admin import ScopedModelAdmin, ScopedTabularInline
from common.services import ModelServices
from regions.admin import CityListFilter

from .choices import RoundStatusChoices, TimelinessChoices
from .models import LockException, Round, RoundTemplate, Submission, SubmissionValue
from .selectors import timeliness, values_locked_reason
from .services import (
    SubmissionConflict,
    lock_exception_create,
    lock_exception_delete,
    lock_exception_update,
    round_create,
    round_create_next,
    round_delete,
    round_template_create,
    round_template_delete,
    round_template_update,
    round_update,
    submission_approve,
    submission_create,
    submission_delete,
    submission_submit,
    submission_update,
    submission_value_create,
    submission_value_delete,
    submission_value_update,
)


@admin.register(RoundTemplate)
class RoundTemplateAdmin(ScopedModelAdmin):
    services = ModelServices(create=round_template_create, update=round_template_update, delete=round_template_delete)
    list_display = ["name", "kind", "period_type", "plan", "due_days", "close_days"]
    list_filter = ["kind", "period_type"]
    search_fields = ["name"]
    autocomplete_fields = ["plan", "indicators", "cities"]


class LockExceptionInline(ScopedTabularInline):
    model = LockException
    services = ModelServices(create=lock_exception_create, update=lock_exception_update, delete=lock_exception_delete)
    fields = ["city", "until", "reason", "granted_by"]
    readonly_fields = ["granted_by"]
    extra = 0


@admin.register(Round)
class RoundAdmin(ScopedModelAdmin):
    services = ModelServices(create=round_create, update=round_update, delete=round_delete)
    list_display = ["name", "period", "opens_on", "due_on", "closes_on", "status_label", "includes_projects"]
    list_filter = ["year", "includes_projects", "template"]
    search_fields = ["name"]
    autocomplete_fields = ["indicators", "cities"]
    readonly_fields = ["created_by", "overview", "city_states"]
    fields = [
        "name",
        "overview",
        "city_states",
        "template",
        ("year", "quarter", "month"),
        ("opens_on", "due_on", "closes_on"),
        "indicators",
        "includes_projects",
        "cities",
        "created_by",
    ]
    inlines = [LockExceptionInline]
    actions = ["create_next"]

    @admin.display(description="时期")
    def period(self, rnd):
        return rnd.period_label

    @admin.display(description="状态")
    def status_label(self, rnd):
        return RoundStatusChoices(rnd.status(timezone.localdate())).label

    @admin.display(description="审核页面")
    def overview(self, rnd):
        if rnd.pk is None:
            return "—"
        return format_html('<a href="/monitoring/rounds/{}/">查看各市报送、审核</a>', rnd.pk)

    @admin.display(description="各市报送")
    def city_states(self, rnd):
        if rnd.pk is None:
            return "—"
        today = timezone.localdate()
        submissions = (
            Submission.objects.for_user(getattr(rnd, "viewer", None)).filter(round=rnd).select_related("city", "round")
        )
        return format_html_join(
            "",
            '<div><a href="/monitoring/submissions/{}/">{}</a>：{} · {}</div>',
            (
                (s.pk, s.city.name, s.get_state_display(), TimelinessChoices(timeliness(s, today)).label)
                for s in submissions
            ),
        )

    def get_object(self, request, object_id, from_field=None):
        rnd = super().get_object(request, object_id, from_field)
        if rnd is not None:
            rnd.viewer = request.user  # whose cities' submissions the page lists
        return rnd

    @admin.action(description="为下一时期创建同样的填报任务")
    def create_next(self, request, queryset):
        for rnd in queryset:
            try:
                created = round_create_next(user=request.user, round=rnd)
            except (ValidationError, PermissionDenied) as error:
                self.message_user(request, f"{rnd}：{'；'.join(_messages(error))}", messages.ERROR)
            else:
                self.message_user(request, f"已创建“{created}”。")


def _messages(error) -> list[str]:
    return error.messages if isinstance(error, ValidationError) else [str(error)]


class SubmissionValueInline(ScopedTabularInline):
    model = SubmissionValue
    services = ModelServices(
        create=submission_value_create, update=submission_value_update, delete=submission_value_delete
    )
    fields = ["indicator", "region", "value", "qualifier", "comment", "previous_value", "needs_comment"]
    readonly_fields = ["previous_value", "needs_comment"]
    autocomplete_fields = ["indicator", "region"]
    extra = 0

    def _locked(self, request, obj) -> bool:
        return obj is not None and values_locked_reason(submission=obj, today=timezone.localdate()) is not None

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not self._locked(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._locked(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._locked(request, obj)


@admin.register(Submission)
class SubmissionAdmin(ScopedModelAdmin):
    """A city's submission: its values (an inline, locked once reported) and its log; the state moves by actions."""

    services = ModelServices(create=submission_create, update=submission_update, delete=submission_delete)
    list_display = ["round", "city", "state", "submitted_at", "reviewed_at"]
    list_filter = ["state", CityListFilter, "round"]
    list_select_related = ["round", "city"]
    search_fields = ["round__name", "city__name"]
    fields = [
        "round",
        "city",
        "state",
        "version",
        "first_submitted_at",
        "submitted_at",
        "submitted_by",
        "reviewed_at",
        "log",
    ]
    readonly_fields = fields
    inlines = [SubmissionValueInline]
    actions = ["submit", "approve"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "GET":
            reason = values_locked_reason(submission=obj, today=timezone.localdate())
            if reason:
                self.message_user(request, reason, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="流转记录")
    def log(self, submission):
        transitions = submission.transitions.select_related("user")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{} → {}</td><td>{}</td></tr>",
            (
                (
                    timezone.localtime(t.at).strftime("%Y-%m-%d %H:%M"),
                    t.user.username if t.user else "系统",
                    t.get_from_state_display(),
                    t.get_to_state_display(),
                    t.comment,
                )
                for t in transitions
            ),
        )
        return (
            format_html("<table><tr><th>时间</th><th>操作人</th><th>状态</th><th>意见或理由</th></tr>{}</table>", rows)
            if transitions
            else "—"
        )

    @admin.action(description="报送所选报送")
    def submit(self, request, queryset):
        self._transition(request, queryset, submission_submit, "已报送")

    @admin.action(description="审核通过所选报送")
    def approve(self, request, queryset):
        self._transition(request, queryset, submission_approve, "已审核通过")

    def _transition(self, request, queryset, service, done: str) -> None:
        for submission in queryset.select_related("round", "city"):
            try:
                service(user=request.user, submission=submission)
            except (ValidationError, PermissionDenied, SubmissionConflict) as error:
                text = "；".join(_messages(error)) if not isinstance(error, SubmissionConflict) else str(error)
                self.message_user(request, f"{submission}：{text}", messages.ERROR)
            else:
                self.message_user(request, f"{submission}：{done}。")
