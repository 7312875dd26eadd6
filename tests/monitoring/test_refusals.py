"""Every refusal of the monitoring loop, per layer (service, API, admin, page, import, database), with the exact
Chinese words each gives: the list in the issue's closing note is this file."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import Client

from common.locking import LOCKED_MESSAGE
from monitoring.locking import VALUE_LOCKED_MESSAGE
from monitoring.models import Round, RoundTemplate, SubmissionValue
from monitoring.services import (
    SubmissionConflict,
    lock_exception_create,
    round_create,
    round_create_from_template,
    round_delete,
    round_update,
    submission_approve,
    submission_reopen,
    submission_return,
    submission_submit,
    submission_update,
    submission_value_create,
    submission_value_delete,
    submission_value_update,
    submission_values_save,
)
from plans.models import Observation
from plans.services import observation_update
from projects.services import project_report_create, project_report_update
from tests import factories
from tests.shared import built_once, fresh_copy

from .helpers import build_loop, client_for

LOCKED = "该报送已审核通过并锁定；如需更正，请联系省级工作人员重新打开。"
WAITING = "该报送已报送，正在等待省级审核，不能修改；如需修改，请联系省级工作人员退回。"


def refusal(call) -> str:
    """What a call is refused with, as the user reads it ("" if it is not refused)."""
    try:
        with transaction.atomic():
            call()
    except ValidationError as error:
        return "；".join(error.messages)
    except (PermissionDenied, SubmissionConflict) as error:
        return str(error)
    return ""


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """太原 reported and approved (its project report filed), 大同 a draft; a third indicator outside the round."""

    def build():
        loop = build_loop()
        rows = {value.pk: {"value": Decimal("12"), "comment": "核实"} for value in loop.ty.values.all()}
        submission_values_save(user=loop.taiyuan, submission=loop.ty, rows=rows)
        report = project_report_create(
            user=loop.taiyuan, data={"project": loop.project, "year": 2025, "month": 12, "stage": "started"}
        )
        submission_submit(user=loop.taiyuan, submission=loop.ty)
        return loop, report, factories.make_indicator("不在任务中的指标", "家")

    yield from built_once(django_db_blocker=django_db_blocker, build=build)


@pytest.fixture
def data(world, db):
    return fresh_copy(world)


def _round_data(loop, **changes) -> dict:
    return {
        "name": "新任务",
        "year": 2026,
        "opens_on": datetime.date(2027, 1, 1),
        "due_on": datetime.date(2027, 2, 1),
        "closes_on": datetime.date(2027, 3, 1),
        "indicators": [loop.share],
        "cities": [loop.ty.city],
        **changes,
    }


def test_service_refusals(data):
    loop, report, outsider = data
    ty_value = loop.ty.values.get(indicator=loop.share)
    dt_value = loop.dt.values.get(indicator=loop.share)
    monthly = RoundTemplate.objects.create(name="月度调度", kind="projects", period_type="month")
    before_approval = {
        "a city opens a round": (
            lambda: round_create(user=loop.taiyuan, data=_round_data(loop)),
            "只有省级工作人员可以管理填报任务。",
        ),
        "dates out of order": (
            lambda: round_create(user=loop.province, data=_round_data(loop, due_on=datetime.date(2027, 4, 1))),
            "报送期限不能晚于关闭日期。",
        ),
        "a template's period": (
            lambda: round_create_from_template(user=loop.province, template=monthly, year=2025),
            "该模板按月度填报，请选择相应的时期。",
        ),
        "another city's value": (
            lambda: submission_value_update(instance=ty_value, user=loop.datong, data={"value": Decimal("1")}),
            "您无权修改此报送。",
        ),
        "a region of another city, by the city": (
            lambda: submission_value_create(
                user=loop.datong,
                data={"submission": loop.dt, "indicator": loop.share, "region": loop.ty.city, "value": 1},
            ),
            "只能选择本人负责的城市及其所辖县（市、区）。",
        ),
        "a region outside the city, by the province": (
            lambda: submission_value_create(
                user=loop.province,
                data={"submission": loop.dt, "indicator": loop.share, "region": loop.ty.city, "value": 1},
            ),
            "地区须为大同市或其所辖县（市、区）。",
        ),
        "an indicator outside the round": (
            lambda: submission_value_create(
                user=loop.datong,
                data={"submission": loop.dt, "indicator": outsider, "region": loop.dt.city, "value": 1},
            ),
            "该指标不在本填报任务中。",
        ),
        "moving a value": (
            lambda: submission_value_update(instance=dt_value, user=loop.datong, data={"indicator": loop.firms}),
            "不能修改数值所属的报送、指标或地区；请删除后新增。",
        ),
        "deleting the city's own value": (
            lambda: submission_value_delete(instance=dt_value, user=loop.datong),
            "本市的数值为必填项，不能删除；如需更正，请修改数值。",
        ),
        "reporting with empty values": (
            lambda: submission_submit(user=loop.datong, submission=loop.dt),
            "「战略性新兴产业增加值占比」（大同市）尚未填写。；「战略性新兴产业规上企业数」（大同市）尚未填写。",
        ),
        "reporting another city's submission": (
            lambda: submission_submit(user=loop.datong, submission=loop.ty),
            "您无权报送此报送。",
        ),
        "changing a submission's city": (
            lambda: submission_update(instance=loop.ty, user=loop.province, data={"city": loop.dt.city}),
            "报送所属的任务和城市不能修改；状态只能通过报送、审核、退回、重新打开改变。",
        ),
        "a city approves": (
            lambda: submission_approve(user=loop.taiyuan, submission=loop.ty),
            "只有省级工作人员可以审核报送。",
        ),
        "approving a draft": (
            lambda: submission_approve(user=loop.province, submission=loop.dt),
            "该报送当前为“草稿”，尚未报送，不能审核。",
        ),
        "returning without a comment": (
            lambda: submission_return(user=loop.province, submission=loop.ty, comment=" "),
            "退回时须填写意见，说明需要修改的内容。",
        ),
        "reopening what is not approved": (
            lambda: submission_reopen(user=loop.province, submission=loop.ty, reason="更正"),
            "该报送当前为“已报送”，只有已审核通过的报送可以重新打开。",
        ),
        "editing a reported value": (
            lambda: submission_value_update(instance=ty_value, user=loop.taiyuan, data={"value": Decimal("1")}),
            WAITING,
        ),
        "reporting twice": (
            lambda: submission_submit(user=loop.taiyuan, submission=loop.ty),
            "该报送当前为“已报送”，不能再次报送。",
        ),
        "approving a stale version": (
            lambda: submission_approve(user=loop.province, submission=loop.ty, expected_version=1),
            "该报送已被他人处理（版本已变化），请刷新后查看最新状态。",
        ),
        "deleting a round with reports": (
            lambda: round_delete(instance=loop.round, user=loop.province),
            "已有城市报送，不能删除该填报任务。",
        ),
        "removing a reported city": (
            lambda: round_update(instance=loop.round, user=loop.province, data={"cities": [loop.dt.city]}),
            "已报送的城市不能从任务中移除。",
        ),
        "removing a reported indicator": (
            lambda: round_update(instance=loop.round, user=loop.province, data={"indicators": [loop.share]}),
            "已报送的指标不能从任务中移除。",
        ),
        "a city grants itself an exception": (
            lambda: lock_exception_create(
                user=loop.taiyuan,
                data={"round": loop.round, "city": loop.ty.city, "until": datetime.date(2100, 1, 1), "reason": "晚"},
            ),
            "只有省级工作人员可以授予补报例外。",
        ),
        "an exception without a reason": (
            lambda: lock_exception_create(
                user=loop.province,
                data={"round": loop.round, "city": loop.ty.city, "until": datetime.date(2100, 1, 1), "reason": ""},
            ),
            "此字段不能为空。",
        ),
    }
    assert {label: refusal(call) for label, (call, _) in before_approval.items()} == {
        label: expected for label, (_, expected) in before_approval.items()
    }

    submission_approve(user=loop.province, submission=loop.ty)
    published = Observation.objects.get(indicator=loop.share, scope=loop.ty.city, year=2025)
    after_approval = {
        "approving twice": (
            lambda: submission_approve(user=loop.province, submission=loop.ty),
            "该报送已被其他人审核（当前状态：已审核通过）。",
        ),
        "editing an approved value, even the province": (
            lambda: submission_value_update(instance=ty_value, user=loop.province, data={"value": Decimal("1")}),
            LOCKED,
        ),
        "editing the published observation": (
            lambda: observation_update(instance=published, user=loop.province, data={"value": Decimal("1")}),
            LOCKED_MESSAGE,
        ),
        "editing the period's project report": (
            lambda: project_report_update(instance=report, user=loop.province, data={"note": "改"}),
            LOCKED_MESSAGE,
        ),
        "a city reopens": (
            lambda: submission_reopen(user=loop.taiyuan, submission=loop.ty, reason="更正"),
            "只有省级工作人员可以重新打开已审核通过的报送。",
        ),
        "reopening without a reason": (
            lambda: submission_reopen(user=loop.province, submission=loop.ty, reason=""),
            "重新打开时须填写理由。",
        ),
    }
    assert {label: refusal(call) for label, (call, _) in after_approval.items()} == {
        label: expected for label, (_, expected) in after_approval.items()
    }

    # The round's dates: before it opens, and after it closes without an exception.
    Round.objects.filter(pk=loop.round.pk).update(
        opens_on=datetime.date(2099, 1, 1), due_on=datetime.date(2099, 1, 2), closes_on=datetime.date(2099, 1, 3)
    )
    dt_value = SubmissionValue.objects.get(pk=dt_value.pk)
    assert refusal(lambda: submission_value_update(instance=dt_value, user=loop.datong, data={"value": 1})) == (
        "本任务将于2099年1月1日开始填报。"
    )
    Round.objects.filter(pk=loop.round.pk).update(
        opens_on=datetime.date(2020, 1, 1), due_on=datetime.date(2020, 1, 2), closes_on=datetime.date(2020, 1, 3)
    )
    dt_value = SubmissionValue.objects.get(pk=dt_value.pk)
    assert refusal(lambda: submission_value_update(instance=dt_value, user=loop.datong, data={"value": 1})) == (
        "本任务已于2020年1月3日关闭；如需补报，请联系省级工作人员授予补报例外。"
    )


def test_api_refusals(data):
    loop, report, _ = data
    ty_api, dt_api, province, viewer = (client_for(u) for u in (loop.taiyuan, loop.datong, loop.province, loop.viewer))
    url = f"/api/v1/submissions/{loop.ty.pk}/"
    value = loop.ty.values.get(indicator=loop.share)

    def answer(response) -> tuple:
        return response.status_code, response.json()

    assert answer(dt_api.get(url)) == (404, {"detail": "记录或页面不存在。"})
    assert answer(ty_api.post(f"{url}approve/", {}, format="json")) == (
        403,
        {"detail": "只有省级工作人员可以审核报送。"},
    )
    assert answer(ty_api.patch(f"/api/v1/submission-values/{value.pk}/", {"value": "1"}, format="json")) == (
        400,
        {"non_field_errors": [WAITING]},
    )
    assert answer(province.post(f"{url}return/", {"comment": ""}, format="json")) == (
        400,
        {"comment": ["退回时须填写意见，说明需要修改的内容。"]},
    )
    assert answer(province.post(f"{url}approve/", {}, format="json", HTTP_IF_MATCH='"v0"'))[0] == 412
    dt_submit = dt_api.post(f"/api/v1/submissions/{loop.dt.pk}/submit/", {}, format="json")
    assert answer(dt_submit) == (
        400,
        {
            "non_field_errors": [
                "「战略性新兴产业增加值占比」（大同市）尚未填写。",
                "「战略性新兴产业规上企业数」（大同市）尚未填写。",
            ]
        },
    )
    assert province.post(f"{url}approve/", {}, format="json").status_code == 200
    assert answer(province.post(f"{url}approve/", {}, format="json")) == (
        409,
        {"detail": "该报送已被其他人审核（当前状态：已审核通过）。"},
    )
    assert answer(province.patch(f"/api/v1/submission-values/{value.pk}/", {"value": "1"}, format="json")) == (
        400,
        {"non_field_errors": [LOCKED]},
    )
    published = Observation.objects.get(indicator=loop.share, scope=loop.ty.city, year=2025)
    assert answer(province.patch(f"/api/v1/observations/{published.pk}/", {"value": "1"}, format="json")) == (
        400,
        {"non_field_errors": [LOCKED_MESSAGE]},
    )
    assert answer(province.post(f"{url}reopen/", {"reason": ""}, format="json")) == (
        400,
        {"reason": ["重新打开时须填写理由。"]},
    )
    assert answer(viewer.post(f"{url}reopen/", {"reason": "更正"}, format="json")) == (
        403,
        {"detail": "您没有执行该操作的权限。"},
    )
    assert answer(ty_api.get("/api/v1/targets/", {"include_unapproved": "true"})) == (
        403,
        {"detail": "只有省级工作人员可以查看尚未审核的数据。"},
    )


def test_admin_and_page_refusals(data):
    loop, report, _ = data
    clerk, admin = Client(), Client()
    clerk.force_login(loop.taiyuan)
    admin.force_login(loop.province)
    # The admin shows the reported submission read-only, with the reason; its values have no inputs.
    page = clerk.get(f"/admin/monitoring/submission/{loop.ty.pk}/change/")
    assert WAITING in page.text
    assert 'name="values-0-value"' not in page.text
    # Approving in the admin as a city: refused per submission, nothing changes.
    page = clerk.post(
        "/admin/monitoring/submission/",
        {"action": "approve", "_selected_action": [loop.ty.pk]},
        follow=True,
    )
    assert f"{loop.ty}：只有省级工作人员可以审核报送。" in page.text
    submission_approve(user=loop.province, submission=loop.ty)
    published = Observation.objects.get(indicator=loop.share, scope=loop.ty.city, year=2025)
    assert admin.post(f"/admin/plans/observation/{published.pk}/change/", {"value": "1"}).status_code == 403
    assert LOCKED_MESSAGE in admin.get(f"/admin/plans/observation/{published.pk}/change/").text
    assert LOCKED in admin.get(f"/admin/monitoring/submission/{loop.ty.pk}/change/").text
    # The clerk's page: read-only with the reason; a review by the city is refused.
    page = clerk.get(f"/monitoring/submissions/{loop.ty.pk}/")
    assert LOCKED in page.text and 'name="value-' not in page.text
    page = clerk.post(f"/monitoring/submissions/{loop.ty.pk}/", {"action": "reopen", "comment": "x"}, follow=True)
    assert "只有省级工作人员可以重新打开已审核通过的报送。" in page.text
    assert clerk.post(f"/monitoring/rounds/{loop.round.pk}/", {"action": "approve"}).status_code == 403
    page = admin.post(f"/monitoring/submissions/{loop.ty.pk}/", {"action": "reopen", "comment": ""}, follow=True)
    assert "重新打开时须填写理由。" in page.text
    page = admin.post(f"/monitoring/rounds/{loop.round.pk}/", {"action": "approve"}, follow=True)
    assert "请先勾选要审核的城市。" in page.text


@pytest.mark.postgres
def test_database_refusals_on_postgresql(data):
    loop, report, _ = data
    submission_approve(user=loop.province, submission=loop.ty)
    published = Observation.objects.get(indicator=loop.share, scope=loop.ty.city, year=2025)
    value = loop.ty.values.get(indicator=loop.share)

    def raw(sql: str, pk: int) -> str:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [pk])
        except DatabaseError as error:
            return str(error).splitlines()[0]
        return ""

    assert {
        sql: raw(sql, pk)
        for sql, pk in [
            ("UPDATE plans_observation SET value = 1 WHERE id = %s", published.pk),
            ("DELETE FROM plans_observation WHERE id = %s", published.pk),
            ("UPDATE projects_projectreport SET note = 'x' WHERE id = %s", report.pk),
            ("DELETE FROM projects_projectreport WHERE id = %s", report.pk),
            ("UPDATE monitoring_submissionvalue SET value = 1 WHERE id = %s", value.pk),
            ("DELETE FROM monitoring_submissionvalue WHERE id = %s", value.pk),
        ]
    } == {
        "UPDATE plans_observation SET value = 1 WHERE id = %s": LOCKED_MESSAGE,
        "DELETE FROM plans_observation WHERE id = %s": LOCKED_MESSAGE,
        "UPDATE projects_projectreport SET note = 'x' WHERE id = %s": LOCKED_MESSAGE,
        "DELETE FROM projects_projectreport WHERE id = %s": LOCKED_MESSAGE,
        "UPDATE monitoring_submissionvalue SET value = 1 WHERE id = %s": VALUE_LOCKED_MESSAGE,
        "DELETE FROM monitoring_submissionvalue WHERE id = %s": VALUE_LOCKED_MESSAGE,
    }
