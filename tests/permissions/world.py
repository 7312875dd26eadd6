"""The province the permission matrix runs in: a record of every model, seen by every role.

For each city-scoped model there is a 太原 record (``own``: 太原 staff may change it) and a 大同
record (``other``: hidden from 太原 staff). The 太原 records link to records 太原 staff cannot
see (a 阳泉 builder, a 大同 co-builder, a base shared with 大同), so that a save that drops
such a link or a page that names it is caught.
"""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.authtoken.models import Token

from common.choices import RoleChoices
from evaluations.models import Evaluation
from jobs.choices import DatasetChoices, FileFormatChoices, JobKindChoices, JobStatusChoices
from jobs.models import Job
from monitoring.choices import SubmissionStateChoices
from monitoring.models import LockException, RoundTemplate, Submission, SubmissionTransition
from monitoring.services import round_create
from notices.choices import NoticeKindChoices
from notices.models import Notice
from plans.models import CityRole, KeyArea, Measure, PlanSection, Program, TargetProgressSnapshot, TargetStep
from projects.models import BatchProject, EnterpriseAlias, ProjectBuilder, ProjectMention
from regions.models import RegionGroup
from tests import factories

MISSING_PK = 987654


def build_world() -> SimpleNamespace:
    w = SimpleNamespace()
    w.regions = regions = factories.make_regions()
    w.ty, w.dt, w.yq = regions["140100"], regions["140200"], regions["140300"]
    w.province = factories.make_user("m-province", RoleChoices.PROVINCE)
    w.taiyuan = factories.make_user("m-taiyuan", RoleChoices.CITY, [w.ty])
    w.datong = factories.make_user("m-datong", RoleChoices.CITY, [w.dt])
    w.viewer = factories.make_user("m-viewer", RoleChoices.VIEWER)
    w.ty_viewer = factories.make_user("m-ty-viewer", RoleChoices.VIEWER, [w.ty])  # reads 太原's records only

    w.industry = factories.make_industry()
    w.plan = factories.make_plan()
    w.other_plan = factories.make_plan(
        "sx-13th-sei",
        title="山西省“十三五”战略性新兴产业发展规划",
        short_title="十三五战新规划",
        period_start=2016,
        period_end=2020,
    )
    w.section = PlanSection.objects.create(plan=w.plan, key="1", number="一、", title="发展现状与形势")
    w.key_area = KeyArea.objects.create(plan=w.plan, key="1", name="高端装备制造业")
    w.program = Program.objects.create(plan=w.plan, key="1", name="实施产业集群培育工程")
    w.measure = Measure.objects.create(plan=w.plan, key="1", name="加强宏观统筹协调")
    w.city_role = CityRole.objects.create(plan=w.plan, city=w.ty, role="突出培育高端装备制造")
    w.zone = factories.make_zone(w.plan, "一核", "core", [w.ty, regions["140700"]])
    w.scheme = w.zone.scheme
    w.region_group = RegionGroup.objects.create(name="晋北")
    w.region_group_membership = w.region_group.memberships.create(region=w.dt)
    w.zone_membership = w.zone.memberships.get(region=w.ty)

    w.ty_ent = factories.make_enterprise("太原重工股份有限公司", w.ty)
    w.ty_alias = EnterpriseAlias.objects.create(enterprise=w.ty_ent, alias="太重")
    w.dt_ent = factories.make_enterprise("大同电力机车有限责任公司", w.dt)
    w.dt_alias = EnterpriseAlias.objects.create(enterprise=w.dt_ent, alias="同车")
    w.yq_ent = factories.make_enterprise("阳泉煤业集团有限公司", w.yq)
    w.ty_park = factories.make_park("太原高新技术产业开发区", w.ty, short_name="太原高新区")
    w.dt_park = factories.make_park("大同经济技术开发区", w.dt, short_name="大同经开区")
    w.ty_base = factories.make_base(w.plan, "ty-rail", [w.ty], name="太原轨道交通装备制造基地")
    w.ty_base.anchors.set([w.ty_ent, w.dt_ent])  # one anchor of 大同 on a 太原 base
    w.dt_base = factories.make_base(w.plan, "dt-rail", [w.dt], name="大同轨道交通装备制造基地")
    w.shared_base = factories.make_base(w.plan, "coal-machine", [w.ty, w.dt], name="煤机装备基地")
    w.shared_base.parks.set([w.ty_park, w.dt_park])
    w.shared_base.anchors.set([w.ty_ent, w.dt_ent])
    w.ty_base_city = w.ty_base.city_links.get()
    w.dt_base_city = w.dt_base.city_links.get()

    # A 太原 project built by a 阳泉 enterprise, co-built by a 大同 one: links its editors cannot see.
    w.ty_proj = factories.make_project(
        "太原轨道交通项目", w.ty, plan=w.plan, enterprise=w.yq_ent, park=w.ty_park, base=w.ty_base, industry=w.industry
    )
    w.dt_proj = factories.make_project("大同机车项目", w.dt, plan=w.plan, enterprise=w.dt_ent, park=w.dt_park)
    w.ty_report = factories.make_report(w.ty_proj)
    w.dt_report = factories.make_report(w.dt_proj)
    w.ty_mention = ProjectMention.objects.create(project=w.ty_proj, plan=w.other_plan, source_quote="原文")
    w.dt_mention = ProjectMention.objects.create(project=w.dt_proj, plan=w.other_plan, source_quote="原文")
    w.ty_builder = ProjectBuilder.objects.create(project=w.ty_proj, enterprise=w.dt_ent, role="合作建设")
    w.dt_builder = ProjectBuilder.objects.create(project=w.dt_proj, enterprise=w.dt_ent, role="合作建设")

    w.target = factories.make_target(w.plan, regions["140000"], baseline_value=9, baseline_year=2020)
    w.indicator = w.target.indicator
    w.target_step = TargetStep.objects.create(target=w.target, year=2023, value=Decimal("10"))
    w.ty_obs = factories.make_observation(w.ty, target=w.target, year=2021)
    w.dt_obs = factories.make_observation(w.dt, target=w.target, year=2022)

    def job(user, city):
        return Job.objects.create(
            kind=JobKindChoices.EXPORT,
            dataset=DatasetChoices.PROJECTS,
            status=JobStatusChoices.SUCCEEDED,
            user=user,
            city=city,
            file_name="projects.xlsx",
            file_format=FileFormatChoices.XLSX,
        )

    w.ty_job, w.dt_job, w.viewer_job = job(w.taiyuan, w.ty), job(w.datong, w.dt), job(w.viewer, None)

    def notice(user):
        return Notice.objects.create(recipient=user, kind=NoticeKindChoices.OTHER, title="通知", key=f"n-{user.pk}")

    w.ty_notice, w.dt_notice, w.viewer_notice = notice(w.taiyuan), notice(w.datong), notice(w.viewer)

    # Records of the admin-only models (accounts, tokens, sign-in records).
    w.group = Group.objects.create(name="录入员")
    w.token = Token.objects.create(user=w.province)
    w.access_attempt = AccessAttempt.objects.create(
        username="x", ip_address="10.0.0.1", user_agent="t", failures_since_start=1, get_data="", post_data=""
    )
    w.access_log = AccessLog.objects.create(username="x", ip_address="10.0.0.1", user_agent="t")
    w.access_failure = AccessFailureLog.objects.create(username="x", ip_address="10.0.0.1", user_agent="t")
    w.staff_profile = w.taiyuan.staff_profile
    w.today = date.today()
    build_project_tracking(w)
    build_monitoring(w)
    w.evaluation = Evaluation.objects.create(plan=w.plan, kind="annual", as_of=date(2024, 12, 31), title="年度评估")
    w.target_snapshot = TargetProgressSnapshot.objects.create(target=w.target, year=2024, status="on_track")
    return w


