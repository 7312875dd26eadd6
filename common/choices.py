from django.db import models


class RoleChoices(models.TextChoices):
    PROVINCE = "province", "省级工作人员"
    CITY = "city", "市级工作人员"
    VIEWER = "viewer", "只读用户"
