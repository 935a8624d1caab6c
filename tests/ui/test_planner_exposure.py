"""Hazard exposure in the real window: the 灾害暴露 dock, its choropleth, identify, 按位置选择….

On a copy of the sample county, driven by clicks and keys: the dock's table equals
``gis-app exposure --json`` (run as a command) for the same buffer and level, and every count
equals a plain ``geopandas.sjoin`` of the store's households and hazards (read through
sqlite3); a row clicked, or a bar, selects exactly the households the join finds; the
choropleth's legend counts the grids per class as the join does, and follows the dock's
buffer; identify lists every zone a household lies in and every hazard point reaching it; the
select-by-location dialog selects, adds, selects within and removes as QGIS does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from PyQt6.QtCore import QPointF, QRectF, Qt

from tests.ui.planner_helpers import (
    click_cell,
    expected_exposure,
    hazard_points,
    households,
    ids,
    menu_action,
    table_texts,
    zones,
)
from tests.ui.test_grid_edit_helpers import choose_layer, click, set_layer_visible, zoom_to
from tests.ui.test_roster_helpers import show

GIS_APP = str(Path(sys.executable).with_name("gis-app"))
EXPOSURE = "灾害暴露"
#: The legend's names of the levels (styles/hazard_zones_by_level.toml).
LEVELS = {1: "极高风险", 2: "高风险", 3: "中风险", 4: "低风险"}
#: The exposure style's classes: [lower, upper) of exposed households per level-3 grid.
CLASSES = [(1, 20), (20, 40), (40, 60), (60, np.inf)]


def computed(window, qtbot, buffer_m: float | None = None, level: str | None = None):
    """Show the dock (灾害 → 统计灾害暴露), type the buffer, pick the level; wait for the table."""
    controller = window.controller("exposure")
    panel = controller.panel
    menu_action(window, "统计灾害暴露").trigger()
    show(window, qtbot, EXPOSURE)
    if buffer_m is not None:
        edit = panel.buffer.lineEdit()
        edit.selectAll()
        qtbot.keyClicks(edit, f"{buffer_m:g}")
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    if level is not None:
        panel.level.setCurrentIndex(panel.level.findText(level))
    qtbot.waitUntil(lambda: not controller.running and controller.result is not None
                    and controller.result.buffer_m == panel.buffer_m
                    and panel.frame is not None, timeout=60000)
    qtbot.wait(50)
    return controller, panel


def shown_rows(panel) -> pd.DataFrame:
    """The dock's table as a user reads it."""
    model = panel.table.model()
    headers = [model.headerData(c, Qt.Orientation.Horizontal)
               for c in range(model.columnCount())]
    return pd.DataFrame({h: table_texts(panel.table, c) for c, h in enumerate(headers)})


def test_dock_shows_what_the_command_prints_and_the_join_counts(window, qtbot):
    _controller, panel = computed(window, qtbot, buffer_m=200, level="村")
    command = subprocess.run([GIS_APP, "exposure", str(window.session.project.location),
                              "--buffer", "200", "--level", "2", "--json"],
                             capture_output=True, text=True, check=False)
    assert command.returncode == 0, command.stderr
    printed = pd.DataFrame(json.loads(command.stdout))
    shown = shown_rows(panel)
    assert len(shown) == len(printed) > 10
    assert shown["单元"].tolist() == printed["name"].tolist()
    assert shown["灾害类型"].tolist() == printed["kind"].tolist()
    assert shown["风险等级"].tolist() == printed["level"].tolist()
    for header, key in (("户数", "households"), ("人数", "persons"), ("监测对象", "monitored"),
                        ("安置点", "sites")):
        assert shown[header].astype(int).tolist() == printed[key].tolist(), header
    # the households counted per village, kind and level, by geopandas
    exposure = expected_exposure(window, 200.0)
    homes = households(window).set_index("id")
    villages = pd.DataFrame(window.session.villages[["id", "name"]]).set_index("id")["name"]
    exposure["village"] = homes.loc[exposure["id"], "village_id"].map(villages).to_numpy()
    exposure["level"] = exposure["level"].map(LEVELS)
    counted = exposure.groupby(["village", "kind", "level"]).size()
    table = shown.assign(households=shown["户数"].astype(int))
    table = table[table["户数"].astype(int) > 0].set_index(["单元", "灾害类型", "风险等级"])
    assert counted.to_dict() == table["households"].to_dict()


