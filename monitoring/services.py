"""Writes of monitoring rounds: rounds and templates, submissions' values, their state transitions, lock exceptions.

One function per write, keyword-only, on common.services (scope, ``full_clean``, history);
``user=None`` is a trusted system writer. Who may do what:

- rounds, templates and lock exceptions: provincial staff;
- values: whoever may change the city's records (its city staff, the province), while the
  submission is a draft or returned and the round is open (or closed with a lock exception);
- ``submission_submit``: the same people, once every value of the city is filled in (and a
  value far from last period's is explained) and, in a round with projects, every open key
  project of the city has its report for the period;
- ``submission_approve`` / ``submission_return`` (a comment required) / ``submission_reopen``
  (a reason required): provincial staff.

Each transition runs in one transaction holding the submission's row lock (``select_for_update``)
and checks the state it starts from, so of two approvers at once one wins and the other is told
``SubmissionConflict`` ("该报送已被其他人审核"). Every transition is logged in SubmissionTransition.

Approval publishes the values as official ``plans.Observation`` rows (source naming the round),
locked, and locks the city's project reports of the period; reopening unlocks them in a
transaction carrying the unlock flag (common.locking), and the next approval updates them.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TypedDict

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common.choices import RoleChoices
from common.locking import allow_locked_writes
from common.scope import can_change, user_role
from common.services import record_create, record_delete, record_update, records_create
from notices.choices import NoticeKindChoices
from notices.services import city_staff, notice_send, province_staff
from plans.choices import ObservationStatusChoices, QualifierChoices
from plans.models import Indicator, Observation
from plans.services import (
    observation_create_many,
    observation_delete_many,
    observation_lock_set,
    observation_update,
)
from projects.services import project_report_lock_set
from regions.choices import RegionLevelChoices
from regions.models import Region

from .choices import PeriodTypeChoices, RoundKindChoices, SubmissionStateChoices
from .models import LockException, Round, RoundTemplate, Submission, SubmissionTransition, SubmissionValue, period_label
from .selectors import (
    EDITABLE_STATES,
    add_months,
    is_outlier,
    period_end,
    period_reports,
    period_step_months,
    previous_values,
    projects_without_report,
    shift_period,
    values_locked_reason,
)

PROVINCE_ONLY = "只有省级工作人员可以管理填报任务。"
REVIEW_ONLY = "只有省级工作人员可以审核报送。"


class SubmissionConflict(Exception):
    """A transition found the submission in another state than it expected (someone else acted first)."""


def _check_province(user, message: str = PROVINCE_ONLY) -> None:
    if user is not None and user_role(user) != RoleChoices.PROVINCE:
        raise PermissionDenied(message)


def _today() -> datetime.date:
    return timezone.localdate()


# Templates -------------------------------------------------------------------------------------------


class RoundTemplateData(TypedDict, total=False):
    name: str
    kind: str
    period_type: str
    plan: object | None
    indicators: list[Indicator]
    cities: list[Region]
    due_days: int
    close_days: int


def round_template_create(*, user, data: RoundTemplateData, reason: str = "") -> RoundTemplate:
    return record_create(model=RoundTemplate, user=user, data=data, reason=reason)


def round_template_update(*, instance: RoundTemplate, user, data: RoundTemplateData, reason: str = "") -> RoundTemplate:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def round_template_delete(*, instance: RoundTemplate, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


# Rounds ----------------------------------------------------------------------------------------------


class RoundData(TypedDict, total=False):
    name: str
    template: RoundTemplate | None
    year: int
    quarter: int
    month: int
    opens_on: datetime.date
    due_on: datetime.date
    closes_on: datetime.date
    indicators: list[Indicator]
    includes_projects: bool
    cities: list[Region]


@transaction.atomic
def round_create(*, user, data: RoundData, reason: str = "") -> Round:
    """Open a round: one draft submission per city, with an empty value per indicator for the city itself."""
    _check_province(user)
    rnd = record_create(model=Round, user=user, data={"created_by": user, **data}, reason=reason)
    _sync_submissions(rnd, reason=reason)
    return rnd


@transaction.atomic
def round_update(*, instance: Round, user, data: RoundData, reason: str = "") -> Round:
    """Change a round; cities and indicators added get their submissions and values, removed ones lose them
    (only while nothing of theirs has been reported)."""
    _check_province(user)
    rnd = record_update(instance=instance, user=user, data=data, reason=reason)
    _sync_submissions(rnd, reason=reason)
    return rnd


@transaction.atomic
def round_delete(*, instance: Round, user, reason: str = "") -> None:
    _check_province(user)
    if instance.submissions.exclude(state=SubmissionStateChoices.DRAFT).exists():
        raise ValidationError("已有城市报送，不能删除该填报任务。")
    allow_locked_writes()  # the values of a closed round go with it: nothing of them was reported
    record_delete(instance=instance, user=user, reason=reason)


def _sync_submissions(rnd: Round, *, reason: str) -> None:
    cities = {city.pk: city for city in rnd.cities.all()}
    indicators = {indicator.pk: indicator for indicator in rnd.indicators.all()}
    submissions = {submission.city_id: submission for submission in rnd.submissions.select_related("city")}
    removed = [submission for city_id, submission in submissions.items() if city_id not in cities]
    if any(submission.state != SubmissionStateChoices.DRAFT for submission in removed):
        raise ValidationError({"cities": "已报送的城市不能从任务中移除。"})
    for submission in removed:
        record_delete(instance=submission, user=None, reason=reason)
    new = [{"round": rnd, "city": city} for city_id, city in cities.items() if city_id not in submissions]
    for outcome in records_create(model=Submission, user=None, rows=new, reason=reason):
        if isinstance(outcome, Exception):
            raise outcome
        submissions[outcome.city_id] = outcome
    current = [submissions[city_id] for city_id in cities]
    dropped = SubmissionValue.objects.filter(submission__round=rnd).exclude(indicator_id__in=list(indicators))
    if dropped.exclude(submission__state__in=EDITABLE_STATES).exists():
        raise ValidationError({"indicators": "已报送的指标不能从任务中移除。"})
    for value in dropped:
        record_delete(instance=value, user=None, reason=reason)
    have = set(
        SubmissionValue.objects.filter(submission__round=rnd, region_id__in=list(cities)).values_list(
            "submission_id", "indicator_id", "region_id"
        )
    )
    wanted = [
        (submission, indicator)
        for submission in current
        for indicator in indicators.values()
        if (submission.pk, indicator.pk, submission.city_id) not in have
    ]
    previous = previous_values(
        year=rnd.year,
        quarter=rnd.quarter,
        month=rnd.month,
        pairs=[(indicator.pk, submission.city_id) for submission, indicator in wanted],
    )
    rows = [
        {
            "submission": submission,
            "indicator": indicator,
            "region": cities[submission.city_id],
            "previous_value": previous.get((indicator.pk, submission.city_id)),
        }
        for submission, indicator in wanted
    ]
    for outcome in records_create(model=SubmissionValue, user=None, rows=rows, reason=reason):
        if isinstance(outcome, Exception):
            raise outcome


def _template_indicators(template: RoundTemplate) -> list[Indicator]:
    if template.kind == RoundKindChoices.PROJECTS:
        return []
    query = Q(pk__in=template.indicators.values("pk"))
    if template.plan_id:
        query |= Q(targets__plan=template.plan_id)
    return list(Indicator.objects.filter(query).distinct().order_by("pk"))


_PERIOD_FIELDS = {
    PeriodTypeChoices.YEAR: ("quarter", "month"),
    PeriodTypeChoices.QUARTER: ("month",),
    PeriodTypeChoices.MONTH: ("quarter",),
}


@transaction.atomic
def round_create_from_template(
    *, user, template: RoundTemplate, year: int, quarter: int = 0, month: int = 0, reason: str = ""
) -> Round:
    """A round of the template for a period: its indicators and cities; dates counted from the period's end."""
    _check_province(user)
    wrong = (
        (template.period_type == PeriodTypeChoices.YEAR and (quarter or month))
        or (template.period_type == PeriodTypeChoices.QUARTER and (not quarter or month))
        or (template.period_type == PeriodTypeChoices.MONTH and (not month or quarter))
    )
    if wrong:
        raise ValidationError({"period": f"该模板按{template.get_period_type_display()}填报，请选择相应的时期。"})
    end = period_end(year, quarter, month)
    cities = list(template.cities.all()) or list(Region.objects.filter(level=RegionLevelChoices.CITY))
    data: RoundData = {
        "name": f"{template.name}（{period_label(year, quarter, month)}）",
        "template": template,
        "year": year,
        "quarter": quarter,
        "month": month,
        "opens_on": end,
        "due_on": end + datetime.timedelta(days=template.due_days),
        "closes_on": end + datetime.timedelta(days=template.close_days),
        "indicators": _template_indicators(template),
        "includes_projects": template.kind in (RoundKindChoices.PROJECTS, RoundKindChoices.BOTH),
        "cities": cities,
    }
    return round_create(user=user, data=data, reason=reason)


