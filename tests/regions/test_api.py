from django.db.models import Q

from regions.filtersets import LayoutSchemeFilterSet, ParkFilterSet, RegionFilterSet, ZoneFilterSet
from regions.models import LayoutScheme, Park, Region, Zone
from tests.api.base import ResourceTests, ids


class TestRegions(ResourceTests):
    url = "/api/v1/regions/"
    model = Region
    filterset = RegionFilterSet
    lookup = "code"
    max_queries = 4
    filter_cases = {
        "level": lambda d: ({"level": "city"}, Q(level="city")),
        "parent": lambda d: ({"parent": "140100"}, Q(parent=d.taiyuan)),
        "zone": lambda d: ({"zone": d.core.pk}, ids(d.taiyuan, d.jinzhong)),
    }
    search_case = staticmethod(lambda d: ("大同", ids(d.datong)))
    create_payload = staticmethod(lambda d: {"code": "140300", "name": "阳泉市", "level": "city", "parent": "140000"})
    invalid_payload = staticmethod(lambda d: ({"code": "140300", "name": "阳泉市", "level": "bogus"}, ["level"]))
    update_case = staticmethod(lambda d: (d.taiyuan, {"short_name": "并"}))
    delete_record = staticmethod(lambda d: d.pingcheng)

    def test_a_code_that_is_not_gbt2260_is_refused(self, data, api):
        payload = {"code": "040300", "name": "错码", "level": "city", "parent": "140000"}
        response = api(data.admin).post(self.url, payload, format="json")
        assert response.status_code == 400 and "6 位数字" in str(response.json())


class TestLayoutSchemes(ResourceTests):
    url = "/api/v1/layout-schemes/"
    model = LayoutScheme
    filterset = LayoutSchemeFilterSet
    max_queries = 4
    filter_cases = {"plan": lambda d: ({"plan": d.plan.pk}, Q(plan=d.plan))}
    search_case = staticmethod(lambda d: ("两带", ids(d.scheme)))
    create_payload = staticmethod(lambda d: {"plan": d.plan.pk, "name": "新布局"})
    invalid_payload = staticmethod(lambda d: ({"plan": d.plan.pk, "name": "一核两带四板块"}, ["non_field_errors"]))
    update_case = staticmethod(lambda d: (d.scheme, {"description": "全省空间布局"}))
    delete_record = staticmethod(lambda d: d.old_scheme)


class TestZones(ResourceTests):
    url = "/api/v1/zones/"
    model = Zone
    filterset = ZoneFilterSet
    max_queries = 6
    filter_cases = {
        "scheme": lambda d: ({"scheme": d.scheme.pk}, Q(scheme=d.scheme)),
        "region_group": lambda d: ({"region_group": d.north.pk}, Q(region_group=d.north)),
        "plan": lambda d: ({"plan": d.plan.pk}, Q(scheme__plan=d.plan)),
        "kind": lambda d: ({"kind": "belt"}, ids(d.belt)),
        "city": lambda d: ({"city": "140100"}, ids(d.core, d.belt)),
        "industry": lambda d: ({"industry": d.materials.pk}, ids(d.belt)),
    }
    search_case = staticmethod(lambda d: ("大西线", ids(d.belt)))
    create_payload = staticmethod(
        lambda d: {"scheme": d.scheme.pk, "kind": "block", "name": "晋北板块", "industries": [d.cbm.pk]}
    )
    invalid_payload = staticmethod(lambda d: ({"scheme": d.scheme.pk, "kind": "bogus", "name": ""}, ["kind", "name"]))
    update_case = staticmethod(lambda d: (d.core, {"corridor": "太忻"}))
    delete_record = staticmethod(lambda d: d.belt)

    def test_memberships_are_listed_with_city_codes(self, data, api):
        body = api(data.viewer).get(self.detail_url(data.belt)).json()
        assert [(m["code"], m["inferred"]) for m in body["memberships"]] == [("140100", True), ("140200", False)]


class TestParks(ResourceTests):
    url = "/api/v1/parks/"
    model = Park
    filterset = ParkFilterSet
    max_queries = 5
    filter_cases = {
        "city": lambda d: ({"city": "140100"}, Q(city=d.taiyuan)),
        "county": lambda d: ({"county": "140105"}, ids(d.park_ty)),
        "zone": lambda d: ({"zone": d.core.pk}, Q(city=d.taiyuan)),
        "industry": lambda d: ({"industry": d.metals.pk}, ids(d.park_dt)),
        "level": lambda d: ({"level": ["national", "provincial"]}, ids(d.park_ty, d.park_dt)),
        "kind": lambda d: ({"kind": "specialty"}, ids(d.park_ty2)),
    }
    search_case = staticmethod(lambda d: ("不锈钢园", ids(d.park_ty2)))
    create_payload = staticmethod(lambda d: {"name": "新园区", "city": "140200", "industries": [d.cbm.pk]})
    invalid_payload = staticmethod(lambda d: ({"name": "太原高新区", "city": "140105"}, ["name", "city"]))
    update_case = staticmethod(lambda d: (d.park_dt, {"level": "national"}))
    delete_record = staticmethod(lambda d: d.park_ty2)
    city_payload = staticmethod(lambda d: {"name": "太原新园区", "city": "140100"})
    other_city_record = staticmethod(lambda d: d.park_dt)
