"""The report's content, from the snapshot alone: the blocks that the Word and PDF generators lay out.

Both formats render the same list of blocks (headings, paragraphs, tables, charts), so the Word
and the PDF report say the same thing. Nothing here reads the database.
"""

from __future__ import annotations

import calendar
import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from ..choices import EvaluationGradeChoices, EvaluationKindChoices


def _charts():
    """The charts module, imported when a report is drawn: matplotlib costs a second at every process start."""
    from . import charts

    return charts


CHINESE_NUMBERS = "一二三四五六七八九十"
#: The stages counted as "started" in the city ranking (开工 and what follows it).
STARTED_STAGES = ("started", "in_production", "at_capacity")
GRADE_ORDER = [choice.value for choice in EvaluationGradeChoices]
#: Industries listed by name in the project table (the most projects first); the rest are one row.
INDUSTRIES_LISTED = 15


@dataclass
class Meta:
    """What staff wrote on the evaluation (not figures: those are in the snapshot)."""

    title: str
    kind: str
    problems: str = ""
    next_steps: str = ""


@dataclass
class Block:
    kind: str  # title | heading | paragraph | bullets | table | chart | page_break
    text: str = ""
    level: int = 1
    items: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    numeric: frozenset[int] = frozenset()
    image: bytes = b""
    caption: str = ""
    name: str = ""


# Formatting ---------------------------------------------------------------------------------------


def number(value: str | Decimal | None) -> str:
    """A stored decimal as written in the report: no trailing zeros (``"12.5000"`` → ``12.5``); "—" if none."""
    if value is None:
        return "—"
    text = format(Decimal(value).normalize(), "f")
    return text


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def date_text(value: str | datetime.date) -> str:
    day = datetime.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.year}年{day.month}月{day.day}日"


def period_text(target: dict) -> str:
    if target["latest_year"] is None:
        return ""
    if target["latest_month"]:
        return f"{target['latest_year']}年{target['latest_month']}月"
    if target["latest_quarter"]:
        return f"{target['latest_year']}年{CHINESE_NUMBERS[target['latest_quarter'] - 1]}季度"
    return f"{target['latest_year']}年"


def main_targets(snapshot: dict) -> list[dict]:
    """The plan's own (province-wide) targets: the indicator table of the report."""
    return [t for t in snapshot["targets"] if t["parent"] is None and t["scope_city"] is None]


def grade_counts(targets: list[dict]) -> Counter:
    return Counter(target["grade"] for target in targets)


def indicator_row(number_in_table: int, target: dict) -> list[str]:
    """One row of the indicator table (二、主要指标完成情况); tests read these cells back."""
    binding = target["nature"] == "binding"
    baseline = number(target["baseline_value"])
    if target["baseline_value"] is None and target.get("baseline") is not None:
        # No baseline stated: the indicator's value in the baseline year, which progress is measured from.
        baseline = number(Decimal(str(round(target["baseline"], 4))))
        if target.get("baseline_used_year"):
            baseline += f"（{target['baseline_used_year']}年）"
    elif target["baseline_year"]:
        baseline += f"（{target['baseline_year']}年）"
    goal = number(target["target_value"])
    if target["target_value_max"] is not None and target["comparator"] == "range":
        goal += f"～{number(target['target_value_max'])}"
    latest = number(target["latest_value"])
    if target["latest_value"] is not None:
        latest += f"（{period_text(target)}）"
    return [
        str(number_in_table),
        ("★" if binding else "") + target["name"],
        target["unit"] or "—",
        target["nature_label"],
        baseline,
        f"{goal}（{target['target_year']}年）",
        latest,
        percent(target["progress"]),
        percent(target["expected_progress"]),
        target["grade_label"],
    ]


INDICATOR_HEADERS = ["序号", "指标", "单位", "属性", "基期值", "目标值", "最新值", "完成进度", "序时进度", "评估等级"]


# City figures ------------------------------------------------------------------------------------


