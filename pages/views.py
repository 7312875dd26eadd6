"""The web pages: the province dashboard, a city's page and a plan's page.

Every record goes through ``Model.objects.for_user`` (common.scope); lists use the API's
FilterSets and selectors (the pages' own reads are in pages.selectors), target progress comes
from plans.progress, so a number on a page is
the number the API gives. Each page embeds what its charts need as JSON (``json_script``) and
gets it in a fixed number of queries, whatever the size of the data.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import admin
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import CheckboxSelectMultiple
from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from common.choices import RoleChoices
from common.models import defer_heavy_fields
from common.scope import can_change, scope_queryset, user_city_ids, user_role, visibility_q
from monitoring.selectors import review_progress
from plans.choices import (
    PROGRESS_LIGHTS,
    ComparatorChoices,
    IndicatorCategoryChoices,
    IndicatorDirectionChoices,
    PlanStatusChoices,
    ProgressGradeChoices,
    ProgressLightChoices,
    ProgressStatusChoices,
    QualifierChoices,
    TimeAggregationChoices,
)
from plans.models import Indicator, Observation, Plan, PlanSection, TargetProgressSnapshot
from plans.progress import attach_progress, period_end
from plans.selectors import attach_observation_history, indicator_preferred_values
from projects import dashboard_cache
from projects.choices import ProjectStageChoices
from projects.filtersets import KeyProjectFilterSet
from projects.models import IndustryBase, KeyProject, ProjectWarning
from projects.selectors import (
    batch_list,
    batch_summary,
    city_rankings,
    city_summary_list,
    investment_by_city,
    investment_summary,
    monthly_investment_summary,
    project_list,
    project_rollups,
    top_projects_by_city,
    warning_counts_by_city,
    zone_summary_list,
)
from regions.choices import RegionLevelChoices
from regions.models import LayoutScheme, Region
from regions.selectors import city_boundaries, city_feature_collection

from . import selectors
from .templatetags.pages_tags import page_link
from .tour import tour_context

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
#: Yearly snapshots listed on an indicator page (the latest years first); the API has them all.
SNAPSHOTS_SHOWN = 100


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


@dataclass(frozen=True)
class AsOf:
    """The date a page's progress is evaluated at (评估基准日): ``?as_of=YYYY-MM-DD``, today by default.

    ``param`` is the chosen date as links carry it ("" for today); ``computed`` is the date to
    compute progress at, None when today's rollup answers; ``error`` says why a given value was
    not used (the page is then evaluated today).
    """

    date: datetime.date
    param: str = ""
    error: str = ""

    @property
    def is_today(self) -> bool:
        return self.date == timezone.localdate()

    @property
    def computed(self) -> datetime.date | None:
        return None if self.is_today else self.date


def requested_as_of(raw: str | None) -> AsOf:
    """The page's ``as_of`` (see AsOf); a value that is not a date is reported, never a 500."""
    today = timezone.localdate()
    raw = (raw or "").strip()
    if not raw:
        return AsOf(today)
    try:
        date = datetime.date.fromisoformat(raw)
    except ValueError:
        return AsOf(today, error=f"评估基准日“{raw[:20]}”不是有效日期，请按 YYYY-MM-DD 填写；本页按今天计算。")
    if not 1949 <= date.year <= 2100:
        return AsOf(today, error="评估基准日须在 1949 年至 2100 年之间；本页按今天计算。")
    return AsOf(date, param="" if date == today else date.isoformat())


