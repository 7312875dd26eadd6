from django.db import models


class RegionLevelChoices(models.TextChoices):
    PROVINCE = "province", "省"
    CITY = "city", "设区市"
    COUNTY = "county", "县（市、区）"


class ZoneKindChoices(models.TextChoices):
    CORE = "core", "核"
    BELT = "belt", "带"
    BLOCK = "block", "板块"


class ParkLevelChoices(models.TextChoices):
    NATIONAL = "national", "国家级"
    PROVINCIAL = "provincial", "省级"
    OTHER = "other", "其他"


class ParkKindChoices(models.TextChoices):
    HIGH_TECH = "high_tech", "高新技术产业开发区"
    ECONOMIC = "economic", "经济技术开发区"
    INDUSTRIAL = "industrial", "工业园区"
    SPECIALTY = "specialty", "特色产业园区"
    OTHER = "other", "其他园区"