def test_a_row_and_a_bar_select_the_households_the_join_finds(window, qtbot):
    controller, panel = computed(window, qtbot)
    exposure = expected_exposure(window, 0.0)
    homes = households(window).set_index("id")
    exposure["grid_code"] = homes.loc[exposure["id"], "grid_code"].to_numpy()
    # every row of the table counts what the join finds in its grid, kind and level
    counted = exposure.assign(level=exposure["level"].map(LEVELS)).groupby(
        ["grid_code", "kind", "level"]).size()
    frame = panel.frame
    shown = shown_rows(panel)
    households_column = shown["户数"].astype(int).to_numpy()
    keys = list(zip(frame["code"], shown["灾害类型"], shown["风险等级"], strict=True))
    assert {k: int(n) for k, n in zip(keys, households_column, strict=True) if n} == \
        {k: int(n) for k, n in counted.items()}
    # a 洪涝 · 高风险 row of a grid with several such households, clicked
    row = next(r for r, (code, kind, level) in enumerate(keys)
               if kind == "洪涝" and level == "高风险" and households_column[r] >= 3)
    click_cell(qtbot, panel.table, row, 0)
    wanted = exposure[(exposure["grid_code"] == keys[row][0]) & (exposure["kind"] == "洪涝")
                      & (exposure["level"] == 2)]
    layer = window.layers["households"]
    assert ids(layer.selected_ids()) == ids(wanted["id"])
    assert window.layers.active == "households"
    assert f"{len(wanted)}" in window.controller("map").labels["selection"].text()
    # the chart's 洪涝 · 极高风险 bar, clicked: every household of the county at that level
    chart = panel.chart
    bars = panel.bars
    flood = bars[(bars["kind_code"] == "洪涝") & (bars["level_code"] == 1)]
    everyone = exposure[(exposure["kind"] == "洪涝") & (exposure["level"] == 1)]
    assert int(flood["households"].iloc[0]) == len(everyone)
    x, y = panel.bar_centre("洪涝", 1)
    scene = chart.plotItem.vb.mapViewToScene(QPointF(x, y))
    qtbot.mouseClick(chart.viewport(), Qt.MouseButton.LeftButton,
                     pos=chart.mapFromScene(scene))
    qtbot.waitUntil(lambda: len(layer.selected_ids()) == len(everyone))
    assert ids(layer.selected_ids()) == ids(everyone["id"])
    # the kind filter keeps 洪涝's rows only
    panel.kind.setCurrentIndex(panel.kind.findData("洪涝"))
    qtbot.waitUntil(lambda: not controller.running and set(shown_rows(panel)["灾害类型"])
                    == {"洪涝"}, timeout=30000)


