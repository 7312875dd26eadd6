"""The web pages: the province dashboard, a city's page and a plan's page.

Every record goes through ``Model.objects.for_user`` (common.scope); lists use the API's
FilterSets and selectors (the pages' own reads are in pages.selectors), target progress comes
from plans.progress, so a number on a page is
the number the API gives. Each page embeds what its charts need as JSON (``json_script``) and
gets it in a fixed number of queries, whatever the size of the data.
"""

from collections import defaultdict
from decimal import Decimal

from django.contrib import admin
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import CheckboxSelectMultiple
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.generic import TemplateView

from common.choices import RoleChoices
from common.models import defer_heavy_fields
from common.scope import can_change, user_city_ids, user_role
from plans.choices import ComparatorChoices, PlanStatusChoices, ProgressStatusChoices
from plans.models import Observation, Plan, PlanSection
from plans.selectors import attach_observation_history
from projects.choices import ProjectStageChoices
from projects.filtersets import KeyProjectFilterSet
from projects.models import Batch, IndustryBase, KeyProject, ProjectWarning
from projects.selectors import (
    batch_summary,
    city_rankings,
    city_summary_list,
    investment_summary,
    project_list,
    warning_counts,
    zone_summary_list,
)
from regions.choices import RegionLevelChoices
from regions.models import LayoutScheme, Region
from regions.selectors import city_feature_collection

from . import selectors

# The project table's columns: (label, KeyProjectFilterSet ``ordering`` value or None if unsortable).
PROJECT_COLUMNS = [
    ("项目名称", "name"),
    ("产业", None),
    ("建设单位", None),
    ("阶段", "stage"),
    ("总投资（亿元）", "total_investment"),
    ("开工日期", "started_on"),
    ("园区", None),
]
DEFAULT_PROJECT_ORDERING = "-total_investment"
# Filters of KeyProjectFilterSet offered above a city's project table (the city is the page's),
# with labels for people rather than for API clients.
PROJECT_FILTERS = {
    "search": "搜索项目或企业",
    "stage": "阶段",
    "industry": "产业（含下级）",
    "plan": "所属规划",
    "investment_min": "总投资不低于（亿元）",
    "investment_max": "总投资不高于（亿元）",
}
COMPARATOR_SYMBOLS = {
    ComparatorChoices.GE: "≥",
    ComparatorChoices.GT: ">",
    ComparatorChoices.LE: "≤",
    ComparatorChoices.LT: "<",
    ComparatorChoices.EQ: "",
    ComparatorChoices.APPROX: "约",
    ComparatorChoices.RANGE: "",
}
PROJECTS_PER_PAGE = 50
#: The city page lists the latest observations; all of them are in the export and the API.
CITY_OBSERVATIONS_SHOWN = 100
#: The city page lists its open warnings, red first; all of them are on the warning board.
CITY_WARNINGS_SHOWN = 10


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def admin_change_url(user, obj) -> str | None:
    """The admin page of a record, for users who may change it there."""
    if not user.is_staff or not admin.site.is_registered(type(obj)) or not can_change(user, obj):
        return None
    try:
        return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return None


def with_admin_urls(user, queryset) -> list:
    """The records, each with ``admin_url`` set (None where this user may not edit it)."""
    records = list(queryset)
    for record in records:
        record.admin_url = admin_change_url(user, record)
    return records


class PageMixin(LoginRequiredMixin):
    """A signed-in user with a role; builds the navigation shared by every page."""

    section = ""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and user_role(request.user) is None:
            raise PermissionDenied("您的账户尚未分配角色，请联系省级管理员。")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["nav"] = self.navigation()
        return context

    def navigation(self) -> dict:
        user = self.request.user
        role = user_role(user)
        cities = self.cities()
        own = user_city_ids(user)
        return {
            "section": self.section,
            "city_code": self.kwargs.get("code"),
            "cities": cities,
            "own_cities": [city for city in cities if city.pk in own],
            "is_city_user": role == RoleChoices.CITY,
            "plans": self.plans(),
            "role_label": RoleChoices(role).label,
            "can_edit": user.is_staff and role in (RoleChoices.PROVINCE, RoleChoices.CITY),
        }

    def cities(self) -> list[Region]:
        if not hasattr(self, "_cities"):
            self._cities = list(selectors.city_list(user=self.request.user))
        return self._cities

    def plans(self) -> list[Plan]:
        if not hasattr(self, "_plans"):
            self._plans = list(selectors.plan_list(user=self.request.user))
        return self._plans