def city_figures(snapshot: dict) -> list[dict]:
    """Per city: projects by stage, started projects, investment known and unknown, allocated targets; ranked."""
    names = {city["code"]: city["name"] for city in snapshot["cities"]}
    figures = {
        code: {
            "code": code,
            "name": name,
            "projects": 0,
            "started": 0,
            "investment": Decimal(0),
            "investment_unknown": 0,
            "completed": Decimal(0),
            "stages": Counter(),
            "targets": [],
        }
        for code, name in names.items()
    }
    for row in snapshot["projects"]["counts"]:
        entry = figures.get(row["city"])
        if entry is None:
            continue
        entry["projects"] += row["count"]
        entry["stages"][row["stage"]] += row["count"]
        if row["stage"] in STARTED_STAGES:
            entry["started"] += row["count"]
        entry["investment"] += Decimal(row["investment"])
        entry["investment_unknown"] += row["investment_unknown"]
        entry["completed"] += Decimal(row["completed"])
    for target in snapshot["targets"]:
        if target["scope_city"] in figures:
            figures[target["scope_city"]]["targets"].append(target)
    ranked = sorted(
        figures.values(),
        key=lambda entry: (
            -sum(1 for t in entry["targets"] if t["grade"] in ("ahead", "faster", "on_track")),
            -entry["started"],
            -entry["investment"],
            entry["code"],
        ),
    )
    for rank, entry in enumerate(ranked, start=1):
        entry["rank"] = rank
    return ranked


def stage_totals(snapshot: dict) -> list[dict]:
    totals = {
        stage["key"]: {
            "label": stage["label"],
            "count": 0,
            "investment": Decimal(0),
            "unknown": 0,
            "completed": Decimal(0),
        }
        for stage in snapshot["projects"]["stages"]
    }
    for row in snapshot["projects"]["counts"]:
        entry = totals[row["stage"]]
        entry["count"] += row["count"]
        entry["investment"] += Decimal(row["investment"])
        entry["unknown"] += row["investment_unknown"]
        entry["completed"] += Decimal(row["completed"])
    return [{"key": key, **entry} for key, entry in totals.items()]


def money(value: Decimal) -> str:
    """An amount in 亿元, always with two places (``281.00``, ``193.65``), as the tables align them."""
    return format(value.quantize(Decimal("0.01")), "f")


def investment_text(count: int, unknown: int, investment: Decimal, completed: Decimal) -> str:
    """The projects' investment in words: the known total, the projects without one, the completed part."""
    if unknown == count:
        text = f"{count} 个项目均未填报总投资" if count > 1 else "该项目未填报总投资"
    else:
        text = f"已知总投资的 {count - unknown} 个项目合计总投资 {money(investment)} 亿元"
        text += f"，另有 {unknown} 个项目总投资未知（未计入合计）" if unknown else ""
    if completed:
        return text + f"；据进展报告累计完成投资 {money(completed)} 亿元。"
    return text + "；截至截止日期，进展报告中尚无完成投资的数据。"


# The report --------------------------------------------------------------------------------------


def build(snapshot: dict, meta: Meta) -> list[Block]:
    """The report as blocks (title page, sections 一 to 六 with their tables and charts)."""
    blocks: list[Block] = []
    plan = snapshot["plan"]
    kind_label = EvaluationKindChoices(meta.kind).label
    restricted = snapshot.get("restricted_to")
    blocks.append(Block("title", meta.title))
    if meta.title != f"{plan['title']}{kind_label}报告":  # a title of the staff's own: say what is evaluated
        blocks.append(Block("paragraph", f"《{plan['title']}》{kind_label}", name="subtitle"))
    issued = "　".join(part for part in (plan.get("issuer"), plan.get("doc_number")) if part)
    if issued:
        blocks.append(Block("paragraph", f"规划印发：{issued}", name="subtitle"))
    blocks.append(Block("paragraph", f"数据截至{date_text(snapshot['as_of'])}", name="subtitle"))
    if restricted:
        cities = "、".join(city["name"] for city in snapshot["cities"])
        blocks.append(Block("paragraph", f"（本版本仅含{cities}的数据）", name="subtitle"))
    blocks.append(Block("page_break"))
    blocks += _overall(snapshot, meta)
    blocks += _indicators(snapshot)
    blocks += _projects(snapshot)
    blocks += _cities(snapshot)
    blocks += _problems(snapshot, meta)
    blocks += _next_steps(snapshot, meta)
    charts_in_order = [block for block in blocks if block.kind == "chart"]
    for number_in_report, block in enumerate(charts_in_order, start=1):
        block.caption = f"图{number_in_report} {block.caption}"
    return blocks


