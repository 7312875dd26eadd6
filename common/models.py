from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from .choices import RoleChoices


def defer_heavy_fields(queryset: models.QuerySet, paths=None) -> models.QuerySet:
    """Defer the ``heavy_fields`` of the related models a list joins (``select_related`` paths).

    A model declares ``heavy_fields`` for columns that only some readers need, such as a region's
    map outline: decoding it for every row of a list that shows the region's name dominated the
    project list at scale. ``paths`` defaults to the queryset's own ``select_related``.
    """
    if paths is None:
        paths = _select_related_paths(queryset.query.select_related)
    deferred = []
    for path in paths or ():
        model = queryset.model
        for name in path.split("__"):
            model = model._meta.get_field(name).related_model
        deferred.extend(f"{path}__{field}" for field in getattr(model, "heavy_fields", ()))
    return queryset.defer(*deferred) if deferred else queryset


def _select_related_paths(tree, prefix: str = "") -> list[str]:
    if not isinstance(tree, dict):
        return []  # False, or True (everything: not used here)
    paths = []
    for name, children in tree.items():
        paths.append(prefix + name)
        paths.extend(_select_related_paths(children, f"{prefix}{name}__"))
    return paths


def choice_constraint(field: str, choices, suffix: str, message: str) -> models.CheckConstraint:
    """The database keeps a choice field to its choices, as the forms do."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__in": choices.values}),
        name=f"%(app_label)s_%(class)s_{suffix}",
        violation_error_message=message,
    )


#: A unique name already in use: the same words whether the record holding it is one the writer may
#: see or not, naming neither it nor its city (issue 12, finding 11).
UNIQUE_NAME_MESSAGE = "该名称已被使用。"
UNIQUE_ALIAS_MESSAGE = "该简称已被使用。"


class TimestampedModel(models.Model):
    created = models.DateTimeField("创建时间", auto_now_add=True)
    updated = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class ProvenanceModel(TimestampedModel):
    """A record that can be traced to a sentence of a source document."""

    source_file = models.CharField("来源文件", max_length=64, blank=True)
    source_quote = models.TextField("原文摘录", blank=True)

    class Meta:
        abstract = True


class StaffProfile(TimestampedModel):
    """The role of a user and, for city staff, the cities they work in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_profile",
        verbose_name="用户",
    )
    role = models.CharField("角色", max_length=16, choices=RoleChoices.choices)
    cities = models.ManyToManyField(
        "regions.Region",
        blank=True,
        related_name="staff_profiles",
        verbose_name="所属城市",
        limit_choices_to={"level": "city"},
    )
    # The first-run tour of the pages is shown until its reader closes it (common.services.staff_tour_dismiss).
    tour_dismissed_at = models.DateTimeField("关闭新手引导的时间", null=True, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "人员角色"
        verbose_name_plural = "人员角色"
        ordering = ["user__username"]
        constraints = [
            choice_constraint("role", RoleChoices, "role_valid", "角色必须是省级、市级或只读之一。"),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()}"


class ScopedQuerySet(models.QuerySet):
    """``Model.objects.for_user(user)``: the records this user may see (see common.scope)."""

    def for_user(self, user):
        from .scope import scope_queryset

        return scope_queryset(self, user)


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


def year_range_q(field: str, *, low: int = 1949, high: int = 2100, nullable: bool = True):
    q = models.Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return q | models.Q(**{f"{field}__isnull": True}) if nullable else q
