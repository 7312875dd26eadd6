"""Create the standing round templates (idempotent: an existing template of the same name is left as it is)."""

from django.core.management.base import BaseCommand

from monitoring.choices import PeriodTypeChoices, RoundKindChoices
from monitoring.models import RoundTemplate
from monitoring.services import round_template_create
from plans.models import Plan

# The plan whose targets' indicators the annual round asks for (seeds: 山西省“十四五”战略性新兴产业发展规划).
ANNUAL_PLAN_CODE = "sx-14th-sei"

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
    help = "创建常用的填报任务模板（年度监测、月度调度）；已存在的同名模板保持不变。"

    def handle(self, *args, **options):
        plan = Plan.objects.filter(code=ANNUAL_PLAN_CODE).first()
        for data in TEMPLATES:
            if RoundTemplate.objects.filter(name=data["name"]).exists():
                self.stdout.write(f"已存在：{data['name']}")
                continue
            extra = {"plan": plan} if data["kind"] == RoundKindChoices.INDICATORS else {}
            round_template_create(user=None, data={**data, **extra}, reason="load_round_templates")
            self.stdout.write(f"已创建：{data['name']}")
