"""Test data of the monitoring tests: a round of two indicators and key projects, for 太原 and 大同."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from rest_framework.test import APIClient

from common.choices import RoleChoices
from monitoring.models import Round, Submission
from monitoring.services import round_create
from plans.models import Indicator, Target
from plans.services import target_create
from projects.models import KeyProject
from tests import factories


@dataclass
class Loop:
    regions: dict
    province: object
    taiyuan: object
    datong: object
    viewer: object
    share: Indicator
    firms: Indicator
    allocation: Target
    project: KeyProject
    round: Round
    ty: Submission
    dt: Submission


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def build_loop(*, suffix: str = "", today: datetime.date | None = None) -> Loop:
    """A 2025 annual round with projects, open since ten days, due in five, closing in twenty."""
    regions = factories.make_regions()
    ty, dt = regions["140100"], regions["140200"]
    users = {
        "province": factories.make_user(f"province{suffix}", RoleChoices.PROVINCE),
        "taiyuan": factories.make_user(f"taiyuan{suffix}", RoleChoices.CITY, [ty]),
        "datong": factories.make_user(f"datong{suffix}", RoleChoices.CITY, [dt]),
        "viewer": factories.make_user(f"viewer{suffix}", RoleChoices.VIEWER),
    }
    plan = factories.make_plan()
    province_target = factories.make_target(plan, regions["140000"], target_value=Decimal("15"))
    share = province_target.indicator
    allocation = target_create(
        user=None,
        data={
            "plan": plan,
            "key": "share-ty",
            "indicator": share,
            "parent": province_target,
            "scope": ty,
            "target_value": Decimal("18"),
            "target_year": 2025,
        },
    )
    firms = factories.make_indicator("战略性新兴产业规上企业数", "家")
    factories.make_observation(ty, year=2024, value="10", indicator=share)  # last period, official
    project = factories.make_project("太原储能电站项目", ty, stage="started")
    today = today or timezone.localdate()
    rnd = round_create(
        user=users["province"],
        data={
            "name": f"2025年度监测{suffix}",
            "year": 2025,
            "opens_on": today - datetime.timedelta(days=10),
            "due_on": today + datetime.timedelta(days=5),
            "closes_on": today + datetime.timedelta(days=20),
            "indicators": [share, firms],
            "includes_projects": True,
            "cities": [ty, dt],
        },
    )
    return Loop(
        regions=regions,
        **users,
        share=share,
        firms=firms,
        allocation=allocation,
        project=project,
        round=rnd,
        ty=rnd.submissions.get(city=ty),
        dt=rnd.submissions.get(city=dt),
    )