def test_choropleth_counts_grids_per_class_and_follows_the_buffer(window, qtbot):
    def expected(buffer_m: float) -> list[int]:
        exposure = expected_exposure(window, buffer_m)
        homes = households(window).set_index("id")
        per_grid = pd.Series(homes.loc[exposure["id"].unique(), "grid_code"]).value_counts()
        return [int(((per_grid >= lo) & (per_grid < hi)).sum()) for lo, hi in CLASSES]

    def legend() -> list[int]:
        tree = window.controller("layers").tree
        item = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                    if tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) ==
                    "exposure_grids")
        return [int(item.child(i).text(0).rsplit("（", 1)[1].rstrip("）"))
                for i in range(item.childCount())]

    layer = window.layers["exposure_grids"]
    assert not layer.visible and not layer.loaded  # off at first, counted when shown
    show(window, qtbot, "图层")
    set_layer_visible(window, "exposure_grids", True)
    at_zero = expected(0.0)
    qtbot.waitUntil(lambda: legend() == at_zero, timeout=30_000)  # counted on the worker
    assert sum(at_zero) > 20
    assert window.controller("layers").legend_counts("exposure_grids") == at_zero
    # the dock's buffer colours the map too
    computed(window, qtbot, buffer_m=300)
    qtbot.wait(50)
    at_300 = expected(300.0)
    assert at_300 != at_zero and legend() == at_300
    # a grid's colour counts its households once, whatever the number of kinds
    frame = layer.frame.set_index("code")
    exposure = expected_exposure(window, 300.0)
    homes = households(window).set_index("id")
    per_grid = pd.Series(homes.loc[exposure["id"].unique(), "grid_code"]).value_counts()
    assert frame["exposed"].sort_index().to_dict() == per_grid.sort_index().to_dict()


def test_identify_lists_every_zone_and_hazard_point_reaching_a_household(window, qtbot):
    homes = households(window)
    areas = zones(window)
    pairs = gpd.sjoin(homes, areas, predicate="intersects")
    spots = hazard_points(window)
    near = gpd.sjoin(homes, spots, predicate="dwithin", distance=float(spots["radius"].max()))
    near = near[homes.set_index("id").loc[near["id_left"]].geometry.distance(
        spots.set_index("id").loc[near["id_right"]].geometry, align=False).to_numpy()
        <= spots.set_index("id").loc[near["id_right"], "radius"].to_numpy()]
    in_zones = pairs.groupby("id_left").size()
    candidates = [h for h in in_zones[in_zones >= 2].index if h in set(near["id_left"])]
    household = int(candidates[0]) if candidates else int(in_zones.idxmax())
    point = homes.set_index("id").loc[household].geometry
    # zoomed in far enough that the click can only mean this household
    zoom_to(window, qtbot, (point.x - 40, point.y - 40, point.x + 40, point.y + 40))
    window.tool_actions["identify"].trigger()
    click(window, qtbot, point.x, point.y)
    controller = window.controller("map")
    assert controller.shown[:2] == ("households", household)
    values = controller.identify.values()
    lines = values["所处灾害隐患区"].split("\n")
    mine = pairs[pairs["id_left"] == household]
    assert sorted(lines) == sorted(f"{k}（{LEVELS[v][:-2]}风险）：{n}" for k, v, n in
                                   zip(mine["kind"], mine["level"], mine["name"], strict=True))
    reaching = near[near["id_left"] == household]
    shown = values["威胁本户的隐患点"]
    if len(reaching):
        assert sorted(line.split("：")[1].split("，")[0] for line in shown.split("\n")) == \
            sorted(reaching["name"])
    else:
        assert shown == "无"


