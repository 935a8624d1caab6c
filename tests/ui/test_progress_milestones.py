"""排查进度: every milestone's name is readable, none over another, none cut at the edge."""

from __future__ import annotations

import pytest
from PyQt6.QtCore import QPointF, QRectF

from tests.ui.test_investigation import _show_dock

MILESTONES = ["制定工作方案", "分层分类培训", "排查过半", "开展集中排查", "信息采集录入",
              "提交总结报告"]


def _assert_readable(chart, every: bool = True) -> None:
    view = chart.plot.getViewBox()
    bounds = QRectF(0, 0, view.width(), view.height())
    placed = chart.milestone_label_rects()
    names = [name for name, _rect in placed]
    assert sorted(names) == sorted(MILESTONES) if every else set(names) < set(MILESTONES)
    for index, (name, rect) in enumerate(placed):
        assert rect.width() > 20 and bounds.contains(rect), (name, rect, bounds)
        for other, other_rect in placed[index + 1:]:
            assert not rect.intersects(other_rect), (name, other)
    # Each name is beside its own line (touching it, left or right).
    lines = [line for line in chart.milestone_lines if line.label.isVisible()]
    for line, (_name, rect) in zip(lines, placed, strict=True):
        x = view.mapFromView(QPointF(line.value(), 0)).x()
        assert min(abs(rect.left() - x), abs(rect.right() - x)) <= 3


@pytest.mark.parametrize("width", [1400, 700, 520])
def test_milestone_names_neither_overlap_nor_leave_the_chart(window, qtbot, width):
    _show_dock(window, qtbot, "排查进度")
    chart = window.controller("investigation").progress
    assert [name for name, _ in chart.milestone_marks] == MILESTONES
    dock = window.docks["排查进度"]
    dock.setFloating(True)
    dock.resize(width, 300)
    qtbot.waitUntil(lambda: abs(chart.width() - width) < 40)
    qtbot.wait(50)
    _assert_readable(chart)
    # Two milestones fall on one day in the sample's timetable: one goes a row lower.
    rects = dict(chart.milestone_label_rects())
    assert rects["开展集中排查"].top() != rects["信息采集录入"].top()
    # 提交总结报告, the last, is written inside the chart (left of its line at the edge).
    assert rects["提交总结报告"].right() <= chart.plot.getViewBox().width()
    # Zoomed in on the chart: the names of the lines in view, still apart and inside.
    chart.plot.getViewBox().scaleBy(x=0.5)
    qtbot.wait(50)
    _assert_readable(chart, every=False)


def test_the_date_axis_speaks_the_interface_language(window, qtbot):
    from tests.ui.walk import _tick_texts

    _show_dock(window, qtbot, "排查进度")
    chart = window.controller("investigation").progress
    qtbot.wait(50)
    english = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec"}
    ticks = _tick_texts(chart.plot.getAxis("bottom"))
    assert any(text.endswith("月") for text in ticks)  # the sample's campaign: 5月, 6月
    assert not any(word in english for text in ticks for word in text.split())
    window.state.set_language("en")
    qtbot.wait(50)
    ticks = _tick_texts(chart.plot.getAxis("bottom"))
    assert any(word in english for text in ticks for word in text.split())
    assert not any("月" in text for text in ticks)
