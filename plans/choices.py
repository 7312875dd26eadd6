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


class MonthChoices(models.IntegerChoices):
    """The month of a monthly observation; 0 when the observation is for a year or a quarter."""

    NONE = 0, "—"
    M1 = 1, "1月"
    M2 = 2, "2月"
    M3 = 3, "3月"
    M4 = 4, "4月"
    M5 = 5, "5月"
    M6 = 6, "6月"
    M7 = 7, "7月"
    M8 = 8, "8月"
    M9 = 9, "9月"
    M10 = 10, "10月"
    M11 = 11, "11月"
    M12 = 12, "12月"


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
    """A target's status as of a date (plans.progress): three after its target year, six before it."""

    ACHIEVED = "achieved", "已完成"
    MISSED = "missed", "未完成"
    OVERDUE_NO_DATA = "overdue_no_data", "逾期无数据"
    AHEAD = "ahead", "提前完成"
    FASTER = "faster", "快于预期"
    ON_TRACK = "on_track", "符合序时进度"
    BEHIND = "behind", "滞后"
    FAR_BEHIND = "far_behind", "严重滞后"
    NO_DATA = "no_data", "暂无数据"


class ProgressLightChoices(models.TextChoices):
    """The red / yellow / green light (红黄绿灯) of a target's status against 序时进度 (``PROGRESS_LIGHTS``)."""

    GREEN = "green", "绿灯"
    YELLOW = "yellow", "黄灯"
    RED = "red", "红灯"


#: Each status's light. Green: the goal is met or progress keeps pace with 序时进度. Yellow: it
#: needs attention but can still be recovered — behind the path within the tolerance, or no value
#: reported yet while the target year is still to come (the city has to report). Red: far behind
#: the path, or the target year has passed without the goal met or without a value to show it.
PROGRESS_LIGHTS = {
    ProgressStatusChoices.ACHIEVED: ProgressLightChoices.GREEN,
    ProgressStatusChoices.AHEAD: ProgressLightChoices.GREEN,
    ProgressStatusChoices.FASTER: ProgressLightChoices.GREEN,
    ProgressStatusChoices.ON_TRACK: ProgressLightChoices.GREEN,
    ProgressStatusChoices.BEHIND: ProgressLightChoices.YELLOW,
    ProgressStatusChoices.NO_DATA: ProgressLightChoices.YELLOW,
    ProgressStatusChoices.FAR_BEHIND: ProgressLightChoices.RED,
    ProgressStatusChoices.MISSED: ProgressLightChoices.RED,
    ProgressStatusChoices.OVERDUE_NO_DATA: ProgressLightChoices.RED,
}


class ProgressGradeChoices(models.TextChoices):
    """The Open SDG progress category from the ratio of observed to needed compound growth."""

    ACHIEVED = "achieved", "目标已实现"
    ON_TRACK = "on_track", "进展良好"
    ACCELERATION_NEEDED = "acceleration_needed", "需加快进度"
    LIMITED = "limited", "进展有限"
    DETERIORATION = "deterioration", "出现倒退"
    UNKNOWN = "unknown", "无法评估"


class TargetNatureChoices(models.TextChoices):
    BINDING = "binding", "约束性"
    EXPECTED = "expected", "预期性"
    UNSTATED = "unstated", "未说明"


class IndicatorDirectionChoices(models.TextChoices):
    HIGHER = "higher", "越高越好"
    LOWER = "lower", "越低越好"


class TimeAggregationChoices(models.TextChoices):
    """How an indicator's values of shorter periods make a longer one."""

    FLOW = "flow", "流量（按期累加）"
    STOCK = "stock", "存量（取期末值）"
    RATE = "rate", "比率（不可累加）"


class CityAggregationChoices(models.TextChoices):
    """How the cities' values of an indicator make the province's."""

    SUM = "sum", "求和"
    RATIO = "ratio", "分子、分母分别求和后相除"
    NONE = "none", "不可加总"


class IndicatorCategoryChoices(models.TextChoices):
    SCALE = "scale", "规模与结构"
    GROWTH = "growth", "增长速度"
    INNOVATION = "innovation", "创新能力"
    ENTERPRISES = "enterprises", "企业与载体"
    GREEN = "green", "绿色低碳"
    DIGITAL = "digital", "信息化"
    OUTPUT = "output", "产品与产能"
    OTHER = "other", "其他"


class QualifierChoices(models.TextChoices):
    """How the document qualifies a reported value (“2600亿元以上”)."""

    NONE = "", "（无）"
    ABOVE = "above", "以上"
    OVER = "over", "超过"
    AROUND = "around", "左右"
    ABOUT = "about", "约"
    NEARLY = "nearly", "接近"
    BROKE = "broke", "突破"
    UNDER = "under", "不足"


class ObservationStatusChoices(models.TextChoices):
    PRELIMINARY = "preliminary", "初步"
    FINAL = "final", "正式"
    REVISED = "revised", "修订"
