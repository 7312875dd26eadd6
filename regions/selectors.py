"""Reads of regions: the GeoJSON of cities and zones.

The figures on each feature (projects, parks, enterprises, bases) are annotated by
projects.selectors (``city_summary_list``, ``zone_summary_list``), the app that owns them.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from django.core.cache import cache

from .choices import RegionLevelChoices
from .models import Region

BOUNDARIES_CACHE_KEY = "regions:city-boundaries"
#: How long a process may serve outlines after another process changed them (the region services drop the
#: cache of their own process at once).
BOUNDARIES_CACHE_SECONDS = 300


def city_boundaries() -> tuple[str, bytes]:
    """The cities' outlines as one GeoJSON document (bytes) and its digest, which names it in its URL.

    Sent once and cached by browsers for a year (the page links the current digest), instead of
    inside every page. Kept in the cache: most requests read no outline from the database.
    """
    cached = cache.get(BOUNDARIES_CACHE_KEY)
    if cached is None:
        cities = Region.objects.filter(level=RegionLevelChoices.CITY).order_by("code")
        features = [
            {"type": "Feature", "id": code, "geometry": boundary, "properties": {"code": code, "name": name}}
            for code, name, boundary in cities.values_list("code", "name", "boundary")
        ]
        body = json.dumps(_collection(features), ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
        cached = (hashlib.sha256(body).hexdigest()[:20], body)
        cache.set(BOUNDARIES_CACHE_KEY, cached, BOUNDARIES_CACHE_SECONDS)
    return cached


def city_feature_collection(cities, *, geometry: bool = True) -> dict:
    """The cities as GeoJSON features with their figures; ``geometry=False`` leaves the outlines out
    (the page fetches them from ``city_boundaries``; the cities may then be read without them)."""
    return _collection(
        {
            "type": "Feature",
            "id": city.code,
            "geometry": city.boundary if geometry else None,
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
