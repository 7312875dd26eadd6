"""What sxplan's API is measured against: the limit and the naive peer.

- The limit: bare Django views that answer the same rows and fields (or the same numbers) as
  the API from one hand-written SQL query, serialized with orjson. They read as a provincial
  user (no city scope), after a token check of their own; nothing else.
- The naive peer: a plain DRF ModelViewSet with nested ModelSerializers and no select_related,
  as a first version would be written.
"""

from __future__ import annotations

from urllib.parse import urlencode

import django_filters
import orjson
from django.db import connection
from django.http import HttpResponse, JsonResponse
from rest_framework import serializers, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated

from plans.models import Industry
from plans.selectors import industry_descendant_ids
from projects.choices import ProjectStageChoices
from projects.models import Enterprise, KeyProject
from regions.models import Region

STAGE_LABELS = dict(ProjectStageChoices.choices)
LOCAL_TIME = "to_char({} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+08:00\"')"
#: ordering parameter → ORDER BY of the limit (DRF's OrderingFilter names, same direction).
ORDERINGS = {
    "name": "p.name",
    "-name": "p.name DESC",
    "total_investment": "p.total_investment",
    "-total_investment": "p.total_investment DESC",
    "updated": "p.updated",
    "-updated": "p.updated DESC",
}
PROJECT_FIELDS = (
    "id", "city_name", "industry_name", "enterprise_name", "created", "updated", "source_file", "source_quote",
    "name", "capacity", "capacity_value", "capacity_unit", "total_investment", "stage", "signed_on", "started_on",
    "production_on", "description", "plan", "enterprise", "industry", "city", "county", "park", "base",
)  # fmt: skip
#: The rows of the page are chosen by key first (from the covering index when the filters and the
#: order allow it), then read whole; the total is counted by the same conditions.
PROJECT_WHERE = """
    p.city_id = (SELECT id FROM regions_region WHERE code = %(city)s AND level = 'city')
    AND p.stage = ANY(%(stages)s)
    AND (%(industry)s::bigint IS NULL OR p.industry_id = ANY(ARRAY(SELECT id FROM wanted)))"""
PROJECT_SQL = f"""
WITH RECURSIVE wanted AS (
    SELECT id FROM plans_industry WHERE id = %(industry)s
    UNION ALL SELECT c.id FROM plans_industry c JOIN wanted w ON c.parent_id = w.id
), page AS (
    SELECT p.id FROM projects_keyproject p WHERE {PROJECT_WHERE}
    ORDER BY {{order}}, p.id LIMIT %(limit)s OFFSET %(offset)s
)
SELECT p.id, c.name, i.name, e.name, {LOCAL_TIME.format("p.created")}, {LOCAL_TIME.format("p.updated")},
       p.source_file, p.source_quote, p.name, p.capacity, p.capacity_value::text, p.capacity_unit,
       p.total_investment::text, p.stage, p.signed_on, p.started_on, p.production_on, p.description,
       p.plan_id, p.enterprise_id, p.industry_id, c.code, co.code, p.park_id, p.base_id,
       (SELECT count(*) FROM projects_keyproject p WHERE {PROJECT_WHERE})
FROM page JOIN projects_keyproject p ON p.id = page.id
JOIN regions_region c ON c.id = p.city_id
LEFT JOIN regions_region co ON co.id = p.county_id
LEFT JOIN plans_industry i ON i.id = p.industry_id
LEFT JOIN projects_enterprise e ON e.id = p.enterprise_id
ORDER BY {{order}}, p.id
"""


