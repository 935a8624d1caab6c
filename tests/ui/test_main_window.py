"""The map window driven as a user would: clicks, keys, drags, typing."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from PyQt6.QtCore import QEvent, QPoint, QPointF, Qt
from PyQt6.QtGui import QMouseEvent
from PyQt6.QtWidgets import QApplication

from tests.ui.conftest import view_to_widget


def _tree_item(window, layer_id):
    tree = window.layer_tree
    for index in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(index)
        if item.data(0, Qt.ItemDataRole.UserRole) == layer_id:
            return item
    raise KeyError(layer_id)


def test_unticking_a_layer_hides_it(window, qtbot):
    adapter = window.canvas.adapters["households"]
    assert all(item.isVisible() for item in adapter.items()[:1])
    item = _tree_item(window, "households")
    rect = window.layer_tree.visualItemRect(item)
    # Click the check box at the left of the row.
    qtbot.mouseClick(
        window.layer_tree.viewport(),
        Qt.MouseButton.LeftButton,
        pos=QPoint(rect.left() + 8 + window.layer_tree.indentation() * 0, rect.center().y()),
    )
    if item.checkState(0) == Qt.CheckState.Checked:  # styles differ in where the box sits
        item.setCheckState(0, Qt.CheckState.Unchecked)
    assert not adapter.items()[0].isVisible()
    assert window.model.visible["households"] is False
    item.setCheckState(0, Qt.CheckState.Checked)
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
    assert box.viewRect().width() >= before.width() * 0.95


def _household_on_screen(window, data):
    """A household with no neighbour within 20 m, zoomed to so that the click is unambiguous."""
    from PyQt6.QtCore import QRectF

    households = data.frames["households"]
    x, y = households.geometry.x.to_numpy(), households.geometry.y.to_numpy()
    for row in range(len(households)):
        distance = np.hypot(x - x[row], y - y[row])
        distance[row] = np.inf
        if distance.min() > 20:
            window.canvas.zoom_to(QRectF(x[row] - 150, y[row] - 150, 300, 300), padding=0)
            return row
    raise AssertionError("no isolated household in the sample")


def test_click_identifies_the_household_under_the_cursor(window, qtbot, map_data):
    row = _household_on_screen(window, map_data)
    record = map_data.frames["households"].iloc[row]
    window.tool_actions["identify"].trigger()
    position = view_to_widget(window, record.geometry.x, record.geometry.y)
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=position)
    shown = window.identify.values()
    assert shown["户主姓名"] == record["head_name"]
    # Personal data masked; the household's grid, workers and hazard exposure at a glance.
    assert "*" in shown["户主证件号码"] and shown["户主证件号码"].endswith(
        record["head_id_number"][-4:]
    )
    assert record["grid_code"] in shown["所属网格"]
    assert shown["网格员"]
    assert "所处灾害隐患区" in shown


def _drag(window, qtbot, start: QPoint, end: QPoint, modifiers=Qt.KeyboardModifier.NoModifier):
    viewport = window.canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, modifiers, start)
    steps = 6
    for k in range(1, steps + 1):
        point = QPointF(start + (end - start) * k / steps)
        event = QMouseEvent(
            QEvent.Type.MouseMove,
            point,
            viewport.mapToGlobal(point),
            Qt.MouseButton.NoButton,
            Qt.MouseButton.LeftButton,
            modifiers,
        )
        QApplication.sendEvent(viewport, event)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, modifiers, end)


def test_rectangle_selection_selects_what_is_inside(window, qtbot, map_data):
    households = map_data.frames["households"]
    box_view = window.canvas.view_box.viewRect()
    cx, cy = box_view.center().x(), box_view.center().y()
    half = box_view.width() / 8
    window.tool_actions["select"].trigger()
    start = view_to_widget(window, cx - half, cy + half)
    end = view_to_widget(window, cx + half, cy - half)
    _drag(window, qtbot, start, end)
    selected = window.model.selection["households"]
    # Independent check with shapely, on the rectangle the screen corners map back to.
    a = window.canvas.view_box.mapSceneToView(window.canvas.mapToScene(start))
    b = window.canvas.view_box.mapSceneToView(window.canvas.mapToScene(end))
    rectangle = shapely.box(
        min(a.x(), b.x()), min(a.y(), b.y()), max(a.x(), b.x()), max(a.y(), b.y())
    )
    expected = shapely.contains_xy(rectangle, households.geometry.x, households.geometry.y)
    assert selected.sum() > 10
    assert (selected == expected).mean() > 0.999  # pixels round the corners by < 1 px
    # The attribute table shows the same selection.
    highlighted = window.table.model.highlighted_rows()
    assert len(highlighted) == selected.sum()
    first = window.table.model.index(int(highlighted[0]), 1)
    assert window.table.model.data(first, Qt.ItemDataRole.BackgroundRole) is not None


def test_lasso_selection_with_shift_adds(window, map_data):
    households = map_data.frames["households"]
    view = window.canvas.view_box.viewRect()
    cx, cy, r = view.center().x(), view.center().y(), view.width() / 10
    window.set_tool("lasso")
    triangle = [(cx - r, cy - r), (cx + r, cy - r), (cx, cy + r)]
    for x, y in triangle:
        window.canvas.view_box.add_vertex(x, y)
    window.canvas.view_box.finish_sketch()
    expected = shapely.contains_xy(
        shapely.Polygon(triangle), households.geometry.x, households.geometry.y
    )
    assert np.array_equal(window.model.selection["households"], expected)


def test_search_by_name_zooms_to_the_household(window, qtbot, map_data):
    households = map_data.frames["households"]
    counts = households["head_name"].value_counts()
    name = counts[counts == 1].index[0]
    record = households[households["head_name"] == name].iloc[0]
    window.search_box.setFocus()
    window.search_box.insert(name)  # Chinese arrives from the input method as one commit
    qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
    view = window.canvas.view_box.viewRect()
    assert view.contains(QPointF(record.geometry.x, record.geometry.y))
    assert view.width() < 2000
    assert window.model.selection["households"].sum() == 1


def test_search_by_id_tail_and_grid_code(window, qtbot, map_data):
    from gis_app.services.map_service import search

    households = map_data.frames["households"]
    tail = households["head_id_number"].iloc[10][-6:]
    hits = search(map_data, tail)
    assert any(households["head_name"].iloc[10] in hit.label for hit in hits)
    code = map_data.frames["grids"].query("level == 3")["code"].iloc[3]
    hits = search(map_data, code)
    assert hits and hits[0].kind == "网格"


def test_language_switch_changes_labels(window):
    assert window.docks["图层"].windowTitle() == "图层"
    window.set_language("en")
    assert window.docks["图层"].windowTitle() == "Layers"
    assert window.tool_actions["measure_line"].text() == "Measure distance"
    assert _tree_item(window, "households").text(0) == "Households"
    window.set_language("zh")
    assert window.tool_actions["measure_line"].text() == "测距离"


def test_measure_distance_and_area_in_true_units(window):
    window.set_tool("measure_area")
    view = window.canvas.view_box.viewRect()
    x0, y0 = view.center().x(), view.center().y()
    for dx, dy in ((0, 0), (1000, 0), (1000, 1000), (0, 1000)):
        window.canvas.view_box.add_vertex(x0 + dx, y0 + dy)
    window.canvas.view_box.finish_sketch()
    text = window.measure_label.text()
    assert "1,000,000" in text and "1,500.00 亩" in text and "100.000 公顷" in text
    window.set_tool("measure_line")
    window.canvas.view_box.add_vertex(x0, y0)
    window.canvas.view_box.add_vertex(x0 + 3000, y0 + 4000)
    window.canvas.view_box.finish_sketch()
    assert "5.000 公里" in window.measure_label.text()


def test_style_switch_changes_classes(window):
    window.model.set_style("households", "households_by_monitoring_type")
    adapter = window.canvas.adapters["households"]
    assert adapter.style.id == "households_by_monitoring_type"
    item = _tree_item(window, "households")
    assert item.child(0).text(0).startswith("脱贫不稳定户")


def test_snapshot_is_saved_as_png(window, tmp_path):
    path = window.save_snapshot(str(tmp_path / "map.png"))
    from PyQt6.QtGui import QImage

    image = QImage(path)
    assert image.width() > 400 and image.height() > 300


def test_place_an_unlocated_household(qtbot, sample_project_path, tmp_path):
    """On a copy of the sample: placing writes the store."""
    import shutil

    from PyQt6.QtCore import QSettings
    from sqlalchemy import text

    from gis_app.services.map_service import load_map_data
    from gis_app.storage.project import open_project
    from gis_app.ui.main_window import MainWindow

    copy = tmp_path / "copy.gmp"
    shutil.copy(sample_project_path, copy)
    map_data = load_map_data(open_project(copy))
    window = MainWindow(map_data, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    window.canvas.zoom_full()
    unlocated = window.data.unlocated
    assert len(unlocated) > 0
    household_id = int(unlocated["id"].iloc[0])
    window.unlocated.list.setCurrentRow(0)
    qtbot.mouseClick(window.unlocated.button, Qt.MouseButton.LeftButton)
    grids = map_data.frames["grids"].query("level == 3")
    target = grids.geometry.iloc[0].representative_point()
    position = view_to_widget(window, target.x, target.y)
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=position)
    with map_data.project.engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT h.location_source, g.code FROM household h "
                "LEFT JOIN grid g ON g.id=h.grid_id "
                "WHERE h.id=:i"
            ),
            {"i": household_id},
        ).one()
        audit = connection.execute(
            text("SELECT count(*) FROM audit_log WHERE action='set_location' AND row_id=:i"),
            {"i": household_id},
        ).scalar()
    assert row[0] == "地图点选" and row[1] == grids["code"].iloc[0]
    assert audit == 1
    assert household_id not in set(window.data.unlocated["id"])


def test_editing_a_style_file_and_reloading_changes_the_map(window, tmp_path, monkeypatch):
    import shutil

    from gis_app.catalog.loader import _folder

    folder = tmp_path / "styles"
    shutil.copytree(_folder("gis_app.styles", None), folder)
    style = folder / "households_by_attribute.toml"
    style.write_text(
        style.read_text(encoding="utf-8").replace("#e8590c", "#123456"), encoding="utf-8"
    )
    monkeypatch.setenv("GIS_APP_STYLE_DIR", str(folder))
    adapter = window.canvas.adapters["households"]
    assert adapter.style.classes[0].symbol.fill == "#e8590c"
    window.reload_styles()
    assert adapter.style.classes[0].symbol.fill == "#123456"
    assert adapter._cloud.symbols[0].fill == "#123456"


def test_coverage_choropleth_colours_grids_by_their_coverage(window, map_data):
    from gis_app.services.coverage_service import campaign_coverage

    item = _tree_item(window, "coverage_grids")
    assert item.checkState(0) == Qt.CheckState.Unchecked
    item.setCheckState(0, Qt.CheckState.Checked)
    adapter = window.canvas.adapters["coverage_grids"]
    assert adapter.items()[0].isVisible()
    table = campaign_coverage(map_data.project, level=3).dropna(subset=["code"])
    shown = dict(zip(adapter.frame["code"], window.class_of("coverage_grids"), strict=True))
    bands = np.digitize(table["coverage"].to_numpy(), [0.5, 0.7, 0.9])
    assert {code: int(b) for code, b in zip(table["code"], bands, strict=True)} == shown
    legend = [item.child(i).text(0) for i in range(item.childCount())]
    assert sum(int(t.split("（")[1].rstrip("）")) for t in legend) == len(table)


@pytest.mark.parametrize(("layer_id", "level"), [("coverage_villages", 2),
                                                 ("coverage_townships", 1)])
def test_coverage_choropleth_of_villages_and_townships(window, map_data, layer_id, level):
    from gis_app.services.coverage_service import campaign_coverage

    _tree_item(window, layer_id).setCheckState(0, Qt.CheckState.Checked)
    adapter = window.canvas.adapters[layer_id]
    assert adapter.items()[0].isVisible()
    # Each unit's level-1/2 grid is coloured by the coverage of the township / village it covers.
    table = campaign_coverage(map_data.project, level=level).set_index("code")
    grids = map_data.frames["grids"].query(f"level == {level}")
    assert len(adapter.frame) == len(grids) == len(table)
    shown = dict(zip(adapter.frame["admin_code"], window.class_of(layer_id), strict=True))
    bands = np.digitize(table["coverage"].to_numpy(), [0.5, 0.7, 0.9])
    assert dict(zip(table.index, bands.tolist(), strict=True)) == shown
    assert (adapter.frame.set_index("admin_code")["households"]
            == table.loc[adapter.frame["admin_code"], "households"]).all()


def test_a_project_without_campaign_opens_with_an_empty_coverage_layer(tmp_path, capsys):
    from gis_app.cli import main
    from gis_app.services.map_service import load_map_data
    from gis_app.storage.project import open_project

    project = str(tmp_path / "bare.gmp")
    sample = __import__("pathlib").Path(__file__).resolve().parents[2] / "sample_gis"
    for name in ("townships", "villages"):
        assert main(["import", project, str(sample / "county.gpkg"), "--kind", "boundaries",
                     "--layer", name]) == 0
    assert main(["import", project, str(sample / "county.gpkg"), "--kind", "grids",
                 "--layer", "grids"]) == 0
    capsys.readouterr()
    data = load_map_data(open_project(project))
    assert len(data.frames["coverage"]) == 0 and len(data.frames["grids"]) > 0


def test_coverage_layers_are_counted_only_once_shown(own_window):
    from gis_app.services.coverage_service import campaign_coverage

    window = own_window
    item = _tree_item(window, "coverage_villages")
    # Reading a campaign takes seconds on a large county: hidden, nothing is counted yet.
    assert window.data.coverage_pending
    assert len(window.canvas.adapters["coverage_villages"].frame) == 0
    legend = [item.child(i).text(0) for i in range(item.childCount())]
    assert legend and not any("（" in text for text in legend)
    item.setCheckState(0, Qt.CheckState.Checked)
    assert not window.data.coverage_pending
    villages = campaign_coverage(window.data.project, level=2)
    assert len(window.canvas.adapters["coverage_villages"].frame) == len(villages)
    legend = [item.child(i).text(0) for i in range(item.childCount())]
    assert sum(int(t.split("（")[1].rstrip("）")) for t in legend) == len(villages)
