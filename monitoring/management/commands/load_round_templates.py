"""Create the standing round templates; run by ``make run`` after the seed data.

Idempotent and never against staff: a template this command created once is not created again,
whether staff kept it, changed it, renamed it or deleted it (read from the templates' history); an
existing template of the same name is left as it is.
"""

from django.core.management.base import BaseCommand

from monitoring.choices import PeriodTypeChoices, RoundKindChoices
from monitoring.models import RoundTemplate
from monitoring.services import round_template_create
from plans.models import Plan

# The plan whose targets' indicators the annual round asks for (seeds: 山西省“十四五”战略性新兴产业发展规划).
ANNUAL_PLAN_CODE = "sx-14th-sei"
#: The history reason of the templates this command creates (how a later run recognises them).
REASON = "load_round_templates"

TEMPLATES = [
    {
        "name": "年度监测：十四五战新规划全部指标",
        "kind": RoundKindChoices.INDICATORS,
        "period_type": PeriodTypeChoices.YEAR,
        "due_days": 60,
        "close_days": 90,
    },
    {
        "name": "月度调度：全部在建重点项目",
        "kind": RoundKindChoices.PROJECTS,
        "period_type": PeriodTypeChoices.MONTH,
        "due_days": 10,
        "close_days": 20,
    },
]


class Command(BaseCommand):
    help = "创建常用的填报任务模板（年度监测、月度调度）；已创建过的模板（含工作人员修改、改名或删除的）保持不变。"

    def handle(self, *args, **options):
        plan = Plan.objects.filter(code=ANNUAL_PLAN_CODE).first()
        for data in TEMPLATES:
            name = data["name"]
            if RoundTemplate.objects.filter(name=name).exists():
                self.stdout.write(f"已存在，保持不变：{name}")
                continue
            created = (
                RoundTemplate.history.filter(name=name, history_type="+", history_change_reason=REASON)
                .order_by("history_date")
                .first()
            )
            if created is not None:
                current = RoundTemplate.objects.filter(pk=created.id).first()
                if current is not None:
                    self.stdout.write(f"已由工作人员改名为「{current.name}」，保持不变：{name}")
                else:
                    self.stdout.write(f"已由工作人员删除，不再创建：{name}")
                continue
            extra = {"plan": plan} if data["kind"] == RoundKindChoices.INDICATORS else {}
            round_template_create(user=None, data={**data, **extra}, reason=REASON)
            self.stdout.write(f"已创建：{name}")
