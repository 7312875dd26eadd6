"""Reads of monitoring rounds with their rules: periods, last period's values, allocations, completeness."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from common.choices import RoleChoices
from common.scope import scope_queryset, user_role
from plans.choices import ObservationStatusChoices
from plans.models import Observation, Target
from plans.progress import annotate_progress, progress_as_of
from projects.choices import ProjectStageChoices
from projects.models import KeyProject, ProjectReport

from .choices import RoundStatusChoices, SubmissionStateChoices, TimelinessChoices
from .models import LockException, Round, Submission, SubmissionValue

#: Stages in which a project no longer reports progress.
CLOSED_STAGES = (ProjectStageChoices.AT_CAPACITY, ProjectStageChoices.CANCELLED)
#: States in which a city may still change its values.
EDITABLE_STATES = (SubmissionStateChoices.DRAFT, SubmissionStateChoices.RETURNED)
#: States in which the city has reported (on time or late).
REPORTED_STATES = (SubmissionStateChoices.SUBMITTED, SubmissionStateChoices.APPROVED)


def cn_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def period_months(year: int, quarter: int, month: int) -> list[int]:
    if month:
        return [month]
    if quarter:
        return [3 * quarter - 2, 3 * quarter - 1, 3 * quarter]
    return list(range(1, 13))


def period_end(year: int, quarter: int, month: int) -> datetime.date:
    last = period_months(year, quarter, month)[-1]
    return add_months(datetime.date(year, last, 1), 1) - datetime.timedelta(days=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (the month's last day where it is shorter)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    following = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return datetime.date(year, month, min(day.day, (following - datetime.timedelta(days=1)).day))


def shift_period(year: int, quarter: int, month: int, steps: int = 1) -> tuple[int, int, int]:
    """The period ``steps`` periods later (earlier if negative), of the same type."""
    if month:
        index = year * 12 + month - 1 + steps
        return index // 12, 0, index % 12 + 1
    if quarter:
        index = year * 4 + quarter - 1 + steps
        return index // 4, index % 4 + 1, 0
    return year + steps, 0, 0


def period_step_months(quarter: int, month: int) -> int:
    return 1 if month else 3 if quarter else 12


def previous_values(*, year: int, quarter: int, month: int, pairs: Iterable[tuple[int, int]]) -> dict:
    """Last period's official value of each (indicator id, region id), from the observations (one query)."""
    pairs = set(pairs)
    if not pairs:
        return {}
    year, quarter, month = shift_period(year, quarter, month, -1)
    rows = (
        Observation.objects.filter(
            year=year,
            quarter=quarter,
            month=month,
            indicator_id__in={indicator for indicator, _ in pairs},
            scope_id__in={region for _, region in pairs},
            status__in=[ObservationStatusChoices.FINAL, ObservationStatusChoices.REVISED],
        )
        .order_by("-updated", "-pk")
        .values_list("indicator_id", "scope_id", "value")
    )
    found = {}
    for indicator, region, value in rows:
        if (indicator, region) in pairs:
            found.setdefault((indicator, region), value)
    return found


def is_outlier(value: Decimal | None, previous: Decimal | None) -> bool:
    """More than ``MONITORING_OUTLIER_FACTOR`` times last period's value, or less than its fraction."""
    if value is None or previous is None or previous == 0:
        return False
    factor = Decimal(str(settings.MONITORING_OUTLIER_FACTOR))
    ratio = abs(value) / abs(previous)
    return ratio > factor or ratio * factor < 1 or (value < 0) != (previous < 0)


def allocations(*, year: int, pairs: Iterable[tuple[int, int]]) -> dict:
    """The target allocated to each (indicator id, city id): a Target with a parent, scoped to that city."""
    pairs = set(pairs)
    if not pairs:
        return {}
    targets = (
        Target.objects.filter(
            parent__isnull=False,
            indicator_id__in={indicator for indicator, _ in pairs},
            scope_id__in={region for _, region in pairs},
            target_year__gte=year,
        )
        .order_by("target_year", "pk")
        .values_list("indicator_id", "scope_id", "target_value", "target_year")
    )
    found = {}
    for indicator, region, value, target_year in targets:
        if (indicator, region) in pairs:
            found.setdefault((indicator, region), (value, target_year))
    return found


