from rest_framework import serializers
from rest_framework.reverse import reverse

from common.api.serializers import ServiceModelSerializer
from jobs.models import Job

from ..models import Evaluation


class EvaluationJobSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    progress = serializers.IntegerField(read_only=True, help_text="完成百分比（0–100）")

    class Meta:
        model = Job
        fields = ["id", "status", "status_display", "progress", "message", "created", "finished"]
        read_only_fields = fields


class CityReportJobSerializer(EvaluationJobSerializer):
    """The job making a city user's report: its progress, where to follow it, what to do next."""

    url = serializers.SerializerMethodField(label="任务地址")
    detail = serializers.SerializerMethodField(label="说明")

    class Meta(EvaluationJobSerializer.Meta):
        fields = [*EvaluationJobSerializer.Meta.fields, "url", "detail"]
        read_only_fields = fields

    def get_url(self, job) -> str:
        return reverse("job-detail", args=[job.pk], request=self.context.get("request"))

    def get_detail(self, job) -> str:
        return "正在生成本市版本的评估报告，请稍候；任务完成后再次下载即可。"


class EvaluationSerializer(ServiceModelSerializer):
    """An evaluation: what staff write (plan, kind, date, title, texts, public flag) and where its reports stand.

    The frozen figures are not in this answer (they are the report's content): download the
    report, ``xlsx`` for the figures as a spreadsheet.
    """

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True, label="创建人")
    generated_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True, label="生成人")
    job = EvaluationJobSerializer(read_only=True, allow_null=True, label="最近一次生成任务")
    formats = serializers.SerializerMethodField(label="可下载的格式")

    class Meta:
        model = Evaluation
        exclude = ["snapshot", "docx_template"]
        read_only_fields = ["status", "frozen_at", "generated_at"]
        extra_kwargs = {"title": {"required": False}}

    def get_formats(self, evaluation) -> list[str]:
        return sorted({f.file_format for f in evaluation.files.all() if not f.variant})
