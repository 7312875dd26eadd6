"""Programs and measures as trees: the named sub-initiatives of the documents, their parents and their plan."""

import pytest
from django.core.exceptions import ValidationError

from plans.models import Measure, Program
from plans.services import measure_create, program_create, program_update
from seeds.quotes import quote_occurs
from tests.api.fixtures import make_user


@pytest.mark.parametrize(
    ("model", "plan", "child", "parent"),
    [
        (Program, "sx-14th-sei", "链长制", "实施产业集群培育工程"),
        (Program, "sx-14th-sei", "制造业扩规行动", "实施企业主体倍增工程"),
        (Program, "sx-14th-sei", "省级重大科技专项", "实施创新能力提升工程"),
        (Measure, "sx-14th-sei", "首台（套）、首批次保险补偿机制", "构建多元融资体系"),
        (Program, "sx-13th-sei", "“科技小巨人”企业成长计划", "中小微高新技术企业培育工程"),
    ],
)
def test_named_sub_initiatives_are_children_with_their_own_quote(seeded, model, plan, child, parent):
    node = model.objects.select_related("parent", "plan").get(plan__code=plan, name=child)
    assert node.parent.name == parent
    assert node.source_quote != node.parent.source_quote
    assert quote_occurs(node.source_file.removesuffix(".txt"), node.source_quote)


def test_dotted_measure_keys_of_the_13th_plan_form_a_tree(seeded):
    child = Measure.objects.select_related("parent").get(plan__code="sx-13th-sei", key="1.1")
    assert child.parent.key == "1"


def test_a_child_belongs_to_its_parents_plan(seeded):
    parent = Program.objects.get(plan__code="sx-14th-sei", name="实施产业集群培育工程")
    other = Program.objects.filter(plan__code="sx-13th-sei").first()
    with pytest.raises(ValidationError, match="同一规划"):
        program_create(user=None, data={"plan": other.plan, "parent": parent, "key": "x.1", "name": "x"})
    with pytest.raises(ValidationError, match="同一规划"):
        measure_create(
            user=None,
            data={
                "plan": other.plan,
                "parent": Measure.objects.get(plan=parent.plan, key="1"),
                "key": "x",
                "name": "x",
            },
        )


def test_a_program_cannot_be_its_own_ancestor(seeded):
    parent = Program.objects.get(plan__code="sx-14th-sei", key="1")
    child = Program.objects.get(plan__code="sx-14th-sei", key="1.1")
    with pytest.raises(ValidationError, match="本项或其下级"):
        program_update(instance=parent, user=None, data={"parent": child})


def test_api_filters_children_by_parent(seeded, api):
    user = make_user("tree-province", "province")
    parent = Program.objects.get(plan__code="sx-14th-sei", key="2")
    response = api(user).get("/api/v1/programs/", {"parent": parent.pk})
    assert response.status_code == 200
    names = {row["name"] for row in response.json()["results"]}
    assert names == {"创新型领军企业计划", "制造业扩规行动"}
    assert all(row["parent"] == parent.pk for row in response.json()["results"])
    top = api(user).get("/api/v1/programs/", {"plan": parent.plan_id, "has_parent": "false"}).json()
    assert {row["key"] for row in top["results"]} == {"1", "2", "3", "4", "5", "6"}


def test_admin_shows_parents_and_children(seeded, client):
    client.force_login(make_user("tree-admin", is_superuser=True, is_staff=True))
    parent = Program.objects.get(plan__code="sx-14th-sei", key="2")
    page = client.get(f"/admin/plans/program/{parent.pk}/change/")
    assert page.status_code == 200
    assert "制造业扩规行动" in page.content.decode()
    listing = client.get("/admin/plans/measure/", {"level": "child"})
    assert listing.status_code == 200
    assert "首台（套）、首批次保险补偿机制" in listing.content.decode()
