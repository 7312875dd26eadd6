from django.db import models


class NoticeKindChoices(models.TextChoices):
    """Why a notice was sent; the inbox filters and the mail subject use it."""

    DUE_SOON = "due_soon", "填报即将到期"
    OVERDUE = "overdue", "填报已逾期"
    REVIEW_WAITING = "review_waiting", "待审核"
    RETURNED = "returned", "已退回"
    APPROVED = "approved", "已审核通过"
    WARNING_RED = "warning_red", "红色预警"
    STALE_PROJECTS = "stale_projects", "项目长期未报送"
    OTHER = "other", "其他"
