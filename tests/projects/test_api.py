from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from projects.filtersets import EnterpriseFilterSet, IndustryBaseFilterSet, KeyProjectFilterSet, ProjectReportFilterSet
from projects.models import Enterprise, IndustryBase, KeyProject, ProjectReport
from tests.api.base import ResourceTests, ids

#: A PATCH of one plain field of a project, its transaction's statements included (issue 17: 31 queries
#: at first, 25 before the relations kept were no longer looked up and the written row no longer read again).
PATCH_QUERIES = 15


class TestKeyProjects(ResourceTests):
    url = "/api/v1/projects/"
    model = KeyProject
    filterset = KeyProjectFilterSet
    max_queries = 6  # +2 since issue 13: the other naming plans and the co-builders, one prefetch each
    filter_cases = {
        "city": lambda d: ({"city": "140100"}, Q(city=d.taiyuan)),
        "county": lambda d: ({"county": "140105"}, Q(county=d.xiaodian)),
        "zone": lambda d: ({"zone": d.core.pk}, Q(city__in=[d.taiyuan, d.jinzhong])),
        "industry": lambda d: ({"industry": d.materials.pk}, Q(industry__in=[d.materials, d.metals, d.special_steel])),
        "stage": lambda d: ({"stage": ["started", "signed"]}, Q(stage__in=["started", "signed"])),
        "investment_min": lambda d: ({"investment_min": "20"}, Q(total_investment__gte=20)),
        "investment_max": lambda d: ({"investment_max": "20"}, Q(total_investment__lte=20)),
        "capacity_min": lambda d: ({"capacity_min": "10"}, Q(capacity_value__gte=10)),
        "capacity_max": lambda d: ({"capacity_max": "10"}, Q(capacity_value__lte=10)),
        "signed_on_min": lambda d: ({"signed_on_min": "2022-01-01"}, Q(signed_on__gte="2022-01-01")),
        "signed_on_max": lambda d: ({"signed_on_max": "2022-01-01"}, Q(signed_on__lte="2022-01-01")),
        "started_on_min": lambda d: ({"started_on_min": "2021-01-01"}, Q(started_on__gte="2021-01-01")),
        "started_on_max": lambda d: ({"started_on_max": "2021-01-01"}, Q(started_on__lte="2021-01-01")),
        "production_on_min": lambda d: ({"production_on_min": "2022-01-01"}, Q(production_on__gte="2022-01-01")),
        "production_on_max": lambda d: ({"production_on_max": "2023-01-01"}, Q(production_on__lte="2023-01-01")),
        "has_investment": lambda d: ({"has_investment": "false"}, Q(total_investment__isnull=True)),
        "has_enterprise": lambda d: ({"has_enterprise": "true"}, Q(enterprise__isnull=False)),
        "has_base": lambda d: ({"has_base": "1"}, Q(base__isnull=False)),
        "plan": lambda d: ({"plan": d.plan.pk}, Q(plan=d.plan)),
        "enterprise": lambda d: ({"enterprise": d.tisco.pk}, Q(enterprise=d.tisco)),
        "park": lambda d: ({"park": d.park_dt.pk}, Q(park=d.park_dt)),
        "base": lambda d: ({"base": d.base_core.pk}, Q(base=d.base_core)),
    }
    search_case = staticmethod(lambda d: ("太重", ids(d.p_ty2)))
    create_payload = staticmethod(
        lambda d: {
            "name": "新项目",
            "city": "140200",
            "stage": "signed",
            "total_investment": "3.50",
            "industry": d.metals.pk,
        }
    )
    invalid_payload = staticmethod(
        lambda d: (
            {"name": "坏项目", "city": "140105", "stage": "bogus", "total_investment": "-1", "county": "999999"},
            ["city", "stage", "county"],
        )
    )
    update_case = staticmethod(lambda d: (d.p_ty2, {"stage": "started", "total_investment": "13.00"}))
    delete_record = staticmethod(lambda d: d.p_ty3)
    city_payload = staticmethod(lambda d: {"name": "太原新项目", "city": "140100", "county": "140105"})
    other_city_record = staticmethod(lambda d: d.p_dt1)

    def test_constraint_violations_answer_400_with_the_models_message(self, data, api):
        response = api(data.admin).post(
            self.url,
            {"name": "日期颠倒", "city": "140100", "signed_on": "2023-01-01", "started_on": "2022-01-01"},
            format="json",
        )
        assert response.status_code == 400
        assert response.json() == {"non_field_errors": ["签约日期不能晚于开工日期。"]}

    def test_a_patch_takes_a_fixed_number_of_queries_and_answers_what_a_read_gives(self, data, api):
        client = api(data.admin)
        url = self.detail_url(data.p_ty2)
        with CaptureQueriesContext(connection) as captured:
            response = client.patch(url, {"capacity": "年产9万吨"}, format="json")
        assert response.status_code == 200
        # Lock, read (with its two prefetches), rollup state (two), update, history, search text: no
        # lookup of the relations it keeps, no second read of the row, no savepoint per check constraint.
        sql = [query["sql"] for query in captured.captured_queries]
        assert len(sql) <= PATCH_QUERIES, "\n".join(sql)
        assert not [q for q in sql if q.startswith("SELECT 1 AS")], "a kept relation or unique value looked up again"
        read = client.get(url)
        assert response.json() == read.json() and response["ETag"] == read["ETag"]
        assert read.json()["capacity"] == "年产9万吨"

    def test_a_patch_checks_the_values_it_changes(self, data, api):
        client = api(data.admin)
        url = self.detail_url(data.p_ty2)
        response = client.patch(url, {"name": data.p_ty3.name}, format="json")
        assert response.status_code == 400 and "name" in response.json()
        response = client.patch(url, {"county": "140213"}, format="json")
        assert response.status_code == 400 and "county" in response.json()

    def test_negative_investment_is_refused_in_chinese(self, data, api):
        response = api(data.admin).post(
            self.url, {"name": "负投资", "city": "140100", "total_investment": "-1"}, format="json"
        )
        assert response.status_code == 400 and "总投资不能为负数。" in str(response.json())

    def test_county_must_lie_in_the_city(self, data, api):
        response = api(data.admin).post(self.url, {"name": "错县", "city": "140100", "county": "140213"}, format="json")
        assert response.status_code == 400 and "county" in response.json()

    def test_city_staff_cannot_create_or_move_projects_elsewhere(self, data, api):
        client = api(data.ty_staff)
        assert client.post(self.url, {"name": "外市", "city": "140200"}, format="json").status_code in (400, 403)
        response = client.patch(self.detail_url(data.p_ty2), {"city": "140200"}, format="json")
        assert response.status_code in (400, 403)
        data.p_ty2.refresh_from_db()
        assert data.p_ty2.city == data.taiyuan

    def test_protected_record_answers_400_not_500(self, data, api):
        response = api(data.admin).delete(f"/api/v1/enterprises/{data.tisco.pk}/")
        assert response.status_code == 400 and "non_field_errors" in response.json()


