"""Writes of evaluations: create, change, delete, freeze the figures, generate the reports.

Provincial staff write evaluations (they are province-wide records: common.scope); ``user=None``
is a trusted system writer. The figures are frozen once (``evaluation_freeze``, again only when
asked, or when the plan, kind or date changes); the reports are generated from the frozen
snapshot by a background job (``evaluation_generate`` queues it through the jobs app,
``evaluation_generate_run`` is its body), so generating again gives the same figures whatever
changed in the data since.
"""

from __future__ import annotations

import datetime
import logging
from typing import TypedDict

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from common.choices import RoleChoices
from common.scope import can_change, user_city_ids, user_role
from common.services import record_create, record_delete, record_update
from jobs.choices import JobKindChoices, JobStatusChoices
from jobs.models import Job
from jobs.services import job_expire_stale, job_fail, job_queue, job_start
from plans.models import Plan
from regions.models import Region

from .choices import EvaluationKindChoices, EvaluationStatusChoices, ReportFormatChoices
from .models import Evaluation, EvaluationFile
from .reports import content, docx, pdf, xlsx
from .selectors import plan_snapshot, snapshot_for_cities
from .tasks import evaluation_generate_task

logger = logging.getLogger(__name__)

#: Fields whose change makes the frozen figures those of another evaluation: they are taken again.
FIGURE_FIELDS = ("plan", "kind", "as_of")
#: Steps of a generation job (its ``total_rows``): the charts and blocks, then each file.
GENERATION_STEPS = 1 + len(ReportFormatChoices.values)


class EvaluationData(TypedDict, total=False):
    plan: Plan
    kind: str
    as_of: datetime.date
    title: str
    is_public: bool
    problems: str
    next_steps: str
    docx_template: bytes | None


#: A city report's job whose figures were frozen again before its files were stored.
REFROZEN_MESSAGE = "评估数据已重新冻结，本次生成的报告作废，请重新下载。"


class ReportNotReady(Exception):
    """The report asked for has not been generated yet."""


def _check_may_write(user, evaluation: Evaluation) -> None:
    if user is not None and not can_change(user, evaluation):
        raise PermissionDenied("只有省级工作人员可以冻结数据或生成评估报告。")


def evaluation_create(*, user, data: EvaluationData, reason: str = "") -> Evaluation:
    values = dict(data)
    if values.get("docx_template"):
        _check_template(values["docx_template"])
    if not values.get("title") and values.get("plan") is not None and values.get("kind"):
        values["title"] = f"{values['plan'].title}{EvaluationKindChoices(values['kind']).label}报告"
    values["created_by"] = user
    return record_create(model=Evaluation, user=user, data=values, reason=reason)


@transaction.atomic
def evaluation_update(*, instance: Evaluation, user, data: EvaluationData, reason: str = "") -> Evaluation:
    """Change an evaluation; a new plan, kind or date discards the frozen figures and the reports."""
    values = dict(data)
    if values.get("docx_template"):
        _check_template(values["docx_template"])
    refigured = any(
        name in values and getattr(instance, f"{name}_id" if name == "plan" else name) != _key(values[name])
        for name in FIGURE_FIELDS
    )
    if refigured and instance.frozen_at is not None:
        values.update(snapshot={}, frozen_at=None, status=EvaluationStatusChoices.DRAFT, generated_at=None)
    evaluation = record_update(instance=instance, user=user, data=values, reason=reason)
    if refigured:
        evaluation.files.all().delete()
    return evaluation


def _check_template(body: bytes) -> None:
    try:
        docx.template_check(body)
    except Exception as exc:
        raise ValidationError({"docx_template": "模板须为 Word 文档（.docx）。"}) from exc


def _key(value):
    return getattr(value, "pk", value)


