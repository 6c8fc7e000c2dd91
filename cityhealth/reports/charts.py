"""Charts with Chinese labels that render offline (PNG, embedded as data URIs).

The font comes from the ``mplfonts`` wheel (Noto Sans CJK SC), so a machine with
no Chinese system font still draws 生态宜居, never empty boxes.
"""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import font_manager  # noqa: E402


@cache
def cjk_font_path() -> Path:
    import mplfonts

    path = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    if not path.exists():
        raise FileNotFoundError(f"Chinese font missing: {path} (package mplfonts)")
    return path


@cache
def cjk_font() -> font_manager.FontProperties:
    font_manager.fontManager.addfont(str(cjk_font_path()))
    return font_manager.FontProperties(fname=str(cjk_font_path()))


DPI = 110
PAD_INCHES = 0.1  # matplotlib's savefig.pad_inches


def to_data_uri(figure: plt.Figure) -> str:
    """The figure as a PNG data URI, cropped to what it draws (plus a small margin).

    The crop is matplotlib's tight bounding box, measured without drawing:
    ``savefig(bbox_inches="tight")`` draws the whole figure once (without painting) to
    measure it and once more to paint it, and that first draw was a third of a report
    page's charts and maps. The box is the same; the figure is drawn once.
    """
    figure.set_dpi(DPI)
    renderer = figure.canvas.get_renderer()
    box = figure.get_tightbbox(renderer).padded(PAD_INCHES)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches=box,
                   metadata={"Software": None})
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def radar(labels: list[str], values: list[float], reference: list[float] | None = None,
          title: str = "", series: tuple[str, str] = ("本市", "全省城市平均")) -> plt.Figure:
    """Eight dimension scores (0–100) on a radar, optionally against a reference series."""
    font = cjk_font()
    angles = np.linspace(0, 2 * np.pi, len(labels), endpoint=False).tolist()
    closed = angles + angles[:1]
    figure, axes = plt.subplots(figsize=(5.2, 5.2), subplot_kw={"polar": True})
    axes.plot(closed, [*values, values[0]], color="#1f5fa8", linewidth=2, label=series[0])
    axes.fill(closed, [*values, values[0]], color="#1f5fa8", alpha=0.2)
    if reference:
        axes.plot(closed, [*reference, reference[0]], color="#c0392b", linewidth=1.2,
                  linestyle="--", label=series[1])
    axes.set_xticks(angles)
    axes.set_xticklabels([])  # drawn below, each aligned away from the circle
    axes.set_ylim(0, 100)
    axes.set_yticks([20, 40, 60, 80, 100])
    axes.tick_params(axis="y", labelsize=8)
    axes.set_rlabel_position(90 / len(labels))  # the scale between the first two spokes
    for angle, label in zip(angles, labels, strict=True):
        x, y = np.cos(angle), np.sin(angle)
        axes.text(angle, 112, label, fontproperties=font, fontsize=11,
                  ha="center" if abs(x) < 0.2 else ("left" if x > 0 else "right"),
                  va="center" if abs(y) < 0.2 else ("bottom" if y > 0 else "top"))
    if title:
        axes.set_title(title, fontproperties=font, fontsize=13, pad=40)
    axes.legend(prop=font, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2,
                fontsize=9, frameon=False)
    return figure


def bars(labels: list[str], values: list[float], title: str, highlight: str | None = None,
         unit: str = "") -> plt.Figure:
    """Horizontal bars (e.g. the index of every city), one bar highlighted."""
    font = cjk_font()
    figure, axes = plt.subplots(figsize=(6.4, 0.38 * len(labels) + 1.0))
    colours = ["#c0392b" if label == highlight else "#1f5fa8" for label in labels]
    axes.barh(labels, values, color=colours)
    axes.invert_yaxis()
    axes.set_yticks(range(len(labels)))
    axes.set_yticklabels(labels, fontproperties=font)
    axes.set_title(title, fontproperties=font, fontsize=12)
    axes.set_xlabel(unit, fontproperties=font)
    for index, value in enumerate(values):
        axes.text(value, index, f" {value:.1f}", va="center", fontsize=8)
    return figure


def lines(x: list, series: dict[str, list[float]], title: str, highlight: str | None = None,
          unit: str = "") -> plt.Figure:
    """One line per series over x (e.g. each city's index over the plan period).

    A missing value (None) is a gap in its line. Callers draw a trajectory only over
    two or more x values: one point is not a line.
    """
    font = cjk_font()
    figure, axes = plt.subplots(figsize=(6.8, 4.2))
    palette = plt.get_cmap("tab20").colors
    colours = palette[::2] + palette[1::2]  # 20 distinct colours: 11 cities never share one
    for index, (name, values) in enumerate(series.items()):
        strong = highlight is None or name == highlight
        values = [np.nan if v is None else float(v) for v in values]
        axes.plot(x, values, color=colours[index % len(colours)],
                  marker="o" if strong else None, linewidth=2 if strong else 1,
                  alpha=1.0 if strong else 0.45, label=name)
    axes.set_xticks(x)
    axes.set_xticklabels([str(v) for v in x])
    axes.set_title(title, fontproperties=font, fontsize=12)
    axes.set_ylabel(unit, fontproperties=font)
    axes.grid(alpha=0.3)
    axes.legend(prop=font, fontsize=8, ncol=2 if len(series) > 6 else 1,
                loc="center left", bbox_to_anchor=(1.0, 0.5))
    return figure
