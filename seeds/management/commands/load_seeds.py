from django.core.management.base import BaseCommand, CommandError

from seeds.loader import SeedError, SeedLoader


class Command(BaseCommand):
    help = "载入 seeds/data 中五份规划文件的结构化数据（幂等；--check 只校验不写入）。"

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="校验全部数据后回滚，不写入数据库。")

    def handle(self, *args, check=False, **options):
        try:
            report = SeedLoader().load(dry_run=check)
        except SeedError as exc:
            raise CommandError(f"种子数据有误，未写入任何数据：{exc}") from exc
        self.stdout.write("kind                     created  updated  unchanged")
        for kind, counts in sorted(report.changes.items()):
            self.stdout.write(f"{kind:<20} {counts['created']:>9} {counts['updated']:>8} {counts['unchanged']:>10}")
        self.stdout.write("")
        for stem, counts in sorted(report.per_document.items()):
            summary = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))
            self.stdout.write(f"{stem}: {summary}")
        verb = "校验通过（未写入）" if check else "载入完成"
        self.stdout.write(self.style.SUCCESS(f"{verb}：{report.total_changes} 条新增或更新。"))