def _token_user(request) -> int | None:
    """The active provincial (superuser) account of the request's token: the only reader the limit serves."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Token "):
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT u.id FROM authtoken_token t JOIN auth_user u ON u.id = t.user_id"
            " WHERE t.key = %s AND u.is_active AND u.is_superuser",
            [header[6:]],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _json(data) -> HttpResponse:
    return HttpResponse(orjson.dumps(data), content_type="application/json")


def _page_url(request, page: int | None) -> str | None:
    if page is None:
        return None
    params = request.GET.copy()
    params["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{urlencode(sorted(params.lists()), doseq=True)}")


def project_list_limit(request):
    """The project list (city + stage + industry filters, ordering, pages) from one SQL query."""
    if _token_user(request) is None:
        return JsonResponse({"detail": "unauthorized"}, status=401)
    size = min(int(request.GET.get("page_size", 50)), 1000)
    page = int(request.GET.get("page", 1))
    order = ORDERINGS.get(request.GET.get("ordering", ""), "p.updated DESC, p.name")
    industry = request.GET.get("industry") or None
    params = {
        "city": request.GET.get("city"),
        "stages": request.GET.getlist("stage") or list(STAGE_LABELS),
        "industry": int(industry) if industry else None,
        "limit": size,
        "offset": (page - 1) * size,
    }
    with connection.cursor() as cursor:
        cursor.execute(PROJECT_SQL.format(order=order), params)
        rows = cursor.fetchall()
    count = rows[0][-1] if rows else 0
    results = []
    for row in rows:
        item = dict(zip(PROJECT_FIELDS, row, strict=False))
        item["stage_display"] = STAGE_LABELS[item["stage"]]
        results.append(item)
    return _json(
        {
            "count": count,
            "next": _page_url(request, page + 1 if page * size < count else None),
            "previous": _page_url(request, page - 1 if page > 1 else None),
            "results": results,
        }
    )


# ---- dashboards: the same numbers as /api/v1/dashboard/… from GROUP BY queries --------------------

#: count, the sum of the known amounts (NULL when none is known) and the projects without an amount.
MEASURES = "count(*), sum(p.total_investment)::text, count(*) - count(p.total_investment)"
DASHBOARD_SQL = {
    "projects-by-city": f"""
        SELECT r.code, r.name, {MEASURES}
        FROM projects_keyproject p JOIN regions_region r ON r.id = p.city_id
        GROUP BY r.code, r.name ORDER BY r.code""",
    "projects-by-stage": f"""
        SELECT p.stage, NULL, {MEASURES} FROM projects_keyproject p GROUP BY p.stage""",
    "projects-by-industry": f"""
        SELECT p.industry_id::text, i.name, {MEASURES}
        FROM projects_keyproject p LEFT JOIN plans_industry i ON i.id = p.industry_id
        GROUP BY p.industry_id, i.name""",
    # A city may be in several zones: zone rows overlap, so the total is its own query.
    "projects-by-zone": f"""
        SELECT z.id::text, z.name, {MEASURES}
        FROM projects_keyproject p
        LEFT JOIN regions_zonemembership m ON m.region_id = p.city_id
        LEFT JOIN regions_zone z ON z.id = m.zone_id
        GROUP BY z.id, z.name
        UNION ALL
        SELECT 'total', NULL, {MEASURES} FROM projects_keyproject p""",
}
#: The map's figures (geo/cities, geo/zones): projects per city and per zone of its member cities.
GEO_SQL = {
    "cities": """
        SELECT r.code, count(p.id), coalesce(sum(p.total_investment), 0)::text
        FROM regions_region r LEFT JOIN projects_keyproject p ON p.city_id = r.id
        WHERE r.level = 'city' GROUP BY r.code ORDER BY r.code""",
    "zones": """
        SELECT z.id::text, count(p.id), coalesce(sum(p.total_investment), 0)::text
        FROM regions_zone z LEFT JOIN regions_zonemembership m ON m.zone_id = z.id
        LEFT JOIN projects_keyproject p ON p.city_id = m.region_id
        GROUP BY z.id ORDER BY z.id""",
}


def geo_limit(request, name: str):
    """The map's project figures from a GROUP BY over the projects (no outlines: those are a static file)."""
    if _token_user(request) is None:
        return JsonResponse({"detail": "unauthorized"}, status=401)
    with connection.cursor() as cursor:
        cursor.execute(GEO_SQL[name])
        rows = cursor.fetchall()
    return _json([{"key": key, "count": count, "investment": investment} for key, count, investment in rows])


#: Target progress (the rules of plans.progress) in plain SQL: the latest observation by LATERAL join.
PROGRESS_CTE = """
WITH latest AS (
    SELECT t.id, t.plan_id, t.indicator_id, t.key, t.name, i.unit, t.comparator, t.scope_id, t.target_year AS ty,
           t.baseline_year AS by, t.baseline_value::float8 AS b, t.target_value::float8 AS tv,
           t.target_value_max::float8 AS tm, l.value::float8 AS v, l.year AS ly, l.quarter AS lq
    FROM plans_target t
    JOIN plans_indicator i ON i.id = t.indicator_id
    LEFT JOIN LATERAL (
        SELECT o.value, o.year, o.quarter FROM plans_observation o
        WHERE o.indicator_id = t.indicator_id AND o.scope_id = t.scope_id
        ORDER BY o.year DESC, CASE WHEN o.quarter = 0 AND o.month = 0 THEN 13
                                   WHEN o.month > 0 THEN o.month ELSE o.quarter * 3 END DESC LIMIT 1
    ) l ON true
), goals AS (
    SELECT *, CASE WHEN comparator = 'range' AND b > tm THEN tm ELSE tv END AS goal FROM latest
), measured AS (
    SELECT *, (b IS NULL OR b <= goal) AS rising, (v - b) / NULLIF(goal - b, 0) AS progress,
           CASE WHEN ly IS NULL OR by IS NULL THEN NULL
                WHEN by = ty OR ly >= ty THEN 1.0
                WHEN ly <= by THEN 0.0
                ELSE (ly - by)::float8 / NULLIF((ty - by)::float8, 0) END AS expected
    FROM goals
), progress AS (
    SELECT *, CASE
        WHEN v IS NULL THEN 'no_data'
        WHEN (comparator = 'range' AND v >= tv AND v <= tm) OR (comparator = 'ge' AND v >= goal)
          OR (comparator = 'gt' AND v > goal) OR (comparator = 'le' AND v <= goal)
          OR (comparator = 'lt' AND v < goal)
          OR (comparator IN ('eq', 'approx') AND ((rising AND v >= goal) OR (NOT rising AND v <= goal)))
          THEN 'achieved'
        WHEN ly >= ty THEN 'off_track'
        WHEN progress IS NULL THEN 'no_data'
        WHEN progress >= expected THEN 'on_track'
        WHEN progress >= expected * 0.8 THEN 'at_risk'
        ELSE 'off_track' END AS status
    FROM measured
)
"""
DASHBOARD_SQL["targets-by-status"] = (
    PROGRESS_CTE
    + """SELECT p.plan_id::text, pl.title, p.status, count(*)
    FROM progress p JOIN plans_plan pl ON pl.id = p.plan_id GROUP BY p.plan_id, pl.title, p.status"""
)
STATUSES = ("achieved", "on_track", "at_risk", "off_track", "no_data")