class PageMixin(LoginRequiredMixin):
    """A signed-in user with a role; builds the navigation shared by every page and reads its ``as_of``."""

    section = ""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and user_role(request.user) is None:
            raise PermissionDenied("您的账户尚未分配角色，请联系省级管理员。")
        self.as_of = requested_as_of(request.GET.get("as_of"))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["nav"] = self.navigation()
        context["as_of"] = self.as_of
        # The page's own query without the date and the page number, for the date picker's form.
        context["as_of_keep"] = [
            (name, value)
            for name, values in self.request.GET.lists()
            if name not in ("as_of", "page")
            for value in values
        ]
        return context

    def link(self, name: str, *args, **params) -> str:
        """A page's URL that keeps this page's ``as_of`` (pages_tags.page_url in templates)."""
        return page_link(reverse(name, args=args), self.as_of.param, **params)

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
            "as_of": self.as_of.param,
            "scope": self.scope(),
        }

    def scope(self) -> dict:
        """Which cities the page's project figures cover: 全省 for users who see every city, else the
        cities this user may see (city staff), named, so that no figure claims to be province-wide."""
        if not hasattr(self, "_scope"):
            sees_all = visibility_q(self.request.user, KeyProject) is None
            if sees_all:
                self._scope = {"all": True, "label": "全省", "cities": self.cities()}
            else:
                own = user_city_ids(self.request.user)
                cities = [city for city in self.cities() if city.pk in own]
                names = "、".join(city.name for city in cities) or "无"
                self._scope = {"all": False, "label": f"您可查看的城市（{names}）", "cities": cities}
        return self._scope

    def cities(self) -> list[Region]:
        if not hasattr(self, "_cities"):
            self._cities = list(selectors.city_list(user=self.request.user))
        return self._cities

    def plans(self) -> list[Plan]:
        if not hasattr(self, "_plans"):
            self._plans = list(selectors.plan_list(user=self.request.user))
        return self._plans


