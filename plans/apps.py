from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "规划与指标"
