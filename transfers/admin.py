"""Admin pages of bulk import and export: upload → preview of every row error → apply; job status."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from common.admin import ChineseAdminMixin
from common.choices import RoleChoices
from common.scope import can_add, can_view_model, user_role
from jobs.choices import DatasetChoices, FileFormatChoices, JobKindChoices, JobStatusChoices
from jobs.models import Job
from jobs.services import JobNotQueued, job_expire_stale

from . import services
from .datasets import DATASETS
from .spreadsheet import FileRefused, file_response, read_table

#: Rows of a preview shown with the values read from the file (the errors' rows always are).
SHOWN_ROWS = 200


def _changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _cells_read(job: Job) -> tuple[list[str], dict[int, list[str]]]:
    """The header and each row's cells as read from an import's file (row number → texts); empty if unreadable."""
    if job.kind != JobKindChoices.IMPORT or not job.upload:
        return [], {}
    try:
        table = read_table(bytes(job.upload), job.file_name)
    except FileRefused:
        return [], {}
    wanted = {row["row"] for row in job.preview[:SHOWN_ROWS]} | {error["row"] for error in job.errors}
    width = len(table.header)
    return table.header, {
        number: ["" if cell is None else str(cell) for cell in (list(cells) + [None] * width)[:width]]
        for number, cells in table.rows
        if number in wanted
    }


def _messages(exc: Exception) -> list[str]:
    return exc.messages if isinstance(exc, ValidationError) else [str(exc)]


class ImportForm(forms.Form):
    dataset = forms.ChoiceField(label="数据类别", choices=DatasetChoices.choices)
    file = forms.FileField(label="文件", help_text="Excel（.xlsx）或 CSV，表头须与模板一致。")


class ExportForm(forms.Form):
    dataset = forms.ChoiceField(label="数据类别", choices=DatasetChoices.choices)
    file_format = forms.ChoiceField(label="文件格式", choices=FileFormatChoices.choices)
    city = forms.CharField(label="城市代码", required=False, help_text="如 140100；不填为您可见的全部记录。")


@admin.register(Job)
class JobAdmin(ChineseAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "status", "progress_display", "file_name", "user", "created", "finished"]
    list_filter = ["kind", "dataset", "status", "dry_run"]
    search_fields = ["file_name", "message"]
    readonly_fields = [
        "kind",
        "dataset",
        "dry_run",
        "status",
        "progress_display",
        "user",
        "city",
        "file_name",
        "file_format",
        "total_rows",
        "processed_rows",
        "counts_display",
        "message",
        "attempts",
        "task_id",
        "started",
        "heartbeat",
        "finished",
    ]
    # What a clerk reads first; the job's technical record is folded away.
    fieldsets = [
        (
            None,
            {"fields": [("kind", "dataset", "dry_run"), ("status", "progress_display"), "file_name", "counts_display"]},
        ),
        (
            "任务详情",
            {
                "fields": [
                    "user",
                    "city",
                    "file_format",
                    ("total_rows", "processed_rows"),
                    "message",
                    ("attempts", "task_id"),
                    ("started", "heartbeat", "finished"),
                ],
                "classes": ["collapse"],
            },
        ),
    ]
    change_list_template = "transfers/admin/job_change_list.html"
    change_form_template = "transfers/admin/job_change_form.html"
    actions = ["retry_jobs"]

    def get_queryset(self, request):
        return Job.objects.for_user(request.user).select_related("user")

    def changelist_view(self, request, extra_context=None):
        job_expire_stale()
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job_expire_stale()
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="重试所选的失败任务")
    def retry_jobs(self, request, queryset):
        is_province = user_role(request.user) == RoleChoices.PROVINCE
        retried = 0
        for job in queryset.filter(status=JobStatusChoices.FAILED):
            if not is_province and job.user_id != request.user.pk:
                continue
            try:
                services.job_retry(job=job, user=request.user)
            except (FileRefused, ValidationError) as exc:
                self.message_user(request, f"{job}：{'；'.join(_messages(exc))}", messages.ERROR)
            except JobNotQueued as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return
            else:
                retried += 1
        self.message_user(request, f"已重新提交 {retried} 个任务。", messages.SUCCESS if retried else messages.WARNING)

    def has_module_permission(self, request):
        return can_view_model(request.user)

    def has_view_permission(self, request, obj=None):
        return can_view_model(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return obj is not None and obj.user_id == request.user.pk

    @admin.display(description="行数")
    def counts_display(self, obj):
        counts = obj.counts or {}
        if not counts:
            return "—"
        labels = services.ACTION_LABELS
        parts = [f"{labels[name]} {counts.get(name, 0)} 行" for name in ("created", "updated", "unchanged")]
        return f"共 {counts.get('total', 0)} 行：{'，'.join(parts)}"

    @admin.display(description="进度")
    def progress_display(self, obj):
        return format_html('<progress max="100" value="{}"></progress> {}%', obj.progress, obj.progress)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="transfers_job_import"),
            path("export/", view(self.export_view), name="transfers_job_export"),
            path("template/<str:dataset>.<str:file_format>", view(self.template_view), name="transfers_job_template"),
            path("<int:pk>/apply/", view(self.apply_view), name="transfers_job_apply"),
            path("<int:pk>/download/", view(self.download_view), name="transfers_job_download"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            context.update(self._job_context(obj))
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def _job_context(self, job: Job) -> dict:
        labels = services.ACTION_LABELS
        header, cells = _cells_read(job)
        errors_by_row: dict[int, list[dict]] = {}
        for error in job.errors:
            errors_by_row.setdefault(error["row"], []).append(error)
        return {
            "job": job,
            "row_errors": job.errors,
            # The rows with errors first, each with its problems and the values read from the file.
            "error_rows": [
                {"row": number, "errors": errors, "values": cells.get(number, [])}
                for number, errors in sorted(errors_by_row.items())
            ],
            "value_header": header,
            "preview_rows": [
                {**row, "label": labels.get(row["action"], row["action"]), "values": cells.get(row["row"], [])}
                for row in job.preview[:SHOWN_ROWS]
            ],
            "more_rows": max(0, len(job.preview) - SHOWN_ROWS),
            "can_apply": job.kind == JobKindChoices.IMPORT and job.dry_run and job.status == "succeeded",
            "refresh": not job.is_finished,
        }

    def _context(self, request, title, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **extra}

    def import_view(self, request):
        # Opened from a list ("导入" beside "添加"): that list's kind of data is chosen already.
        chosen = request.GET.get("dataset") if request.GET.get("dataset") in DATASETS else None
        form = ImportForm(request.POST or None, request.FILES or None, initial={"dataset": chosen})
        # The kinds this user may create are offered (city staff: not the province-wide targets); others refused.
        allowed = [d for d in DATASETS.values() if can_add(request.user, d.model)]
        if request.method == "POST" and request.POST.get("dataset") not in {d.name for d in allowed}:
            raise PermissionDenied("您无权导入此类数据。")
        form.fields["dataset"].choices = [(d.name, d.label) for d in allowed]
        if request.method == "POST" and form.is_valid():
            dataset = DATASETS[form.cleaned_data["dataset"]]
            upload = form.cleaned_data["file"]
            try:
                content = upload.read(settings.TRANSFER_MAX_UPLOAD_BYTES + 1)
                job = services.import_job_create(
                    user=request.user, dataset_name=dataset.name, file_name=upload.name, content=content, dry_run=True
                )
            except (FileRefused, ValidationError) as exc:
                form.add_error("file", _messages(exc))
            except JobNotQueued as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("admin:jobs_job_change", job.pk)
        templates = [(d.label, d.name) for d in allowed if chosen in (None, d.name)]
        title = f"导入{DATASETS[chosen].label}" if chosen else "批量导入"
        back = _changelist_url(DATASETS[chosen].model) if chosen else None
        return TemplateResponse(
            request,
            "transfers/admin/import_form.html",
            self._context(request, title, form=form, templates=templates, chosen=chosen, back=back),
        )

    def apply_view(self, request, pk):
        if request.method != "POST":
            return redirect("admin:jobs_job_change", pk)
        preview = get_object_or_404(self.get_queryset(request), pk=pk)
        if preview.user_id != request.user.pk:
            raise PermissionDenied("只能应用本人上传的预览。")
        try:
            job = services.import_job_apply(preview=preview, user=request.user)
        except (FileRefused, ValidationError, JobNotQueued) as exc:
            self.message_user(request, "；".join(_messages(exc)), messages.ERROR)
            return redirect("admin:jobs_job_change", pk)
        self.message_user(request, job.message or "已提交导入，正在后台处理。", messages.SUCCESS)
        return redirect("admin:jobs_job_change", job.pk)

    def export_view(self, request):
        form = ExportForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            city = form.cleaned_data["city"].strip()
            try:
                job = services.export_job_create(
                    user=request.user,
                    dataset_name=form.cleaned_data["dataset"],
                    file_format=form.cleaned_data["file_format"],
                    filters={"city": city} if city else None,
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            except JobNotQueued as exc:
                form.add_error(None, str(exc))
            else:
                job.refresh_from_db()
                if job.result:
                    return redirect("admin:transfers_job_download", job.pk)
                return redirect("admin:jobs_job_change", job.pk)
        return TemplateResponse(
            request, "transfers/admin/export_form.html", self._context(request, "导出数据", form=form)
        )

    def template_view(self, request, dataset, file_format):
        if dataset not in DATASETS or file_format not in FileFormatChoices.values:
            raise Http404("没有这种模板。")
        content = services.template_file(dataset=DATASETS[dataset], file_format=file_format)
        return file_response(content, f"{dataset}-template.{file_format}", file_format)

    def download_view(self, request, pk):
        job = get_object_or_404(self.get_queryset(request), pk=pk, kind=JobKindChoices.EXPORT)
        if not job.result:
            raise Http404("导出文件尚未生成。")
        return file_response(bytes(job.result), job.file_name, job.file_format)
