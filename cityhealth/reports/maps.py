"""Choropleth sketches (专题示意图) of the areas, drawn from their outlines.

Areas are coloured by class; the classes are stated in the legend with their bounds,
and an area without a value is grey and hatched, "无数据" in the legend: a map never
shows an unknown value as a low one. Labels are Chinese, drawn with the charts' font
(:func:`cityhealth.reports.charts.cjk_font`). The outlines are
:mod:`cityhealth.core.boundaries` (loaded once per process; each area's drawing path is
built once and reused by every map of the run).

These are thematic sketches for internal use, not 标准地图: every map says so under it
(see the README on publishing maps in China).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
from matplotlib import colormaps, patheffects
from matplotlib.collections import PatchCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path

from cityhealth.core import boundaries
from cityhealth.reports.charts import cjk_font, plt, to_data_uri

NO_DATA = "无数据"
NO_DATA_STYLE = {"facecolor": "#e6e6e6", "hatch": "////", "edgecolor": "#9a9a9a"}
NOTE = ("专题示意图,仅供内部工作参考,不作为权属界线依据;"
        "边界据 {source}(高德),简化容差 {tolerance}°")
# under every map of a page: what the map is and how its classes read
MAP_NOTE = ("<p class=\"note\">地图为专题示意图(非标准地图),仅供内部工作参考;"
            "分级含下限、不含上限(最高一级含上限),灰色斜线为无数据。</p>")
CLASSES = 5
# An area is named on the map when it covers at least this share of the map's frame;
# smaller ones (a city's districts on a city map) would overlap: the page's table names them.
LABEL_MIN_SHARE = 0.012
LABEL_EM = 0.04  # and when it is as wide as its name (a character ~4% of the map's width)


@dataclass(frozen=True)
class MapClass:
    low: float
    high: float
    label: str


@cache
def _path(area_code: str) -> Path:
    """The area's outline as one compound path (holes drawn as holes)."""
    geometry = boundaries.boundaries()[area_code].geometry
    rings = [Path(np.asarray(ring.coords)[:, :2], closed=True)
             for polygon in geometry.geoms for ring in (polygon.exterior, *polygon.interiors)]
    return Path.make_compound_path(*rings)


def _draw(axes, codes: list[str], zorder: float = 1, **style) -> None:
    """The outlines of ``codes`` as one collection in one style (colours may be one per
    area). The caller sets the map's extent: measuring each outline as it is added, as
    ``add_patch`` does, took most of a map's drawing time."""
    if codes:
        axes.add_collection(PatchCollection([PathPatch(_path(c)) for c in codes],
                                            zorder=zorder, **style), autolim=False)


def _nice_step(span: float, classes: int) -> float:
    raw = span / classes if span > 0 else 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def _number(value: float, digits: int, signed: bool) -> str:
    if signed and value == 0:
        return f"{0:.{digits}f}"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def classes_of(values: list[float], kind: str = "sequential",
               classes: int = CLASSES) -> list[MapClass]:
    """Class bounds for the values shown: equal steps of a round size (1, 2, 2.5, 5 ×10ⁿ).

    ``sequential``: from below the smallest to above the largest value; ``diverging``:
    symmetric about 0 (a change: losses and gains in equal steps); ``count``: whole
    numbers, each class ``a–b`` inclusive.
    """
    if not values:
        return []
    low, high = min(values), max(values)
    if kind == "count":
        step = max(1, math.ceil((high - low + 1) / classes))
        start = int(math.floor(low))
        bounds = []
        while start <= high:
            end = start + step - 1
            bounds.append(MapClass(start, end,
                                  str(start) if step == 1 else f"{start} 至 {end}"))
            start = end + 1
        return bounds
    if kind == "diverging":  # zero is always a bound: a loss and a gain never share a class
        low, high = min(low, 0.0), max(high, 0.0)
        step = _nice_step(high - low, classes)
        start = math.floor(low / step) * step
        stop = max(math.ceil(high / step) * step, start + step)
        edges = list(np.arange(start, stop + step / 2, step))
    else:
        step = _nice_step(high - low, classes)
        start = math.floor(low / step) * step
        stop = max(math.ceil(high / step) * step, start + step)
        edges = list(np.arange(start, stop + step / 2, step))
    digits = 0 if float(step).is_integer() else (1 if float(step * 10).is_integer() else 2)
    signed = kind == "diverging"
    return [MapClass(float(a), float(b),
                     f"{_number(a, digits, signed)} 至 {_number(b, digits, signed)}")
            for a, b in zip(edges, edges[1:], strict=False)]


