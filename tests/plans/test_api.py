from django.db.models import Q

from plans.filtersets import (
    CityRoleFilterSet,
    IndustryFilterSet,
    KeyAreaFilterSet,
    MeasureFilterSet,
    ObservationFilterSet,
    PlanFilterSet,
    PlanSectionFilterSet,
    ProgramFilterSet,
    TargetFilterSet,
    TargetStepFilterSet,
)
from plans.models import (
    CityRole,
    Industry,
    KeyArea,
    Measure,
    Observation,
    Plan,
    PlanSection,
    Program,
    Target,
    TargetStep,
)
from tests.api.base import ResourceTests, ids

PROVINCE_TARGET_KEYS = ["achieved", "on-track", "at-risk", "off-track", "no-data", "falling", "range", "no-baseline"]


class TestPlans(ResourceTests):
    url = "/api/v1/plans/"
    model = Plan
    filterset = PlanFilterSet
    max_queries = 5
    filter_cases = {
        "follows": lambda d: ({"follows": d.old_plan.pk}, ids(d.plan)),
        "kind": lambda d: ({"kind": "plan"}, Q(kind="plan")),
        "status": lambda d: ({"status": "expired"}, ids(d.old_plan)),
        "year": lambda d: ({"year": "2023"}, ids(d.plan)),
        "period_start_min": lambda d: ({"period_start_min": "2021"}, ids(d.plan)),
        "period_start_max": lambda d: ({"period_start_max": "2020"}, ids(d.old_plan)),
        "period_end_min": lambda d: ({"period_end_min": "2025"}, ids(d.plan)),
        "period_end_max": lambda d: ({"period_end_max": "2020"}, ids(d.old_plan)),
        "has_targets": lambda d: ({"has_targets": "false"}, ids(d.old_plan)),
    }
    search_case = staticmethod(lambda d: ("晋政发", ids(d.plan)))
    create_payload = staticmethod(
        lambda d: {"code": "new-plan", "title": "新规划", "period_start": 2026, "period_end": 2030}
    )
    invalid_payload = staticmethod(lambda d: ({"code": "sx-14th-sei", "title": ""}, ["code", "title"]))
    update_case = staticmethod(lambda d: (d.plan, {"summary": "摘要"}))
    delete_record = staticmethod(lambda d: d.old_plan)

    def test_sections_come_with_the_plan(self, data, api):
        body = api(data.viewer).get(self.detail_url(data.plan)).json()
        assert [(s["key"], s["parent"]) for s in body["sections"]] == [("3", None), ("3.1", data.chapter.pk)]

    def test_period_out_of_order_answers_the_models_message(self, data, api):
        payload = {"code": "bad", "title": "坏规划", "period_start": 2030, "period_end": 2020}
        response = api(data.admin).post(self.url, payload, format="json")
        assert response.status_code == 400
        assert response.json()["non_field_errors"] == ["规划期起始年份不能晚于终止年份。"]


class TestPlanSections(ResourceTests):
    url = "/api/v1/plan-sections/"
    model = PlanSection
    filterset = PlanSectionFilterSet
    max_queries = 4
    filter_cases = {
        "plan": lambda d: ({"plan": d.plan.pk}, Q(plan=d.plan)),
        "parent": lambda d: ({"parent": d.chapter.pk}, ids(d.subsection)),
    }
    search_case = staticmethod(lambda d: ("重点产业", ids(d.chapter)))
    create_payload = staticmethod(lambda d: {"plan": d.plan.pk, "key": "4", "number": "四、", "title": "保障措施"})
    invalid_payload = staticmethod(lambda d: ({"plan": d.plan.pk, "key": "3", "title": "重复"}, ["non_field_errors"]))
    update_case = staticmethod(lambda d: (d.chapter, {"page": 12}))
    delete_record = staticmethod(lambda d: d.subsection)


class TestIndustries(ResourceTests):
    url = "/api/v1/industries/"
    model = Industry
    filterset = IndustryFilterSet
    max_queries = 4
    filter_cases = {
        "industry": lambda d: ({"industry": d.materials.pk}, ids(d.materials, d.metals, d.special_steel)),
        "is_national": lambda d: ({"is_national": "false"}, ids(d.cbm)),
        "has_parent": lambda d: ({"has_parent": "false"}, Q(parent__isnull=True)),
        "parent": lambda d: ({"parent": d.metals.pk}, ids(d.special_steel)),
    }
    search_case = staticmethod(lambda d: ("煤层气", ids(d.cbm)))
    create_payload = staticmethod(lambda d: {"code": "4", "name": "数字创意产业"})
    invalid_payload = staticmethod(lambda d: ({"code": "3", "name": ""}, ["code", "name"]))
    update_case = staticmethod(lambda d: (d.cbm, {"description": "山西增列"}))
    delete_record = staticmethod(lambda d: Industry.objects.create(code="X", name="临时"))

    def test_tree_nests_the_whole_taxonomy_in_one_query(self, data, api, django_assert_max_num_queries):
        client = api(data.admin)
        with django_assert_max_num_queries(1):
            tree = client.get(f"{self.url}tree/").json()
        materials = next(node for node in tree if node["code"] == "3")
        assert materials["children"][0]["children"][0]["name"] == "特种钢"