def active_exception(*, submission: Submission, today: datetime.date) -> LockException | None:
    return (
        LockException.objects.filter(round_id=submission.round_id, city_id=submission.city_id, until__gte=today)
        .order_by("-until")
        .first()
    )


def values_locked_reason(*, submission: Submission, today: datetime.date) -> str | None:
    """Why the submission's values cannot be changed now, in words for the clerk; None when they can."""
    if submission.state == SubmissionStateChoices.APPROVED:
        return "该报送已审核通过并锁定；如需更正，请联系省级工作人员重新打开。"
    if submission.state == SubmissionStateChoices.SUBMITTED:
        return "该报送已报送，正在等待省级审核，不能修改；如需修改，请联系省级工作人员退回。"
    rnd = submission.round
    if today < rnd.opens_on:
        return f"本任务将于{cn_date(rnd.opens_on)}开始填报。"
    if today > rnd.closes_on and active_exception(submission=submission, today=today) is None:
        return f"本任务已于{cn_date(rnd.closes_on)}关闭；如需补报，请联系省级工作人员授予补报例外。"
    return None


def open_projects(*, city_id: int) -> QuerySet:
    return KeyProject.objects.filter(city_id=city_id).exclude(stage__in=CLOSED_STAGES).order_by("name")


def period_reports(*, submission: Submission) -> QuerySet:
    """The city's project reports of the round's period (those approval locks)."""
    rnd = submission.round
    return ProjectReport.objects.filter(
        project__city_id=submission.city_id,
        year=rnd.year,
        month__in=period_months(rnd.year, rnd.quarter, rnd.month),
    )


def projects_without_report(*, submission: Submission) -> QuerySet:
    """The city's open key projects that have no report for the round's period."""
    rnd = submission.round
    reported = ProjectReport.objects.filter(
        project=OuterRef("pk"), year=rnd.year, month__in=period_months(rnd.year, rnd.quarter, rnd.month)
    )
    return open_projects(city_id=submission.city_id).filter(~Exists(reported))


def submission_queryset(user) -> QuerySet:
    """The submissions this user may see: a city its own, the province all, a viewer only approved ones."""
    queryset = scope_queryset(Submission.objects.all(), user)
    if user_role(user) == RoleChoices.VIEWER:
        queryset = queryset.filter(state=SubmissionStateChoices.APPROVED)
    return queryset


def submission_value_queryset(user) -> QuerySet:
    queryset = scope_queryset(SubmissionValue.objects.all(), user)
    if user_role(user) == RoleChoices.VIEWER:
        queryset = queryset.filter(submission__state=SubmissionStateChoices.APPROVED)
    return queryset


def timeliness(submission: Submission, today: datetime.date) -> str:
    due = submission.round.due_on
    if submission.first_submitted_at is not None:
        reported = timezone.localtime(submission.first_submitted_at).date()
        return TimelinessChoices.ON_TIME if reported <= due else TimelinessChoices.LATE
    return TimelinessChoices.MISSING if today > due else TimelinessChoices.NOT_DUE


def completeness(*, submissions: Iterable[Submission], today: datetime.date) -> list[dict]:
    """Per city across rounds: 填报率 (reported ÷ due) and 及时率 (on time ÷ due), of rounds already due."""
    by_city: dict[int, dict] = defaultdict(lambda: {"due": 0, "reported": 0, "on_time": 0})
    cities = {}
    for submission in submissions:
        status = timeliness(submission, today)
        if status == TimelinessChoices.NOT_DUE:
            continue
        cities[submission.city_id] = submission.city
        row = by_city[submission.city_id]
        row["due"] += 1
        row["reported"] += status != TimelinessChoices.MISSING
        row["on_time"] += status == TimelinessChoices.ON_TIME
    rows = []
    for city_id, row in sorted(by_city.items(), key=lambda item: cities[item[0]].code):
        rows.append(
            {
                "city": cities[city_id],
                **row,
                "fill_rate": row["reported"] / row["due"] if row["due"] else None,
                "timely_rate": row["on_time"] / row["due"] if row["due"] else None,
            }
        )
    return rows


