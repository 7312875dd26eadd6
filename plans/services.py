"""Writes of plans and their parts (see common.api.services)."""

from common.api.services import crud_services, record_create

from .models import CityRole, Industry, KeyArea, Measure, Observation, Plan, PlanSection, Program, Target

plan_create, plan_update, plan_delete = crud_services(Plan)
plan_section_create, plan_section_update, plan_section_delete = crud_services(PlanSection)
industry_create, industry_update, industry_delete = crud_services(Industry)
key_area_create, key_area_update, key_area_delete = crud_services(KeyArea)
target_create, target_update, target_delete = crud_services(Target)
_, observation_update, observation_delete = crud_services(Observation)
program_create, program_update, program_delete = crud_services(Program)
measure_create, measure_update, measure_delete = crud_services(Measure)
city_role_create, city_role_update, city_role_delete = crud_services(CityRole)


def observation_create(*, user, data: dict) -> Observation:
    """Record a measured value; the reporter is the user unless given."""
    return record_create(model=Observation, user=user, data={"reported_by": user, **data})
