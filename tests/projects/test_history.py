"""Change history: who changed what, visible and revertible in the admin, within scope."""

import pytest
from django.urls import reverse

from projects.models import KeyProject

pytestmark = pytest.mark.django_db
# The regions, users and world of tests/conftest.py, built once for this module.
WORLD_BUILT_ONCE = True


def change_url(obj, suffix="change"):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{suffix}", args=[obj.pk])


def project_form(project, **changes):
    from django.forms.models import model_to_dict

    data = {k: v for k, v in model_to_dict(project).items() if v is not None}
    data.update(
        {
            "mentions-TOTAL_FORMS": "0",
            "mentions-INITIAL_FORMS": "0",
            "builders-TOTAL_FORMS": "0",
            "builders-INITIAL_FORMS": "0",
            "reports-TOTAL_FORMS": "0",
            "reports-INITIAL_FORMS": "0",
            **changes,
        }
    )
    return data


def post_project(client, project, **changes):
    return client.post(change_url(project), project_form(project, **changes))


def test_admin_change_is_recorded_with_its_author_and_can_be_reverted(client, taiyuan_user, world):
    project = world["ty_proj"]
    client.force_login(taiyuan_user)
    assert post_project(client, project, stage="started", total_investment="12.5").status_code == 302
    latest = project.history.first()
    assert latest.history_user == taiyuan_user and latest.history_type == "~"
    assert latest.stage == "started" and latest.prev_record.stage == "planned"
    delta = latest.diff_against(latest.prev_record)
    assert {c.field for c in delta.changes} == {"stage", "total_investment"}

    history_page = client.get(change_url(project, "history"))
    assert history_page.status_code == 200 and "taiyuan" in history_page.content.decode()

    # Revert to the first version through the admin's history form.
    first = project.history.last()
    revert_url = reverse("admin:projects_keyproject_simple_history", args=[project.pk, first.history_id])
    assert client.get(revert_url).status_code == 200
    response = client.post(revert_url, project_form(first.instance))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.stage == "planned" and project.total_investment == 10
    assert project.history.count() == 3


def test_other_citys_history_is_refused(client, taiyuan_user, world):
    client.force_login(taiyuan_user)
    other = world["dt_proj"]
    # Answered like a missing record (issue 12, finding 11).
    assert client.get(change_url(other, "history")).status_code == 404
    version = other.history.first()
    url = reverse("admin:projects_keyproject_simple_history", args=[other.pk, version.history_id])
    assert client.get(url).status_code == 404


def test_viewer_cannot_revert(client, viewer_user, world):
    project = world["ty_proj"]
    client.force_login(viewer_user)
    version = project.history.first()
    url = reverse("admin:projects_keyproject_simple_history", args=[project.pk, version.history_id])
    assert client.post(url, {"name": "x", "city": project.city_id, "stage": "cancelled"}).status_code == 403
    assert KeyProject.objects.get(pk=project.pk).stage == "planned"


def test_deletes_are_recorded(world):
    report = world["ty_report"]
    report_id = report.pk
    report.delete()
    assert type(report).history.filter(id=report_id, history_type="-").exists()


def test_admin_refuses_to_overwrite_a_newer_version(client, province_user, world):
    project = world["ty_proj"]
    client.force_login(province_user)
    form = project_form(project, stage="started")
    form["edit_version"] = client.get(change_url(project)).context["adminform"].form["edit_version"].value()
    assert form["edit_version"], "the change form carries the version it was opened at"
    # Someone else saves first.
    KeyProject.objects.filter(pk=project.pk).update(stage="signed")
    KeyProject.objects.get(pk=project.pk).save()
    response = client.post(change_url(project), form)
    assert response.status_code == 200
    assert "已被他人修改" in response.content.decode()
    assert KeyProject.objects.get(pk=project.pk).stage == "signed"
    # Reloading the form picks up the new version and the save goes through.
    form["edit_version"] = client.get(change_url(project)).context["adminform"].form["edit_version"].value()
    assert client.post(change_url(project), form).status_code == 302
    assert KeyProject.objects.get(pk=project.pk).stage == "started"