def test_select_by_location_new_within_add_and_remove(window, qtbot):
    controller = window.controller("selection")
    homes = households(window)
    areas = zones(window)
    spots = hazard_points(window)
    # two flood zones chosen on the map with 框选 (shift adds)
    choose_layer(window, "hazard_zones")
    window.tool_actions["select"].trigger()
    flood = areas[(areas["kind"] == "洪涝") & (areas["level"] == 1)].iloc[:2]
    zoom_to(window, qtbot, shapely.total_bounds(flood.geometry.to_numpy()))
    for n, shape in enumerate(flood.geometry):
        spot = shape.representative_point()
        click(window, qtbot, spot.x, spot.y,
              Qt.KeyboardModifier.ShiftModifier if n else Qt.KeyboardModifier.NoModifier)
    chosen = window.layers["hazard_zones"].selected_ids()
    assert len(chosen) == 2

    def run(reference: str, distance: int, mode: str, selected_only: bool):
        menu_action(window, "按位置选择…").trigger()
        dialog = controller.dialog
        qtbot.waitUntil(dialog.isVisible)
        dialog.choose(reference)
        dialog.selected_only.setChecked(selected_only)
        edit = dialog.distance.lineEdit()
        edit.selectAll()
        qtbot.keyClicks(edit, str(distance))
        dialog.mode.setCurrentIndex(dialog.mode.findData(mode))
        qtbot.mouseClick(dialog.apply, Qt.MouseButton.LeftButton)
        text = dialog.result.text()
        dialog.reject()
        return text

    def near(frame, distance):
        if distance:
            return set(gpd.sjoin(homes, frame, predicate="dwithin", distance=distance)["id_left"])
        return set(gpd.sjoin(homes, frame, predicate="intersects")["id_left"])

    layer = window.layers["households"]
    zoned = near(areas[areas["id"].isin(chosen)], 100)
    text = run("layer:hazard_zones", 100, "new", True)
    assert set(layer.selected_ids()) == zoned and f"当前选择{len(zoned)}户" in text
    by_points = near(spots, 300)
    run("layer:hazard_points", 300, "within", False)
    assert set(layer.selected_ids()) == zoned & by_points
    run("layer:hazard_zones", 0, "add", True)
    inside = near(areas[areas["id"].isin(chosen)], 0)
    assert set(layer.selected_ids()) == (zoned & by_points) | inside
    run("layer:hazard_zones", 0, "remove", True)
    assert set(layer.selected_ids()) == (zoned & by_points) - inside
    # only selected features, with none selected: said, and the selection kept
    kept = set(layer.selected_ids())
    window.layers["hazard_points"].clear_selection()
    text = run("layer:hazard_points", 50, "new", True)
    assert "没有选择要素" in text and set(layer.selected_ids()) == kept


def test_the_dock_and_the_map_follow_a_new_survey_and_its_undo(window, qtbot, tmp_path):
    """A survey raising the low flood zones to 高 is imported (文件 → 导入文件…, 按编码更新):
    the dock's chart and the choropleth count again from the session's change set; 撤销 too."""
    import pyogrio
    from PyQt6.QtWidgets import QMessageBox

    from tests.ui.test_grid_edit_helpers import undo
    from tests.ui.test_import_dialog import GPKG, _open_form, _submit

    def bars() -> dict:
        frame = panel.bars
        return {(k, int(v)): int(n) for k, v, n in zip(
            frame["kind_code"], frame["level_code"], frame["households"], strict=True)}

    def joined() -> dict:
        counts = expected_exposure(window, 0.0).groupby(["kind", "level"]).size()
        return {(k, int(v)): int(n) for (k, v), n in counts.items()}

    def settled(expected: dict) -> bool:
        return not controller.running and controller.result is not None and bars() == expected

    controller, panel = computed(window, qtbot)
    set_layer_visible(window, "exposure_grids", True)
    before = joined()
    assert bars() == before
    legend_before = window.controller("layers").legend_counts("exposure_grids")
    survey = pyogrio.read_dataframe(GPKG, layer="hazard_zones")
    low = (survey["灾害类型"] == "洪涝") & (survey["风险等级"] == 4)
    assert low.sum() >= 3
    survey.loc[low, "风险等级"] = 2
    path = tmp_path / "survey_2026.gpkg"
    pyogrio.write_dataframe(survey, path, layer="hazard_zones")
    dialog = _open_form(window, qtbot)
    dialog.set_values(path, "hazards", "hazard_zones")
    _submit(dialog, qtbot)
    box = window.controller("imports")
    qtbot.waitUntil(lambda: box.update_box is not None and box.update_box.isVisible(),
                    timeout=30000)
    box.update_box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: box.report_box is not None and box.report_box.isVisible(),
                    timeout=30000)
    box.report_box.accept()
    after = joined()
    assert after != before and after.get(("洪涝", 4), 0) == 0
    qtbot.waitUntil(lambda: settled(after), timeout=60000)
    # the choropleth counts households once whatever their level: unchanged by a level
    assert window.controller("layers").legend_counts("exposure_grids") == legend_before
    undo(window, qtbot)
    qtbot.waitUntil(lambda: settled(before), timeout=60000)


