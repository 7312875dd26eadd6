"""One entry per model of the permission matrix: its records in the world and, where needed, a valid new record.

Every model with an API resource, an admin page or an admin inline must be here
(``test_every_model_has_an_entry``); the paths and cases come from the code (``matrix.py``).
"""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import TokenProxy

from common.models import StaffProfile
from evaluations.models import Evaluation
from jobs.models import Job
from monitoring.models import (
    LockException,
    Round,
    RoundTemplate,
    Submission,
    SubmissionTransition,
    SubmissionValue,
)
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
    TargetProgressSnapshot,
    TargetStep,
)
from projects.models import (
    BaseCity,
    Batch,
    BatchProject,
    Enterprise,
    EnterpriseAlias,
    IndustryBase,
    KeyProject,
    Milestone,
    ProjectBuilder,
    ProjectMention,
    ProjectReport,
    ProjectWarning,
    ProjectYearPlan,
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
        Entry(
            Park,
            own="ty_park",
            other="dt_park",
            create=lambda w: {"name": "太原新园区", "city": w.ty.code, "level": "provincial", "kind": "industrial"},
        ),
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
        Entry(TargetProgressSnapshot, own="target_snapshot"),
        # projects
        Entry(Enterprise, own="ty_ent", other="dt_ent", create=lambda w: {"name": "太原新企业", "city": w.ty.code}),
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
        Entry(
            ProjectYearPlan,
            own="ty_year_plan",
            other="dt_year_plan",
            create=lambda w: {"project": w.ty_proj.pk, "year": 2025, "planned_investment": "5.00"},
        ),
        Entry(
            Milestone,
            own="ty_milestone",
            other="dt_milestone",
            create=lambda w: {"project": w.ty_proj.pk, "code": "land", "planned_on": "2024-05-01"},
        ),
        # warnings are read-only in the API (acknowledged and resolved through actions)
        Entry(ProjectWarning, own="ty_warning", other="dt_warning"),
        Entry(Batch, own="batch", create=lambda w: {"name": "2024年第三季度三个一批活动", "held_on": "2024-09-28"}),
        Entry(
            BatchProject,
            own="ty_batch_project",
            other="dt_batch_project",
            create=lambda w: {"batch": w.other_batch.pk, "project": w.ty_proj.pk, "kind": "start"},
        ),
        # monitoring: a viewer reads approved submissions (and their values and log) only
        Entry(
            RoundTemplate,
            own="round_template",
            create=lambda w: {"name": "季度监测模板", "kind": "indicators", "period_type": "quarter"},
        ),
        Entry(
            Round,
            own="round",
            create=lambda w: {
                "name": "2026年度监测",
                "year": 2026,
                "opens_on": "2027-01-01",
                "due_on": "2027-01-15",
                "closes_on": "2027-01-31",
                "indicators": [w.indicator.pk],
                "cities": [w.ty.code],
            },
        ),
        Entry(Submission, own="ty_submission", other="dt_submission", viewer_own="approved_submission"),
        Entry(
            SubmissionValue,
            own="ty_value",
            other="dt_value",
            viewer_own="approved_value",
            create=lambda w: {
                "submission": w.ty_submission.pk,
                "indicator": w.indicator.pk,
                "region": w.regions["140105"].code,
                "value": "1.5",
            },
        ),
        Entry(
            SubmissionTransition,
            own="ty_transition",
            other="dt_transition",
            viewer_own="approved_transition",
        ),
        Entry(
            LockException,
            own="ty_lock_exception",
            other="dt_lock_exception",
            create=lambda w: {"round": w.round.pk, "city": w.ty.code, "until": "2030-12-31", "reason": "补报"},
        ),
        # evaluations: province-wide
        Entry(
            Evaluation,
            own="evaluation",
            create=lambda w: {"plan": w.plan.pk, "kind": "midterm", "as_of": "2025-06-30", "title": "中期评估"},
        ),
        # jobs: another user's job is hidden like another city's record
        Entry(Job, own="ty_job", other="dt_job", viewer_own="viewer_job", owner_may=("apply", "retry")),
        # notices: another user's notice is hidden like another city's record
        Entry(Notice, own="ty_notice", other="dt_notice", viewer_own="viewer_notice", owner_may=("read",)),
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
