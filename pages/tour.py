"""The first-run tour: what the system holds and where to start, per role, on the landing page of a
user who has not closed it yet (remembered on the user's profile: common.services.staff_tour_*)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from common.choices import RoleChoices
from common.scope import user_role
from common.services import staff_tour_dismiss, staff_tour_pending
from plans.models import Indicator
from projects.selectors import project_rollup_count, project_rollups

# Where each role starts: (title, what it is for, URL name or None for the user's own city).
STEPS = {
    "admin": [
        ("数据管理", "账号与角色：为省级、市级工作人员和领导开设账号，指定所属城市。", "admin:index"),
        ("批量导入", "下载模板，成批导入项目、指标和监测数据。", "admin:transfers_job_import"),
        ("全省总览", "地图、目标进展和项目推进，检查导入后的数据。", "dashboard"),
        ("API 文档", "对接其他系统的接口说明。", "api-docs"),
    ],
    RoleChoices.PROVINCE: [
        ("全省总览", "空间布局地图、规划指标进展、“三个一批”项目推进和各市排名。", "dashboard"),
        ("填报任务", "发布填报任务，审核各市报送的数据，通过后数据锁定。", "monitoring"),
        ("预警看板", "里程碑逾期、投资滞后、未按月报送的项目。", "warnings"),
        ("数据管理", "录入和修改规划、指标、项目。", "admin:index"),
        ("批量导入", "下载模板，成批导入项目、指标和监测数据。", "admin:transfers_job_import"),
    ],
    RoleChoices.CITY: [
        ("本市页面", "本市的分区定位、分解目标与红黄绿灯、重点项目表和预警。", None),
        ("填报任务", "按期报送本市的指标数据和项目月报；退回的报送修改后重新提交。", "monitoring"),
        ("预警看板", "本市项目的预警：确认、说明原因。", "warnings"),
        ("数据管理", "录入和更新本市的重点项目、园区和企业。", "admin:index"),
    ],
    RoleChoices.VIEWER: [
        ("全省总览", "一张图看空间布局、指标完成情况和项目推进。", "dashboard"),
        ("规划评估", "年度、中期和总结评估报告，可下载 Word、Excel 和 PDF。", "evaluations"),
        ("指标库", "每项指标的定义、各规划目标和各市完成排名。", "indicator-catalogue"),
        ("预警看板", "需要关注的项目。", "warnings"),
    ],
}
ROLE_INTROS = {
    "admin": "您是系统管理员：管理账号、角色和全部数据。",
    RoleChoices.PROVINCE: "您是省级工作人员：可查看和维护全省数据，审核各市报送。",
    RoleChoices.CITY: "您是市级工作人员：可查看全省规划与指标，维护和报送本市的数据。",
    RoleChoices.VIEWER: "您是只读用户：可查看全部页面和报告，不修改数据。",
}


def tour_context(view) -> dict | None:
    """The tour for the user of a landing page (a pages.views.PageMixin view), or None once they closed it."""
    user = view.request.user
    if not staff_tour_pending(user=user):
        return None
    kind = "admin" if user.is_superuser else user_role(user)
    own = [] if view.scope()["all"] else view.scope()["cities"]
    steps = []
    for title, text, name in STEPS[kind]:
        if name is None:
            if not own:
                continue
            url = view.link("city", own[0].code)
            title = f"{own[0].name}页面"
        elif name.startswith("admin:") and not user.is_staff:
            continue
        else:
            url = reverse(name) if name.startswith("admin:") else view.link(name)
        steps.append({"title": title, "text": text, "name": name, "url": url})
    scope = view.scope()
    return {
        "intro": ROLE_INTROS[kind],
        "steps": steps,
        "holds": {
            "plans": len(view.plans()),
            "cities": len(view.cities()),
            "indicators": Indicator.objects.for_user(user).count(),
            # The rollups' count (the same rows as the projects' scope): no COUNT over every project.
            "projects": project_rollup_count(queryset=project_rollups(user=user)),
            "scope": scope["label"],
        },
    }


class TourDismissView(LoginRequiredMixin, View):
    """POST: close the tour for good, then back to the page it was closed on."""

    def post(self, request, *args, **kwargs):
        staff_tour_dismiss(user=request.user)
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = "/"
        return redirect(back)
