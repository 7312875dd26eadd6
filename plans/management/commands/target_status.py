"""Print every target's status as of a date, with counts per status (plans.progress)."""

import datetime
from collections import Counter

from django.core.management.base import BaseCommand
from django.utils import timezone

from plans.choices import ProgressStatusChoices
from plans.models import Target
from plans.progress import progress_as_of


class Command(BaseCommand):
    help = "列出各指标在某一日期的进度状态及各状态数量。"

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=datetime.date.fromisoformat, help="评估日期 YYYY-MM-DD（默认今天）")
        parser.add_argument("--plan", action="append", default=[], help="规划编号（可重复）；默认全部")
        parser.add_argument("--year", type=int, action="append", default=[], help="目标年份（可重复）；默认全部")

    def handle(self, *args, as_of, plan, year, **options):
        as_of = as_of or timezone.localdate()
        targets = Target.objects.all()
        if plan:
            targets = targets.filter(plan__code__in=plan)
        if year:
            targets = targets.filter(target_year__in=year)
        computed = progress_as_of(targets, as_of=as_of)
        rows = targets.select_related("plan").order_by("plan__code", "key")
        counts = Counter()
        for target in rows:
            progress = computed[target.pk]
            counts[progress.status] += 1
            latest = progress.observation
            value = "—" if latest is None else f"{latest.value.normalize():f}（{latest.year}）"
            self.stdout.write(
                f"{target.plan.code}\t{target.key}\t{target.target_year}\t{ProgressStatusChoices(progress.status).label}"
                f"\t{value}\t{'陈旧' if progress.stale else ''}"
            )
        summary = "，".join(f"{ProgressStatusChoices(status).label} {count}" for status, count in counts.most_common())
        self.stdout.write(f"评估日期 {as_of}：共 {sum(counts.values())} 个指标：{summary}")