@transaction.atomic
def round_create_next(*, user, round: Round, reason: str = "") -> Round:
    """The same round for the next period: same indicators, cities and projects; dates moved by one period."""
    _check_province(user)
    year, quarter, month = shift_period(round.year, round.quarter, round.month)
    months = period_step_months(round.quarter, round.month)
    old_label, new_label = round.period_label, period_label(year, quarter, month)
    name = round.name.replace(old_label, new_label) if old_label in round.name else f"{round.name}（{new_label}）"
    data: RoundData = {
        "name": name,
        "template": round.template,
        "year": year,
        "quarter": quarter,
        "month": month,
        "opens_on": add_months(round.opens_on, months),
        "due_on": add_months(round.due_on, months),
        "closes_on": add_months(round.closes_on, months),
        "indicators": list(round.indicators.all()),
        "includes_projects": round.includes_projects,
        "cities": list(round.cities.all()),
    }
    return round_create(user=user, data=data, reason=reason)


# Submissions -----------------------------------------------------------------------------------------
# A round creates and removes its cities' submissions (round_create, round_update); a submission's state
# moves only through the transitions below.


class SubmissionData(TypedDict, total=False):
    round: Round
    city: Region


@transaction.atomic
def submission_create(*, user, data: SubmissionData, reason: str = "") -> Submission:
    """Add a city to a round: its draft submission, with an empty value per indicator."""
    _check_province(user)
    rnd = data["round"]
    round_update(instance=rnd, user=user, data={"cities": [*rnd.cities.all(), data["city"]]}, reason=reason)
    return rnd.submissions.get(city=data["city"])


