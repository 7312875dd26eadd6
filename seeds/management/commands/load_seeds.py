from django.core.management.base import BaseCommand, CommandError

from plans.models import Plan
from seeds.loader import SeedError, SeedLoader


class Command(BaseCommand):
    help = (
        "载入 seeds/data 中五份规划文件的结构化数据（幂等；--check 只校验不写入）。"
        "工作人员在上次载入后修改过的记录保留当前值，除非使用 --force。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="校验全部数据后回滚，不写入数据库。")
        parser.add_argument(
            "--force",
            action="store_true",
            help="工作人员修改过的记录也用种子数据覆盖（修改历史记为 load_seeds --force）。",
        )
        parser.add_argument("--if-empty", action="store_true", help="数据库中已有规划数据时不载入（make run 用）。")

    def handle(self, *args, check=False, force=False, if_empty=False, **options):
        if if_empty and Plan.objects.exists():
            self.stdout.write("数据库已有规划数据，跳过种子数据加载（如需重新加载：manage.py load_seeds）")
            return
        loader = SeedLoader(force=force)
        try:
            report = loader.load(dry_run=check)
        except SeedError as exc:
            raise CommandError(f"种子数据有误，未写入任何数据：{exc}") from exc
        self.stdout.write("kind                     created  updated  unchanged  kept")
        for kind, counts in sorted(report.changes.items()):
            self.stdout.write(
                f"{kind:<20} {counts['created']:>9} {counts['updated']:>8} {counts['unchanged']:>10}"
                f" {counts['kept']:>5}"
            )
        self.stdout.write("")
        for stem, counts in sorted(report.per_document.items()):
            summary = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))
            kept = report.kept_per_document.get(stem)
            if kept:
                summary += "；保留：" + ", ".join(f"{kind} {n}" for kind, n in sorted(kept.items()))
            # A document by its plan's title, not by its directory's hashed name.
            plan = loader.plan_by_stem.get(stem)
            self.stdout.write(f"《{plan.title}》: {summary}" if plan else f"{stem}: {summary}")
        if report.notes:
            self.stdout.write("")
            for note in report.notes:
                self.stdout.write(self.style.WARNING(note))
        verb = "校验通过（未写入）" if check else "载入完成"
        kept_total = sum(counts["kept"] for counts in report.changes.values())
        kept_text = f"，{kept_total} 条工作人员修改过的记录保留当前值" if kept_total else ""
        self.stdout.write(self.style.SUCCESS(f"{verb}：{report.total_changes} 条新增或更新{kept_text}。"))