def evaluation_delete(*, instance: Evaluation, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


@transaction.atomic
def evaluation_freeze(*, evaluation: Evaluation, user, reason: str = "") -> Evaluation:
    """Take the figures of the evaluation's plan as of its date (again); the reports made before are dropped."""
    _check_may_write(user, evaluation)
    snapshot = plan_snapshot(plan=evaluation.plan, as_of=evaluation.as_of, kind=evaluation.kind)
    evaluation.files.all().delete()
    return record_update(
        instance=evaluation,
        user=user,
        data={
            "snapshot": snapshot,
            "frozen_at": timezone.now(),
            "status": EvaluationStatusChoices.FROZEN,
            "generated_at": None,
        },
        reason=reason or "冻结评估数据",
    )


def evaluation_generate(*, evaluation: Evaluation, user, reason: str = "") -> Job:
    """Queue the job that generates the reports (freezing the figures first if they were not yet)."""
    _check_may_write(user, evaluation)
    with transaction.atomic():
        evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        if not evaluation.is_frozen:
            evaluation = evaluation_freeze(evaluation=evaluation, user=user)
        job = Job.objects.create(
            kind=JobKindChoices.EVALUATION,
            user=user,
            params={"evaluation": evaluation.pk},
            total_rows=GENERATION_STEPS,
            message=f"生成评估报告：{evaluation.title}",
        )
        record_update(
            instance=evaluation,
            user=user,
            data={"status": EvaluationStatusChoices.GENERATING, "job": job},
            reason=reason or "生成评估报告",
        )
        job_queue(job=job, task=evaluation_generate_task)
    return job


def report_meta(evaluation: Evaluation) -> content.Meta:
    return content.Meta(
        title=evaluation.title, kind=evaluation.kind, problems=evaluation.problems, next_steps=evaluation.next_steps
    )


def report_render(*, evaluation: Evaluation, snapshot: dict, formats=None, step=None) -> dict[str, bytes]:
    """The report files of a snapshot (the whole one or a city view), by format; ``step()`` after each part."""
    formats = formats or ReportFormatChoices.values
    blocks = content.build(snapshot, report_meta(evaluation))
    if step:
        step()
    files = {}
    for file_format in formats:
        if file_format == ReportFormatChoices.DOCX:
            files[file_format] = docx.render(blocks, template=evaluation.docx_template)
        elif file_format == ReportFormatChoices.XLSX:
            files[file_format] = xlsx.render(snapshot)
        else:
            files[file_format] = pdf.render(blocks, title=evaluation.title)
        if step:
            step()
    return files


def report_file_name(evaluation: Evaluation, file_format: str, variant: str = "") -> str:
    snapshot = evaluation.snapshot or {}
    plan = snapshot.get("plan", {})
    name = plan.get("short_title") or plan.get("code") or "规划"
    suffix = f"-{variant.replace(',', '-')}" if variant else ""
    return f"{name}{EvaluationKindChoices(evaluation.kind).label}报告-{evaluation.as_of:%Y%m%d}{suffix}.{file_format}"


def evaluation_generate_run(*, job: Job) -> Job:
    """The generation job's body: every format of the province-wide report, or of one city report (``variant``)."""
    job.refresh_from_db()
    if job.is_finished:
        return job  # a message delivered twice
    job_start(job=job)
    evaluation = Evaluation.objects.filter(pk=job.params.get("evaluation")).first()
    if evaluation is None or not evaluation.is_frozen:
        job_fail(job=job, message="评估不存在或尚未冻结数据。")
        return job
    variant = job.params.get("variant", "")
    if variant and job.params.get("frozen_at") != evaluation.frozen_at.isoformat():
        job_fail(job=job, message=REFROZEN_MESSAGE)
        return job

    def step() -> None:
        job.processed_rows = min(job.processed_rows + 1, job.total_rows)
        job.heartbeat = timezone.now()
        job.save(update_fields=["processed_rows", "heartbeat", "updated"])

    snapshot = snapshot_for_cities(evaluation.snapshot, set(variant.split(","))) if variant else evaluation.snapshot
    try:
        files = report_render(evaluation=evaluation, snapshot=snapshot, step=step)
    except DatabaseError:
        raise  # the task retries (jobs.tasks.RETRY)
    except Exception as exc:
        logger.exception("evaluation job %s failed", job.pk)
        job_fail(job=job, message=f"生成评估报告时发生内部错误：{exc.__class__.__name__}")
        if not variant:
            Evaluation.objects.filter(pk=evaluation.pk).update(status=EvaluationStatusChoices.FAILED)
        return job
    with transaction.atomic():
        if variant:
            locked = Evaluation.objects.select_for_update().only("frozen_at").get(pk=evaluation.pk)
            if locked.frozen_at != evaluation.frozen_at:  # frozen again while the files were made
                job_fail(job=job, message=REFROZEN_MESSAGE)
                return job
        (evaluation.files.filter(variant=variant) if variant else evaluation.files.all()).delete()
        EvaluationFile.objects.bulk_create(
            EvaluationFile(
                evaluation=evaluation,
                file_format=file_format,
                variant=variant,
                file_name=report_file_name(evaluation, file_format, variant),
                content=body,
                size=len(body),
            )
            for file_format, body in files.items()
        )
        now = timezone.now()
        if variant:
            job.message = f"本市版本的评估报告已生成：{evaluation.title}（Word、Excel、PDF），可以下载。"
        else:
            record_update(
                instance=evaluation,
                user=None,
                data={"status": EvaluationStatusChoices.GENERATED, "generated_at": now, "generated_by": job.user},
                reason="评估报告已生成",
            )
            job.message = f"评估报告已生成：{evaluation.title}（Word、Excel、PDF）。"
        job.status = JobStatusChoices.SUCCEEDED
        job.processed_rows = job.total_rows
        job.finished = now
        job.save()
    return job


def report_variant(*, evaluation: Evaluation, user: AbstractBaseUser) -> str:
    """Which report this user gets: ``""`` the province-wide one, else the codes of their cities.

    Provincial staff, viewers without cities and everyone for a public evaluation get the
    province-wide report; city staff and city viewers get the report of their own cities.
    """
    role = user_role(user)
    if role is None:
        raise PermissionDenied("您无权查看评估报告。")
    if evaluation.is_public or role == RoleChoices.PROVINCE:
        return ""
    ids = user_city_ids(user)
    if not ids:
        return ""  # a viewer without cities reads like the province
    return ",".join(sorted(Region.objects.filter(pk__in=ids).values_list("code", flat=True)))


def evaluation_report_file(*, evaluation: Evaluation, user, file_format: str) -> EvaluationFile | Job:
    """The report file this user may download, or the job that is making it.

    The province-wide report is made by ``evaluation_generate``; a city user's report is made from
    the snapshot by a job of its own (every format at once), queued when first asked for and never
    inside the request: until its files are stored the answer is that job. Raises
    ``ReportNotReady`` until the province-wide report is generated.
    """
    if file_format not in ReportFormatChoices.values:
        raise ValidationError({"file_format": "文件格式须为 docx、xlsx 或 pdf。"})
    variant = report_variant(evaluation=evaluation, user=user)
    if evaluation.status != EvaluationStatusChoices.GENERATED:
        raise ReportNotReady("评估报告尚未生成。")
    stored = EvaluationFile.objects.filter(evaluation=evaluation, file_format=file_format, variant=variant).first()
    if stored is not None:
        return stored
    if not variant:
        raise ReportNotReady("评估报告尚未生成。")
    return evaluation_city_report_queue(evaluation=evaluation, user=user, variant=variant)


def city_report_job(*, evaluation: Evaluation, user, variant: str) -> Job | None:
    """The latest job making this city report that the user may follow (theirs, or their city's)."""
    return (
        Job.objects.for_user(user)
        .filter(kind=JobKindChoices.EVALUATION, params__evaluation=evaluation.pk, params__variant=variant)
        .defer("upload", "result")
        .order_by("-created", "-pk")
        .first()
    )


@transaction.atomic
def evaluation_city_report_queue(*, evaluation: Evaluation, user, variant: str) -> Job:
    """Queue the job making a city report (unless one is already under way for these figures); returns it.

    A job of a single city is that city's (``Job.city``), so every staff member of the city follows
    the same job instead of queueing one each.
    """
    job_expire_stale()  # a job whose worker died is not waited for
    evaluation = Evaluation.objects.select_for_update().only("pk", "title", "frozen_at").get(pk=evaluation.pk)
    frozen_at = evaluation.frozen_at.isoformat()
    running = city_report_job(evaluation=evaluation, user=user, variant=variant)
    unfinished = (JobStatusChoices.PENDING, JobStatusChoices.RUNNING)
    if running is not None and running.status in unfinished and running.params.get("frozen_at") == frozen_at:
        return running
    city = Region.objects.only("pk", "code").filter(code=variant).first() if "," not in variant else None
    job = Job.objects.create(
        kind=JobKindChoices.EVALUATION,
        user=user,
        city=city,
        params={"evaluation": evaluation.pk, "variant": variant, "frozen_at": frozen_at},
        total_rows=GENERATION_STEPS,
        message=f"正在生成本市版本的评估报告：{evaluation.title}",
    )
    job_queue(job=job, task=evaluation_generate_task)
    return job