def submission_update(*, instance: Submission, user, data: SubmissionData, reason: str = "") -> Submission:
    """A submission's round and city are fixed; its state changes through submit, approve, return and reopen."""
    if any(getattr(value, "pk", value) != getattr(instance, f"{name}_id") for name, value in data.items()):
        raise ValidationError("报送所属的任务和城市不能修改；状态只能通过报送、审核、退回、重新打开改变。")
    return instance


@transaction.atomic
def submission_delete(*, instance: Submission, user, reason: str = "") -> None:
    """Remove a city from a round, while its submission is still a draft."""
    _check_province(user)
    rnd = instance.round
    cities = [city for city in rnd.cities.all() if city.pk != instance.city_id]
    round_update(instance=rnd, user=user, data={"cities": cities}, reason=reason)


# Values ----------------------------------------------------------------------------------------------


class SubmissionValueData(TypedDict, total=False):
    submission: Submission
    indicator: Indicator
    region: Region
    value: Decimal | None
    qualifier: str
    comment: str


def _check_editable(submission: Submission, user) -> None:
    if user is not None and not can_change(user, submission):
        raise PermissionDenied("您无权修改此报送。")
    locked = values_locked_reason(submission=submission, today=_today())
    if locked:
        raise ValidationError(locked)


def _with_previous(rnd: Round, data: dict) -> dict:
    previous = previous_values(
        year=rnd.year, quarter=rnd.quarter, month=rnd.month, pairs=[(data["indicator"].pk, data["region"].pk)]
    ).get((data["indicator"].pk, data["region"].pk))
    return {**data, "previous_value": previous, "needs_comment": is_outlier(data.get("value"), previous)}


@transaction.atomic
def submission_value_create(*, user, data: SubmissionValueData, reason: str = "") -> SubmissionValue:
    """Add a value (a county's, usually: the city's own rows exist from the start)."""
    submission = Submission.objects.select_for_update().select_related("round", "city").get(pk=data["submission"].pk)
    _check_editable(submission, user)
    if not submission.round.indicators.filter(pk=data["indicator"].pk).exists():
        raise ValidationError({"indicator": "该指标不在本填报任务中。"})
    data = _with_previous(submission.round, {**data, "submission": submission})
    return record_create(model=SubmissionValue, user=user, data=data, reason=reason)


