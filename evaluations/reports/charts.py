"""Charts of the report as PNG images, drawn server-side with matplotlib (Agg) in Noto Sans CJK.

The font is Debian's fonts-noto-cjk (installed by scripts/setup.sh), found with ``fc-match``;
without it the Chinese labels would be boxes, so a missing font is an error, not a silent fallback.
"""

from __future__ import annotations

import functools
import io
import subprocess

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

FONT_FAMILY = "Noto Sans CJK SC"
DPI = 150
COLORS = {"progress": "#1f6fb2", "expected": "#c8ccd2", "bar": "#2e7d5b", "accent": "#c0392b"}


class FontMissing(RuntimeError):
    pass


@functools.cache
def cjk_font_path() -> str:
    """The file of Noto Sans CJK SC, as fontconfig finds it."""
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", f"{FONT_FAMILY}:style=Regular"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        raise FontMissing("未找到 fc-match，无法定位中文字体（请安装 fontconfig 和 fonts-noto-cjk）。") from exc
    if "NotoSansCJK" not in found:
        raise FontMissing("未安装中文字体 Noto Sans CJK（Debian 软件包 fonts-noto-cjk）。")
    return found


@functools.cache
def _font() -> font_manager.FontProperties:
    path = cjk_font_path()
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path)


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    # No creation time or software in the file: the same figures draw the same bytes.
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def _style(axes) -> None:
    font = _font()
    for label in (*axes.get_xticklabels(), *axes.get_yticklabels()):
        label.set_fontproperties(font)
    axes.spines[["top", "right"]].set_visible(False)


def target_progress_chart(targets: list[dict]) -> bytes | None:
    """Each measured indicator's progress against the progress expected by the date (horizontal bars)."""
    measured = [t for t in targets if t["progress"] is not None and t["expected_progress"] is not None]
    if not measured:
        return None
    font = _font()
    names = [t["name"] if len(t["name"]) <= 18 else t["name"][:17] + "…" for t in measured]
    height = max(2.5, 0.3 * len(measured) + 1)
    figure, axes = plt.subplots(figsize=(8, height))
    positions = range(len(measured))
    progress = [min(max(t["progress"], -0.5), 2.0) * 100 for t in measured]
    expected = [t["expected_progress"] * 100 for t in measured]
    axes.barh([p + 0.2 for p in positions], expected, height=0.38, color=COLORS["expected"], label="序时进度")
    axes.barh([p - 0.2 for p in positions], progress, height=0.38, color=COLORS["progress"], label="完成进度")
    axes.set_yticks(list(positions), names)
    axes.invert_yaxis()
    axes.axvline(100, color=COLORS["accent"], linewidth=0.8, linestyle="--")
    axes.set_xlabel("占基期至目标的比例（%）", fontproperties=font)
    axes.legend(prop=font, loc="lower right", frameon=False)
    _style(axes)
    return _png(figure)


#: Indicators per row of the target path chart.
PATH_COLUMNS = 4


def target_paths_chart(targets: list[dict], *, as_of_year: float) -> bytes | None:
    """Each measured indicator's path in its own unit: baseline → where the path stands at the date → goal
    (dashed), and the latest value (a dot), one small chart per indicator."""
    measured = [
        t
        for t in targets
        if t["latest_value"] is not None and t["baseline"] is not None and t["expected_progress"] is not None
    ]
    if not measured:
        return None
    font = _font()
    rows = -(-len(measured) // PATH_COLUMNS)
    figure, grid = plt.subplots(rows, PATH_COLUMNS, figsize=(8, 1.75 * rows + 0.3), squeeze=False)
    for axes in grid.flat[len(measured) :]:
        axes.set_visible(False)
    for axes, target in zip(grid.flat, measured, strict=False):
        baseline, goal = float(target["baseline"]), float(target["target_value"])
        start = target["baseline_used_year"] or target["target_year"] - 5
        expected = baseline + target["expected_progress"] * (goal - baseline)
        axes.plot(
            [start, min(as_of_year, target["target_year"]), target["target_year"]],
            [baseline, expected, goal],
            linestyle="--",
            marker="o",
            markersize=2.5,
            color=COLORS["expected"],
            linewidth=1.2,
        )
        grade = target["grade"]
        color = COLORS["accent"] if grade == "lagging" else COLORS["progress"]
        axes.plot([target["latest_year"]], [float(target["latest_value"])], marker="o", markersize=5, color=color)
        name = target["name"] if len(target["name"]) <= 12 else target["name"][:11] + "…"
        axes.set_title(f"{name}（{target['unit'] or '—'}）", fontproperties=font, fontsize=7)
        axes.tick_params(labelsize=6)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=3))
        _style(axes)
    figure.legend(
        handles=[
            plt.Line2D([], [], linestyle="--", color=COLORS["expected"], label="规划路径（基期—截止日期应达—目标）"),
            plt.Line2D([], [], marker="o", linestyle="", color=COLORS["progress"], label="最新值"),
            plt.Line2D([], [], marker="o", linestyle="", color=COLORS["accent"], label="最新值（滞后）"),
        ],
        prop=font,
        loc="lower center",
        ncol=3,
        frameon=False,
        fontsize=7,
    )
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    return _png(figure)


def pipeline_chart(stages: list[dict]) -> bytes | None:
    """Projects by the stage reached by the date."""
    if not any(stage["count"] for stage in stages):
        return None
    font = _font()
    figure, axes = plt.subplots(figsize=(7, 3.2))
    labels = [stage["label"] for stage in stages]
    counts = [stage["count"] for stage in stages]
    bars = axes.bar(labels, counts, color=COLORS["bar"])
    for bar, count in zip(bars, counts, strict=True):
        axes.annotate(str(count), (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom")
    axes.set_ylabel("项目数（个）", fontproperties=font)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    _style(axes)
    return _png(figure)


def city_ranking_chart(cities: list[dict]) -> bytes | None:
    """Started and other projects per city, in ranking order."""
    if not any(city["projects"] or city["targets"] for city in cities):
        return None
    font = _font()
    figure, axes = plt.subplots(figsize=(7, max(2.5, 0.36 * len(cities) + 1)))
    names = [city["name"] for city in cities]
    started = [city["started"] for city in cities]
    others = [city["projects"] - city["started"] for city in cities]
    axes.barh(names, started, color=COLORS["bar"], label="已开工（含投产、达产）")
    axes.barh(names, others, left=started, color=COLORS["expected"], label="其他阶段")
    axes.invert_yaxis()
    axes.set_xlabel("重点项目数（个）", fontproperties=font)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(prop=font, loc="lower right", frameon=False)
    _style(axes)
    return _png(figure)
