"""The in-app inbox: one notice per recipient and event, unique by a key so that a retried task sends nothing twice."""

from django.conf import settings
from django.db import models

from common.models import choice_constraint

from .choices import NoticeKindChoices


class NoticeQuerySet(models.QuerySet):
    def for_user(self, user):
        """A user's own notices: an inbox is personal, whatever the user's role."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notice(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices", verbose_name="接收人"
    )
    kind = models.CharField("类型", max_length=32, choices=NoticeKindChoices.choices)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=300, blank=True, help_text="站内页面的路径，如 /projects/12/")
    key = models.CharField("去重键", max_length=200, help_text="同一接收人、同一事件只通知一次")
    created = models.DateTimeField("发送时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    emailed_at = models.DateTimeField("邮件发送时间", null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = "消息"
        verbose_name_plural = "消息"
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"],
                name="notices_notice_once_per_recipient",
                violation_error_message="该消息已发送给此用户。",
            ),
            choice_constraint("kind", NoticeKindChoices, "kind_valid", "消息类型无效。"),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notices_inbox")]

    def __str__(self):
        return self.title
