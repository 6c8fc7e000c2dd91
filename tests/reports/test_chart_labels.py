"""Chart labels do not collide: the dimension names of the radar stand clear of each
other, of the circle and of the legend, for the eight dimensions the reports draw."""

from __future__ import annotations

from matplotlib.transforms import Bbox

from cityhealth.core.reference import seed_frame
from cityhealth.reports import charts


def _overlap(a: Bbox, b: Bbox) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_radar_labels_stand_clear_of_each_other_the_circle_and_the_legend() -> None:
    labels = list(seed_frame("ref_dimensions").sort_values(
        "sort_order", key=lambda s: s.astype(int)).dimension_name_zh)
    figure = charts.radar(labels, [95.0] * len(labels), [60.0] * len(labels),
                          title="南昌市2025年 八个维度得分")
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    axes = figure.axes[0]
    shown = [*axes.texts, *(t for t in axes.get_xticklabels() if t.get_text())]
    boxes = {t.get_text(): t.get_window_extent(renderer) for t in shown}
    assert set(boxes) == set(labels)
    names = sorted(boxes)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            assert not _overlap(boxes[first], boxes[second]), (first, second)
    circle = axes.get_window_extent(renderer)
    centre = ((circle.x0 + circle.x1) / 2, (circle.y0 + circle.y1) / 2)
    radius = (circle.x1 - circle.x0) / 2
    for name, box in boxes.items():  # no label reaches into the circle
        nearest_x = min(max(centre[0], box.x0), box.x1)
        nearest_y = min(max(centre[1], box.y0), box.y1)
        assert ((nearest_x - centre[0]) ** 2 + (nearest_y - centre[1]) ** 2) ** 0.5 >= radius, name
    legend = axes.get_legend().get_window_extent(renderer)
    assert not any(_overlap(legend, box) for box in boxes.values())
    title = axes.title.get_window_extent(renderer)
    assert not any(_overlap(title, box) for box in boxes.values())
