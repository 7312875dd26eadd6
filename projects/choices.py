from django.db import models


class ProjectStageChoices(models.TextChoices):
    PLANNED = "planned", "谋划"
    SIGNED = "signed", "签约"
    STARTED = "started", "开工"
    IN_PRODUCTION = "in_production", "投产"
    AT_CAPACITY = "at_capacity", "达产"
    CANCELLED = "cancelled", "取消"


class BaseKindChoices(models.TextChoices):
    BASE = "base", "产业基地"
    CLUSTER = "cluster", "产业集群"
    RD_CENTER = "rd_center", "研发中心"
    PARK = "park", "产业园区"
    ZONE = "zone", "产业片区"


class EnterpriseKindChoices(models.TextChoices):
    STATE = "state", "国有企业"
    PRIVATE = "private", "民营企业"
    FOREIGN = "foreign", "外资企业"
    INSTITUTE = "institute", "科研院所/高校"
    OTHER = "other", "其他"


class MilestoneCodeChoices(models.TextChoices):
    """A project's milestones: OC4IDS's milestone lifecycle (dueDate / dateMet / status) over the steps
    Chinese project administration tracks (前期手续 then 建设 then 生产)."""

    APPROVAL = "approval", "立项/备案"
    LAND = "land", "用地"
    EIA = "eia", "环评"
    CONSTRUCTION_PERMIT = "construction_permit", "施工许可"
    START = "start", "开工"
    STRUCTURE = "structure", "主体完工"
    COMPLETION = "completion", "竣工"
    PRODUCTION = "production", "投产"
    FULL_CAPACITY = "full_capacity", "达产"
    OTHER = "other", "其他"


#: The milestones that a project's stage reaches (the stage_late warning compares them with the stage).
STAGE_MILESTONES = {
    MilestoneCodeChoices.START: ProjectStageChoices.STARTED,
    MilestoneCodeChoices.PRODUCTION: ProjectStageChoices.IN_PRODUCTION,
    MilestoneCodeChoices.FULL_CAPACITY: ProjectStageChoices.AT_CAPACITY,
}


class MilestoneStatusChoices(models.TextChoices):
    """OC4IDS milestoneStatus: scheduled, met, partiallyMet, notMet."""

    SCHEDULED = "scheduled", "计划"
    MET = "met", "已完成"
    PARTIALLY_MET = "partially_met", "部分完成"
    NOT_MET = "not_met", "未完成"


class CoordinationLevelChoices(models.TextChoices):
    """The level of government that should solve a problem a monthly report raises."""

    CITY = "city", "市级"
    PROVINCE = "province", "省级"
    NATIONAL = "national", "国家"


class BatchKindChoices(models.TextChoices):
    """“三个一批”: what a project does at a batch event."""

    SIGN = "sign", "签约"
    START = "start", "开工"
    PRODUCTION = "production", "投产"


class WarningRuleChoices(models.TextChoices):
    MILESTONE_OVERDUE = "milestone_overdue", "里程碑逾期"
    INVESTMENT_BEHIND = "investment_behind", "投资滞后于序时进度"
    NO_REPORT = "no_report", "未按月报送"
    STAGE_LATE = "stage_late", "阶段未按期达到"


class WarningLevelChoices(models.TextChoices):
    YELLOW = "yellow", "黄色"
    RED = "red", "红色"