def target_rows(user, targets) -> list[dict]:
    """Each target with its progress (annotated by plans.progress) and its observations, for charts."""
    rows = []
    for target in attach_observation_history(list(targets), user=user):
        status = ProgressStatusChoices(target.progress_status)
        # Quarters sit between the years: 2023 Q2 at 2023.25 (Q1 at the year itself).
        observations = [
            [obs["year"] + (obs["quarter"] - 1) / 4 if obs["quarter"] else obs["year"], float(obs["value"])]
            for obs in target.observation_history
        ]
        percent = None if target.progress is None else target.progress * 100
        rows.append(
            {
                "target": target,
                "comparator": COMPARATOR_SYMBOLS[target.comparator],
                "status": status,
                "percent": percent,
                "bar": 0 if percent is None else max(0, min(100, round(percent))),
                "admin_url": admin_change_url(user, target),
                "chart": {
                    "id": target.pk,
                    "name": target.name,
                    "unit": target.unit,
                    "baseline": [target.baseline_year, _float(target.baseline_value)]
                    if target.baseline_value is not None
                    else None,
                    "target": [target.target_year, _float(target.target_value)],
                    "observations": observations,
                },
                # A chart needs more than the goal alone: a baseline or an observation.
                "chartable": bool(observations) or target.baseline_value is not None,
            }
        )
    return rows


def split_targets(rows) -> dict:
    """Rows with a chart to draw, and the others (a goal with no baseline and no observation)."""
    return {
        "charted": [row for row in rows if row["chartable"]],
        "other": [row for row in rows if not row["chartable"]],
    }


def status_counts(rows) -> list[dict]:
    counts = defaultdict(int)
    for row in rows:
        counts[row["status"]] += 1
    return [
        {"status": status.value, "label": status.label, "count": counts[status]}
        for status in ProgressStatusChoices
        if counts[status]
    ]