class TestEnterprises(ResourceTests):
    url = "/api/v1/enterprises/"
    model = Enterprise
    filterset = EnterpriseFilterSet
    max_queries = 6
    filter_cases = {
        "city": lambda d: ({"city": "140100"}, Q(city=d.taiyuan)),
        "county": lambda d: ({"county": "140105"}, Q(county=d.xiaodian)),
        "zone": lambda d: ({"zone": d.belt.pk}, Q(city__in=[d.datong, d.taiyuan])),
        "industry": lambda d: ({"industry": d.metals.pk}, ids(d.tisco, d.dt_ent)),
        "kind": lambda d: ({"kind": "private"}, Q(kind="private")),
        "is_leading": lambda d: ({"is_leading": "true"}, Q(is_leading=True)),
        "has_city": lambda d: ({"has_city": "false"}, Q(city__isnull=True)),
    }
    search_case = staticmethod(lambda d: ("太钢", ids(d.tisco)))
    create_payload = staticmethod(lambda d: {"name": "新企业", "kind": "private", "industries": [d.metals.pk]})
    invalid_payload = staticmethod(lambda d: ({"name": "", "kind": "bogus"}, ["name", "kind"]))
    update_case = staticmethod(lambda d: (d.tzco, {"is_leading": True}))
    delete_record = staticmethod(lambda d: d.jinneng)
    city_payload = staticmethod(lambda d: {"name": "太原新企业", "city": "140100"})
    other_city_record = staticmethod(lambda d: d.dt_ent)

    def test_city_staff_cannot_create_province_wide_enterprises(self, data, api):
        assert api(data.ty_staff).post(self.url, {"name": "省属"}, format="json").status_code == 403

    def test_province_wide_enterprises_are_visible_to_city_staff(self, data, api):
        client = api(data.ty_staff)
        assert client.get(self.detail_url(data.jinneng)).status_code == 200
        assert client.delete(self.detail_url(data.jinneng)).status_code == 403


