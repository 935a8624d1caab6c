"""The map window driven as a user would: clicks, keys, drags, the wheel, typing, menus.

What the window shows is compared with the store read on its own (plain SQL, shapely) or with
an independent computation on the points the clicks landed on.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from PyQt6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QContextMenuEvent, QImage, QMouseEvent, QWheelEvent
from PyQt6.QtWidgets import QApplication, QMenu, QStyle, QStyleOptionViewItem

from tests.ui.conftest import open_window, view_to_widget, when_shown
from tests.ui.test_grid_edit_helpers import (
    clicked_at,
    expected_grids,
    layer_tree_item,
    sql,
    store_grids,
    undo,
)
from tests.ui.test_investigation import STATUSES, _identify, choose_file, recount, type_text

ROOT = Path(__file__).resolve().parents[2]
#: The coverage style's bands (styles/coverage.toml): below 50 %, 50–70 %, 70–90 %, 90 % and up.
BANDS = [0.5, 0.7, 0.9]
BAND_COLOURS = ["#e03131", "#f76707", "#fcc419", "#2f9e44"]
SQUARE_METRES_PER_MU = 10_000 / 15  # 1 公顷 = 15 亩


# -- driving the window
def _action(window, menu: str, text: str):
    """The action labelled ``text`` in the menu titled ``menu`` (as the user reads them)."""
    return next(a for a in window.menus[menu].actions() if a.text() == text)


def _tree(window):
    return window.controller("layers").tree


def _click_check_box(window, qtbot, layer_id: str) -> None:
    """Click the layer's check box in the layer tree, where the style draws it."""
    tree = _tree(window)
    item = layer_tree_item(window, layer_id)
    tree.scrollToItem(item)
    option = QStyleOptionViewItem()
    tree.initViewItemOption(option)
    option.rect = tree.visualItemRect(item)
    option.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    box = tree.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, option,
                                      tree)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=box.center())


def _click_map(window, qtbot, x, y, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, modifier,
                     view_to_widget(window, x, y))


def _click_shape(window, qtbot, vertices, modifier=Qt.KeyboardModifier.NoModifier):
    """Click the vertices with the current tool, double-click the last; where they landed."""
    landed = np.array([clicked_at(window, x, y) for x, y in vertices])
    viewport = window.canvas.viewport()
    for x, y in vertices[:-1]:
        _click_map(window, qtbot, x, y, modifier)
    last = view_to_widget(window, *vertices[-1])
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, modifier, last)
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, modifier, last)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, modifier, last)
    return landed


def _drag(window, qtbot, start: QPoint, end: QPoint, modifiers=Qt.KeyboardModifier.NoModifier):
    viewport = window.canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, modifiers, start)
    steps = 6
    for k in range(1, steps + 1):
        point = QPointF(start + (end - start) * k / steps)
        event = QMouseEvent(QEvent.Type.MouseMove, point, viewport.mapToGlobal(point),
                            Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton, modifiers)
        QApplication.sendEvent(viewport, event)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, modifiers, end)


def _wheel(window, steps: int) -> None:
    """Turn the mouse wheel over the centre of the map (positive: away from the user)."""
    viewport = window.canvas.viewport()
    centre = QPointF(viewport.rect().center())
    event = QWheelEvent(centre, viewport.mapToGlobal(centre), QPoint(0, 0),
                        QPoint(0, 120 * steps), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(viewport, event)


def _context_menu(qtbot, widget, position: QPoint, choose) -> None:
    """Right-click ``widget`` at ``position``; ``choose(menu)`` picks in the menu shown."""
    def answer(menu):
        try:
            choose(menu)
        finally:  # a choice that fails must not leave the menu's exec() waiting forever
            if menu.isVisible():
                menu.close()

    when_shown(lambda: menu if isinstance(menu := QApplication.activePopupWidget(), QMenu)
               else None, answer)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, position,
                              widget.mapToGlobal(position))
    QApplication.sendEvent(widget, event)


def _menu_action(menu: QMenu, *path: str):
    """The action reached through the submenus titled ``path``."""
    for title in path[:-1]:
        menu = next(a.menu() for a in menu.actions() if a.menu() and a.text() == title)
    return next(a for a in menu.actions() if a.text() == path[-1])


def _legend(window, layer_id: str) -> list[str]:
    item = layer_tree_item(window, layer_id)
    return [item.child(i).text(0) for i in range(item.childCount())]