def _overall(snapshot: dict, meta: Meta) -> list[Block]:
    plan = snapshot["plan"]
    as_of = datetime.date.fromisoformat(snapshot["as_of"])
    targets = main_targets(snapshot)
    counts = grade_counts(targets)
    blocks = [Block("heading", "一、总体进展")]
    sentences = []
    if plan["period_start"] and plan["period_end"]:
        start, end = datetime.date(plan["period_start"], 1, 1), datetime.date(plan["period_end"], 12, 31)
        elapsed = min(max((as_of - start).days + 1, 0) / ((end - start).days + 1), 1)
        sentences.append(
            f"规划期为{plan['period_start']}—{plan['period_end']}年，截至{date_text(as_of)}，"
            f"时间进度为{elapsed * 100:.1f}%。"
        )
    grade_text = "、".join(
        f"{EvaluationGradeChoices(grade).label} {counts[grade]} 项"
        for grade in GRADE_ORDER
        if grade != EvaluationGradeChoices.NO_DATA
    )
    sentences.append(
        f"规划确定的 {len(targets)} 项主要指标中，{grade_text}；暂无数据 {counts[EvaluationGradeChoices.NO_DATA]} 项。"
    )
    binding = [t for t in targets if t["nature"] == "binding"]
    if binding:
        lagging = sum(1 for t in binding if t["grade"] == EvaluationGradeChoices.LAGGING)
        sentences.append(f"其中约束性指标 {len(binding)} 项，滞后 {lagging} 项。")
    measured = len(targets) - counts[EvaluationGradeChoices.NO_DATA]
    on_track = counts["ahead"] + counts["faster"] + counts["on_track"]
    if meta.kind == EvaluationKindChoices.MIDTERM and measured:
        verdict = "总体实现了“时间过半、任务过半”" if on_track * 2 >= measured else "尚未实现“时间过半、任务过半”"
        sentences.append(f"有数据的 {measured} 项指标中 {on_track} 项进度符合或快于预期，{verdict}。")
    totals = stage_totals(snapshot)
    project_count = sum(entry["count"] for entry in totals)
    if project_count:
        stage_text = "、".join(f"{entry['label']} {entry['count']} 个" for entry in totals if entry["count"])
        unknown = sum(entry["unknown"] for entry in totals)
        investment = sum((entry["investment"] for entry in totals), Decimal(0))
        completed = sum((entry["completed"] for entry in totals), Decimal(0))
        whose = "本版本所含城市的" if snapshot.get("restricted_to") else ""  # a city report counts its own
        text = f"{whose}规划重点项目 {project_count} 个，按截止日期所处阶段：{stage_text}。"
        sentences.append(text + investment_text(project_count, unknown, investment, completed))
    else:
        sentences.append("本规划暂无关联的重点项目。")
    blocks.append(Block("paragraph", "".join(sentences)))
    image = _charts().target_progress_chart(targets)
    if image:
        blocks.append(Block("chart", image=image, caption="主要指标完成进度与序时进度", name="targets"))
    return blocks


def _indicators(snapshot: dict) -> list[Block]:
    targets = main_targets(snapshot)
    blocks = [Block("heading", "二、主要指标完成情况")]
    if not targets:
        return [*blocks, Block("paragraph", "本规划未设定量化指标。")]
    blocks.append(
        Block(
            "paragraph",
            f"截至{date_text(snapshot['as_of'])}，各项指标的完成情况见下表（★为约束性指标；完成进度为最新值"
            "自基期值至目标值已走过的比例，序时进度为按规划路径截止日期应达到的比例）。"
            + _figures_note(snapshot, targets),
        )
    )
    blocks.append(
        Block(
            "table",
            headers=INDICATOR_HEADERS,
            rows=[indicator_row(index, target) for index, target in enumerate(targets, start=1)],
            numeric=frozenset({4, 5, 6, 7, 8}),
            name="indicators",
        )
    )
    counts = grade_counts(targets)
    rows = []
    for grade in GRADE_ORDER:
        names = "、".join(t["name"] for t in targets if t["grade"] == grade) or "—"
        rows.append([EvaluationGradeChoices(grade).label, str(counts[grade]), names])
    rows.append(["合计", str(len(targets)), ""])
    blocks.append(
        Block("table", headers=["评估等级", "指标数", "指标"], rows=rows, numeric=frozenset({1}), name="grades")
    )
    as_of = datetime.date.fromisoformat(snapshot["as_of"])
    # Where the date lies on the axis of years, each year's point standing at its 31 December.
    as_of_year = as_of.year - 1 + as_of.timetuple().tm_yday / (366 if calendar.isleap(as_of.year) else 365)
    image = _charts().target_paths_chart(targets, as_of_year=as_of_year)
    if image:
        blocks.append(Block("chart", image=image, caption="主要指标规划路径与最新值", name="paths"))
    return blocks


