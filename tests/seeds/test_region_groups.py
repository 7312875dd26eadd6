"""Region groups (晋北, 晋东南 …) and the bases named by a region, whose cities come from the group."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from projects.models import BaseCity, IndustryBase
from regions.models import Region, RegionGroup
from regions.services import region_group_create, region_group_membership_create
from seeds.quotes import quote_occurs
from tests.api.fixtures import make_user


def group_cities(name):
    group = RegionGroup.objects.get(name=name)
    return {m.region.short_name: m.inferred for m in group.memberships.select_related("region")}


def test_groups_quoted_where_a_document_lists_their_cities(seeded):
    assert group_cities("晋北") == {"大同": False, "朔州": False, "忻州": False}
    assert group_cities("晋东南") == {"长治": False, "晋城": False}
    assert group_cities("晋南") == {"临汾": False, "运城": False}
    for group in RegionGroup.objects.exclude(source_quote=""):
        assert quote_occurs(group.source_file.removesuffix(".txt"), group.source_quote)


def test_groups_no_document_lists_are_inferred_with_a_note(seeded):
    group = RegionGroup.objects.get(name="晋东")
    assert group.source_quote == ""
    assert group.note
    assert group_cities("晋东") == {"阳泉": True}


def test_a_base_named_by_region_takes_the_groups_cities_as_inferred(seeded):
    base = IndustryBase.objects.get(plan__code="sx-13th-industry-it", key="jb-coal")
    assert base.region_group.name == "晋北"
    links = {link.region.short_name: link for link in base.city_links.select_related("region")}
    assert set(links) == {"大同", "朔州", "忻州"}
    assert all(link.inferred and "晋北" in link.note for link in links.values())


def test_quoted_base_cities_stay_quoted_next_to_the_group(seeded):
    base = IndustryBase.objects.get(plan__code="sx-13th-sei", name="晋北千万千瓦风电基地")
    assert base.region_group.name == "晋北"
    assert not BaseCity.objects.filter(base=base, inferred=True).exists()


def test_a_group_holds_cities_only_once(seeded):
    group = region_group_create(user=None, data={"name": "测试组"})
    city = Region.objects.get(code="140100")
    region_group_membership_create(user=None, data={"group": group, "region": city})
    with pytest.raises(ValidationError):
        region_group_membership_create(user=None, data={"group": group, "region": city})
    with pytest.raises(ValidationError, match="设区市"):
        region_group_membership_create(user=None, data={"group": group, "region": Region.objects.get(code="140000")})


def test_groups_are_province_wide(seeded):
    city_user = make_user("group-city", "city", cities=[Region.objects.get(code="140100")])
    with pytest.raises(PermissionDenied):
        region_group_create(user=city_user, data={"name": "市级不能建"})


def test_api_lists_groups_and_filters_bases_by_group(seeded, api):
    user = make_user("group-province", "province")
    groups = api(user).get("/api/v1/region-groups/", {"city": "140500"}).json()["results"]
    assert {g["name"] for g in groups} == {"晋东南"}
    assert {m["code"] for m in groups[0]["memberships"]} == {"140400", "140500"}
    group = RegionGroup.objects.get(name="晋北")
    bases = api(user).get("/api/v1/bases/", {"region_group": group.pk, "page_size": 100}).json()["results"]
    assert bases and all(b["region_group"] == group.pk for b in bases)
    coal = next(b for b in bases if b["key"] == "jb-coal")
    assert {(link["code"], link["inferred"]) for link in coal["city_links"]} == {
        ("140200", True),
        ("140600", True),
        ("140900", True),
    }


def test_admin_pages(seeded, client):
    client.force_login(make_user("group-admin", is_superuser=True, is_staff=True))
    group = RegionGroup.objects.get(name="晋北")
    assert client.get("/admin/regions/regiongroup/").status_code == 200
    assert client.get(f"/admin/regions/regiongroup/{group.pk}/change/").status_code == 200
    base = IndustryBase.objects.get(plan__code="sx-13th-industry-it", key="jb-coal")
    assert client.get(f"/admin/projects/industrybase/{base.pk}/change/").status_code == 200
    listing = client.get("/admin/projects/industrybase/", {"q": "晋北煤炭基地"})
    assert "大同（推断）" in listing.content.decode()


def zone_links(plan_code, name):
    from regions.models import Zone

    zone = Zone.objects.get(scheme__plan__code=plan_code, name=name)
    return zone, {m.region.short_name: m for m in zone.memberships.select_related("region")}


@pytest.mark.parametrize(
    ("name", "group", "cities"),
    [
        ("晋北战略性新兴产业发展圈", "晋北", {"大同", "朔州", "忻州"}),
        ("晋南战略性新兴产业发展圈", "晋南", {"临汾", "运城"}),
        ("晋东南战略性新兴产业发展圈", "晋东南", {"长治", "晋城"}),
    ],
)
def test_a_zone_named_by_region_takes_the_groups_cities_as_inferred(seeded, name, group, cities):
    zone, links = zone_links("sx-14th-sei", name)
    assert zone.region_group.name == group
    assert set(links) == cities
    assert all(link.inferred and f"原文以“{group}”命名" in link.note for link in links.values())
    assert quote_occurs(zone.source_file.removesuffix(".txt"), zone.source_quote)


def test_quoted_zone_cities_stay_quoted_next_to_the_group(seeded):
    zone, links = zone_links("sx-13th-sei", "晋北新能源产业、现代煤化工产业、医药产业发展板块")
    assert zone.region_group.name == "晋北"
    assert set(links) == {"大同", "朔州", "忻州"}
    assert not any(link.inferred for link in links.values())