@transaction.atomic
def submission_value_update(
    *, instance: SubmissionValue, user, data: SubmissionValueData, reason: str = ""
) -> SubmissionValue:
    """Change a value, its qualifier or comment; the outlier check follows the new value."""
    submission = Submission.objects.select_for_update().select_related("round", "city").get(pk=instance.submission_id)
    _check_editable(submission, user)
    for name in ("submission", "indicator", "region"):
        if name in data and getattr(data[name], "pk", data[name]) != getattr(instance, f"{name}_id"):
            raise ValidationError({name: "不能修改数值所属的报送、指标或地区；请删除后新增。"})
    data = {key: value for key, value in data.items() if key not in ("submission", "indicator", "region")}
    merged = {"indicator": instance.indicator, "region": instance.region, "value": instance.value, **data}
    extra = _with_previous(submission.round, merged)
    data = {**data, "previous_value": extra["previous_value"], "needs_comment": extra["needs_comment"]}
    return record_update(instance=instance, user=user, data=data, reason=reason)


@transaction.atomic
def submission_value_delete(*, instance: SubmissionValue, user, reason: str = "") -> None:
    """Remove a county's value; the city's own values are required (clear the number instead)."""
    submission = Submission.objects.select_for_update().select_related("round").get(pk=instance.submission_id)
    _check_editable(submission, user)
    if instance.region_id == submission.city_id:
        raise ValidationError("本市的数值为必填项，不能删除；如需更正，请修改数值。")
    record_delete(instance=instance, user=user, reason=reason)


class ValueRow(TypedDict, total=False):
    value: Decimal | None
    qualifier: str
    comment: str


@transaction.atomic
def submission_values_save(
    *, user, submission: Submission, rows: dict[int, ValueRow], reason: str = ""
) -> list[SubmissionValue]:
    """Save many values of one submission at once (the data-entry page): ``rows`` by value id.

    All or nothing: a ValidationError names each refused row by its id (``{"<id>": [messages]}``).
    """
    values = {value.pk: value for value in submission.values.select_related("indicator", "region")}
    errors, saved = {}, []
    for pk, row in rows.items():
        value = values.get(pk)
        if value is None:
            errors[str(pk)] = ["该数值不属于本报送。"]
            continue
        if all(getattr(value, name) == row[name] for name in row):
            continue
        try:
            with transaction.atomic():
                saved.append(submission_value_update(instance=value, user=user, data=row, reason=reason))
        except ValidationError as error:
            errors[str(pk)] = error.messages
    if errors:
        raise ValidationError(errors)
    return saved


# Transitions -----------------------------------------------------------------------------------------


def _locked_submission(submission: Submission) -> Submission:
    return Submission.objects.select_for_update().select_related("round", "city").get(pk=submission.pk)


def _check_version(locked: Submission, expected_version: int | None) -> None:
    if expected_version is not None and locked.version != expected_version:
        raise SubmissionConflict("该报送已被他人处理（版本已变化），请刷新后查看最新状态。")


def _move(locked: Submission, *, user, to_state: str, comment: str = "", **fields) -> Submission:
    from_state = locked.state
    locked.state = to_state
    locked.version += 1
    for name, value in fields.items():
        setattr(locked, name, value)
    locked._history_user = user
    locked._change_reason = comment or None
    locked.full_clean()
    locked.save()
    SubmissionTransition.objects.create(
        submission=locked, from_state=from_state, to_state=to_state, user=user, comment=comment
    )
    return locked


def submission_errors(submission: Submission) -> list[str]:
    """What keeps a submission from being reported, in words for the clerk (empty: ready)."""
    errors = []
    values = submission.values.select_related("indicator", "region").order_by("indicator__pk", "region__code")
    for value in values:
        label = f"「{value.indicator.name}」（{value.region.name}）"
        if value.value is None:
            if value.region_id == submission.city_id:
                errors.append(f"{label}尚未填写。")
        elif value.needs_comment and not value.comment.strip():
            errors.append(f"{label}与上期相比变化较大，请在说明中写明原因。")
    if submission.round.includes_projects:
        for name in projects_without_report(submission=submission).values_list("name", flat=True):
            errors.append(f"重点项目「{name}」尚无{submission.round.period_label}的进展报告。")
    return errors


