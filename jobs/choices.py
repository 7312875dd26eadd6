from django.db import models


class JobKindChoices(models.TextChoices):
    IMPORT = "import", "导入"
    EXPORT = "export", "导出"
    REMINDER = "reminder", "未报进展提醒"
    SNAPSHOT = "snapshot", "指标进度年度快照"
    EVALUATION = "evaluation", "评估报告生成"


class JobStatusChoices(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "进行中"
    SUCCEEDED = "succeeded", "已完成"
    FAILED = "failed", "失败"


class DatasetChoices(models.TextChoices):
    PROJECTS = "projects", "重点项目"
    REPORTS = "reports", "项目进展报告"
    OBSERVATIONS = "observations", "监测值"
    ENTERPRISES = "enterprises", "企业"
    TARGETS = "targets", "指标目标"
    TARGET_STEPS = "target_steps", "年度目标"
    SUBMISSION_VALUES = "submission_values", "报送数值"
    YEAR_PLANS = "year_plans", "年度投资计划"


class FileFormatChoices(models.TextChoices):
    XLSX = "xlsx", "Excel（.xlsx）"
    CSV = "csv", "CSV（UTF-8）"