class DashboardView(PageMixin, TemplateView):
    """The province at a glance; city staff land on their own city instead."""

    template_name = "pages/dashboard.html"
    section = "dashboard"

    def get(self, request, *args, **kwargs):
        if user_role(request.user) == RoleChoices.CITY and "all" not in request.GET:
            own = [city for city in self.cities() if city.pk in user_city_ids(request.user)]
            if own:
                return redirect("city", code=own[0].code)
        return super().get(request, *args, **kwargs)

    def schemes(self) -> list[LayoutScheme]:
        if not hasattr(self, "_schemes"):
            self._schemes = list(selectors.layout_scheme_list(user=self.request.user))
        return self._schemes

    def selected_plan(self) -> Plan | None:
        """``?plan=<id>``, else the plan in force that has a spatial layout, else any plan in force."""
        plans = self.plans()
        wanted = self.request.GET.get("plan", "")
        chosen = next((plan for plan in plans if str(plan.pk) == wanted), None)
        if chosen:
            return chosen
        in_force = [plan for plan in plans if plan.status == PlanStatusChoices.IN_FORCE] or plans
        with_layout = {scheme.plan_id for scheme in self.schemes()}
        return next((plan for plan in in_force if plan.pk in with_layout), in_force[0] if in_force else None)

    def selected_scheme(self, plan: Plan | None) -> LayoutScheme | None:
        """``?scheme=<id>``, else the plan's own layout, else the latest layout."""
        schemes = self.schemes()
        wanted = self.request.GET.get("scheme", "")
        return (
            next((s for s in schemes if str(s.pk) == wanted), None)
            or next((s for s in schemes if plan and s.plan_id == plan.pk), None)
            or (schemes[0] if schemes else None)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        plan = self.selected_plan()
        scheme = self.selected_scheme(plan)
        # Project figures follow the selected plan (the projects it names, first or in a mention).
        projects = project_list(user=user, filters={"plan": plan.pk} if plan else None)
        stages = selectors.stage_summary(projects=projects)
        cities = list(city_summary_list(user=user, projects=projects))
        zones = list(zone_summary_list(user=user, queryset=scheme.zones.all(), projects=projects)) if scheme else []
        investment = investment_summary(queryset=projects, year=timezone.localdate().year)
        targets = target_rows(user, selectors.targets_with_observations(user=user).filter(plan=plan)) if plan else []
        statuses = status_counts(targets)
        zone_ids = {zone.pk for zone in zones}
        geojson = city_feature_collection(cities)
        for feature in geojson["features"]:
            # Memberships of other plans' layouts are not part of this map.
            feature["properties"]["zones"] = [z for z in feature["properties"]["zones"] if z["id"] in zone_ids]
            feature["properties"]["url"] = reverse("city", args=[feature["properties"]["code"]])
        context.update(
            plan=plan,
            scheme=scheme,
            schemes=self.schemes(),
            zones=zones,
            targets=targets,
            stages=stages,
            figures={
                "plans_in_force": sum(1 for p in self.plans() if p.status == PlanStatusChoices.IN_FORCE),
                "targets": len(targets),
                "target_statuses": statuses,
                "bases": IndustryBase.objects.for_user(user).filter(plan=plan).count() if plan else 0,
                "projects": sum(stage["count"] for stage in stages),
                # Unknown investment is not summed as 0: None ("—") when none is known, and counted apart.
                "investment": _float(investment["total"]),
                "investment_unknown": investment["total_unknown"],
                "year": investment["year"],
                "year_planned": _float(investment["planned"]),
                "year_planned_unknown": investment["planned_unknown"],
                "year_completed": _float(investment["completed_year"]),
                "year_completed_unknown": investment["completed_year_unknown"],
                "year_rate": investment["year_rate"],
            },
            warnings=warning_counts(queryset=ProjectWarning.objects.for_user(user).filter(project__in=projects)),
            rankings=city_rankings(queryset=projects, year=timezone.localdate().year),
            batches=batch_summary(batches=Batch.objects.all()[:3], user=user),
            page_data={
                "cities": geojson,
                "zones": [
                    {
                        "id": zone.pk,
                        "name": zone.name,
                        "kind": zone.kind,
                        "cities": [m.region.code for m in zone.memberships.all()],
                        "count": zone.project_count,
                        "investment": _float(zone.project_investment) or 0,
                    }
                    for zone in zones
                ],
                "stages": stages,
                "investmentByCity": [
                    {
                        "code": city.code,
                        "name": city.name,
                        "count": city.project_count,
                        "investment": _float(city.project_investment) or 0,
                    }
                    for city in sorted(cities, key=lambda city: (-(city.project_investment or 0), -city.project_count))
                    if city.project_count
                ],
                "targetStatuses": statuses,
                "targets": [
                    {
                        "name": row["target"].name,
                        "scope": row["target"].scope.name,
                        "status": row["status"].value,
                        "percent": row["percent"],
                    }
                    for row in targets
                ],
            },
        )
        return context


class CityView(PageMixin, TemplateView):
    """One city: its zones and roles, bases, parks, enterprises, projects, targets, observations."""

    template_name = "pages/city.html"
    section = "city"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        city = get_object_or_404(Region.objects.for_user(user), code=self.kwargs["code"], level=RegionLevelChoices.CITY)
        filterset, projects, ordering = self.project_table(city)
        paginator = Paginator(projects, PROJECTS_PER_PAGE)
        page = paginator.get_page(self.request.GET.get("page"))
        targets = target_rows(
            user, selectors.targets_with_observations(user=user).filter(scope=city).order_by("-plan__period_start")
        )
        observations = Observation.objects.for_user(user).filter(scope=city).select_related("indicator")
        warnings = ProjectWarning.objects.for_user(user).filter(project__city=city, resolved_on__isnull=True)
        context.update(
            city=city,
            warnings=list(warnings.select_related("project").order_by("level", "-opened_on")[:CITY_WARNINGS_SHOWN]),
            warning_count=warnings.count(),
            memberships=selectors.city_memberships(city=city),
            roles=selectors.city_roles(user=user, city=city),
            bases=selectors.city_bases(user=user, city=city),
            parks=with_admin_urls(user, selectors.city_parks(user=user, city=city)),
            enterprises=with_admin_urls(user, selectors.city_enterprises(user=user, city=city)),
            filterset=filterset,
            filter_fields=[filterset.form[name] for name in PROJECT_FILTERS],
            project_page=page,
            project_rows=[(project, admin_change_url(user, project)) for project in page],
            ordering=ordering,
            columns=self.columns(ordering),
            targets=split_targets(targets),
            observations=observations.order_by("-year", "-quarter", "indicator")[:CITY_OBSERVATIONS_SHOWN],
            observation_count=observations.count(),
            sees_city=self.sees_city(city),
            page_data={
                "stages": selectors.stage_summary(projects=projects),
                "targets": [row["chart"] for row in targets if row["chartable"]],
            },
        )
        return context

    def sees_city(self, city) -> bool:
        """Whether to say that the city's own records are out of this user's sight (city staff elsewhere)."""
        role = user_role(self.request.user)
        return role != RoleChoices.CITY or city.pk in user_city_ids(self.request.user)

    def project_table(self, city):
        """The city's projects through KeyProjectFilterSet, the API's filters and ordering included."""
        params = self.request.GET.copy()
        params["city"] = city.code
        params.setdefault("ordering", DEFAULT_PROJECT_ORDERING)
        filterset = KeyProjectFilterSet(
            data=params,
            queryset=defer_heavy_fields(
                KeyProject.objects.for_user(self.request.user).select_related("city", "industry", "enterprise", "park")
            ),
            request=self.request,
        )
        fields = filterset.form.fields
        fields["stage"].widget = CheckboxSelectMultiple(choices=ProjectStageChoices.choices)
        for name, label in PROJECT_FILTERS.items():
            fields[name].label = label
        projects = filterset.qs if filterset.is_valid() else KeyProject.objects.none()
        return filterset, projects, params["ordering"]

    def columns(self, ordering: str) -> list[dict]:
        params = self.request.GET.copy()
        params.pop("page", None)
        columns = []
        for label, field in PROJECT_COLUMNS:
            current = ordering.lstrip("-") == field
            descending = ordering.startswith("-")
            if field:
                params["ordering"] = field if current and descending else f"-{field}" if current else field
            columns.append(
                {
                    "label": label,
                    "url": "?" + params.urlencode() if field else None,
                    "sorted": ("descending" if descending else "ascending") if current else "none",
                }
            )
        return columns


class PlanView(PageMixin, TemplateView):
    """A plan: table of contents, key areas, targets with progress, and a comparison with another plan."""

    template_name = "pages/plan.html"
    section = "plan"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        plan = get_object_or_404(Plan.objects.for_user(user).select_related("follows"), pk=self.kwargs["pk"])
        other = self.compared_plan(plan)
        targets = target_rows(user, selectors.targets_with_observations(user=user).filter(plan=plan))
        areas = selectors.key_area_list(user=user, plans=[plan, other] if other else [plan])
        comparison = selectors.key_area_comparison(plan=plan, other=other, areas=areas) if other else []
        context.update(
            plan=plan,
            other=other,
            sections=PlanSection.objects.for_user(user).filter(plan=plan),
            key_areas=[area for area in areas if area.plan_id == plan.pk],
            targets=split_targets(targets),
            comparison=comparison,
            compare_choices=[p for p in self.plans() if p.pk != plan.pk],
            admin_url=admin_change_url(user, plan),
            page_data={
                "targets": [row["chart"] for row in targets if row["chartable"]],
                "comparison": {
                    "plans": [str(plan), str(other)] if other else [],
                    "rows": [{"industry": row["industry"], "counts": row["counts"]} for row in comparison],
                },
            },
        )
        return context

    def compared_plan(self, plan: Plan) -> Plan | None:
        """``?compare=<id>``, else the plan this one follows, else the one that follows it."""
        others = [p for p in self.plans() if p.pk != plan.pk]
        wanted = self.request.GET.get("compare", "")
        return (
            next((p for p in others if str(p.pk) == wanted), None)
            or next((p for p in others if p.pk == plan.follows_id), None)
            or next((p for p in others if p.follows_id == plan.pk), None)
        )