def _figures_note(snapshot: dict, targets: list[dict]) -> str:
    """Where an annual evaluation's figures come from: the year's snapshot, recorded when the year closed."""
    year = snapshot.get("snapshot_year")
    if not year:
        return ""
    computed = sum(1 for target in targets if target.get("figures_from") != "snapshot")
    note = f"各项指标的数据取自{year}年末的指标进度年度快照（{year}年12月31日时的情况）"
    note += f"；其中 {computed} 项指标没有该年快照，按截止日期计算" if computed else ""
    return note + "。"


def _projects(snapshot: dict) -> list[Block]:
    blocks = [Block("heading", "三、重点领域与重点项目进展")]
    by_area: dict[str, list[dict]] = defaultdict(list)
    for target in main_targets(snapshot):
        if target["key_area"]:
            by_area[target["key_area"]].append(target)
    if by_area:
        blocks.append(Block("heading", "（一）重点领域指标", level=2))
        rows = []
        for area, targets in sorted(by_area.items()):
            counts = grade_counts(targets)
            rows.append([area, str(len(targets)), *(str(counts[grade]) for grade in GRADE_ORDER)])
        headers = ["重点领域", "指标数", *(EvaluationGradeChoices(grade).label for grade in GRADE_ORDER)]
        blocks.append(Block("table", headers=headers, rows=rows, numeric=frozenset(range(1, 7)), name="areas"))
    totals = stage_totals(snapshot)
    blocks.append(Block("heading", f"（{'二' if by_area else '一'}）重点项目推进情况", level=2))
    if not any(entry["count"] for entry in totals):
        blocks.append(Block("paragraph", "本规划暂无关联的重点项目。"))
        return blocks
    rows = [
        [
            entry["label"],
            str(entry["count"]),
            money(entry["investment"]),
            str(entry["unknown"]),
            money(entry["completed"]),
        ]
        for entry in totals
    ]
    rows.append(
        [
            "合计",
            str(sum(entry["count"] for entry in totals)),
            money(sum((entry["investment"] for entry in totals), Decimal(0))),
            str(sum(entry["unknown"] for entry in totals)),
            money(sum((entry["completed"] for entry in totals), Decimal(0))),
        ]
    )
    blocks.append(
        Block(
            "table",
            headers=["阶段", "项目数", "已知总投资（亿元）", "总投资未知的项目数", "累计完成投资（亿元）"],
            rows=rows,
            numeric=frozenset({1, 2, 3, 4}),
            name="stages",
        )
    )
    image = _charts().pipeline_chart(totals)
    if image:
        blocks.append(Block("chart", image=image, caption="重点项目推进阶段分布", name="pipeline"))
    industries: dict[str, dict] = defaultdict(lambda: {"count": 0, "investment": Decimal(0), "unknown": 0})
    for row in snapshot["projects"]["by_industry"]:
        entry = industries[row["industry"]]
        entry["count"] += row["count"]
        entry["investment"] += Decimal(row["investment"])
        entry["unknown"] += row["investment_unknown"]
    ranked = sorted(industries.items(), key=lambda item: (-item[1]["count"], item[0]))
    rows = [
        [name, str(entry["count"]), money(entry["investment"]), str(entry["unknown"])]
        for name, entry in ranked[:INDUSTRIES_LISTED]
    ]
    rest = [entry for _, entry in ranked[INDUSTRIES_LISTED:]]
    if rest:
        rows.append(
            [
                f"其他 {len(rest)} 个产业",
                str(sum(entry["count"] for entry in rest)),
                money(sum((entry["investment"] for entry in rest), Decimal(0))),
                str(sum(entry["unknown"] for entry in rest)),
            ]
        )
    blocks.append(
        Block(
            "table",
            headers=["产业", "项目数", "已知总投资（亿元）", "总投资未知的项目数"],
            rows=rows,
            numeric=frozenset({1, 2, 3}),
            name="industries",
        )
    )
    blocks += _milestones_and_warnings(snapshot)
    largest = sorted(
        snapshot["projects"]["largest"],
        key=lambda p: (p["total_investment"] is None, -Decimal(p["total_investment"] or 0), p["name"]),
    )[:20]
    names = {city["code"]: city["name"] for city in snapshot["cities"]}
    blocks.append(Block("paragraph", "总投资较大的重点项目如下："))
    blocks.append(
        Block(
            "table",
            headers=["项目", "所在城市", "产业", "截止日期所处阶段", "总投资（亿元）"],
            rows=[
                [
                    p["name"],
                    names.get(p["city"], p["city"]),
                    p["industry"] or "—",
                    p["stage_label"],
                    number(p["total_investment"]),
                ]
                for p in largest
            ],
            numeric=frozenset({4}),
            name="largest",
        )
    )
    return blocks


