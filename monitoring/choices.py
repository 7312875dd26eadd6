from django.db import models


class RoundKindChoices(models.TextChoices):
    """What a round (or its template) collects."""

    INDICATORS = "indicators", "指标监测"
    PROJECTS = "projects", "项目调度"
    BOTH = "both", "指标与项目"


class PeriodTypeChoices(models.TextChoices):
    YEAR = "year", "年度"
    QUARTER = "quarter", "季度"
    MONTH = "month", "月度"


class RoundStatusChoices(models.TextChoices):
    """A round's status, derived from its dates and today's."""

    PENDING = "pending", "未开始"
    OPEN = "open", "填报中"
    OVERDUE = "overdue", "已过报送期限（可补报）"
    CLOSED = "closed", "已关闭"


class SubmissionStateChoices(models.TextChoices):
    """Akvo RSR's update states: only approved values count (they are published as observations)."""

    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已报送"
    APPROVED = "approved", "已审核通过"
    RETURNED = "returned", "已退回"


class TimelinessChoices(models.TextChoices):
    ON_TIME = "on_time", "按时报送"
    LATE = "late", "逾期报送"
    MISSING = "missing", "未报送"
    NOT_DUE = "not_due", "未到期"
