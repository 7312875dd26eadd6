"""An evaluation of a plan (年度 / 中期 / 总结评估): frozen figures as of a date and the reports made from them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from common.models import ScopedManager, TimestampedModel, choice_constraint
from common.validators import validate_no_bidi_controls, validate_plausible_date

from .choices import EvaluationKindChoices, EvaluationStatusChoices, ReportFormatChoices


class Evaluation(TimestampedModel):
    """An evaluation of one plan as of a date.

    ``snapshot`` holds every figure of the report, taken by ``evaluation_freeze``; the report
    generators read nothing else, so a report generated again later has the same figures
    whatever changed in the data meanwhile. Province-wide (no ``city_scope``): every role reads
    evaluations, provincial staff write them; what a city user's download holds is decided when it
    is generated (evaluations.services.evaluation_report_file).
    """

    plan = models.ForeignKey("plans.Plan", on_delete=models.PROTECT, related_name="evaluations", verbose_name="规划")
    kind = models.CharField("评估类型", max_length=16, choices=EvaluationKindChoices.choices)
    as_of = models.DateField("评估截止日期", validators=[validate_plausible_date])
    title = models.CharField("报告标题", max_length=255, validators=[validate_no_bidi_controls])
    is_public = models.BooleanField(
        "公开",
        default=False,
        help_text="公开的评估报告向所有用户提供全省版本；未公开时市级用户只能下载本市数据的版本。",
    )
    problems = models.TextField("存在问题", blank=True, help_text="由工作人员撰写，写入报告第五部分。")
    next_steps = models.TextField("下一步工作", blank=True, help_text="由工作人员撰写，写入报告第六部分。")
    status = models.CharField(
        "状态", max_length=16, choices=EvaluationStatusChoices.choices, default=EvaluationStatusChoices.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="evaluations_created",
        verbose_name="创建人",
    )
    frozen_at = models.DateTimeField("数据冻结时间", null=True, blank=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="evaluations_generated",
        verbose_name="生成人",
    )
    generated_at = models.DateTimeField("报告生成时间", null=True, blank=True)
    snapshot = models.JSONField("冻结数据", default=dict, blank=True, editable=False)
    docx_template = models.BinaryField(
        "Word 模板", null=True, blank=True, editable=False, help_text="上传的 .docx 模板；为空时使用默认模板。"
    )
    job = models.ForeignKey(
        "jobs.Job",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="evaluations",
        verbose_name="生成任务",
    )

    objects = ScopedManager()
    history = HistoricalRecords(excluded_fields=["snapshot", "docx_template"])

    class Meta:
        verbose_name = "规划评估"
        verbose_name_plural = "规划评估"
        ordering = ["-as_of", "-pk"]
        constraints = [
            choice_constraint("kind", EvaluationKindChoices, "kind_valid", "评估类型无效。"),
            choice_constraint("status", EvaluationStatusChoices, "status_valid", "评估状态无效。"),
            models.UniqueConstraint(
                fields=["plan", "kind", "as_of"],
                name="%(app_label)s_%(class)s_unique_plan_kind_as_of",
                violation_error_message="该规划在同一截止日期已有同类评估。",
            ),
            models.CheckConstraint(
                condition=Q(as_of__gte="1949-01-01") & Q(as_of__lte="2100-12-31"),
                name="%(app_label)s_%(class)s_as_of_sane",
                violation_error_message="评估截止日期须在 1949 至 2100 年之间。",
            ),
            models.CheckConstraint(
                condition=Q(status=EvaluationStatusChoices.DRAFT) | Q(frozen_at__isnull=False),
                name="%(app_label)s_%(class)s_frozen_has_time",
                violation_error_message="数据冻结后须记录冻结时间。",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None and bool(self.snapshot)


class EvaluationFile(models.Model):
    """A generated report file, kept in the database so that any web server serves it.

    ``variant`` is empty for the province-wide report and names the cities of a city user's
    report (``140100`` or ``140100,140700``): that report is made from the snapshot filtered to
    those cities when first asked for, then kept until the figures are frozen again.
    """

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="files", verbose_name="评估")
    file_format = models.CharField("文件格式", max_length=8, choices=ReportFormatChoices.choices)
    variant = models.CharField("城市范围", max_length=128, blank=True, help_text="空为全省版本；否则为城市代码。")
    file_name = models.CharField("文件名", max_length=255)
    content = models.BinaryField("文件内容", editable=False)
    size = models.PositiveIntegerField("大小（字节）", default=0)
    created = models.DateTimeField("生成时间", auto_now_add=True)

    class Meta:
        verbose_name = "评估报告文件"
        verbose_name_plural = "评估报告文件"
        ordering = ["evaluation", "variant", "file_format"]
        constraints = [
            choice_constraint("file_format", ReportFormatChoices, "format_valid", "文件格式无效。"),
            models.UniqueConstraint(
                fields=["evaluation", "file_format", "variant"],
                name="%(app_label)s_%(class)s_unique_format_variant",
                violation_error_message="该评估已有此格式、此范围的报告文件。",
            ),
        ]

    def __str__(self):
        return self.file_name
