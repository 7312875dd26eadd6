from django.conf import settings
from rest_framework import serializers

from common.api.serializers import JsonInputSerializer
from jobs.choices import DatasetChoices, FileFormatChoices
from jobs.models import Job


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="行号（与表格软件中显示的一致，表头为第 1 行）")
    column = serializers.CharField(allow_blank=True, help_text="列名；空表示整行")
    message = serializers.CharField(help_text="问题说明")
    text = serializers.CharField(help_text="完整说明，如“第 12 行「总投资（亿元）」：不能为负数。”")


class PreviewRowSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    action = serializers.ChoiceField(choices=["created", "updated", "unchanged"], help_text="新增、修改或未变化")
    key = serializers.CharField(help_text="记录（自然键）")


class JobSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    dataset_display = serializers.CharField(source="get_dataset_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    progress = serializers.IntegerField(read_only=True, help_text="完成百分比（0–100）")
    errors = RowErrorSerializer(many=True, read_only=True)
    preview = PreviewRowSerializer(many=True, read_only=True)
    counts = serializers.DictField(
        child=serializers.IntegerField(), read_only=True, help_text="total、created、updated、unchanged"
    )
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    city = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    has_result = serializers.SerializerMethodField(help_text="导出文件可下载")

    class Meta:
        model = Job
        fields = [
            "id", "kind", "kind_display", "dataset", "dataset_display", "dry_run", "status", "status_display",
            "progress", "total_rows", "processed_rows", "counts", "errors", "preview", "message", "file_name",
            "file_format", "user", "city", "attempts", "created", "started", "heartbeat", "finished", "has_result",
        ]  # fmt: skip
        read_only_fields = fields

    def get_has_result(self, job) -> bool:
        return job.result is not None


class ImportRequestSerializer(JsonInputSerializer):
    dataset = serializers.ChoiceField(choices=DatasetChoices.choices, help_text="数据类别")
    file = serializers.FileField(help_text="Excel（.xlsx）或 CSV 文件，表头与模板一致")
    dry_run = serializers.BooleanField(
        default=True, help_text="true：只预览校验结果，不写入（默认）；false：校验通过则全部写入"
    )

    def validate_file(self, upload):
        if upload.size > settings.TRANSFER_MAX_UPLOAD_BYTES:
            raise serializers.ValidationError(
                f"文件过大，单个文件不能超过 {settings.TRANSFER_MAX_UPLOAD_BYTES // 1048576} MB，请拆分后分批导入。"
            )
        return upload


class TemplateQuerySerializer(serializers.Serializer):
    """The query of ``GET jobs/template/``: which template, in which format, or one submission's sheet."""

    dataset = serializers.ChoiceField(choices=DatasetChoices.choices, help_text="数据类别")
    file_format = serializers.ChoiceField(choices=FileFormatChoices.choices, required=False, help_text="默认 xlsx")
    submission = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        help_text="报送 ID（仅 submission_values，其他数据集忽略）：下载该报送的填报表（总是 XLSX）",
        error_messages={"invalid": "请填写有效的报送 ID。", "min_value": "请填写有效的报送 ID。"},
    )

    def validate(self, attrs):
        if attrs["dataset"] != DatasetChoices.SUBMISSION_VALUES:
            attrs.pop("submission", None)  # documented: another dataset's template ignores it (a valid id, still)
        attrs.setdefault("file_format", FileFormatChoices.XLSX)
        return attrs


class ExportRequestSerializer(JsonInputSerializer):
    dataset = serializers.ChoiceField(choices=DatasetChoices.choices, help_text="数据类别")
    file_format = serializers.ChoiceField(choices=FileFormatChoices.choices, default=FileFormatChoices.XLSX)
    # Each value as in the list's query string (an empty one filters nothing); per dataset in the schema.
    filters = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text='与对应列表接口相同的筛选参数，如 {"city": "140100"}',
    )