def _milestones_and_warnings(snapshot: dict) -> list[Block]:
    """Milestones due, met and overdue and the warnings open at the date, per city (when the snapshot has them)."""
    sections = snapshot.get("sections", {})
    if "milestones" not in sections and "warning_counts" not in sections:
        return []
    milestones = {row["city"]: row for row in sections.get("milestones", [])}
    warnings: dict[str, Counter] = defaultdict(Counter)
    for row in sections.get("warning_counts", []):
        warnings[row["city"]][row["level"]] += row["count"]
    rows = []
    for city in snapshot["cities"]:
        done, alerts = milestones.get(city["code"], {}), warnings[city["code"]]
        if done or alerts:
            rows.append(
                [
                    city["name"],
                    str(done.get("due", 0)),
                    str(done.get("met", 0)),
                    str(done.get("overdue", 0)),
                    str(alerts["red"]),
                    str(alerts["yellow"]),
                ]
            )
    if not rows:
        return [Block("paragraph", "截至截止日期，重点项目无到期里程碑，也无未解除的预警。")]
    return [
        Block("paragraph", "重点项目里程碑和预警情况（截至截止日期）如下："),
        Block(
            "table",
            headers=["城市", "到期里程碑", "已完成", "逾期", "红色预警", "黄色预警"],
            rows=rows,
            numeric=frozenset({1, 2, 3, 4, 5}),
            name="milestones",
        ),
    ]


def _cities(snapshot: dict) -> list[Block]:
    blocks = [Block("heading", "四、各市推进情况")]
    figures = city_figures(snapshot)
    restricted = bool(snapshot.get("restricted_to"))
    if not restricted:
        blocks.append(
            Block(
                "paragraph",
                "各市按承担的分解指标中进度符合或快于预期的项数排序，相同时依次按已开工（含投产、达产）"
                "重点项目数、已知总投资排序。",
            )
        )
        blocks.append(
            Block(
                "table",
                headers=["排名", "城市", "分解指标", "符合或快于预期", "重点项目", "已开工", "已知总投资（亿元）"],
                rows=[
                    [
                        str(entry["rank"]),
                        entry["name"],
                        str(len(entry["targets"])),
                        str(sum(1 for t in entry["targets"] if t["grade"] in ("ahead", "faster", "on_track"))),
                        str(entry["projects"]),
                        str(entry["started"]),
                        money(entry["investment"]),
                    ]
                    for entry in figures
                ],
                numeric=frozenset({0, 2, 3, 4, 5, 6}),
                name="cities",
            )
        )
        image = _charts().city_ranking_chart(figures)
        if image:
            blocks.append(Block("chart", image=image, caption="各市重点项目推进情况", name="cities"))
    largest = defaultdict(list)
    for project in snapshot["projects"]["largest"]:
        largest[project["city"]].append(project)
    sections = snapshot.get("sections", {})
    warning_counts = sections.get("warning_counts")
    milestones = {row["city"]: row for row in sections.get("milestones") or []}
    for index, entry in enumerate(sorted(figures, key=lambda e: e["code"]), start=1):
        blocks.append(Block("heading", f"（{_chinese(index)}）{entry['name']}", level=2))
        sentences = []
        if entry["targets"]:
            counts = grade_counts(entry["targets"])
            grade_text = "、".join(
                f"{EvaluationGradeChoices(grade).label} {counts[grade]} 项" for grade in GRADE_ORDER if counts[grade]
            )
            sentences.append(f"承担分解指标 {len(entry['targets'])} 项，其中{grade_text}。")
        else:
            sentences.append("本规划未向本市分解指标。")
        if not restricted:
            sentences.append(f"综合排名全省第 {entry['rank']} 位。")
        if entry["projects"]:
            stage_text = "、".join(
                f"{stage['label']} {entry['stages'][stage['key']]} 个"
                for stage in snapshot["projects"]["stages"]
                if entry["stages"][stage["key"]]
            )
            money_text = investment_text(
                entry["projects"], entry["investment_unknown"], entry["investment"], entry["completed"]
            )
            sentences.append(f"重点项目 {entry['projects']} 个（{stage_text}）。{money_text}")
        else:
            sentences.append("暂无本规划的重点项目。")
        if entry["code"] in milestones:
            row = milestones[entry["code"]]
            sentences.append(f"到期里程碑 {row['due']} 个，已完成 {row['met']} 个，逾期 {row['overdue']} 个。")
        if warning_counts is not None:
            mine = {row["level"]: row["count"] for row in warning_counts if row["city"] == entry["code"]}
            if mine:
                red, yellow = mine.get("red", 0), mine.get("yellow", 0)
                sentences.append(f"截止日期时未解除的预警：红色 {red} 条、黄色 {yellow} 条。")
            else:
                sentences.append("截止日期时无未解除的预警。")
        blocks.append(Block("paragraph", "".join(sentences)))
        if entry["targets"]:
            blocks.append(
                Block(
                    "table",
                    headers=INDICATOR_HEADERS,
                    rows=[indicator_row(i, t) for i, t in enumerate(entry["targets"], start=1)],
                    numeric=frozenset({4, 5, 6, 7, 8}),
                    name=f"city-{entry['code']}-targets",
                )
            )
        if largest[entry["code"]]:
            blocks.append(
                Block(
                    "bullets",
                    items=[
                        f"{p['name']}（{p['stage_label']}，总投资{number(p['total_investment'])}亿元）"
                        if p["total_investment"] is not None
                        else f"{p['name']}（{p['stage_label']}，总投资未知）"
                        for p in largest[entry["code"]][:5]
                    ],
                )
            )
    return blocks


