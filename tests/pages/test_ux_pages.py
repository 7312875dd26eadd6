"""Honest figures, error pages, the first-run tour and the plan page's contents (issue 18)."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import override_settings
from django.urls import reverse

from common.models import StaffProfile
from common.services import staff_tour_dismiss
from pages.templatetags.pages_tags import figure, goal, numbering
from pages.views import decimals
from plans.choices import PlanStatusChoices
from plans.models import Measure, Program
from projects.models import KeyProject
from projects.services import project_rollup_rebuild
from tests import factories

WORLD_BUILT_ONCE = True


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


class TestPlanStatus:
    def test_a_plan_in_force_whose_period_ended_is_expired(self, pages_data):
        plan = pages_data.plan14  # 2021–2025, recorded 实施中
        assert plan.status_on(datetime.date(2025, 12, 31)) == PlanStatusChoices.IN_FORCE
        assert plan.status_on(datetime.date(2026, 1, 1)) == PlanStatusChoices.EXPIRED
        # A superseded plan stays superseded, whatever the date.
        assert pages_data.plan13.status_on(datetime.date(2018, 1, 1)) == PlanStatusChoices.SUPERSEDED

    def test_the_plan_page_shows_the_status_on_its_date(self, client, pages_data):
        url = reverse("plan", args=[pages_data.plan14.pk])
        user = pages_data.users["viewer"]
        assert 'data-testid="plan-status">已到期<' in get(client, user, url, as_of="2026-03-01").content.decode()
        assert 'data-testid="plan-status">实施中<' in get(client, user, url, as_of="2023-03-01").content.decode()
        body = get(client, user, reverse("plan", args=[pages_data.plan13.pk]), as_of="2018-03-01").content.decode()
        assert 'data-testid="plan-status">已被替代<' in body


class TestUnknownInvestment:
    def test_a_stage_whose_amounts_are_all_unknown_shows_a_dash(self, client, pages_data):
        KeyProject.objects.filter(stage="started").update(total_investment=None)
        project_rollup_rebuild()  # a raw update bypasses the services that keep the rollups
        response = get(client, pages_data.users["province"], "/")
        stages = {row["stage"]: row for row in response.context["stages"]}
        assert stages["started"]["count"] == 2
        assert stages["started"]["investment"] is None and stages["started"]["unknown"] == 2
        assert stages["signed"]["investment"] == pytest.approx(12) and stages["signed"]["unknown"] == 0
        assert stages["at_capacity"]["investment"] == 0 and stages["at_capacity"]["count"] == 0
        # 大同 has two projects: one started (unknown), one planned (6): its sum is the known 6.
        by_city = {row["code"]: row for row in response.context["page_data"]["investmentByCity"]}
        assert by_city["140200"]["investment"] == pytest.approx(6)
        assert by_city["140300"] == {"code": "140300", "name": "阳泉市", "count": 0, "investment": 0}
        KeyProject.objects.filter(city__code="140200").update(total_investment=None)
        project_rollup_rebuild()
        response = get(client, pages_data.users["province"], "/")
        by_city = {row["code"]: row for row in response.context["page_data"]["investmentByCity"]}
        assert by_city["140200"]["investment"] is None
        datong = next(f for f in response.context["page_data"]["cities"]["features"] if f["id"] == "140200")
        assert datong["properties"]["project_investment"] is None
        assert datong["properties"]["project_investment_unknown"] == 2


class TestErrorPages:
    @override_settings(DEBUG=False)
    def test_404_is_the_sites_page_with_the_role(self, client, pages_data):
        response = get(client, pages_data.users["taiyuan"], "/no-such-page/")
        body = response.content.decode()
        assert response.status_code == 404
        assert 'data-testid="error-404"' in body and "页面不存在" in body
        assert "taiyuan · 市级工作人员" in body
        assert 'href="/static/src/sxplan.css"' in body or "sxplan.css" in body

    def test_403_names_the_user_and_says_why(self, client, pages_data):
        response = get(client, pages_data.users["nobody"], "/")
        body = response.content.decode()
        assert response.status_code == 403
        assert 'data-testid="error-403"' in body and "尚未分配角色" in body
        assert "nobody · 未分配角色" in body


class TestTour:
    @pytest.mark.parametrize(
        "username, url, says, starts",
        [
            ("province", "/", "省级工作人员", ["全省总览", "填报任务", "预警看板", "数据管理", "批量导入"]),
            ("taiyuan", "/cities/140100/", "市级工作人员", ["太原市页面", "填报任务", "预警看板", "数据管理"]),
            ("viewer", "/", "只读用户", ["全省总览", "规划评估", "指标库", "预警看板"]),
            ("admin", "/", "系统管理员", ["数据管理", "批量导入", "全省总览", "API 文档"]),
        ],
    )
    def test_each_role_is_told_where_to_start(self, client, pages_data, username, url, says, starts):
        user = pages_data.users.get(username) or factories.make_user(username, None, is_superuser=True)
        tour = get(client, user, url).context["tour"]
        assert says in tour["intro"]
        assert [step["title"] for step in tour["steps"]] == starts
        assert tour["holds"]["plans"] == 2 and tour["holds"]["cities"] == 11
        assert tour["holds"]["projects"] == (3 if username == "taiyuan" else 5)
        assert tour["holds"]["scope"] == ("您可查看的城市（太原市）" if username == "taiyuan" else "全省")

    def test_closing_it_is_remembered_for_that_user_only(self, client, pages_data):
        taiyuan, datong = pages_data.users["taiyuan"], pages_data.users["datong"]
        client.force_login(taiyuan)
        response = client.post(reverse("tour-dismiss"), {"next": "/cities/140100/?as_of=2024-01-01"})
        assert response.status_code == 302 and response["Location"] == "/cities/140100/?as_of=2024-01-01"
        assert get(client, taiyuan, "/cities/140100/").context["tour"] is None
        assert 'data-testid="tour"' not in get(client, taiyuan, "/cities/140100/").content.decode()
        assert get(client, datong, "/cities/140200/").context["tour"] is not None
        # Another site in ``next`` is not followed.
        client.force_login(taiyuan)
        assert client.post(reverse("tour-dismiss"), {"next": "https://example.com/"})["Location"] == "/"

    def test_a_superuser_without_a_profile_gets_one_to_remember_it(self, pages_data):
        admin = factories.make_user("root", None, is_superuser=True)
        staff_tour_dismiss(user=admin)
        profile = StaffProfile.objects.get(user=admin)
        assert profile.role == "province" and profile.tour_dismissed_at is not None

    def test_signed_out_users_cannot_close_it(self, client, pages_data):
        response = client.post(reverse("tour-dismiss"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


class TestFormats:
    def test_one_format_per_target_row(self):
        assert decimals(Decimal("9.1"), Decimal("12"), None) == 1
        assert decimals(Decimal("9.10"), Decimal("12.00")) == 1
        assert decimals(Decimal("1000"), Decimal("2000")) == 0
        assert decimals(Decimal("0.125"), 3) == 2
        target = SimpleNamespace(unit="%", target_value=Decimal("15"), target_value_max=None)
        row = {"target": target, "digits": decimals(Decimal("9.1"), Decimal("12")), "comparator": "≥"}
        assert figure(Decimal("9.1"), row) == "9.1%"
        assert figure(Decimal("12"), row) == "12.0%"
        assert figure(None, row) == "—"
        assert goal(row) == "≥15.0%"

    def test_section_numbers_are_full_width(self):
        assert numbering("(一)发展现状") == "（一）发展现状"
        assert numbering("（二）") == "（二）"
        assert numbering("(12)") == "（12）"
        assert numbering("三、(注)") == "三、(注)"


def test_the_plan_page_lists_its_programs_and_measures(client, pages_data):
    plan = pages_data.plan14
    Program.objects.create(plan=plan, key="1", name="产业集群培育工程", order=1)
    Measure.objects.create(plan=plan, key="1", name="(一)加强宏观统筹协调", order=1)
    body = get(client, pages_data.users["viewer"], reverse("plan", args=[plan.pk])).content.decode()
    assert "产业集群培育工程" in body
    assert "（一）加强宏观统筹协调" in body
    assert "（一）发展现状" in body