def dashboard_limit(request, name: str):
    if _token_user(request) is None:
        return JsonResponse({"detail": "unauthorized"}, status=401)
    with connection.cursor() as cursor:
        cursor.execute(DASHBOARD_SQL[name])
        rows = cursor.fetchall()
    if name == "targets-by-status":
        plans: dict[str, dict] = {}
        total = dict.fromkeys(("total", *STATUSES), 0)
        for plan, title, status, count in rows:
            entry = plans.setdefault(
                plan, {"plan": int(plan), "plan_title": title, "total": 0} | dict.fromkeys(STATUSES, 0)
            )
            entry[status] += count
            entry["total"] += count
            total[status] += count
            total["total"] += count
        return _json({"total": total, "results": sorted(plans.values(), key=lambda e: e["plan"])})
    results = [
        {"key": key, "label": label, "count": count, "investment": investment, "investment_unknown": unknown}
        for key, label, count, investment, unknown in rows
    ]
    if name == "projects-by-zone":
        total_row = next(r for r in results if r["key"] == "total")
        results.remove(total_row)
        total = {key: total_row[key] for key in ("count", "investment", "investment_unknown")}
    else:
        known = [float(r["investment"]) for r in results if r["investment"] is not None]
        total = {
            "count": sum(r["count"] for r in results),
            "investment": str(sum(known)) if known else None,
            "investment_unknown": sum(r["investment_unknown"] for r in results),
        }
    if name == "projects-by-stage":
        for row in results:
            row["label"] = STAGE_LABELS[row["key"]]
    return _json({"total": total, "results": results})


TARGETS_WITH_HISTORY_SQL = (
    PROGRESS_CTE
    + """SELECT coalesce(json_agg(json_build_object(
        'id', p.id, 'plan', p.plan_id, 'key', p.key, 'name', p.name, 'unit', p.unit, 'comparator', p.comparator,
        'baseline_value', p.b, 'baseline_year', p.by, 'target_value', p.tv, 'target_year', p.ty,
        'latest_value', p.v, 'latest_year', p.ly, 'latest_quarter', p.lq, 'progress', p.progress,
        'expected_progress', p.expected, 'progress_status', p.status,
        'observations', (SELECT coalesce(json_agg(json_build_object(
                'id', o.id, 'year', o.year, 'quarter', o.quarter, 'value', o.value::text, 'scope', r.code,
                'source', o.source) ORDER BY o.year, o.quarter, r.code), '[]')
            FROM plans_observation o JOIN regions_region r ON r.id = o.scope_id
            WHERE o.indicator_id = p.indicator_id)
    ) ORDER BY p.plan_id, p.key), '[]')::text FROM progress p"""
)


def targets_with_history_limit(request):
    """Every target with its progress and its whole observation history, as one JSON document from SQL."""
    if _token_user(request) is None:
        return JsonResponse({"detail": "unauthorized"}, status=401)
    with connection.cursor() as cursor:
        cursor.execute(TARGETS_WITH_HISTORY_SQL)
        body = cursor.fetchone()[0]
    return HttpResponse(body, content_type="application/json")


# ---- the naive peer ------------------------------------------------------------------------------


class NaiveRegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        exclude = ["boundary"]  # even a first version would not send map outlines in a list


class NaiveIndustrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Industry
        fields = "__all__"


class NaiveEnterpriseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enterprise
        fields = "__all__"


class NaiveProjectSerializer(serializers.ModelSerializer):
    city = NaiveRegionSerializer()
    county = NaiveRegionSerializer()
    industry = NaiveIndustrySerializer()
    enterprise = NaiveEnterpriseSerializer()

    class Meta:
        model = KeyProject
        fields = "__all__"


class NaiveProjectFilterSet(django_filters.FilterSet):
    city = django_filters.CharFilter(field_name="city__code")
    stage = django_filters.CharFilter(field_name="stage")
    industry = django_filters.NumberFilter(method="filter_industry")

    class Meta:
        model = KeyProject
        fields = []

    def filter_industry(self, queryset, name, value):
        return queryset.filter(industry__in=industry_descendant_ids(int(value)))


class NaivePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000


class NaiveProjectViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = KeyProject.objects.all()
    serializer_class = NaiveProjectSerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, OrderingFilter]
    filterset_class = NaiveProjectFilterSet
    ordering_fields = "__all__"
    pagination_class = NaivePagination
    permission_classes = [IsAuthenticated]
