from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "规划与指标"

    def ready(self):
        from . import signals  # noqa: F401 (connects the receivers)