def test_an_edit_recounts_the_choropleth_on_the_worker_thread(window, qtbot, monkeypatch):
    """With the dock closed, the choropleth ticked on is counted on a worker thread; placing
    a household in a hazard zone (位置未知农户 dock, then a click) colours his grid again,
    counted there too, never on the window's thread, equal to the join afterwards."""
    import threading

    from PyQt6.QtWidgets import QApplication, QMessageBox

    from gis_app.services import exposure_service
    from gis_app.ui.controllers import exposure as exposure_controller
    from tests.ui.conftest import when_shown
    from tests.ui.test_grid_edit_helpers import spot_in, sql
    from tests.ui.test_placing_village import choose_to_place

    counted_on = []
    for module in (exposure_service, exposure_controller):
        compute = module.compute_exposure
        monkeypatch.setattr(module, "compute_exposure", lambda *a, _c=compute, **k: (
            counted_on.append(threading.current_thread() is threading.main_thread()),
            _c(*a, **k))[1])

    def per_grid() -> dict:
        exposure = expected_exposure(window, 0.0)
        homes = households(window).set_index("id")
        return pd.Series(homes.loc[exposure["id"].unique(), "grid_code"]).value_counts() \
            .sort_index().to_dict()

    def shown() -> dict:
        frame = layer.frame
        frame = frame[frame["exposed"] > 0]
        return dict(sorted(zip(frame["code"], frame["exposed"].astype(int), strict=True)))

    show(window, qtbot, "图层")
    window.docks[EXPOSURE].close()
    assert not window.controller("exposure").shown(EXPOSURE)
    set_layer_visible(window, "exposure_grids", True)
    set_layer_visible(window, "hazard_zones", False)  # spot_in may then choose inside a zone
    layer = window.layers["exposure_grids"]
    expected = per_grid()
    qtbot.waitUntil(lambda: shown() == expected, timeout=30_000)
    assert counted_on and not any(counted_on)  # ticked on: counted off the window's thread
    counted_on.clear()

    household = int(sql(window, "SELECT id FROM household WHERE head_name = '汤福生'")["id"][0])
    grids = window.session.grids
    grids = grids[grids["level"] == 3]
    areas = zones(window)
    overlap = shapely.intersection(
        np.asarray(grids.geometry.to_numpy(), dtype=object)[:, None],
        shapely.union_all(np.asarray(areas.geometry.to_numpy(), dtype=object)))[:, 0]
    row = int(np.argmax(shapely.area(overlap)))
    target = overlap[row]
    if target.geom_type != "Polygon":
        target = max(shapely.get_parts(target), key=lambda p: p.area)
    minx, miny, maxx, maxy = target.bounds
    window.canvas.zoom_to(QRectF(minx, miny, maxx - minx, maxy - miny), padding=0.3)
    x, y = spot_in(window, target)
    dock = window.docks["位置未知农户"]
    dock.show()
    dock.raise_()
    qtbot.waitUntil(lambda: not dock.visibleRegion().isEmpty())
    choose_to_place(window, qtbot, household)
    # Another village's grid: the window asks first (是).
    when_shown(lambda: box if isinstance(box := QApplication.activeModalWidget(), QMessageBox)
               else None, lambda box: box.button(QMessageBox.StandardButton.Yes).click())
    click(window, qtbot, x, y)
    qtbot.waitUntil(lambda: not sql(window, "SELECT lon FROM household WHERE id = :i",
                                    i=household)["lon"].isna().all(), timeout=10_000)
    code = grids["code"].to_numpy()[row]
    expected = per_grid()
    assert expected.get(code, 0) == dict(shown()).get(code, 0) + 1  # he is not counted yet
    qtbot.waitUntil(lambda: shown() == expected, timeout=30_000)
    assert counted_on and not any(counted_on)  # only ever on the worker thread