class TestIndustryBases(ResourceTests):
    url = "/api/v1/bases/"
    model = IndustryBase
    filterset = IndustryBaseFilterSet
    max_queries = 8  # +1 since issue 13: the city links with their inferred flags
    filter_cases = {
        "city": lambda d: ({"city": "140700"}, ids(d.base_core)),
        "zone": lambda d: ({"zone": d.belt.pk}, ids(d.base_core, d.base_dt)),
        "industry": lambda d: ({"industry": d.metals.pk}, ids(d.base_core, d.base_dt)),
        "park": lambda d: ({"park": d.park_ty.pk}, ids(d.base_core)),
        "anchor": lambda d: ({"anchor": d.tisco.pk}, ids(d.base_core)),
        "kind": lambda d: ({"kind": "cluster"}, Q(kind="cluster")),
        "region_group": lambda d: ({"region_group": d.north.pk}, Q(region_group=d.north)),
        "revenue_target_min": lambda d: ({"revenue_target_min": "100"}, ids(d.base_core)),
        "revenue_target_max": lambda d: ({"revenue_target_max": "500"}, ids(d.base_core)),
        "revenue_target_year_min": lambda d: ({"revenue_target_year_min": "2025"}, ids(d.base_core)),
        "revenue_target_year_max": lambda d: ({"revenue_target_year_max": "2030"}, ids(d.base_core)),
        "has_revenue_target": lambda d: ({"has_revenue_target": "false"}, ids(d.base_dt, d.base_prov)),
        "plan": lambda d: ({"plan": d.plan.pk}, Q(plan=d.plan)),
        "key_area": lambda d: ({"key_area": d.key_area.pk}, ids(d.base_core)),
    }
    search_case = staticmethod(lambda d: ("特钢", ids(d.base_core)))
    create_payload = staticmethod(lambda d: {"plan": d.plan.pk, "key": "new", "name": "新基地", "cities": ["140100"]})
    invalid_payload = staticmethod(
        lambda d: ({"plan": d.plan.pk, "key": "steel", "name": "重复", "revenue_target": "5"}, ["non_field_errors"])
    )
    update_case = staticmethod(lambda d: (d.base_dt, {"name": "大同新材料产业基地"}))
    delete_record = staticmethod(lambda d: d.base_prov)
    other_city_record = staticmethod(lambda d: d.base_dt)

    def test_city_staff_maintain_shared_bases_but_not_their_cities(self, data, api):
        client = api(data.ty_staff)
        url = self.detail_url(data.base_core)
        # On a base of several cities a city maintains its links only (issue 12, finding 6).
        assert client.patch(url, {"parks": [data.park_ty.pk, data.park_ty2.pk]}, format="json").status_code == 200
        response = client.patch(url, {"description": "更新"}, format="json")
        assert response.status_code == 400 and "多个城市共享" in response.json()["description"][0]
        assert client.patch(url, {"cities": ["140100"]}, format="json").status_code == 403
        assert client.post(self.url, {"plan": data.plan.pk, "key": "x", "name": "x"}, format="json").status_code == 403

    def test_a_city_code_with_a_nul_byte_is_an_unknown_city(self, data, api):
        # PostgreSQL refuses NUL in text: the lookup must not reach the database (it answered 500).
        payload = {"plan": data.plan.pk, "key": "nul", "name": "新基地", "cities": ["1401\x0000"]}
        response = api(data.admin).post(self.url, payload, format="json")
        assert response.status_code == 400
        assert list(response.json()) == ["cities"]
        assert not IndustryBase.objects.filter(key="nul").exists()