def target_rows(user, targets, *, as_of: datetime.date | None = None, history: bool = True) -> list[dict]:
    """Each target with its progress as of ``as_of`` (None: today's rollup; plans.progress) and, with
    ``history``, its observations for its chart. One query for the history, three for another date."""
    targets = list(targets)
    if history:
        attach_observation_history(targets, user=user)
    if as_of is not None:
        attach_progress(targets, as_of=as_of, user=user)
    rows = []
    for target in targets:
        status = ProgressStatusChoices(target.progress_status)
        # Quarters sit between the years: 2023 Q2 at 2023.25 (Q1 at the year itself).
        observations = [
            [obs["year"] + (obs["quarter"] - 1) / 4 if obs["quarter"] else obs["year"], float(obs["value"])]
            for obs in getattr(target, "observation_history", [])
            # Another date's chart shows what was known then: the periods ended by it.
            if as_of is None or period_end(year=obs["year"], quarter=obs["quarter"], month=obs["month"]) <= as_of
        ]
        percent = None if target.progress is None else target.progress * 100
        rows.append(
            {
                "target": target,
                "digits": decimals(
                    target.baseline_value, target.target_value, target.target_value_max, target.latest_value
                ),
                "comparator": COMPARATOR_SYMBOLS[target.comparator],
                "status": status,
                "light": PROGRESS_LIGHTS[status],
                "grade": ProgressGradeChoices(target.grade),
                "percent": percent,
                "expected_percent": None if target.expected_progress is None else target.expected_progress * 100,
                "qualifier": QualifierChoices(target.latest_qualifier).label if target.latest_qualifier else "",
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


def known_investment(count: int, investment: Decimal | None, known: int) -> float | None:
    """A sum of project amounts for a chart: 0 with no project, None ("—") when none of them is known."""
    if not count:
        return 0
    return _float(investment) if known else None


def every_city_warnings(counts: dict, cities: list[Region]) -> dict:
    """Open warnings by city with a row for every city of the scope (0 / 0 where there is none)."""
    rows = {row["code"]: row for row in counts["rows"]}
    counts["rows"] = [
        rows.get(city.code, {"code": city.code, "name": city.name, "yellow": 0, "red": 0}) for city in cities
    ]
    return counts


def every_city_ranking(rankings: list[dict], cities: list[Region]) -> list[dict]:
    """The city ranking with every city of the scope: those without a project follow, their rates "—"."""
    ranked = {row["code"] for row in rankings}
    return rankings + [
        {
            "code": city.code,
            "name": city.name,
            "projects": 0,
            "start_rate": None,
            "investment_rate": None,
            "warnings": 0,
            "red": 0,
            "warnings_rank": None,
        }
        for city in cities
        if city.code not in ranked
    ]


def decimals(*values: Decimal | float | None, most: int = 2) -> int:
    """The decimals that show every value (up to ``most``): one format for a target's numbers, so that
    "9.10" never stands beside "12" (9.1 and 12 → 1 decimal: "9.1", "12.0")."""
    needed = 0
    for value in values:
        if value is not None:
            exponent = Decimal(str(value)).normalize().as_tuple().exponent
            needed = max(needed, min(most, -exponent) if isinstance(exponent, int) and exponent < 0 else 0)
    return needed


def light_legend() -> list[dict]:
    """The legend of the red / yellow / green lights: each light with the statuses it shows."""
    return [
        {
            "light": light.value,
            "label": light.label,
            "statuses": [status.label for status, shown in PROGRESS_LIGHTS.items() if shown == light],
        }
        for light in ProgressLightChoices
    ]


def split_targets(rows) -> dict:
    """Rows with a chart to draw, and the others (a goal with no baseline and no observation)."""
    return {
        "charted": [row for row in rows if row["chartable"]],
        "other": [row for row in rows if not row["chartable"]],
    }


def mark_under_review(rows: list[dict], review: dict) -> None:
    """Give each row with a value under review (monitoring.selectors.review_progress) ``review``: that value
    and the status it would have if approved, which ``status_counts`` counts instead of the official one."""
    for row in rows:
        if row["target"].pk in review:
            value, progress = review[row["target"].pk]
            status = ProgressStatusChoices(progress.status)
            row["review"] = {
                "value": value.value,
                "period": value.submission.round.period_label,
                "status": status,
                "light": PROGRESS_LIGHTS[status],
            }


def status_counts(rows) -> list[dict]:
    """Rows by status; a row with a value under review (``mark_under_review``) by the status it would have."""
    counts = defaultdict(int)
    for row in rows:
        counts[row["review"]["status"] if "review" in row else row["status"]] += 1
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
                return redirect(self.link("city", own[0].code))
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
        # Investment figures, rankings and months are of the year of the 评估基准日 (today's by default).
        year = self.as_of.date.year
        # The figures of the plan's projects, cities and zones: cached until the next write to what they read.
        shown = dashboard_cache.cached(
            "dashboard-page",
            user=user,
            parts=(plan.pk if plan else None, scheme.pk if scheme else None, year),
            compute=lambda: dashboard_figures(user=user, plan=plan, scheme=scheme, year=year),
        )
        stages, cities, zones = shown["stages"], shown["cities"], shown["zones"]
        scope = self.scope()
        plan_targets = selectors.targets_with_observations(user=user, as_of=self.as_of.computed).filter(plan=plan)
        targets = target_rows(user, plan_targets, as_of=self.as_of.computed) if plan else []
        # Provincial staff may see the statuses as if the values under review were approved (issue 14).
        can_review = user_role(user) == RoleChoices.PROVINCE
        with_review = can_review and self.request.GET.get("include_unapproved") == "1"
        if with_review and plan:
            mark_under_review(targets, review_progress(targets=plan_targets, user=user, as_of=self.as_of.computed))
        statuses = status_counts(targets)
        zone_ids = {zone.pk for zone in zones}
        by_city, investment = shown["by_city"], shown["investment"]
        warnings = warning_counts_by_city(by_city=by_city)
        geojson = self.city_map(cities, shown["tops"], zone_ids, warnings)
        context.update(
            tour=tour_context(self),
            can_review=can_review,
            with_review=with_review,
            plan=plan,
            scheme=scheme,
            schemes=self.schemes(),
            zones=zones,
            targets=targets,
            stages=stages,
            figures={
                "plans_in_force": sum(
                    1 for p in self.plans() if p.status_on(self.as_of.date) == PlanStatusChoices.IN_FORCE
                ),
                "targets": len(targets),
                "target_statuses": statuses,
                "bases": shown["bases"],
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
            plan_status=plan.status_on(self.as_of.date) if plan else None,
            warnings=every_city_warnings(warnings, scope["cities"]),
            rankings=every_city_ranking(
                city_rankings(queryset=None, year=investment["year"], by_city=by_city), scope["cities"]
            ),
            # The latest batches in which projects of the plan took part, counting those projects only.
            batches=shown["batches"],
            page_data={
                "boundaries": reverse("city-boundaries", args=[city_boundaries()[0]]),
                "cities": geojson,
                "zones": [
                    {
                        "id": zone.pk,
                        "name": zone.name,
                        "kind": zone.kind,
                        "cities": [m.region.code for m in zone.memberships.all()],
                        "count": zone.project_count,
                        "investment": known_investment(
                            zone.project_count,
                            zone.project_investment,
                            zone.project_count - zone.project_investment_unknown,
                        ),
                    }
                    for zone in zones
                ],
                "stages": stages,
                # Every city of the figures' scope, those without a project at zero.
                "investmentByCity": [
                    {
                        "code": city.code,
                        "name": city.name,
                        "count": city.project_count,
                        "investment": known_investment(
                            city.project_count,
                            city.project_investment,
                            city.project_count - city.project_investment_unknown,
                        ),
                    }
                    for city in sorted(
                        (city for city in cities if city.pk in {c.pk for c in scope["cities"]}),
                        key=lambda city: (-(city.project_investment or 0), -city.project_count, city.code),
                    )
                ],
                "investmentByMonth": {"year": investment["year"], "months": shown["months"]},
                "targetStatuses": statuses,
                "targets": [
                    {
                        "name": row["target"].name,
                        "url": self.link("indicator-page", row["target"].indicator_id),
                        "scope": row["target"].scope.name,
                        "status": row["status"].value,
                        "percent": row["percent"],
                    }
                    for row in targets
                ],
            },
        )
        return context

    def city_map(self, cities, tops: dict, zone_ids: set[int], warnings: dict) -> dict:
        """The cities' GeoJSON with what the map's tooltip shows: figures with the count of unknown
        investments, open warnings and each city's largest projects (``tops``, linked to their pages)."""
        geojson = city_feature_collection(cities, geometry=False)  # the outlines: city_boundaries
        by_code = {city.code: city for city in cities}
        warnings_by_code = {row["code"]: row for row in warnings["rows"]}
        for feature in geojson["features"]:
            properties = feature["properties"]
            city = by_code[properties["code"]]
            # Memberships of other plans' layouts are not part of this map.
            properties["zones"] = [z for z in properties["zones"] if z["id"] in zone_ids]
            properties["url"] = self.link("city", city.code)
            # Unknown investment is not summed as 0: None when no amount is known, and counted apart.
            known = city.project_count - city.project_investment_unknown
            properties["project_investment"] = (
                _float(city.project_investment) if known or not city.project_count else None
            )
            properties["project_investment_unknown"] = city.project_investment_unknown
            row = warnings_by_code.get(city.code, {})
            properties["warnings"] = {"red": row.get("red", 0), "yellow": row.get("yellow", 0)}
            properties["projects"] = [
                {
                    "name": project.name,
                    "url": reverse("project", args=[project.pk]),
                    "stage": project.get_stage_display(),
                    "investment": _float(project.total_investment),
                    "warnings": project.open_warnings,
                    "red": project.red_warnings,
                }
                for project in tops.get(city.pk, [])
            ]
        return geojson


def dashboard_figures(*, user, plan: Plan | None, scheme: LayoutScheme | None, year: int) -> dict:
    """The dashboard's figures of the plan's projects (the cached part of the page): by stage, the cities
    and zones with theirs, investment by city and in all, each city's largest projects, the year's
    months, the latest batches and the plan's bases."""
    # Project figures follow the selected plan (the projects it names, first or in a mention).
    projects = project_list(user=user, filters={"plan": plan.pk} if plan else None)
    # The outlines are not in the page: its script fetches them from city_boundaries (cached a year).
    cities = list(city_summary_list(user=user, queryset=Region.objects.defer("boundary"), plan=plan))
    by_city = investment_by_city(queryset=projects, year=year)
    investment = investment_summary(queryset=projects, year=year, by_city=by_city)
    return {
        # Counts and investment by stage, city and zone from the rollups the services keep.
        "stages": selectors.stage_summary_from_rollups(rollups=project_rollups(user=user, plan=plan)),
        "cities": cities,
        "zones": list(zone_summary_list(user=user, queryset=scheme.zones.all(), plan=plan)) if scheme else [],
        "bases": IndustryBase.objects.for_user(user).filter(plan=plan).count() if plan else 0,
        "by_city": by_city,
        "investment": investment,
        "tops": top_projects_by_city(queryset=projects, city_ids=[city.pk for city in cities]),
        "months": monthly_investment_summary(queryset=projects, year=year, planned=investment["planned"]),
        "batches": batch_summary(batches=batch_list(projects=projects)[:3], user=user, projects=projects),
    }


@require_GET
def city_boundaries_view(request, digest: str):
    """The cities' outlines, named by their digest: cached by browsers and proxies for a year.

    Province-wide geography, public like the static files. An old digest is sent to the current one.
    """
    current, body = city_boundaries()
    if digest != current:
        return redirect("city-boundaries", digest=current)
    etag = f'"{current}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/geo+json")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


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
        as_of = self.as_of.computed
        targets = target_rows(
            user,
            selectors.targets_with_observations(user=user, as_of=as_of)
            .filter(scope=city)
            .order_by("-plan__period_start", "key"),
            as_of=as_of,
        )
        allocated = any(row["target"].parent_id for row in targets)
        # A city without allocations sees the province's targets of the plans in force, for reference.
        reference = (
            []
            if allocated or city.parent_id is None
            else target_rows(
                user,
                selectors.targets_with_observations(user=user, as_of=self.as_of.computed)
                .filter(scope=city.parent_id, plan__status=PlanStatusChoices.IN_FORCE)
                .order_by("-plan__period_start", "key"),
                as_of=self.as_of.computed,
                history=False,
            )
        )
        observations = Observation.objects.for_user(user).filter(scope=city).select_related("indicator")
        warnings = ProjectWarning.objects.for_user(user).filter(project__city=city, resolved_on__isnull=True)
        context.update(
            tour=tour_context(self) if not self.scope()["all"] else None,
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
            target_table=targets,
            allocated=allocated,
            reference_targets=reference,
            lights=light_legend(),
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
                KeyProject.objects.for_user(self.request.user).select_related(
                    "city", "industry", "enterprise__city", "park__city"
                )
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
        as_of = self.as_of.computed
        targets = target_rows(
            user, selectors.targets_with_observations(user=user, as_of=as_of).filter(plan=plan), as_of=as_of
        )
        areas = selectors.key_area_list(user=user, plans=[plan, other] if other else [plan])
        comparison = selectors.key_area_comparison(plan=plan, other=other, areas=areas) if other else []
        context.update(
            plan=plan,
            other=other,
            sections=PlanSection.objects.for_user(user).filter(plan=plan),
            programs=selectors.program_list(user=user, plan=plan),
            measures=selectors.measure_list(user=user, plan=plan),
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


def period_label(observation: Observation) -> str:
    return (
        f"{observation.year}年"
        + (f"第{observation.quarter}季度" if observation.quarter else "")
        + (f"{observation.month}月" if observation.month else "")
    )


def period_x(observation: Observation) -> float:
    """Where a period sits on a chart's year axis: a year at itself, its quarters and months after it."""
    if observation.month:
        return observation.year + (observation.month - 1) / 12
    return observation.year + (observation.quarter - 1) / 4 if observation.quarter else observation.year


def latest_for_ranking(values: list[Observation]) -> Observation:
    """A city's value to rank it by: its latest annual value (periods compare like with like), else its latest."""
    annual = [o for o in values if o.quarter == o.month == 0]
    return (annual or values)[-1]


class IndicatorListView(PageMixin, TemplateView):
    """The indicator catalogue (指标库), grouped by category, searchable with the API's filters."""

    template_name = "pages/indicators.html"
    section = "indicators"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = selectors.indicator_list(user=self.request.user, params=self.request.GET)
        indicators = list(filterset.qs) if filterset.is_valid() else []
        groups = defaultdict(list)
        for indicator in indicators:
            groups[indicator.category].append(indicator)
        context.update(
            filterset=filterset,
            search=self.request.GET.get("search", ""),
            category=self.request.GET.get("category", ""),
            categories=IndicatorCategoryChoices.choices,
            groups=[
                {"category": category, "label": label, "indicators": groups[category]}
                for category, label in IndicatorCategoryChoices.choices
                if groups[category]
            ],
            count=len(indicators),
        )
        return context


class IndicatorView(PageMixin, TemplateView):
    """One indicator: its definition, every plan's targets for it, the cities' ranking and one chart."""

    template_name = "pages/indicator.html"
    section = "indicators"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        indicator = get_object_or_404(Indicator.objects.for_user(user), pk=self.kwargs["pk"])
        rows = target_rows(
            user,
            selectors.targets_with_observations(user=user, as_of=self.as_of.computed)
            .filter(indicator=indicator)
            .order_by("-plan__period_start", "scope__code", "target_year", "key"),
            as_of=self.as_of.computed,
            history=False,
        )
        values = indicator_preferred_values(user=user, indicator=indicator, as_of=self.as_of.date)
        ranking = self.ranking(indicator, rows, values)
        context.update(
            indicator=indicator,
            targets=rows,
            ranking=ranking,
            ranks_every_city=visibility_q(user, Observation) is None,
            lights=light_legend(),
            admin_url=admin_change_url(user, indicator),
            page_data={"indicator": self.chart(indicator, rows, values)},
            snapshots=self.snapshots(indicator),
        )
        return context

    def snapshots(self, indicator: Indicator) -> list[TargetProgressSnapshot]:
        """年度进度快照: each target's standing on 31 December of closed years, as ``/api/v1/target-snapshots/``
        answers it (seen by whoever sees the target's region's observations), the latest years first."""
        user = self.request.user
        queryset = scope_queryset(TargetProgressSnapshot.objects.filter(target__indicator=indicator), user)
        visible = visibility_q(user, Observation, prefix="target__")
        if visible is not None:
            queryset = queryset.filter(visible)
        queryset = queryset.select_related("target__plan", "target__scope")
        ordered = defer_heavy_fields(queryset).order_by("-year", "-target__plan__period_start", "target__scope__code")
        return list(ordered[:SNAPSHOTS_SHOWN])

    def ranking(self, indicator: Indicator, rows: list[dict], values: dict[int, list[Observation]]) -> list[dict]:
        """指标完成排名: each city's latest preferred value (as of the page's date) and its own target's progress.

        Only the values this user may see are ranked: city staff see their own cities' rank among
        what they see, never another city's value. Users who see every city also get the cities
        without a value, after the ranked ones.
        """
        sees_all = visibility_q(self.request.user, Observation) is None
        cities = [city for city in self.cities() if sees_all or city.pk in values]
        # The city's own target: an allocation from a provincial target first, then the latest goal.
        own = {}
        for row in sorted(rows, key=lambda row: (row["target"].parent_id is None, -row["target"].target_year)):
            own.setdefault(row["target"].scope_id, row)
        entries = []
        for city in cities:
            latest = latest_for_ranking(values[city.pk]) if city.pk in values else None
            entries.append(
                {
                    "city": city,
                    "observation": latest,
                    "value": None if latest is None else float(latest.value),
                    "period": "" if latest is None else period_label(latest),
                    "qualifier": "" if latest is None else latest.get_qualifier_display() if latest.qualifier else "",
                    "target": own.get(city.pk),
                    "url": self.link("city", city.code),
                }
            )
        lower = indicator.direction == IndicatorDirectionChoices.LOWER
        ranked = sorted(
            (e for e in entries if e["value"] is not None), key=lambda e: e["value"] if lower else -e["value"]
        )
        rank, previous = 0, None
        for position, entry in enumerate(ranked, 1):
            if entry["value"] != previous:
                rank, previous = position, entry["value"]
            entry["rank"] = rank
        return ranked + [e for e in entries if e["value"] is None]

    def chart(self, indicator: Indicator, rows: list[dict], values: dict[int, list[Observation]]) -> dict:
        """Every plan's targets (baseline → goal) and every region's preferred values over time."""
        return {
            "name": indicator.name,
            "unit": indicator.unit,
            "asOf": self.as_of.date.isoformat(),
            "targets": [
                {
                    "name": f"{row['target'].plan}·{row['target'].scope.name}目标",
                    "plan": str(row["target"].plan),
                    "scope": row["target"].scope.name,
                    "comparator": row["comparator"],
                    "baseline": row["chart"]["baseline"],
                    "target": row["chart"]["target"],
                }
                for row in rows
            ],
            "observations": [
                {
                    "region": series[0].scope.name,
                    "points": [
                        {
                            "x": period_x(o),
                            "value": float(o.value),
                            "period": period_label(o),
                            "qualifier": o.get_qualifier_display() if o.qualifier else "",
                            "status": o.get_status_display(),
                            "source": o.source or (f"《{o.source_plan}》" if o.source_plan else ""),
                        }
                        for o in series
                    ],
                }
                for series in sorted(values.values(), key=lambda series: series[0].scope.code)
            ],
            "timeAggregation": indicator.time_aggregation,
            "isFlow": indicator.time_aggregation == TimeAggregationChoices.FLOW,
        }
