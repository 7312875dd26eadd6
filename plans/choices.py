from django.db import models


class PlanStatusChoices(models.TextChoices):
    DRAFT = "draft", "草案"
    IN_FORCE = "in_force", "实施中"
    EXPIRED = "expired", "已到期"
    SUPERSEDED = "superseded", "已被替代"


class PlanKindChoices(models.TextChoices):
    PLAN = "plan", "规划"
    OPINION = "opinion", "意见"
    NOTICE = "notice", "通知"


class ComparatorChoices(models.TextChoices):
    GE = "ge", "≥（不低于）"
    GT = "gt", ">（超过）"
    LE = "le", "≤（不高于）"
    LT = "lt", "<（低于）"
    EQ = "eq", "=（达到）"
    APPROX = "approx", "约"
    RANGE = "range", "区间"


class QuarterChoices(models.IntegerChoices):
    """The period of an observation: the whole year (0) or one of its quarters."""

    YEAR = 0, "全年"
    Q1 = 1, "一季度"
    Q2 = 2, "二季度"
    Q3 = 3, "三季度"
    Q4 = 4, "四季度"


class ProgramKindChoices(models.TextChoices):
    PROGRAM = "program", "重点工程"
    TASK = "task", "主要任务"
    PATHWAY = "pathway", "推进途径"


class ProgressStatusChoices(models.TextChoices):
    ACHIEVED = "achieved", "已完成"
    ON_TRACK = "on_track", "进度正常"
    AT_RISK = "at_risk", "存在风险"
    OFF_TRACK = "off_track", "严重滞后"
    NO_DATA = "no_data", "暂无数据"
