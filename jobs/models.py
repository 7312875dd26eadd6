"""The background job: run by any worker on any machine, followed by its owner (imports, exports, reminders…)."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.choices import RoleChoices
from common.models import TimestampedModel
from common.scope import user_city_ids, user_role

from .choices import DatasetChoices, FileFormatChoices, JobKindChoices, JobStatusChoices


class JobQuerySet(models.QuerySet):
    def for_user(self, user):
        """Provincial staff see every job; others their own jobs and the reminders of their cities.

        Jobs are not city-scoped records: an import's rows carry their own scope, checked when
        the job runs as its user, so a job is private to whoever started it.
        """
        role = user_role(user)
        if role is None:
            return self.none()
        if role == RoleChoices.PROVINCE:
            return self
        return self.filter(Q(user=user) | Q(city_id__in=user_city_ids(user)))

    def stale(self, *, now: datetime.datetime):
        """Jobs whose process is gone: running without a heartbeat within the lease, or never picked up."""
        lease_ended = now - datetime.timedelta(seconds=settings.JOB_LEASE_SECONDS)
        pending_since = now - datetime.timedelta(seconds=settings.JOB_PENDING_TIMEOUT_SECONDS)
        running_without_heartbeat = Q(status=JobStatusChoices.RUNNING) & (
            Q(heartbeat__isnull=True) | Q(heartbeat__lt=lease_ended)
        )
        never_picked_up = Q(status=JobStatusChoices.PENDING, created__lt=pending_since)
        return self.filter(running_without_heartbeat | never_picked_up)


class Job(TimestampedModel):
    """A background job: an import (preview or apply), an export, a reminder or a snapshot.

    Files travel in the database (``upload``, ``result``) so that any worker on any machine can
    run any job. ``key`` makes a periodic job idempotent (one reminder per city per day).
    """

    kind = models.CharField("类型", max_length=16, choices=JobKindChoices.choices)
    dataset = models.CharField("数据类别", max_length=32, choices=DatasetChoices.choices, blank=True)
    dry_run = models.BooleanField("仅预览", default=False, help_text="预览只校验，不写入任何数据。")
    status = models.CharField("状态", max_length=16, choices=JobStatusChoices.choices, default=JobStatusChoices.PENDING)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="jobs",
        verbose_name="发起人",
    )
    city = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="jobs", verbose_name="城市"
    )
    key = models.CharField("幂等键", max_length=128, null=True, blank=True, unique=True)
    params = models.JSONField("参数", default=dict, blank=True)
    file_name = models.CharField("文件名", max_length=255, blank=True)
    file_format = models.CharField("文件格式", max_length=8, choices=FileFormatChoices.choices, blank=True)
    upload = models.BinaryField("上传文件", null=True, blank=True, editable=False)
    result = models.BinaryField("结果文件", null=True, blank=True, editable=False)
    total_rows = models.PositiveIntegerField("总行数", default=0)
    processed_rows = models.PositiveIntegerField("已处理行数", default=0)
    counts = models.JSONField("统计", default=dict, blank=True, help_text="新增、修改、未变化的行数。")
    errors = models.JSONField("错误", default=list, blank=True, help_text="每条：行号、列名、说明。")
    preview = models.JSONField("预览", default=list, blank=True, help_text="前若干行的处理结果：行号、操作、记录。")
    message = models.TextField("说明", blank=True)
    attempts = models.PositiveSmallIntegerField("执行次数", default=0)
    task_id = models.CharField("任务 ID", max_length=64, blank=True)
    started = models.DateTimeField("开始时间", null=True, blank=True)
    heartbeat = models.DateTimeField(
        "心跳时间", null=True, blank=True, help_text="运行中的任务定期更新；超过租期未更新即视为中断。"
    )
    finished = models.DateTimeField("结束时间", null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=JobKindChoices.values),
                name="%(app_label)s_%(class)s_kind_valid",
                violation_error_message="任务类型无效。",
            ),
            models.CheckConstraint(
                condition=Q(status__in=JobStatusChoices.values),
                name="%(app_label)s_%(class)s_status_valid",
                violation_error_message="任务状态无效。",
            ),
            models.CheckConstraint(
                condition=Q(processed_rows__lte=models.F("total_rows")) | Q(total_rows=0),
                name="%(app_label)s_%(class)s_progress_bounded",
                violation_error_message="已处理行数不能超过总行数。",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created"], name="jobs_job_user_idx"),
            models.Index(
                fields=["status"],
                name="jobs_job_unfinished_idx",
                condition=Q(status__in=[JobStatusChoices.PENDING, JobStatusChoices.RUNNING]),
            ),
        ]

    def __str__(self):
        what = self.get_dataset_display() or ""
        return f"{self.get_kind_display()}{what} #{self.pk}"

    @property
    def progress(self) -> int:
        """Percent done (0–100)."""
        if self.status == JobStatusChoices.SUCCEEDED:
            return 100
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatusChoices.SUCCEEDED, JobStatusChoices.FAILED)