class TestProjectReports(ResourceTests):
    url = "/api/v1/project-reports/"
    model = ProjectReport
    filterset = ProjectReportFilterSet
    max_queries = 5
    filter_cases = {
        "city": lambda d: ({"city": "140100"}, Q(project__city=d.taiyuan)),
        "zone": lambda d: ({"zone": d.belt.pk}, Q(project__city__in=[d.datong, d.taiyuan])),
        "industry": lambda d: ({"industry": d.metals.pk}, Q(project__industry__in=[d.metals, d.special_steel])),
        "plan": lambda d: ({"plan": d.plan.pk}, Q(project__plan=d.plan)),
        "stage": lambda d: ({"stage": "in_production"}, Q(stage="in_production")),
        "year_min": lambda d: ({"year_min": "2023"}, Q(year__gte=2023)),
        "year_max": lambda d: ({"year_max": "2022"}, Q(year__lte=2022)),
        "investment_min": lambda d: ({"investment_min": "5"}, Q(investment_completed__gte=5)),
        "investment_max": lambda d: ({"investment_max": "5"}, Q(investment_completed__lte=5)),
        "project": lambda d: ({"project": d.p_ty1.pk}, Q(project=d.p_ty1)),
        "year": lambda d: ({"year": "2023"}, Q(year=2023)),
        "month": lambda d: ({"month": "12"}, Q(month=12)),
        "has_investment": lambda d: ({"has_investment": "false"}, Q(investment_completed__isnull=True)),
        "problem_level": lambda d: ({"problem_level": "province"}, Q(problem_level="province")),
    }
    search_case = staticmethod(lambda d: ("主体", ids(d.r_ty)))
    create_payload = staticmethod(
        lambda d: {"project": d.p_dt2.pk, "year": 2024, "month": 3, "stage": "started", "investment_completed": "1.00"}
    )
    invalid_payload = staticmethod(
        lambda d: ({"project": d.p_ty1.pk, "year": 2023, "month": 13, "stage": "started"}, ["non_field_errors"])
    )
    update_case = staticmethod(lambda d: (d.r_ty, {"note": "已完成主体"}))
    delete_record = staticmethod(lambda d: d.r_dt)
    city_payload = staticmethod(lambda d: {"project": d.p_ty2.pk, "year": 2024, "month": 1, "stage": "signed"})
    other_city_record = staticmethod(lambda d: d.r_dt)

    def test_the_reporter_is_recorded(self, data, api):
        response = api(data.ty_staff).post(self.url, self.city_payload(data), format="json")
        assert ProjectReport.objects.get(pk=response.json()["id"]).reported_by == data.ty_staff

    def test_city_staff_cannot_report_on_another_citys_project(self, data, api):
        # Another city's project is answered like a missing one (issue 12, finding 11).
        payload = {"project": data.p_dt2.pk, "year": 2024, "month": 1, "stage": "started"}
        hidden = api(data.ty_staff).post(self.url, payload, format="json")
        missing = api(data.ty_staff).post(self.url, {**payload, "project": 999999}, format="json")
        assert hidden.status_code == missing.status_code == 400
        assert hidden.json()["project"] == [f"编号为“{data.p_dt2.pk}”的记录不存在。"]
        assert missing.json()["project"] == ["编号为“999999”的记录不存在。"]
