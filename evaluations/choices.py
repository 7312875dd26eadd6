from django.db import models


class EvaluationKindChoices(models.TextChoices):
    ANNUAL = "annual", "年度评估"
    MIDTERM = "midterm", "中期评估"
    FINAL = "final", "总结评估"


class EvaluationStatusChoices(models.TextChoices):
    """draft → frozen (figures taken) → generating → generated (or failed); a refreeze goes back to frozen."""

    DRAFT = "draft", "草稿"
    FROZEN = "frozen", "数据已冻结"
    GENERATING = "generating", "报告生成中"
    GENERATED = "generated", "报告已生成"
    FAILED = "failed", "生成失败"


class EvaluationGradeChoices(models.TextChoices):
    """The grades of a Chinese mid-term report, mapped from the as-of progress status (evaluations.selectors)."""

    AHEAD = "ahead", "提前实现"
    FASTER = "faster", "快于预期"
    ON_TRACK = "on_track", "基本符合预期"
    LAGGING = "lagging", "滞后"
    NO_DATA = "no_data", "暂无数据"


class ReportFormatChoices(models.TextChoices):
    DOCX = "docx", "Word（.docx）"
    XLSX = "xlsx", "Excel（.xlsx）"
    PDF = "pdf", "PDF"


#: The content type each report format is sent as.
REPORT_CONTENT_TYPES = {
    ReportFormatChoices.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ReportFormatChoices.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportFormatChoices.PDF: "application/pdf",
}