def round_status_q(today: datetime.date, status: str) -> Q:
    return {
        RoundStatusChoices.PENDING: Q(opens_on__gt=today),
        RoundStatusChoices.OPEN: Q(opens_on__lte=today, due_on__gte=today),
        RoundStatusChoices.OVERDUE: Q(due_on__lt=today, closes_on__gte=today),
        RoundStatusChoices.CLOSED: Q(closes_on__lt=today),
    }[status]


def rounds_due_for_reminders(today: datetime.date) -> QuerySet:
    return Round.objects.filter(opens_on__lte=today, closes_on__gte=today)


def values_under_review(*, pairs: Iterable[tuple[int, str]]) -> dict:
    """The latest reported but not yet approved value of each (indicator id, region code)."""
    pairs = set(pairs)
    if not pairs:
        return {}
    values = (
        SubmissionValue.objects.filter(
            submission__state=SubmissionStateChoices.SUBMITTED,
            indicator_id__in={indicator for indicator, _ in pairs},
            region__code__in={code for _, code in pairs},
        )
        .exclude(value=None)
        .select_related("submission__round", "region")
        .order_by("-submission__round__year", "-submission__round__quarter", "-submission__round__month", "-pk")
    )
    found = {}
    for value in values:
        found.setdefault((value.indicator_id, value.region.code), value)
    return {key: value for key, value in found.items() if key in pairs}


def review_progress(*, targets: QuerySet, user, as_of: datetime.date | None = None) -> dict[int, tuple]:
    """``(value under review, progress)`` of each of these targets that has a value under review, by primary key:
    its progress as of ``as_of`` (None: today) as if that value were approved, computed by plans.progress like
    official progress (five queries)."""
    rows = list(targets.order_by().values_list("pk", "indicator", "scope", "scope__code"))
    found = values_under_review(pairs=[(indicator, code) for _, indicator, _, code in rows])
    marked = {pk: found[(indicator, code)] for pk, indicator, _, code in rows if (indicator, code) in found}
    if not marked:
        return {}
    extra = {
        (value.indicator_id, value.region_id): [
            Observation(
                indicator_id=value.indicator_id,
                scope_id=value.region_id,
                year=value.submission.round.year,
                quarter=value.submission.round.quarter,
                month=value.submission.round.month,
                value=value.value,
                qualifier=value.qualifier,
                status=ObservationStatusChoices.FINAL,
            )
        ]
        for value in marked.values()
    }
    computed = progress_as_of(
        Target.objects.filter(pk__in=marked), as_of=as_of or timezone.localdate(), user=user, extra=extra
    )
    return {pk: (value, computed[pk]) for pk, value in marked.items()}


def target_statuses(*, targets: QuerySet, user, as_of: datetime.date | None = None) -> dict[int, str]:
    """Each target's official progress status as of ``as_of`` (None: today, from the rollup), by primary key."""
    if as_of is None:
        return dict(annotate_progress(targets, user=user).order_by().values_list("pk", "progress_status"))
    return {pk: progress.status for pk, progress in progress_as_of(targets, as_of=as_of, user=user).items()}


def with_review_counts(*, counts: dict, plan_of: dict[int, int], official: dict[int, str], review: dict) -> dict:
    """Counts by status (``plans.selectors.target_status_counts``' total and results) with each target under
    review moved from its official status to its status as if its value were approved."""
    total = dict(counts["total"])
    results = [dict(entry) for entry in counts["results"]]
    by_plan = {entry["plan"]: entry for entry in results}
    for pk, (_, progress) in review.items():
        for entry in (total, by_plan[plan_of[pk]]):
            entry[official[pk]] -= 1
            entry[progress.status] += 1
    return {"total": total, "results": results}
