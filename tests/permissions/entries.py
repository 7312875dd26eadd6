"""One entry per model of the permission matrix: its records in the world and, where needed, a valid new record.

Every model with an API resource, an admin page or an admin inline must be here
(``test_every_model_has_an_entry``); the paths and cases come from the code (``matrix.py``).
"""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import TokenProxy

from common.models import StaffProfile
from jobs.models import Job
from notices.models import Notice
from plans.models import (
    CityRole,
    Indicator,
    Industry,
    KeyArea,
    Measure,
    Observation,
    Plan,
    PlanSection,
    Program,
    Target,
    TargetStep,
)
from projects.models import (
    BaseCity,
    Enterprise,
    EnterpriseAlias,
    IndustryBase,
    KeyProject,
    ProjectBuilder,
    ProjectMention,
    ProjectReport,
)
from regions.models import LayoutScheme, Park, Region, RegionGroup, RegionGroupMembership, Zone, ZoneMembership

from .matrix import Entry

ENTRIES = {
    entry.model: entry
    for entry in [
        # regions
        Entry(Region, own="ty"),
        Entry(RegionGroup, own="region_group"),
        Entry(RegionGroupMembership, own="region_group_membership"),
        Entry(LayoutScheme, own="scheme"),
        Entry(Zone, own="zone"),
        Entry(ZoneMembership, own="zone_membership"),
        Entry(Park, own="ty_park", other="dt_park"),
        # plans
        Entry(Plan, own="plan"),
        Entry(PlanSection, own="section"),
        Entry(Industry, own="industry"),
        Entry(KeyArea, own="key_area"),
        Entry(Indicator, own="indicator"),
        Entry(Target, own="target"),
        Entry(TargetStep, own="target_step"),
        Entry(Observation, own="ty_obs", other="dt_obs"),
        Entry(Program, own="program"),
        Entry(Measure, own="measure"),
        Entry(CityRole, own="city_role"),
        # projects
        Entry(Enterprise, own="ty_ent", other="dt_ent"),
        Entry(EnterpriseAlias, own="ty_alias", other="dt_alias"),
        Entry(
            IndustryBase,
            own="ty_base",
            other="dt_base",
            create=lambda w: {"plan": w.plan.pk, "key": "ty-new", "name": "太原新基地", "cities": [w.ty.code]},
        ),
        Entry(BaseCity, own="ty_base_city", other="dt_base_city"),
        Entry(
            KeyProject,
            own="ty_proj",
            other="dt_proj",
            create=lambda w: {"name": "太原新项目", "city": w.ty.code, "stage": "planned"},
        ),
        Entry(
            ProjectReport,
            own="ty_report",
            other="dt_report",
            create=lambda w: {"project": w.ty_proj.pk, "year": 2024, "month": 6, "stage": "signed"},
        ),
        Entry(
            ProjectMention,
            own="ty_mention",
            other="dt_mention",
            create=lambda w: {"project": w.ty_proj.pk, "plan": w.plan.pk},
        ),
        Entry(
            ProjectBuilder,
            own="ty_builder",
            other="dt_builder",
            create=lambda w: {"project": w.ty_proj.pk, "enterprise": w.ty_ent.pk, "role": "合作建设"},
        ),
        # jobs: another user's job is hidden like another city's record
        Entry(Job, own="ty_job", other="dt_job"),
        # notices: another user's notice is hidden like another city's record
        Entry(Notice, own="ty_notice", other="dt_notice"),
        # accounts and sign-in records: the province's (superusers') alone
        Entry(get_user_model(), own="taiyuan"),
        Entry(StaffProfile, own="staff_profile"),
        Entry(Group, own="group"),
        Entry(TokenProxy, own="token"),
        Entry(AccessAttempt, own="access_attempt"),
        Entry(AccessLog, own="access_log"),
        Entry(AccessFailureLog, own="access_failure"),
    ]
}
