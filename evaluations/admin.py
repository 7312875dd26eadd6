from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from common.admin import RefusedWrite, ScopedModelAdmin, VersionedModelForm
from common.services import ModelServices
from jobs.services import JobNotQueued

from .choices import ReportFormatChoices
from .models import Evaluation
from .services import (
    evaluation_create,
    evaluation_delete,
    evaluation_freeze,
    evaluation_generate,
    evaluation_update,
)


class EvaluationForm(VersionedModelForm):
    template_upload = forms.FileField(
        label="上传 Word 模板",
        required=False,
        help_text="可选：.docx 模板（样式、页面设置、页眉页脚取自模板）；不上传则使用默认模板。",
    )
    template_clear = forms.BooleanField(label="改用默认模板", required=False)


@admin.register(Evaluation)
class EvaluationAdmin(ScopedModelAdmin):
    form = EvaluationForm
    services = ModelServices(create=evaluation_create, update=evaluation_update, delete=evaluation_delete)
    list_display = ["title", "plan", "kind", "as_of", "status", "is_public", "generated_by", "generated_at"]
    list_filter = ["kind", "status", "is_public"]
    list_select_related = ["plan", "generated_by"]
    search_fields = ["title", "plan__title"]
    autocomplete_fields = ["plan"]
    readonly_fields = ["status", "created_by", "frozen_at", "generated_by", "generated_at", "job", "downloads"]
    fieldsets = [
        (None, {"fields": ["plan", "kind", "as_of", "title", "is_public"]}),
        ("报告文字", {"fields": ["problems", "next_steps"]}),
        ("模板", {"fields": ["template_upload", "template_clear"]}),
        ("状态", {"fields": ["status", "created_by", "frozen_at", "generated_by", "generated_at", "job", "downloads"]}),
    ]
    actions = ["freeze_selected", "generate_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("snapshot", "docx_template")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        upload, clear = form.cleaned_data.get("template_upload"), form.cleaned_data.get("template_clear")
        if upload or clear:
            try:
                stored = Evaluation.objects.get(pk=obj.pk)
                evaluation_update(
                    instance=stored, user=request.user, data={"docx_template": upload.read() if upload else None}
                )
            except (ValidationError, PermissionDenied) as exc:
                raise RefusedWrite(exc) from exc

    @admin.display(description="下载报告")
    def downloads(self, obj):
        if obj.pk is None:
            return "—"
        base = reverse("evaluation-download", args=[obj.pk])
        formats = sorted(obj.files.filter(variant="").values_list("file_format", flat=True))
        if not formats:
            return "尚未生成"
        return format_html_join(
            " ", '<a href="{}?file_format={}">{}</a>', ((base, f, ReportFormatChoices(f).label) for f in formats)
        )

    @admin.action(description="重新冻结所选评估的数据")
    def freeze_selected(self, request, queryset):
        for evaluation in queryset:
            evaluation_freeze(evaluation=Evaluation.objects.get(pk=evaluation.pk), user=request.user)
        self.message_user(request, f"已冻结 {queryset.count()} 项评估的数据。", messages.SUCCESS)

    @admin.action(description="生成所选评估的报告")
    def generate_selected(self, request, queryset):
        for evaluation in queryset:
            try:
                job = evaluation_generate(evaluation=evaluation, user=request.user)
            except JobNotQueued as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return
            job.refresh_from_db()
            self.message_user(
                request, format_html("{}：{}", evaluation.title, job.message or job.get_status_display()), messages.INFO
            )
