"""A province seen from 太原: records of 太原, 大同 and 阳泉, a base shared by 太原 and 大同, built once per module.

Each test's writes are rolled back (pytest-django wraps each test in a savepoint of the
module's transaction).
"""

import datetime
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from common.choices import RoleChoices
from monitoring.services import round_create
from projects.models import ProjectBuilder, ProjectMention
from projects.services import project_rollup_rebuild
from tests import factories


@pytest.fixture(scope="module")
def town(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        regions = factories.make_regions()
        ty, dt, yq = regions["140100"], regions["140200"], regions["140300"]
        plan = factories.make_plan()
        t = SimpleNamespace(regions=regions, ty=ty, dt=dt, yq=yq, plan=plan)
        t.province = factories.make_user("s-province", RoleChoices.PROVINCE)
        t.taiyuan = factories.make_user("s-taiyuan", RoleChoices.CITY, [ty])
        t.viewer = factories.make_user("s-viewer", RoleChoices.VIEWER)
        t.ty_ent = factories.make_enterprise("太原重工股份有限公司", ty)
        t.dt_ent = factories.make_enterprise("大同电力机车有限责任公司", dt)
        t.dt_ent.aliases.create(alias="同车")
        t.yq_ent = factories.make_enterprise("阳泉煤业集团有限公司", yq)
        t.free_ent = factories.make_enterprise("中国科学院山西煤炭化学研究所", None, kind="institute")
        t.ty_park = factories.make_park("太原高新技术产业开发区", ty)
        t.dt_park = factories.make_park("大同经济技术开发区", dt)
        t.ty_base = factories.make_base(plan, "ty-rail", [ty], name="太原轨道交通装备制造基地")
        t.shared_base = factories.make_base(plan, "coal-machine", [ty, dt], name="煤机装备基地")
        t.shared_base.parks.set([t.ty_park, t.dt_park])
        t.shared_base.anchors.set([t.ty_ent, t.dt_ent])
        t.dt_base = factories.make_base(plan, "dt-rail", [dt], name="大同轨道交通装备制造基地")
        # A 太原 project built by a 阳泉 enterprise: a link its editors cannot see.
        t.ty_proj = factories.make_project(
            "太原轨道交通项目", ty, enterprise=t.yq_ent, park=t.ty_park, base=t.ty_base, source_quote="原文"
        )
        t.dt_proj = factories.make_project("大同机车项目", dt, enterprise=t.dt_ent)
        t.ty_report = factories.make_report(t.ty_proj)
        # The project's other naming plan and co-builder: records scoped through the project.
        other_plan = factories.make_plan("sx-13th-sei", title="山西省“十三五”战略性新兴产业发展规划")
        t.ty_mention = ProjectMention.objects.create(project=t.ty_proj, plan=other_plan, source_quote="原文")
        t.ty_builder = ProjectBuilder.objects.create(project=t.ty_proj, enterprise=t.ty_ent, role="合作建设")
        # Dispatch records of the project (issue 15).
        t.ty_milestone = factories.make_milestone(t.ty_proj)
        t.ty_year_plan = factories.make_year_plan(t.ty_proj)
        t.ty_warning = factories.make_warning(t.ty_proj)
        t.batch = factories.make_batch(entries=[(t.ty_proj, "sign")])
        t.ty_batch_entry = t.batch.entries.get()
        t.target = factories.make_target(plan, regions["140000"])
        t.ty_obs = factories.make_observation(ty, target=t.target)
        t.dt_obs = factories.make_observation(dt, target=t.target)
        today = datetime.date.today()
        t.round = round_create(
            user=None,
            data={
                "name": "年度监测",
                "year": 2025,
                "opens_on": today - datetime.timedelta(days=1),
                "due_on": today + datetime.timedelta(days=10),
                "closes_on": today + datetime.timedelta(days=20),
                "indicators": [t.target.indicator],
                "cities": [ty, dt],
            },
        )
        t.ty_submission = t.round.submissions.get(city=ty)
        # For each city-scoped model, a record 太原 staff may not see.
        t.hidden = {
            type(t.dt_ent): t.dt_ent,
            type(t.dt_park): t.dt_park,
            type(t.dt_base): t.dt_base,
            type(t.dt_proj): t.dt_proj,
        }
        project_rollup_rebuild()  # the mention above is written directly
        yield t
        transaction.set_rollback(True)


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client
