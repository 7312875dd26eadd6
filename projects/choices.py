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