@transaction.atomic
def submission_submit(
    *, user, submission: Submission, comment: str = "", expected_version: int | None = None
) -> Submission:
    """Report a draft or returned submission to the province (它须完整、有效)."""
    locked = _locked_submission(submission)
    if user is not None and not can_change(user, locked):
        raise PermissionDenied("您无权报送此报送。")
    _check_version(locked, expected_version)
    if locked.state not in EDITABLE_STATES:
        raise SubmissionConflict(f"该报送当前为“{locked.get_state_display()}”，不能再次报送。")
    reason = values_locked_reason(submission=locked, today=_today())
    if reason:
        raise ValidationError(reason)
    errors = submission_errors(locked)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    locked = _move(
        locked,
        user=user,
        to_state=SubmissionStateChoices.SUBMITTED,
        comment=comment,
        submitted_at=now,
        submitted_by=user,
        first_submitted_at=locked.first_submitted_at or now,
    )
    review_notice_send(submission=locked)
    return locked


def review_notice_send(*, submission: Submission) -> list:
    """Tell the province a submission waits for review (once per report: the key names its version)."""
    return notice_send(
        recipients=province_staff(),
        key=f"submission:{submission.pk}:v{submission.version}:review",
        data={
            "kind": NoticeKindChoices.REVIEW_WAITING,
            "title": f"{submission.city.name}已报送“{submission.round.name}”，等待审核",
            "body": "请在填报任务页面审核。",
            "link": f"/monitoring/rounds/{submission.round_id}/",
        },
    )


def _city_notice(submission: Submission, *, kind: str, title: str, body: str) -> None:
    notice_send(
        recipients=city_staff(city_id=submission.city_id),
        key=f"submission:{submission.pk}:v{submission.version}:{kind}",
        data={"kind": kind, "title": title, "body": body, "link": f"/monitoring/submissions/{submission.pk}/"},
    )


def round_source(rnd: Round) -> str:
    """The ``source`` of the observations a round publishes (it names the round; unique per round)."""
    return f"{_source_prefix(rnd)}{rnd.name}"[:128]


def _source_prefix(rnd: Round) -> str:
    return f"填报任务#{rnd.pk}："


def published_observations(submission: Submission):
    regions = Region.objects.filter(Q(pk=submission.city_id) | Q(parent_id=submission.city_id))
    rnd = submission.round
    return Observation.objects.filter(
        source__startswith=_source_prefix(rnd),
        source_plan__isnull=True,
        scope__in=regions,
        year=rnd.year,
        quarter=rnd.quarter,
        month=rnd.month,
    )


def _publish(locked: Submission, user) -> None:
    """The approved values as official, locked observations; rows no longer reported are withdrawn."""
    rnd = locked.round
    existing = {(obs.indicator_id, obs.scope_id): obs for obs in published_observations(locked)}
    new_rows, seen = [], set()
    for value in locked.values.select_related("indicator", "region").exclude(value=None):
        key = (value.indicator_id, value.region_id)
        seen.add(key)
        data = {
            "value": value.value,
            "qualifier": value.qualifier or QualifierChoices.NONE,
            "status": ObservationStatusChoices.FINAL,
            "reported_by": locked.submitted_by,
            "locked": True,
        }
        if key in existing:
            observation_update(instance=existing[key], user=user, data=data, reason=f"审核通过：{rnd.name}")
        else:
            new_rows.append(
                {
                    **data,
                    "indicator": value.indicator,
                    "scope": value.region,
                    "year": rnd.year,
                    "quarter": rnd.quarter,
                    "month": rnd.month,
                    "source": round_source(rnd),
                }
            )
    for outcome in observation_create_many(user=user, rows=new_rows, reason=f"审核通过：{rnd.name}"):
        if isinstance(outcome, Exception):
            raise outcome
    withdrawn = [obs for key, obs in existing.items() if key not in seen]
    if withdrawn:
        observation_delete_many(user=user, instances=withdrawn, reason=f"重新审核时已不再报送：{rnd.name}")


