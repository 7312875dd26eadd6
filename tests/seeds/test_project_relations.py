"""A project named by several plans and built by several enterprises: mentions, co-builders, filters."""

import pytest
from django.core.exceptions import ValidationError

from plans.models import Plan
from projects.models import Enterprise, KeyProject, ProjectBuilder
from projects.services import project_builder_create, project_mention_create
from seeds.quotes import quote_occurs
from tests.api.fixtures import make_user

BAIDU = "百度云计算中心"
COAL_GAS = "中海油与同煤集团一期40亿立方米/年煤制天然气项目"


def test_a_project_named_by_two_plans_is_one_record_with_a_quote_per_plan(seeded):
    project = KeyProject.objects.select_related("plan").get(name=BAIDU)
    assert project.plan.code == "sx-13th-sei"
    mentions = list(project.mentions.select_related("plan"))
    assert [m.plan.code for m in mentions] == ["sx-14th-sei"]
    assert quote_occurs("000_289449fffc4f1164", mentions[0].source_quote)
    assert quote_occurs("002_503b1f66bc193934", project.source_quote)


def test_a_project_built_together(seeded):
    project = KeyProject.objects.select_related("enterprise").get(name=COAL_GAS)
    assert project.enterprise.name == "中海油"
    assert [(b.enterprise.name, b.role) for b in project.builders.select_related("enterprise")] == [
        ("同煤集团", "合作建设")
    ]


def test_a_mention_or_builder_cannot_repeat_the_lead(seeded):
    project = KeyProject.objects.get(name=COAL_GAS)
    with pytest.raises(ValidationError, match="所属规划"):
        project_mention_create(user=None, data={"project": project, "plan": project.plan})
    with pytest.raises(ValidationError, match="牵头建设单位"):
        project_builder_create(user=None, data={"project": project, "enterprise": project.enterprise})
    with pytest.raises(ValidationError):
        project_builder_create(
            user=None, data={"project": project, "enterprise": Enterprise.objects.get(name="同煤集团")}
        )


def test_api_plan_filter_matches_any_naming_plan(seeded, api):
    user = make_user("rel-province", "province")
    plan = Plan.objects.get(code="sx-14th-sei")
    rows = api(user).get("/api/v1/projects/", {"plan": plan.pk, "page_size": 100}).json()["results"]
    names = [row["name"] for row in rows]
    assert BAIDU in names
    assert len(names) == len(set(names))
    assert set(names) == set(KeyProject.objects.filter(plan=plan).values_list("name", flat=True)) | {BAIDU}
    baidu = next(row for row in rows if row["name"] == BAIDU)
    assert [m["code"] for m in baidu["mentions"]] == ["sx-14th-sei"]


def test_api_enterprise_filter_matches_any_builder(seeded, api):
    user = make_user("rel-province-2", "province")
    tongmei = Enterprise.objects.get(name="同煤集团")
    rows = api(user).get("/api/v1/projects/", {"enterprise": tongmei.pk, "page_size": 100}).json()["results"]
    names = {row["name"] for row in rows}
    assert COAL_GAS in names
    assert names == set(KeyProject.objects.filter(enterprise=tongmei).values_list("name", flat=True)) | set(
        ProjectBuilder.objects.filter(enterprise=tongmei).values_list("project__name", flat=True)
    )
    coal = next(row for row in rows if row["name"] == COAL_GAS)
    assert [b["name"] for b in coal["builders"]] == ["同煤集团"]


def test_city_user_adds_a_co_builder_only_to_own_projects(seeded, api):
    from regions.models import Region

    datong = make_user("rel-datong", "city", cities=[Region.objects.get(code="140200")])
    taiyuan = make_user("rel-taiyuan", "city", cities=[Region.objects.get(code="140100")])
    project = KeyProject.objects.get(name=COAL_GAS)
    # A builder 大同 staff may reference: an enterprise of 大同 that does not build this project yet.
    other = (
        Enterprise.objects.filter(city__code="140200")
        .exclude(pk=project.enterprise_id)
        .exclude(project_builds__project=project)
        .first()
    )
    body = {"project": project.pk, "enterprise": other.pk, "role": "参股"}
    # Another city's project is answered like a missing one (issue 12): 400 on the project field.
    refused = api(taiyuan).post("/api/v1/project-builders/", body, format="json")
    assert refused.status_code == 400
    assert "project" in refused.json()
    assert api(datong).post("/api/v1/project-builders/", body, format="json").status_code == 201


def test_admin_pages(seeded, client):
    client.force_login(make_user("rel-admin", is_superuser=True, is_staff=True))
    project = KeyProject.objects.get(name=BAIDU)
    page = client.get(f"/admin/projects/keyproject/{project.pk}/change/")
    assert page.status_code == 200
    plan = Plan.objects.get(code="sx-14th-sei")
    listing = client.get("/admin/projects/keyproject/", {"plan": plan.pk})
    assert listing.status_code == 200
    assert BAIDU in listing.content.decode()