def _class_index(value: float, bounds: list[MapClass], kind: str) -> int:
    for index, bound in enumerate(bounds):
        top = bound.high + (1 if kind == "count" else 0)
        if value < top or index == len(bounds) - 1:
            return index
    return len(bounds) - 1


def choropleth(values: dict[str, float | None], codes: list[str], title: str,
               legend_title: str, kind: str = "sequential", cmap: str = "YlGnBu",
               frame_code: str | None = None, labels: bool = True) -> plt.Figure:
    """A map of ``codes`` coloured by ``values`` (missing or None: 无数据).

    ``frame_code`` is drawn as a heavier outline around the areas (the city around its
    counties, the province around its cities); ``labels`` writes the area names.
    """
    font = cjk_font()
    outlines = boundaries.boundaries()
    shown = {c: float(v) for c, v in values.items()
             if c in codes and v is not None and not (isinstance(v, float) and math.isnan(v))}
    bounds = classes_of(list(shown.values()), kind)
    palette = colormaps[cmap]
    if kind == "diverging":  # the colour's strength follows the size of the change
        reach = max(max(abs(b.low), abs(b.high)) for b in bounds) if bounds else 1.0
        colours = [palette(0.5 + 0.42 * ((b.low + b.high) / 2) / reach) for b in bounds]
    else:
        colours = [palette(0.15 + 0.75 * i / max(len(bounds) - 1, 1))
                   for i in range(len(bounds))]
    figure, axes = plt.subplots(figsize=(6.4, 5.6))
    valued = [code for code in codes if code in shown]
    _draw(axes, valued, linewidth=0.6, edgecolor="#ffffff",
          facecolor=[colours[_class_index(shown[code], bounds, kind)] for code in valued])
    _draw(axes, [code for code in codes if code not in shown], linewidth=0.6,
          **NO_DATA_STYLE)
    if frame_code:
        _draw(axes, [frame_code], zorder=2, facecolor="none", edgecolor="#333333",
              linewidth=1.2)
    extent = [outlines[c].geometry.bounds for c in ([frame_code] if frame_code else codes)]
    west, south = min(b[0] for b in extent), min(b[1] for b in extent)
    east, north = max(b[2] for b in extent), max(b[3] for b in extent)
    unnamed = 0
    if labels:
        label = font.copy()
        label.set_size(7 if len(codes) > 12 else 8)
        for code in codes:
            shape = outlines[code].geometry
            wide = shape.bounds[2] - shape.bounds[0]
            if (shape.area < LABEL_MIN_SHARE * (east - west) * (north - south)
                    or wide < LABEL_EM * len(outlines[code].area_name_zh) * (east - west)):
                unnamed += 1
                continue
            point = outlines[code].geometry.representative_point()
            axes.text(point.x, point.y, outlines[code].area_name_zh, fontproperties=label,
                      ha="center", va="center", color="#1d1d1f",
                      path_effects=[patheffects.withStroke(linewidth=2.2, foreground="white")])
    pad = 0.03 * max(east - west, north - south)
    axes.set_xlim(west - pad, east + pad)
    axes.set_ylim(south - pad, north + pad)
    axes.set_aspect(1 / math.cos(math.radians((south + north) / 2)))  # lon/lat to ground
    axes.set_axis_off()
    axes.set_title(title, fontproperties=font, fontsize=12)
    handles = [Patch(facecolor=colour, edgecolor="#999999", label=bound.label)
               for colour, bound in zip(colours, bounds, strict=True)]
    if len(shown) < len(codes):
        handles.append(Patch(label=NO_DATA, **NO_DATA_STYLE))
    small = font.copy()
    small.set_size(8)
    legend = axes.legend(handles=handles, title=legend_title, prop=small,
                         loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    legend.get_title().set_fontproperties(font)
    note = font.copy()
    note.set_size(6.5)
    text = NOTE.format(source=boundaries.source_version(),
                       tolerance=boundaries.SIMPLIFY_TOLERANCE_DEG)
    if unnamed:
        text = f"面积较小的{unnamed}个地区未标注名称,见下表。\n" + text
    figure.text(0.01, 0.01, text, fontproperties=note, color="#666666")
    return figure


def map_img(figure: plt.Figure, alt: str) -> str:
    """The map as an embedded PNG (``alt`` escaped by the caller)."""
    return f'<img class="map" alt="{alt}" src="{to_data_uri(figure)}">'


def counties_of(city_code: str) -> list[str]:
    """The county-level areas of a city, in ref_areas order."""
    return [b.area_code for b in boundaries.boundaries().values()
            if b.area_level == "county" and b.parent_code == city_code]


def areas_of(level: str) -> list[str]:
    return [b.area_code for b in boundaries.boundaries().values() if b.area_level == level]


def province_code() -> str:
    return areas_of("province")[0]


def name_of(code: str) -> str:
    return boundaries.boundaries()[code].area_name_zh


@dataclass(frozen=True)
class PointClass:
    key: str
    label: str
    colour: str


def point_map(points: list[tuple[float, float, str]], codes: list[str], title: str,
              legend_title: str, point_classes: list[PointClass],
              frame_code: str | None = None) -> plt.Figure:
    """Objects (buildings, compounds, blocks) as points over the outlines of ``codes``,
    coloured by their class (``points``: longitude, latitude, class key); the legend gives
    each class with its number of points, so a class with none is stated, not hidden."""
    font = cjk_font()
    outlines = boundaries.boundaries()
    figure, axes = plt.subplots(figsize=(6.4, 5.6))
    _draw(axes, codes, facecolor="#f4f4f4", edgecolor="#8a8a8a", linewidth=0.6)
    if frame_code:
        _draw(axes, [frame_code], zorder=2, facecolor="none", edgecolor="#333333",
              linewidth=1.2)
    handles = []
    for point_class in point_classes:
        mine = [(x, y) for x, y, key in points if key == point_class.key]
        if mine:
            xs, ys = zip(*mine, strict=True)
            axes.scatter(xs, ys, s=5, color=point_class.colour, linewidths=0, alpha=0.85,
                         zorder=3)
        handles.append(Line2D([], [], marker="o", linestyle="", color=point_class.colour,
                              markersize=5, label=f"{point_class.label}({len(mine)})"))
    extent = [outlines[c].geometry.bounds for c in codes]
    west, south = min(b[0] for b in extent), min(b[1] for b in extent)
    east, north = max(b[2] for b in extent), max(b[3] for b in extent)
    pad = 0.03 * max(east - west, north - south)
    axes.set_xlim(west - pad, east + pad)
    axes.set_ylim(south - pad, north + pad)
    axes.set_aspect(1 / math.cos(math.radians((south + north) / 2)))
    axes.set_axis_off()
    axes.set_title(title, fontproperties=font, fontsize=12)
    small = font.copy()
    small.set_size(8)
    legend = axes.legend(handles=handles, title=legend_title, prop=small,
                         loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    legend.get_title().set_fontproperties(font)
    note = font.copy()
    note.set_size(6.5)
    figure.text(0.01, 0.01, NOTE.format(source=boundaries.source_version(),
                                        tolerance=boundaries.SIMPLIFY_TOLERANCE_DEG),
                fontproperties=note, color="#666666")
    return figure
