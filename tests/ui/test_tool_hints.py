"""Every map tool says in the status bar what to do next: when chosen and as the user proceeds.

Tools are chosen through their toolbar/menu actions, vertices clicked on the map, Esc pressed on
the canvas; the hint is read from the status bar as shown.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import shapely
from PyQt6.QtCore import Qt

from gis_app.ui.i18n import Translator
from tests.ui.test_grid_edit_helpers import (
    answering,
    click,
    draw,
    grid_action,
    select_grids,
    store_grids,
    to_map,
    zoom_to,
)

CJK = re.compile(r"[\u4e00-\u9fff]")
#: Tool → (hint when chosen, hint once the first vertex is down; None: a click tool).
EXPECTED = {
    "pan": ("拖动地图平移，滚轮缩放", None),
    "zoom": ("在地图上拖出矩形放大", None),
    "identify": ("单击地图上的要素查看其属性", None),
    "select": ("单击或拖框选择当前图层的要素，按住 Shift 追加，Esc 清除选择", None),
    "lasso": ("单击添加节点，画出选择范围（按住 Shift 追加）",
              "单击添加节点，双击或回车结束选择范围，Esc 取消"),
    "measure_line": ("单击起点开始测距离", "单击添加节点，双击或回车结束测量，Esc 取消"),
    "measure_area": ("单击第一个顶点开始测面积", "单击添加顶点，双击或回车结束测量，Esc 取消"),
    "split_line": ("单击起点，画一条完整穿过一个三级网格的线（起点和终点都在网格外）",
                   "单击添加节点，双击结束分割线，Esc 取消"),
    "draw_grid": ("单击第一个顶点，逐点画出新网格的边界",
                  "单击添加顶点，双击或回车结束新网格，Esc 取消"),
    "draw_footprint": ("单击第一个顶点，逐点画出灾害实际影响的范围",
                       "单击添加顶点，双击或回车结束灾情范围，Esc 取消"),
}


@pytest.fixture
def answers(window, qtbot):
    yield from answering(window, qtbot)


def hint(window) -> str:
    """The hint as the status bar shows it (the label left of the permanent widgets)."""
    label = window.controller("map").hint
    assert window.statusBar().isAncestorOf(label)
    return label.text()


def _empty_spot(window) -> tuple[float, float]:
    """The middle of the view (the tools below never edit anything there)."""
    rect = window.canvas.view_box.viewRect()
    return rect.center().x(), rect.center().y()


def test_every_tool_says_what_to_do_when_chosen_and_once_drawing(window, qtbot):
    assert hint(window) == EXPECTED["pan"][0]  # the tool the window opens with
    assert set(EXPECTED) == set(window.tool_actions)
    for tool, (chosen, drawing) in EXPECTED.items():
        window.tool_actions[tool].trigger()
        assert window.canvas.view_box.tool == tool
        assert hint(window) == chosen, tool
        if drawing is None:
            continue
        x, y = _empty_spot(window)
        click(window, qtbot, x, y)  # the first vertex
        assert hint(window) == drawing, tool
        click(window, qtbot, x + window.canvas.metres_per_pixel() * 40, y)
        assert hint(window) == drawing, tool  # still drawing
        window.canvas.setFocus()
        qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)  # dropped: back to the start
        assert window.canvas.view_box._sketch.polygon().isEmpty()
        assert hint(window) == chosen, tool


def test_esc_drops_a_sketch_before_it_clears_the_selection(window, qtbot):
    grids = store_grids(window)
    select_grids(window, qtbot, [int(grids.index[0])])
    window.tool_actions["measure_line"].trigger()
    x, y = _empty_spot(window)
    click(window, qtbot, x, y)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)
    assert hint(window) == EXPECTED["measure_line"][0]
    assert list(window.layers["grids_level3"].selected_ids()) == [int(grids.index[0])]
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)  # nothing drawn: the selection goes
    assert len(window.layers["grids_level3"].selected_ids()) == 0


def test_a_finished_measure_shows_its_result_and_the_tool_starts_again(window, qtbot):
    window.tool_actions["measure_line"].trigger()
    x, y = _empty_spot(window)
    step = window.canvas.metres_per_pixel() * 100
    vertices = [(x, y), (x + step, y), (x + step, y + step)]
    for vx, vy in vertices[:-1]:
        click(window, qtbot, vx, vy)
    assert hint(window) == EXPECTED["measure_line"][1]
    window.canvas.view_box.add_vertex(*vertices[-1])
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    assert window.controller("map").labels["measure"].text().startswith("距离：")
    assert hint(window) == EXPECTED["measure_line"][0]


def test_a_grid_split_reports_then_the_hint_is_still_there(window, qtbot, answers):
    grids = store_grids(window)
    shape = to_map(window, [grids.iloc[0]["geometry"]])[0]
    spot = shape.representative_point()
    across = shapely.LineString([(shape.bounds[0] - 1e4, spot.y), (shape.bounds[2] + 1e4,
                                                                   spot.y)])
    inside = shapely.intersection(across, shape)
    piece = min(shapely.get_parts(inside), key=lambda p: p.distance(spot))
    (x0, _), (x1, _) = sorted(piece.coords)[0], sorted(piece.coords)[-1]
    draw(window, qtbot, "沿线拆分网格", [(x0 - 8, spot.y), (x1 + 8, spot.y)])
    assert answers.messages == []
    assert window.statusBar().currentMessage().startswith("已拆分为")  # the report on top
    assert hint(window) == EXPECTED["split_line"][0]  # and the hint beneath it


def test_merge_and_balanced_split_without_a_selection_say_how_to_choose_grids(
        window, qtbot, answers):
    window.layers.clear_selection()
    grid_action(window, "合并所选网格").trigger()
    assert answers.messages[-1][0] == "Information"
    assert window.canvas.view_box.tool == "select"
    assert window.layers.active == "grids_level3"
    assert window.statusBar().currentMessage() == (
        "单击选择要合并的相邻三级网格，按住 Shift 多选，再点“合并所选网格”")
    grid_action(window, "均衡拆分网格…").trigger()
    assert window.statusBar().currentMessage() == "单击选择一个三级网格，再点“均衡拆分网格…”"


def test_placing_a_household_says_to_click_its_place(window, qtbot):
    households = window.session.households
    unlocated = int(households.loc[np.isnan(households["x"].to_numpy(float)), "id"].iloc[0])
    window.controller("placing").start_placing(unlocated)
    assert window.canvas.view_box.tool == "place"
    assert hint(window) == "单击地图上该户的位置"
    assert window.statusBar().currentMessage() == "请在地图上点击该户的位置"


def test_hints_in_english(window, qtbot):
    english = Translator("en")
    next(a for a in window.menus["设置"].actions() if a.text() == "英文").trigger()
    assert hint(window) == english(EXPECTED["pan"][0])
    for tool, (chosen, drawing) in EXPECTED.items():
        window.tool_actions[tool].trigger()
        assert hint(window) == english(chosen) and not CJK.search(hint(window)), tool
        if drawing is not None:
            zoom_to(window, qtbot, window.session.grids.total_bounds)
            x, y = _empty_spot(window)
            click(window, qtbot, x, y)
            assert hint(window) == english(drawing) and not CJK.search(hint(window)), tool
            window.canvas.view_box.cancel_sketch()
