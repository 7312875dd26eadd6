"""Reads of regions with business rules: the GeoJSON of cities and zones, with their figures.

Every figure counts only the records the user may see (``Model.objects.for_user``) and is
computed by the database in the same query as the features (correlated sub-selects).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from projects.models import Enterprise, IndustryBase, KeyProject

from .choices import RegionLevelChoices
from .models import Park, Region, Zone, ZoneMembership


def _scoped_figure(queryset: QuerySet, path: str, aggregate, output_field):
    rows = queryset.filter(**{path: OuterRef("pk")}).order_by().values(path).annotate(figure=aggregate).values("figure")
    return Coalesce(Subquery(rows, output_field=output_field), 0, output_field=output_field)


def _count(queryset, path):
    return _scoped_figure(queryset, path, Count("pk", distinct=True), IntegerField())


def _investment(queryset, path):
    return _scoped_figure(queryset, path, Sum("total_investment"), DecimalField(max_digits=20, decimal_places=2))


def city_summary_list(*, user, queryset: QuerySet | None = None) -> QuerySet:
    """The cities with their zone memberships and figures (one query plus one for memberships)."""
    projects = KeyProject.objects.for_user(user)
    queryset = queryset if queryset is not None else Region.objects.all()
    return (
        queryset.filter(level=RegionLevelChoices.CITY)
        .prefetch_related(
            Prefetch("zone_memberships", queryset=ZoneMembership.objects.select_related("zone").order_by("zone__order"))
        )
        .annotate(
            project_count=_count(projects, "city"),
            project_investment=_investment(projects, "city"),
            park_count=_count(Park.objects.for_user(user), "city"),
            enterprise_count=_count(Enterprise.objects.for_user(user), "city"),
            base_count=_count(IndustryBase.objects.for_user(user), "cities"),
        )
    )


def zone_summary_list(*, user, queryset: QuerySet | None = None) -> QuerySet:
    """The zones with their member cities (boundaries included) and project figures."""
    projects = KeyProject.objects.for_user(user)
    queryset = queryset if queryset is not None else Zone.objects.all()
    return (
        queryset.select_related("scheme")
        .prefetch_related(
            Prefetch("memberships", queryset=ZoneMembership.objects.select_related("region")), "industries"
        )
        .annotate(
            project_count=_count(projects, "city__zone_memberships__zone"),
            project_investment=_investment(projects, "city__zone_memberships__zone"),
        )
    )


def city_feature_collection(cities) -> dict:
    return _collection(
        {
            "type": "Feature",
            "id": city.code,
            "geometry": city.boundary,
            "properties": {
                "code": city.code,
                "name": city.name,
                "center": _center(city),
                "zones": [
                    {"id": m.zone_id, "name": m.zone.name, "kind": m.zone.kind, "inferred": m.inferred}
                    for m in city.zone_memberships.all()
                ],
                "project_count": city.project_count,
                "project_investment": city.project_investment or Decimal(0),
                "park_count": city.park_count,
                "enterprise_count": city.enterprise_count,
                "base_count": city.base_count,
            },
        }
        for city in cities
    )


def zone_feature_collection(zones) -> dict:
    return _collection(
        {
            "type": "Feature",
            "id": zone.pk,
            "geometry": merged_geometry([m.region.boundary for m in zone.memberships.all()]),
            "properties": {
                "id": zone.pk,
                "name": zone.name,
                "kind": zone.kind,
                "scheme": zone.scheme_id,
                "plan": zone.scheme.plan_id,
                "corridor": zone.corridor,
                "cities": [m.region.code for m in zone.memberships.all()],
                "industries": [industry.pk for industry in zone.industries.all()],
                "project_count": zone.project_count,
                "project_investment": zone.project_investment or Decimal(0),
            },
        }
        for zone in zones
    )


def merged_geometry(geometries) -> dict | None:
    """The member polygons side by side as one MultiPolygon (no dissolving of shared borders)."""
    polygons = []
    for geometry in geometries:
        if not geometry:
            continue
        if geometry.get("type") == "Polygon":
            polygons.append(geometry["coordinates"])
        elif geometry.get("type") == "MultiPolygon":
            polygons.extend(geometry["coordinates"])
    return {"type": "MultiPolygon", "coordinates": polygons} if polygons else None


def _center(region) -> list[float] | None:
    if region.center_lon is None or region.center_lat is None:
        return None
    return [float(region.center_lon), float(region.center_lat)]


def _collection(features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}