class TestKeyAreas(ResourceTests):
    url = "/api/v1/key-areas/"
    model = KeyArea
    filterset = KeyAreaFilterSet
    max_queries = 5
    filter_cases = {
        "industry": lambda d: ({"industry": d.materials.pk}, ids(d.key_area)),
        "plan": lambda d: ({"plan": d.plan.pk}, Q(plan=d.plan)),
        "parent": lambda d: ({"parent": d.key_area.pk}, ids(d.key_area_child)),
        "section": lambda d: ({"section": d.subsection.pk}, ids(d.key_area)),
    }
    search_case = staticmethod(lambda d: ("轨道", ids(d.key_area2)))
    create_payload = staticmethod(lambda d: {"plan": d.plan.pk, "key": "3", "name": "新能源", "industries": [d.cbm.pk]})
    invalid_payload = staticmethod(lambda d: ({"plan": d.plan.pk, "key": "1", "name": "重复"}, ["non_field_errors"]))
    update_case = staticmethod(lambda d: (d.key_area, {"description": "内容"}))
    delete_record = staticmethod(lambda d: d.key_area2)


class TestTargets(ResourceTests):
    url = "/api/v1/targets/"
    model = Target
    filterset = TargetFilterSet
    max_queries = 4
    filter_cases = {
        "industry": lambda d: ({"industry": d.metals.pk}, ids(d.t_achieved, d.t_on_track)),
        "city": lambda d: ({"city": "140100"}, ids(d.t_taiyuan, d.t_allocated)),
        "scope": lambda d: ({"scope": "140000"}, Q(key__in=PROVINCE_TARGET_KEYS)),
        "comparator": lambda d: ({"comparator": ["le", "range"]}, ids(d.t_falling, d.t_range)),
        "target_year_min": lambda d: ({"target_year_min": "2025"}, Q()),
        "target_year_max": lambda d: ({"target_year_max": "2025"}, Q()),
        "baseline_year_min": lambda d: ({"baseline_year_min": "2020"}, Q(baseline_year=2020)),
        "baseline_year_max": lambda d: ({"baseline_year_max": "2020"}, Q(baseline_year=2020)),
        "has_baseline": lambda d: ({"has_baseline": "false"}, ids(d.t_no_baseline)),
        "has_industry": lambda d: ({"has_industry": "true"}, ids(d.t_achieved, d.t_on_track, d.t_at_risk)),
        "status": lambda d: ({"status": ["achieved"]}, ids(d.t_achieved, d.t_range, d.t_taiyuan)),
        "plan": lambda d: ({"plan": d.plan.pk}, Q(plan=d.plan)),
        "key_area": lambda d: ({"key_area": d.key_area.pk}, ids(d.t_achieved)),
        "section": lambda d: ({"section": d.subsection.pk}, ids(d.t_achieved)),
        "base": lambda d: ({"base": d.base_core.pk}, ids(d.t_off_track)),
        "indicator": lambda d: ({"indicator": d.t_falling.indicator_id}, ids(d.t_falling)),
        "nature": lambda d: ({"nature": ["unstated"]}, Q()),
        "has_parent": lambda d: ({"has_parent": "true"}, ids(d.t_allocated)),
        "parent": lambda d: ({"parent": d.t_achieved.pk}, ids(d.t_allocated)),
        # 2024-06-30: the mid-term picture of targets due in 2025 (today every one of them is due).
        "as_of": lambda d: ({"as_of": "2024-06-30", "status": ["behind"]}, ids(d.t_at_risk)),
        "grade": lambda d: ({"grade": ["achieved"]}, ids(d.t_achieved, d.t_range, d.t_taiyuan)),
    }
    search_case = staticmethod(lambda d: ("指标falling", ids(d.t_falling)))
    create_payload = staticmethod(
        lambda d: {
            "plan": d.plan.pk,
            "key": "new",
            "indicator": d.t_no_data.indicator_id,
            "target_value": "10",
            "target_year": 2025,
            "scope": "140000",
        }
    )
    invalid_payload = staticmethod(
        lambda d: (
            {
                "plan": d.plan.pk,
                "key": "x",
                "indicator": d.t_no_data.indicator_id,
                "name": "区间缺上限",
                "comparator": "range",
                "target_value": "1",
                "target_year": 2025,
                "scope": "140000",
            },
            ["non_field_errors"],
        )
    )
    update_case = staticmethod(lambda d: (d.t_no_data, {"target_value": "300.0000"}))
    delete_record = staticmethod(lambda d: d.t_no_data)

    def test_progress_comes_with_each_target(self, data, api):
        body = api(data.viewer).get(self.detail_url(data.t_on_track), {"as_of": "2024-06-30"}).json()
        assert (body["latest_value"], body["latest_year"], body["status"]) == ("170.0000", 2023, "faster")
        assert (body["status_display"], body["as_of"]) == ("快于预期", "2024-06-30")
        today = api(data.viewer).get(self.detail_url(data.t_on_track)).json()
        assert (today["status"], today["status_display"]) == ("overdue_no_data", "逾期无数据")

    def test_progress_is_returned_after_a_write(self, data, api):
        response = api(data.admin).patch(self.detail_url(data.t_off_track), {"target_value": "110"}, format="json")
        assert response.json()["status"] == "achieved"

    def test_ordering_by_progress(self, data, api):
        rows = api(data.admin).get(self.url, {"ordering": "-progress", "page_size": 100}).json()["results"]
        progress = [row["progress"] for row in rows if row["progress"] is not None]
        assert progress == sorted(progress, reverse=True)
        assert api(data.admin).get(self.url, {"ordering": "status"}).status_code == 200