def build_project_tracking(w) -> None:
    """Milestones, year plans, warnings and a batch of 太原's and 大同's projects."""
    w.ty_milestone = factories.make_milestone(w.ty_proj)
    w.dt_milestone = factories.make_milestone(w.dt_proj)
    w.ty_year_plan = factories.make_year_plan(w.ty_proj)
    w.dt_year_plan = factories.make_year_plan(w.dt_proj)
    w.ty_warning = factories.make_warning(w.ty_proj)
    w.dt_warning = factories.make_warning(w.dt_proj)
    w.batch = factories.make_batch(entries=[(w.ty_proj, "sign"), (w.dt_proj, "start")])
    w.ty_batch_project = BatchProject.objects.get(batch=w.batch, project=w.ty_proj)
    w.dt_batch_project = BatchProject.objects.get(batch=w.batch, project=w.dt_proj)
    w.other_batch = factories.make_batch("2024年第二季度三个一批活动", date(2024, 6, 28))


def build_monitoring(w) -> None:
    """An open round of 太原 and 大同 (draft submissions), and an approved 太原 submission a viewer reads."""
    today = timezone.localdate()
    w.round_template = RoundTemplate.objects.create(name="年度监测模板", kind="indicators", period_type="year")

    def round_of(name, year, cities):
        return round_create(
            user=None,
            data={
                "name": name,
                "year": year,
                "opens_on": today - timedelta(days=10),
                "due_on": today + timedelta(days=5),
                "closes_on": today + timedelta(days=20),
                "indicators": [w.indicator],
                "cities": cities,
            },
        )

    w.round = round_of("2025年度监测", 2025, [w.ty, w.dt])
    w.ty_submission = w.round.submissions.get(city=w.ty)
    w.dt_submission = w.round.submissions.get(city=w.dt)
    w.ty_value = w.ty_submission.values.get()
    w.dt_value = w.dt_submission.values.get()

    def transition(submission, from_state, to_state, user):
        return SubmissionTransition.objects.create(
            submission=submission, from_state=from_state, to_state=to_state, user=user
        )

    draft, submitted, approved = (
        SubmissionStateChoices.DRAFT,
        SubmissionStateChoices.SUBMITTED,
        SubmissionStateChoices.APPROVED,
    )
    w.ty_transition = transition(w.ty_submission, draft, submitted, w.taiyuan)
    w.dt_transition = transition(w.dt_submission, draft, submitted, w.datong)

    # An approved 太原 submission of an earlier round: what a viewer reads (a viewer sees approved ones only).
    earlier = round_of("2024年度监测", 2024, [w.ty])
    w.approved_submission = earlier.submissions.get()
    now = timezone.now()
    Submission.objects.filter(pk=w.approved_submission.pk).update(
        state=approved, first_submitted_at=now, submitted_at=now, reviewed_at=now
    )
    w.approved_submission.refresh_from_db()
    w.approved_value = w.approved_submission.values.get()
    w.approved_transition = transition(w.approved_submission, submitted, approved, w.province)

    def lock_exception(city):
        return LockException.objects.create(round=w.round, city=city, until=today + timedelta(days=30), reason="补报")

    w.ty_lock_exception, w.dt_lock_exception = lock_exception(w.ty), lock_exception(w.dt)
