import sys
import time

from django.core.management.base import BaseCommand, CommandError

from projects.choices import WarningRuleChoices
from seeds import synthetic


class Progress:
    """A one-line progress bar on stderr (a line per tenth when stderr is not a terminal)."""

    def __init__(self, total: int, stream=sys.stderr, width: int = 30):
        self.total, self.stream, self.width = total, stream, width
        self.started = time.perf_counter()
        self.tty = stream.isatty()
        self.last_tenth = -1

    def __call__(self, done: int) -> None:
        share = done / self.total if self.total else 1.0
        elapsed = time.perf_counter() - self.started
        rate = done / elapsed if elapsed else 0.0
        eta = (self.total - done) / rate if rate else 0.0
        bar = "#" * int(share * self.width)
        line = f"项目 {done:>9,}/{self.total:,} [{bar:<{self.width}}] {share:6.1%} {rate:,.0f}/s 剩余 {eta:4.0f}s"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= self.total else ""))
            self.stream.flush()
        elif int(share * 10) > self.last_tenth:
            self.last_tenth = int(share * 10)
            self.stream.write(line + "\n")


class Command(BaseCommand):
    help = "在种子数据之上生成合成的重点项目、进展报告和监测值（用于性能测试；同一 seed 结果相同）。"

    def add_arguments(self, parser):
        parser.add_argument("--projects", type=int, default=10_000, help="项目数（默认 10000）。")
        parser.add_argument("--reports-per-project", type=int, default=10, help="每个项目的月度进展报告数（默认 10）。")
        parser.add_argument("--seed", type=int, default=1, help="随机种子（默认 1）。")
        parser.add_argument("--no-observations", action="store_true", help="不生成指标监测值。")
        parser.add_argument(
            "--observations-per-target",
            type=int,
            default=None,
            help="每个指标目标最多生成的监测值条数（默认不限：从基期起每年、每季度各一条）。",
        )
        parser.add_argument("--replace", action="store_true", help="先删除以前生成的合成数据。")
        parser.add_argument("--chunk", type=int, default=20_000, help="每次写入并提交的项目数（默认 20000）。")
        parser.add_argument(
            "--no-dispatch",
            action="store_true",
            help="不生成调度数据（里程碑、年度投资计划、三个一批活动与预警）。",
        )

    def handle(
        self,
        *args,
        projects,
        reports_per_project,
        seed,
        no_observations,
        observations_per_target,
        replace,
        chunk,
        **options,
    ):
        if projects < 0 or not 0 <= reports_per_project <= 120 or chunk < 1:
            raise CommandError("--projects 不能为负数，--reports-per-project 须在 0 至 120 之间，--chunk 至少为 1。")
        if observations_per_target is not None and observations_per_target < 1:
            raise CommandError("--observations-per-target 至少为 1（不生成监测值请用 --no-observations）。")
        if synthetic.synthetic_exists():
            if not replace:
                raise CommandError("数据库中已有合成数据：加 --replace 先删除再生成。")
            synthetic.delete_synthetic()
        try:
            report = synthetic.generate(
                projects=projects,
                reports_per_project=reports_per_project,
                seed=seed,
                observations=not no_observations,
                observations_per_target=observations_per_target,
                chunk=chunk,
                progress=Progress(projects) if projects and options["verbosity"] > 0 else None,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        rate = report.rows / report.seconds if report.seconds else 0.0
        self.stdout.write(
            self.style.SUCCESS(
                f"生成完成：项目 {report.projects:,}，进展报告 {report.reports:,}，监测值 {report.observations:,}；"
                f"共 {report.rows:,} 行，用时 {report.seconds:.1f}s（{rate:,.0f} 行/秒）。"
            )
        )
        self.stdout.write(f"各阶段用时：{_phases(report.phases)}。")
        if not options["no_dispatch"]:
            self.dispatch(seed)

    def dispatch(self, seed: int) -> None:
        report = synthetic.generate_dispatch(seed=seed)
        rules = dict(WarningRuleChoices.choices)
        counts = "，".join(f"{rules[rule]} {n:,}" for rule, n in sorted(report.warnings.items())) or "无"
        self.stdout.write(
            self.style.SUCCESS(
                f"调度数据：里程碑 {report.milestones:,}，年度投资计划 {report.year_plans:,}，"
                f"三个一批项目 {report.batch_entries:,}，删去的月报 {report.reports_removed:,}（模拟未报送）；"
                f"未解除预警：{counts}。"
            )
        )
        self.stdout.write(f"调度数据各阶段用时：{_phases(report.phases)}。")


#: The phases' names in the output (synthetic.py times them under English keys).
PHASE_LABELS = {
    "projects and reports": "项目与进展报告",
    "observations and progress": "监测值与指标进度",
    "rollups": "汇总与检索文本",
    "indexes": "重建索引",
    "analyze": "统计信息",
    "milestones": "里程碑",
    "year plans, batches": "删去的月报、年度计划与三个一批",
    "warnings": "预警评估",
}


def _phases(phases: dict[str, float]) -> str:
    return "，".join(f"{PHASE_LABELS.get(name, name)} {seconds:.1f}s" for name, seconds in phases.items())
