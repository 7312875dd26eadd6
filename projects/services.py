"""Writes of enterprises, bases, key projects and their reports (see common.api.services)."""

from common.api.services import crud_services, record_create

from .models import Enterprise, IndustryBase, KeyProject, ProjectReport

enterprise_create, enterprise_update, enterprise_delete = crud_services(Enterprise)
industry_base_create, industry_base_update, industry_base_delete = crud_services(IndustryBase)
key_project_create, key_project_update, key_project_delete = crud_services(KeyProject)
_, project_report_update, project_report_delete = crud_services(ProjectReport)


def project_report_values(user, data: dict) -> dict:
    """What a new report saves: the reporter is the user unless given (also for batched imports)."""
    return {"reported_by": user, **data}


def project_report_create(*, user, data: dict) -> ProjectReport:
    """File a progress report; the reporter is the user unless given."""
    return record_create(model=ProjectReport, user=user, data=project_report_values(user, data))