def _chinese(index: int) -> str:
    if index <= 10:
        return CHINESE_NUMBERS[index - 1]
    return "十" + CHINESE_NUMBERS[index - 11] if index < 20 else str(index)


def _staff_text(text: str) -> list[Block]:
    paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    return [Block("paragraph", line) for line in paragraphs] or [Block("paragraph", "（尚未填写。）")]


def _problems(snapshot: dict, meta: Meta) -> list[Block]:
    return [Block("heading", "五、存在问题"), *_staff_text(meta.problems)]


def draft_next_steps(snapshot: dict, meta: Meta) -> list[str]:
    """Draft sentences from the lagging indicators, the indicators without data and the red warnings."""
    targets = main_targets(snapshot)
    drafts = []
    for target in targets:
        if target["grade"] == EvaluationGradeChoices.LAGGING:
            drafts.append(
                f"加快推进“{target['name']}”：最新值为{number(target['latest_value'])}{target['unit']}"
                f"（{period_text(target)}），完成进度{percent(target['progress'])}，"
                f"低于序时进度{percent(target['expected_progress'])}，需分析原因、采取针对性措施。"
            )
    missing = [target["name"] for target in targets if target["grade"] == EvaluationGradeChoices.NO_DATA]
    if len(missing) == 1:
        drafts.append(f"完善“{missing[0]}”的统计监测，尽快补充监测数据。")
    elif missing:
        drafts.append(f"完善以下 {len(missing)} 项指标的统计监测，尽快补充监测数据：{'；'.join(missing)}。")
    for warning in snapshot.get("sections", {}).get("warnings") or []:
        if warning.get("level") == "red":
            drafts.append(f"尽快处置红色预警：{warning.get('text', '')}")
    lagging = sum(1 for t in targets if t["grade"] == EvaluationGradeChoices.LAGGING)
    if meta.kind == EvaluationKindChoices.MIDTERM and targets and lagging * 3 >= len(targets):
        drafts.append("滞后指标较多，建议研究是否对规划目标进行调整。")
    return drafts


def _next_steps(snapshot: dict, meta: Meta) -> list[Block]:
    blocks = [Block("heading", "六、下一步工作"), *_staff_text(meta.next_steps)]
    drafts = draft_next_steps(snapshot, meta)
    if drafts:
        blocks.append(Block("paragraph", "根据评估结果，系统生成以下参考表述，供修改采用："))
        blocks.append(Block("bullets", items=drafts, name="drafts"))
    return blocks