def _legend_counts(window, layer_id: str) -> list[int]:
    return [int(t.rsplit("（", 1)[1].rstrip("）")) for t in _legend(window, layer_id)]


def _popup_texts(window) -> list[str]:
    """The entries of the search box's list of further hits (shown when there are several)."""
    menus = [m for m in window.findChildren(QMenu) if m.isVisible()]
    texts = [a.text() for m in menus for a in m.actions()]
    for menu in menus:
        menu.close()
    return texts


def _search(window, qtbot, text: str) -> None:
    box = window.controller("map").search_box
    box.setFocus()
    box.clear()
    type_text(box, text)  # Chinese arrives from the input method as one commit
    qtbot.keyClick(box, Qt.Key.Key_Return)


# -- the store, read on its own
def _today() -> dict:
    return {"today": dt.date.today().isoformat()}


def _stored_households(window) -> pd.DataFrame:
    return sql(window, "SELECT h.id, h.head_name, h.head_id_number, h.phone, h.lon, h.lat, "
                       "h.monitoring_type, g.code AS grid_code FROM household h "
                       "LEFT JOIN grid g ON g.id = h.grid_id ORDER BY h.id").set_index("id")


def _located(window) -> pd.DataFrame:
    """Located households with their map x, y (the store's lon/lat through the map's CRS)."""
    households = _stored_households(window).dropna(subset=["lon"])
    x, y = window.session.to_map(households["lon"].to_numpy(), households["lat"].to_numpy())
    return households.assign(x=x, y=y)


def _drawn_classes(adapter) -> dict[bytes, str]:
    """Polygon WKB → the colour it is drawn with, read off the layer's drawn class items."""
    colours = {}
    for item in adapter.items()[:-1]:  # the last item draws the selection
        colour = item.brush().color().name()
        for geometry in item.geometries:
            colours[shapely.to_wkb(geometry)] = colour
    return colours


