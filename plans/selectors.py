"""Reads of plans with business rules: targets with their progress and the status counts."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from .choices import ProgressStatusChoices
from .models import Industry, Target
from .progress import annotate_progress


def target_list(*, user, queryset: QuerySet | None = None) -> QuerySet:
    """The targets this user may see, with their progress (plans.progress)."""
    queryset = queryset if queryset is not None else Target.objects.all()
    return annotate_progress(queryset.for_user(user), user=user)


def target_status_counts(*, user, queryset: QuerySet) -> dict:
    """Targets by progress status, per plan and in total; one GROUP BY query and one total."""
    queryset = annotate_progress(queryset, user=user).order_by()
    counts = {"total": Count("pk")} | {
        status: Count("pk", filter=Q(progress_status=status)) for status in ProgressStatusChoices.values
    }
    rows = queryset.values("plan", "plan__title").annotate(**counts).order_by("plan")
    return {
        "total": queryset.aggregate(**counts),
        "results": [{"plan_title": row.pop("plan__title"), **row} for row in rows],
    }


def industry_tree() -> list[dict]:
    """The whole taxonomy as nested nodes, read in one query."""
    nodes, roots = {}, []
    industries = Industry.objects.order_by("order", "code").values("pk", "parent_id", "code", "name", "is_national")
    for row in industries:
        nodes[row["pk"]] = {
            "id": row["pk"],
            "code": row["code"],
            "name": row["name"],
            "is_national": row["is_national"],
            "children": [],
            "_parent": row["parent_id"],
        }
    for node in nodes.values():
        parent = nodes.get(node.pop("_parent"))
        (parent["children"] if parent else roots).append(node)
    return roots