@transaction.atomic
def submission_approve(
    *, user, submission: Submission, comment: str = "", expected_version: int | None = None
) -> Submission:
    """Approve a reported submission: its values become official observations; they and the period's
    project reports are locked."""
    _check_province(user, REVIEW_ONLY)
    locked = _locked_submission(submission)
    _check_version(locked, expected_version)
    if locked.state != SubmissionStateChoices.SUBMITTED:
        raise SubmissionConflict(_not_waiting(locked))
    _publish(locked, user)
    project_report_lock_set(
        instances=period_reports(submission=locked), locked=True, reason=f"审核通过：{locked.round}"
    )
    locked = _move(
        locked,
        user=user,
        to_state=SubmissionStateChoices.APPROVED,
        comment=comment,
        reviewed_at=timezone.now(),
        reviewed_by=user,
    )
    _city_notice(
        locked,
        kind=NoticeKindChoices.APPROVED,
        title=f"“{locked.round.name}”的报送已审核通过",
        body=comment or "数据已正式发布。",
    )
    return locked


def _not_waiting(locked: Submission) -> str:
    if locked.state in (SubmissionStateChoices.APPROVED, SubmissionStateChoices.RETURNED):
        return f"该报送已被其他人审核（当前状态：{locked.get_state_display()}）。"
    return f"该报送当前为“{locked.get_state_display()}”，尚未报送，不能审核。"


@transaction.atomic
def submission_return(*, user, submission: Submission, comment: str, expected_version: int | None = None) -> Submission:
    """Send a reported submission back to the city with the reason; it edits and reports again."""
    _check_province(user, REVIEW_ONLY)
    if not (comment or "").strip():
        raise ValidationError({"comment": "退回时须填写意见，说明需要修改的内容。"})
    locked = _locked_submission(submission)
    _check_version(locked, expected_version)
    if locked.state != SubmissionStateChoices.SUBMITTED:
        raise SubmissionConflict(_not_waiting(locked))
    locked = _move(
        locked,
        user=user,
        to_state=SubmissionStateChoices.RETURNED,
        comment=comment.strip(),
        reviewed_at=timezone.now(),
        reviewed_by=user,
    )
    _city_notice(locked, kind=NoticeKindChoices.RETURNED, title=f"“{locked.round.name}”的报送已被退回", body=comment)
    return locked


@transaction.atomic
def submission_reopen(*, user, submission: Submission, reason: str, expected_version: int | None = None) -> Submission:
    """Reopen an approved submission (returned to the city): its observations and reports are unlocked
    (they stay as published until the next approval updates them)."""
    _check_province(user, "只有省级工作人员可以重新打开已审核通过的报送。")
    if not (reason or "").strip():
        raise ValidationError({"reason": "重新打开时须填写理由。"})
    locked = _locked_submission(submission)
    _check_version(locked, expected_version)
    if locked.state != SubmissionStateChoices.APPROVED:
        raise SubmissionConflict(f"该报送当前为“{locked.get_state_display()}”，只有已审核通过的报送可以重新打开。")
    allow_locked_writes()
    observation_lock_set(instances=published_observations(locked), locked=False, reason=f"重新打开：{reason}")
    project_report_lock_set(instances=period_reports(submission=locked), locked=False, reason=f"重新打开：{reason}")
    locked = _move(locked, user=user, to_state=SubmissionStateChoices.RETURNED, comment=reason.strip())
    _city_notice(locked, kind=NoticeKindChoices.RETURNED, title=f"“{locked.round.name}”的报送已被重新打开", body=reason)
    return locked


# Lock exceptions -------------------------------------------------------------------------------------


class LockExceptionData(TypedDict, total=False):
    round: Round
    city: Region
    until: datetime.date
    reason: str
    granted_by: AbstractBaseUser | None


def lock_exception_create(*, user, data: LockExceptionData, reason: str = "") -> LockException:
    """Let a city enter a closed round's values until a date (DHIS2's lock exception)."""
    _check_province(user, "只有省级工作人员可以授予补报例外。")
    return record_create(model=LockException, user=user, data={"granted_by": user, **data}, reason=reason)


def lock_exception_update(*, instance: LockException, user, data: LockExceptionData, reason: str = "") -> LockException:
    _check_province(user, "只有省级工作人员可以修改补报例外。")
    return record_update(instance=instance, user=user, data=data, reason=reason)


def lock_exception_delete(*, instance: LockException, user, reason: str = "") -> None:
    _check_province(user, "只有省级工作人员可以撤销补报例外。")
    record_delete(instance=instance, user=user, reason=reason)