def _colour_share(image: QImage, colour: str, tolerance: int = 12) -> float:
    """Share of the image's pixels within ``tolerance`` of ``colour`` in every channel."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), dtype=np.uint8)
    pixels = pixels.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, :image.width(), :3]
    target = np.array([QColor(colour).blue(), QColor(colour).green(), QColor(colour).red()])
    return float((np.abs(pixels.astype(int) - target).max(axis=2) <= tolerance).mean())


def _band_colours(coverage: pd.Series) -> pd.Series:
    return pd.Series(np.asarray(BAND_COLOURS)[np.digitize(coverage.to_numpy(), BANDS)],
                     index=coverage.index)


# -- the tests
def test_unticking_a_layer_hides_it(window, qtbot):
    adapter = window.canvas.adapters["households"]
    assert adapter.items()[0].isVisible()
    _click_check_box(window, qtbot, "households")
    assert layer_tree_item(window, "households").checkState(0) == Qt.CheckState.Unchecked
    assert window.layers["households"].visible is False
    assert not any(item.isVisible() for item in adapter.items())
    # Hidden points are not picked either: identify on a household shows what lies below.
    record = _isolated_household(window)
    window.tool_actions["identify"].trigger()
    _click_map(window, qtbot, record["x"], record["y"])
    shown = window.controller("map").shown
    assert shown is not None and shown[0] != "households"
    _click_check_box(window, qtbot, "households")
    assert window.layers["households"].visible is True
    assert adapter.items()[0].isVisible()


def test_keys_and_wheel_zoom_and_pan(window, qtbot):
    box = window.canvas.view_box
    before = box.viewRect()
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Plus)
    zoomed = box.viewRect()
    assert zoomed.width() < before.width() * 0.9
    qtbot.keyClick(window.canvas, Qt.Key.Key_Right)
    panned = box.viewRect()
    assert panned.center().x() > zoomed.center().x()
    assert abs(panned.width() - zoomed.width()) < 1e-6 * zoomed.width()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Home)
    home = box.viewRect()
    assert home.width() >= before.width() * 0.95
    _wheel(window, 2)  # away from the user: in
    assert box.viewRect().width() < home.width() * 0.9
    _wheel(window, -4)  # towards: out again
    assert box.viewRect().width() > home.width() * 1.05
    # Ctrl+0 (全图) from the 视图 menu's shortcut brings the county back.
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert abs(box.viewRect().width() - home.width()) < 1e-6 * home.width()


def _isolated_household(window) -> pd.Series:
    """A located household with no point feature (of any layer) within 30 m, shown close up."""
    households = _located(window)
    points = np.vstack([np.column_stack([window.canvas.adapters[layer.id].x,
                                         window.canvas.adapters[layer.id].y])
                        for layer in window.layers if layer.definition.geometry == "point"])
    points = points[np.isfinite(points).all(axis=1)]
    tree = shapely.STRtree(shapely.points(points))
    for household_id, record in households.iterrows():
        near = tree.query(shapely.Point(record["x"], record["y"]).buffer(30))
        if len(near) == 1:  # itself only
            window.canvas.zoom_to(QRectF(record["x"] - 150, record["y"] - 150, 300, 300),
                                  padding=0)
            return record.rename(household_id)
    raise AssertionError("no isolated household in the sample")


def test_click_identifies_the_household_under_the_cursor(window, qtbot):
    record = _isolated_household(window)
    window.tool_actions["identify"].trigger()
    _click_map(window, qtbot, record["x"], record["y"])
    panel = window.controller("map").identify
    shown = panel.values()
    assert panel.title.text().endswith(f"：{record['head_name']}")
    assert shown["户主姓名"] == record["head_name"]
    # Personal data masked; the household's grid, workers and hazard exposure at a glance.
    number = shown["户主证件号码"]
    assert "*" in number and number.endswith(record["head_id_number"][-4:])
    assert record["head_id_number"] not in shown.values()
    assert f"（{record['grid_code']}）" in shown["所属网格"]
    workers = sql(window, """
        SELECT w.name FROM grid_assignment a JOIN worker w ON w.id = a.worker_id
        JOIN grid g ON g.id = a.grid_id WHERE g.code = :code AND
        (a.start_date IS NULL OR a.start_date <= :today) AND
        (a.end_date IS NULL OR a.end_date > :today)""", code=record["grid_code"], **_today())
    assert len(workers) and all(name in shown["网格员"] for name in workers["name"])
    assert "所处灾害隐患区" in shown
    assert window.docks["识别"].isVisible()


def test_rectangle_selection_selects_what_is_inside(window, qtbot):
    households = window.session.households
    box_view = window.canvas.view_box.viewRect()
    cx, cy = box_view.center().x(), box_view.center().y()
    half = box_view.width() / 8
    window.tool_actions["select"].trigger()
    start = view_to_widget(window, cx - half, cy + half)
    end = view_to_widget(window, cx + half, cy - half)
    _drag(window, qtbot, start, end)
    layer = window.layers["households"]
    # Independent check with shapely, on the rectangle the screen corners map back to.
    a = window.canvas.view_box.mapSceneToView(window.canvas.mapToScene(start))
    b = window.canvas.view_box.mapSceneToView(window.canvas.mapToScene(end))
    rectangle = shapely.box(min(a.x(), b.x()), min(a.y(), b.y()), max(a.x(), b.x()),
                            max(a.y(), b.y()))
    located = _located(window)
    inside = located.index[shapely.contains_xy(rectangle, located["x"], located["y"])]
    selected = set(layer.selected_ids().tolist())
    assert len(selected) > 10
    assert len(selected ^ set(inside)) <= 0.001 * len(households)  # corners round by < 1 px
    status = window.controller("map").labels["selection"].text()
    assert status == f"已选择 {len(selected)} 个要素"
    # The attribute table shows the same selection, highlighted.
    table = window.controller("table").table
    highlighted = table.model.highlighted_rows()
    assert sorted(table.model.ids[table.model.rows][highlighted]) == sorted(selected)
    first = table.model.index(int(highlighted[0]), 1)
    assert table.model.data(first, Qt.ItemDataRole.BackgroundRole) is not None


def test_lasso_selection_with_shift_adds(window, qtbot):
    view = window.canvas.view_box.viewRect()
    cx, cy, r = view.center().x(), view.center().y(), view.width() / 10
    window.tool_actions["lasso"].trigger()
    first = _click_shape(window, qtbot, [(cx - r, cy - r), (cx + r, cy - r), (cx, cy + r)])
    located = _located(window)

    def inside(vertices) -> set[int]:
        mask = shapely.contains_xy(shapely.Polygon(vertices), located["x"], located["y"])
        return set(located.index[mask])

    layer = window.layers["households"]
    assert set(layer.selected_ids().tolist()) == inside(first) != set()
    # A second lasso to the right, finished with shift held: added to the first.
    second = _click_shape(window, qtbot, [(cx + r, cy - r), (cx + 3 * r, cy - r),
                                          (cx + 2 * r, cy + r)], Qt.KeyboardModifier.ShiftModifier)
    assert inside(second) - inside(first)
    assert set(layer.selected_ids().tolist()) == inside(first) | inside(second)
    # Without shift a lasso replaces the selection.
    third = _click_shape(window, qtbot, [(cx - r, cy - 3 * r), (cx + r, cy - 3 * r),
                                         (cx, cy - r)])
    assert set(layer.selected_ids().tolist()) == inside(third)


def test_search_by_name_zooms_to_the_household(window, qtbot):
    stored = _stored_households(window)["head_name"]
    households = _located(window)
    # A located household whose head's name is in no other household's name.
    name = next(n for n in households["head_name"]
                if stored.str.contains(n, regex=False).sum() == 1)
    household_id = int(households.index[households["head_name"] == name][0])
    record = households.loc[household_id]
    _search(window, qtbot, name)
    view = window.canvas.view_box.viewRect()
    assert view.contains(QPointF(record["x"], record["y"]))
    assert view.width() < 2000
    assert window.layers["households"].selected_ids().tolist() == [household_id]


def test_search_by_id_tail_and_grid_code(window, qtbot):
    households = _stored_households(window)
    household_id = int(households.index[10])
    tail = households["head_id_number"].iloc[10][-4:]
    _search(window, qtbot, tail)
    # Every household whose ID number or phone ends so is offered (the first is zoomed to).
    ends = households["head_id_number"].str.upper().str.endswith(tail.upper()) | \
        households["phone"].fillna("").str.endswith(tail)
    offered = _popup_texts(window)
    if ends.sum() > 1:
        assert sum(text.startswith("[农户]") for text in offered) == min(int(ends.sum()), 30)
        assert any(households.loc[household_id, "head_name"] in t for t in offered)
        first = window.layers["households"].selected_ids().tolist()
        assert len(first) == 1 and first[0] in households.index[ends]
    else:
        assert window.layers["households"].selected_ids().tolist() == [household_id]
    # Masked, a longer tail would reveal hidden digits: it finds no household.
    window.layers.clear_selection()
    _search(window, qtbot, households["head_id_number"].iloc[10][-6:])
    assert not any(text.startswith("[农户]") for text in _popup_texts(window))
    assert not window.layers["households"].selection.any()
    # A level-3 grid's code: the grid is zoomed to and selected.
    grids = store_grids(window)
    grid_id = int(grids.index[3])
    _search(window, qtbot, grids.loc[grid_id, "code"])
    _popup_texts(window)
    assert window.layers["grids_level3"].selected_ids().tolist() == [grid_id]
    minx, miny, maxx, maxy = shapely.bounds(
        shapely.transform(grids.loc[grid_id, "geometry"], lambda xy: np.column_stack(
            window.session.to_map(xy[:, 0], xy[:, 1]))))
    view = window.canvas.view_box.viewRect()
    assert view.contains(QRectF(minx, miny, maxx - minx, maxy - miny))
    assert view.width() < 4 * max(maxx - minx, maxy - miny)


def test_language_switch_changes_labels(window):
    assert window.docks["图层"].windowTitle() == "图层"
    _action(window, "设置", "英文").trigger()
    assert window.settings.value("language") == "en"
    assert window.docks["图层"].windowTitle() == "Layers"
    assert window.tool_actions["measure_line"].text() == "Measure distance"
    assert layer_tree_item(window, "households").text(0) == "Households"
    assert window.menus["设置"].title() == "Settings"
    _action(window, "设置", "Chinese").trigger()
    assert window.settings.value("language") == "zh"
    assert window.tool_actions["measure_line"].text() == "测距离"
    assert layer_tree_item(window, "households").text(0) == "农户"


def _units(area: float) -> str:
    return (f"面积：{area:,.0f} 平方米 = {area / SQUARE_METRES_PER_MU:,.2f} 亩 = "
            f"{area / 10_000:,.3f} 公顷")


def test_measure_distance_and_area_in_true_units(window, qtbot):
    view = window.canvas.view_box.viewRect()
    x0, y0 = view.center().x(), view.center().y()
    window.canvas.zoom_to(QRectF(x0 - 600, y0 - 600, 5200, 5200), padding=0)
    window.tool_actions["measure_area"].trigger()
    landed = _click_shape(window, qtbot, [(x0, y0), (x0 + 1000, y0), (x0 + 1000, y0 + 1000),
                                          (x0, y0 + 1000)])
    label = window.controller("map").labels["measure"]
    area = shapely.Polygon(landed).area
    assert abs(area - 1_000_000) < 20_000  # a square kilometre, give or take a pixel
    assert label.text() == _units(area)
    window.tool_actions["measure_line"].trigger()
    landed = _click_shape(window, qtbot, [(x0, y0), (x0 + 3000, y0 + 4000)])
    length = shapely.LineString(landed).length
    assert abs(length - 5000) < 20
    assert label.text() == f"距离：{length / 1000:.3f} 公里"
    # Map metres are ground metres: the same line measured on the ellipsoid (CGCS2000) agrees
    # to within the Gauss–Krüger zone's scale error.
    lon, lat = pyproj.Transformer.from_crs(window.session.epsg, 4490, always_xy=True).transform(
        landed[:, 0], landed[:, 1])
    ground = pyproj.Geod(ellps="GRS80").inv(lon[0], lat[0], lon[1], lat[1])[2]
    assert abs(ground - length) < 5e-4 * length


def test_style_switch_changes_classes(window, qtbot):
    tree = _tree(window)
    item = layer_tree_item(window, "households")
    _context_menu(qtbot, tree.viewport(), tree.visualItemRect(item).center(),
                  lambda menu: _menu_action(menu, "样式", "按监测类型")
                  .trigger())
    assert window.layers["households"].style == "households_by_monitoring_type"
    adapter = window.canvas.adapters["households"]
    assert adapter.style.id == "households_by_monitoring_type"
    legend = _legend(window, "households")
    assert [t.rsplit("（", 1)[0] for t in legend] == ["脱贫不稳定户", "边缘易致贫户",
                                                    "突发严重困难户"]
    # The legend counts the layer's households (those without a location too, as the
    # attribute table lists them).
    stored = _stored_households(window)
    expected = [int((stored["monitoring_type"] == code).sum()) for code in (1, 2, 3)]
    assert _legend_counts(window, "households") == expected
    # Each located household is drawn in the colour of its monitoring type.
    cloud = adapter._cloud
    colours = {1: "#c92a2a", 2: "#f08c00", 3: "#862e9c"}
    located = _located(window)
    rows = np.searchsorted(window.layers["households"].ids, located.index.to_numpy())
    drawn = [cloud.symbols[c].fill if c >= 0 else cloud.default.fill
             for c in cloud.classes[rows]]
    wanted = [colours.get(t, "#ced4da")  # the style's default: not monitored
              for t in located["monitoring_type"].fillna(0).astype(int)]
    assert drawn == wanted


def test_snapshot_is_saved_as_png(window, qtbot, tmp_path):
    path = tmp_path / "地图.png"
    choose_file(qtbot, path)
    _action(window, "文件", "保存地图快照…").trigger()
    from gis_app.ui.canvas.snapshot import sheet_size

    image = QImage(str(path))
    size = sheet_size(window.canvas)  # the map at its size on screen, title and legend around
    assert (image.width(), image.height()) == (int(size.width()), int(size.height()))
    # It is the map: the villages' fill covers much of it, household points are drawn.
    assert _colour_share(image, "#fbf8ef") > 0.05
    assert _colour_share(image, "#e8590c", 30) > 0.0002
    assert window.statusBar().currentMessage() == f"已保存：{path}"


def test_place_an_unlocated_household(window, qtbot):
    """Placing writes the store (one audited edit) and the household leaves the list."""
    placing = window.controller("placing")
    panel = placing.panel
    window.docks["位置未知农户"].raise_()  # its tab clicked
    qtbot.waitUntil(lambda: not window.docks["位置未知农户"].visibleRegion().isEmpty())
    unlocated = sql(window, "SELECT id FROM household WHERE lon IS NULL ORDER BY id")["id"]
    assert panel.list.count() == len(unlocated) > 0
    assert panel.summary.text() == f"位置未知：{len(unlocated)} 户"
    first = panel.list.item(0)
    household_id = int(first.data(Qt.ItemDataRole.UserRole))
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton,
                     pos=panel.list.visualItemRect(first).center())
    qtbot.mouseClick(panel.button, Qt.MouseButton.LeftButton)
    assert window.canvas.view_box.tool == "place"
    grids = store_grids(window)
    target_id = int(grids.index[0])
    target = grids.loc[target_id, "geometry"].representative_point()
    x, y = window.session.to_map(target.x, target.y)
    window.canvas.zoom_to(QRectF(x - 300, y - 300, 600, 600), padding=0)
    _click_map(window, qtbot, x, y)
    row = sql(window, "SELECT lon, lat, location_source, grid_id FROM household WHERE id = :i",
              i=household_id).iloc[0]
    assert row["location_source"] == "地图点选"
    lx, ly = clicked_at(window, x, y)
    lon, lat = window.session.to_lonlat(lx, ly)
    assert abs(row["lon"] - lon) < 1e-7 and abs(row["lat"] - lat) < 1e-7
    stored = pd.DataFrame({"lon": [row["lon"]], "lat": [row["lat"]]}, index=[household_id])
    assert int(row["grid_id"]) == int(expected_grids(stored, grids).iloc[0]) == target_id
    audit = sql(window, "SELECT count(*) AS n FROM audit_log WHERE table_name = 'household' "
                        "AND row_id = :i", i=household_id)["n"].iloc[0]
    assert audit == 1
    listed = [int(panel.list.item(i).data(Qt.ItemDataRole.UserRole))
              for i in range(panel.list.count())]
    assert household_id not in listed and len(listed) == len(unlocated) - 1
    assert panel.summary.text() == f"位置未知：{len(unlocated) - 1} 户"
    assert window.statusBar().currentMessage() == \
        f"已设置位置，所属网格：{grids.loc[target_id, 'code']}"

    # Issue 8's stale view: the placed household is drawn where it was clicked and identify
    # finds it there; Ctrl+Z takes the placement back everywhere.
    households = window.layers["households"]
    row_of = int(np.flatnonzero(households.ids == household_id)[0])
    adapter = window.controller("layers").adapter("households")
    assert (adapter.x[row_of], adapter.y[row_of]) == pytest.approx((lx, ly), abs=1e-6)
    _identify(window, qtbot, lx, ly)
    assert window.controller("map").identify.household_id == household_id
    undo(window, qtbot)  # Ctrl+Z
    row = sql(window, "SELECT lon, lat, grid_id FROM household WHERE id = :i",
              i=household_id).iloc[0]
    assert pd.isna(row["lon"]) and pd.isna(row["lat"]) and pd.isna(row["grid_id"])
    assert np.isnan(adapter.x[row_of]) and np.isnan(adapter.y[row_of])
    window.docks["位置未知农户"].raise_()  # back to its tab (identify had brought up 识别)
    qtbot.waitUntil(lambda: not window.docks["位置未知农户"].visibleRegion().isEmpty())
    listed = [int(panel.list.item(i).data(Qt.ItemDataRole.UserRole))
              for i in range(panel.list.count())]
    assert sorted(listed) == sorted(unlocated.tolist())
    assert panel.summary.text() == f"位置未知：{len(unlocated)} 户"


def test_editing_a_style_file_and_reloading_changes_the_map(window, qtbot, tmp_path,
                                                            monkeypatch):
    from gis_app.catalog.loader import _folder

    folder = tmp_path / "styles"
    shutil.copytree(_folder("gis_app.styles", None), folder)
    style = folder / "households_by_attribute.toml"
    style.write_text(style.read_text(encoding="utf-8").replace("#e8590c", "#123456"),
                     encoding="utf-8")
    monkeypatch.setenv("GIS_APP_STYLE_DIR", str(folder))
    adapter = window.canvas.adapters["households"]
    assert adapter.style.classes[0].symbol.fill == "#e8590c"
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    window.canvas.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_F5)  # 视图 → 重新加载样式
    assert adapter.style.classes[0].symbol.fill == "#123456"
    assert adapter._cloud.symbols[0].fill == "#123456"
    icon = layer_tree_item(window, "households").child(0).icon(0).pixmap(18, 18).toImage()
    assert icon.pixelColor(9, 9).name() == "#123456"


def _coverage(window, column: str) -> pd.DataFrame:
    """Per unit (of ``column``): households and covered share, recounted from the store."""
    table = recount(window, window.session.campaign_id, column).drop(index="（无）",
                                                                     errors="ignore")
    households = table[STATUSES].sum(axis=1)
    return pd.DataFrame({"households": households,
                         "coverage": (table["home"] + table["remote"]) / households})


def test_coverage_choropleth_colours_grids_by_their_coverage(window, qtbot):
    layer_id = "coverage_grids"
    assert layer_tree_item(window, layer_id).checkState(0) == Qt.CheckState.Unchecked
    _click_check_box(window, qtbot, layer_id)
    adapter = window.canvas.adapters[layer_id]
    assert adapter.items()[0].isVisible()
    expected = _coverage(window, "grid_code")
    grids = store_grids(window).set_index("code")
    frame = adapter.frame
    assert sorted(frame["code"]) == sorted(expected.index)
    drawn = _drawn_classes(adapter)
    shown = {code: drawn[shapely.to_wkb(geometry)]
             for code, geometry in zip(frame["code"], frame.geometry, strict=True)}
    assert shown == _band_colours(expected["coverage"]).to_dict()
    assert sum(_legend_counts(window, layer_id)) == len(expected)
    assert len(grids.index.intersection(expected.index)) == len(expected)


@pytest.mark.parametrize(("layer_id", "column", "level"),
                         [("coverage_villages", "village_code", 2),
                          ("coverage_townships", "township_code", 1)])
def test_coverage_choropleth_of_villages_and_townships(window, qtbot, layer_id, column, level):
    _click_check_box(window, qtbot, layer_id)
    adapter = window.canvas.adapters[layer_id]
    assert adapter.items()[0].isVisible()
    # Each unit's level-1/2 grid is coloured by the coverage of the township / village it covers.
    expected = _coverage(window, column)
    units = sql(window, "SELECT code FROM grid WHERE level = :level", level=level)
    frame = adapter.frame
    assert len(frame) == len(units) == len(expected)
    drawn = _drawn_classes(adapter)
    shown = {code: drawn[shapely.to_wkb(geometry)]
             for code, geometry in zip(frame["admin_code"], frame.geometry, strict=True)}
    assert shown == _band_colours(expected["coverage"]).to_dict()
    assert (frame.set_index("admin_code")["households"]
            == expected.loc[frame["admin_code"], "households"]).all()
    assert _legend_counts(window, layer_id) == np.bincount(
        np.digitize(expected["coverage"].to_numpy(), BANDS), minlength=4).tolist()


def test_a_project_without_campaign_opens_with_an_empty_coverage_layer(qtbot, tmp_path, capsys):
    from gis_app.cli import main

    project = tmp_path / "bare.gmp"
    sample = ROOT / "sample_gis"
    for name in ("townships", "villages"):
        assert main(["import", str(project), str(sample / "county.gpkg"), "--kind",
                     "boundaries", "--layer", name]) == 0
    assert main(["import", str(project), str(sample / "county.gpkg"), "--kind", "grids",
                 "--layer", "grids"]) == 0
    capsys.readouterr()
    window = open_window(qtbot, project, tmp_path / "settings.ini")
    try:
        assert window.session.campaign_id is None
        grids = sql(window, "SELECT count(*) AS n FROM grid WHERE level = 3")["n"].iloc[0]
        assert len(window.layers["grids_level3"].frame) == grids > 0
        _click_check_box(window, qtbot, "coverage_grids")
        assert window.layers["coverage_grids"].visible
        assert len(window.canvas.adapters["coverage_grids"].frame) == 0
        assert _legend_counts(window, "coverage_grids") == [0, 0, 0, 0]
    finally:
        window.close()
        window.session.close()


def test_coverage_layers_are_counted_only_once_shown(window, qtbot, monkeypatch):
    layer_id = "coverage_villages"
    layer = window.layers[layer_id]
    # Reading a campaign takes seconds on a large county: hidden, nothing is counted yet.
    assert not layer.loaded
    assert len(window.canvas.adapters[layer_id].frame) == 0
    legend = _legend(window, layer_id)
    assert legend and not any("（" in text for text in legend)
    _click_check_box(window, qtbot, layer_id)
    assert layer.loaded
    villages = _coverage(window, "village_code")
    assert len(window.canvas.adapters[layer_id].frame) == len(villages)
    assert sum(_legend_counts(window, layer_id)) == len(villages)