class TestTargetSteps(ResourceTests):
    url = "/api/v1/target-steps/"
    model = TargetStep
    filterset = TargetStepFilterSet
    max_queries = 4
    filter_cases = {
        "target": lambda d: ({"target": d.t_taiyuan.pk}, ids(d.step_taiyuan)),
        "year": lambda d: ({"year": "2023"}, ids(d.step_province)),
        "plan": lambda d: ({"plan": d.plan.pk}, Q()),
        "indicator": lambda d: ({"indicator": d.t_no_data.indicator_id}, ids(d.step_province)),
        "city": lambda d: ({"city": "140100"}, ids(d.step_taiyuan)),
        "scope": lambda d: ({"scope": "140000"}, ids(d.step_province)),
        "year_min": lambda d: ({"year_min": "2024"}, ids(d.step_taiyuan)),
        "year_max": lambda d: ({"year_max": "2023"}, ids(d.step_province)),
    }
    search_case = staticmethod(lambda d: ("指标no-data", ids(d.step_province)))
    create_payload = staticmethod(lambda d: {"target": d.t_no_data.pk, "year": 2024, "value": "160"})
    invalid_payload = staticmethod(lambda d: ({"target": d.t_no_data.pk, "year": 2030, "value": "1"}, ["year"]))
    update_case = staticmethod(lambda d: (d.step_province, {"value": "155.0000"}))
    delete_record = staticmethod(lambda d: d.step_province)


class TestObservations(ResourceTests):
    url = "/api/v1/observations/"
    model = Observation
    filterset = ObservationFilterSet
    max_queries = 5
    filter_cases = {
        "plan": lambda d: ({"plan": d.plan.pk}, ids(d.obs_datong)),
        "source_plan": lambda d: ({"source_plan": d.plan.pk}, ids(d.obs_datong)),
        "city": lambda d: ({"city": "140200"}, ids(d.obs_datong)),
        "scope": lambda d: ({"scope": "140000"}, Q(scope=d.province)),
        "indicator": lambda d: ({"indicator": d.datong_output.pk}, ids(d.obs_datong)),
        "indicator_key": lambda d: ({"indicator_key": "datong-output"}, ids(d.obs_datong)),
        "month": lambda d: ({"month": "6"}, ids(d.obs_datong)),
        "status": lambda d: ({"status": ["preliminary"]}, ids(d.obs_datong)),
        "qualifier": lambda d: ({"qualifier": ["above"]}, ids(d.obs_datong)),
        "year_min": lambda d: ({"year_min": "2024"}, Q(year__gte=2024)),
        "year_max": lambda d: ({"year_max": "2022"}, Q(year__lte=2022)),
        "quarter": lambda d: ({"quarter": "3"}, Q(quarter=3)),
        "value_min": lambda d: ({"value_min": "200"}, Q(value__gte=200)),
        "value_max": lambda d: ({"value_max": "10"}, Q(value__lte=10)),
        "year": lambda d: ({"year": "2023"}, Q(year=2023)),
    }
    search_case = staticmethod(lambda d: ("大同产值", ids(d.obs_datong)))
    create_payload = staticmethod(
        lambda d: {
            "indicator": d.t_no_data.indicator_id,
            "value": "120",
            "qualifier": "around",
            "status": "preliminary",
            "year": 2023,
            "scope": "140000",
        }
    )
    invalid_payload = staticmethod(
        lambda d: (
            {"indicator": d.datong_output.pk, "value": "abc", "year": 1800, "scope": "999999"},
            ["value", "scope"],
        )
    )
    update_case = staticmethod(lambda d: (d.obs_taiyuan, {"value": "310.0000"}))
    delete_record = staticmethod(lambda d: d.obs_datong)
    city_payload = staticmethod(
        lambda d: {"indicator": d.t_taiyuan.indicator_id, "value": "12.5", "year": 2024, "scope": "140100"}
    )
    other_city_record = staticmethod(lambda d: d.obs_datong)

    def test_city_staff_cannot_report_province_values(self, data, api):
        payload = {"indicator": data.t_taiyuan.indicator_id, "value": "1", "year": 2024, "scope": "140000"}
        response = api(data.ty_staff).post(self.url, payload, format="json")
        assert response.status_code == 400 and "scope" in response.json()

    def test_the_reporter_is_recorded(self, data, api):
        response = api(data.ty_staff).post(self.url, self.city_payload(data), format="json")
        assert response.json()["reported_by"] == data.ty_staff.pk


