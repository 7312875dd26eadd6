"""The province the permission matrix runs in: a record of every model, seen by every role.

For each city-scoped model there is a 太原 record (``own``: 太原 staff may change it) and a 大同
record (``other``: hidden from 太原 staff). The 太原 records link to records 太原 staff cannot
see (a 阳泉 builder, a 大同 co-builder, a base shared with 大同), so that a save that drops
such a link or a page that names it is caught.
"""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token

from common.choices import RoleChoices
from jobs.choices import DatasetChoices, FileFormatChoices, JobKindChoices, JobStatusChoices
from jobs.models import Job
from notices.choices import NoticeKindChoices
from notices.models import Notice
from plans.models import CityRole, KeyArea, Measure, PlanSection, Program, TargetStep
from projects.models import EnterpriseAlias, ProjectBuilder, ProjectMention
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
    w.other_plan = factories.make_plan("sx-13th-sei", title="山西省“十三五”战略性新兴产业发展规划")
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

    w.ty_job, w.dt_job = job(w.taiyuan, w.ty), job(w.datong, w.dt)

    def notice(user):
        return Notice.objects.create(recipient=user, kind=NoticeKindChoices.OTHER, title="通知", key=f"n-{user.pk}")

    w.ty_notice, w.dt_notice = notice(w.taiyuan), notice(w.datong)

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
    return w
