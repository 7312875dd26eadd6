"""Writes of regions, layout schemes, zones and parks (see common.api.services)."""

from common.api.services import crud_services

from .models import LayoutScheme, Park, Region, Zone

region_create, region_update, region_delete = crud_services(Region)
layout_scheme_create, layout_scheme_update, layout_scheme_delete = crud_services(LayoutScheme)
zone_create, zone_update, zone_delete = crud_services(Zone)
park_create, park_update, park_delete = crud_services(Park)