class TestPrograms(ResourceTests):
    url = "/api/v1/programs/"
    model = Program
    filterset = ProgramFilterSet
    max_queries = 5
    filter_cases = {
        "kind": lambda d: ({"kind": "task"}, ids(d.task)),
        "industry": lambda d: ({"industry": d.materials.pk}, ids(d.program)),
        "plan": lambda d: ({"plan": d.plan.pk}, Q(plan=d.plan)),
        "section": lambda d: ({"section": d.subsection.pk}, ids(d.program)),
        "parent": lambda d: ({"parent": d.program.pk}, ids(d.program_child)),
        "has_parent": lambda d: ({"has_parent": "false"}, Q(parent__isnull=True)),
    }
    search_case = staticmethod(lambda d: ("提升工程", ids(d.program)))
    create_payload = staticmethod(lambda d: {"plan": d.plan.pk, "key": "3", "name": "新工程", "industries": [d.cbm.pk]})
    invalid_payload = staticmethod(lambda d: ({"plan": d.plan.pk, "key": "1", "name": "重复", "kind": "x"}, ["kind"]))
    update_case = staticmethod(lambda d: (d.task, {"description": "内容"}))
    delete_record = staticmethod(lambda d: d.task)


class TestMeasures(ResourceTests):
    url = "/api/v1/measures/"
    model = Measure
    filterset = MeasureFilterSet
    max_queries = 4
    filter_cases = {
        "plan": lambda d: ({"plan": d.plan.pk}, Q(plan=d.plan)),
        "section": lambda d: ({"section": d.chapter.pk}, ids(d.measure)),
        "parent": lambda d: ({"parent": d.measure.pk}, ids(d.measure_child)),
        "has_parent": lambda d: ({"has_parent": "false"}, Q(parent__isnull=True)),
    }
    search_case = staticmethod(lambda d: ("要素", ids(d.measure2)))
    create_payload = staticmethod(lambda d: {"plan": d.plan.pk, "key": "3", "name": "完善政策"})
    invalid_payload = staticmethod(lambda d: ({"plan": d.plan.pk, "key": "1", "name": "重复"}, ["non_field_errors"]))
    update_case = staticmethod(lambda d: (d.measure, {"description": "内容"}))
    delete_record = staticmethod(lambda d: d.measure2)


class TestCityRoles(ResourceTests):
    url = "/api/v1/city-roles/"
    model = CityRole
    filterset = CityRoleFilterSet
    max_queries = 5
    filter_cases = {
        "city": lambda d: ({"city": "140100"}, ids(d.city_role)),
        "industry": lambda d: ({"industry": d.equipment.pk}, ids(d.city_role)),
        "plan": lambda d: ({"plan": d.plan.pk}, Q(plan=d.plan)),
    }
    search_case = staticmethod(lambda d: ("高端装备", ids(d.city_role)))
    create_payload = staticmethod(lambda d: {"plan": d.old_plan.pk, "city": "140100", "role": "定位"})
    invalid_payload = staticmethod(lambda d: ({"plan": d.plan.pk, "city": "140000", "role": "省不是城市"}, ["city"]))
    update_case = staticmethod(lambda d: (d.city_role, {"role": "新定位"}))
    delete_record = staticmethod(lambda d: d.city_role)
