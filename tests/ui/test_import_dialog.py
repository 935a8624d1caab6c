"""文件 → 导入文件… in the window: the form, the question to update by code, the outcome.

On a copy of the sample county, this year's hazard survey (three zones raised a level, one
new) is imported through the real form: the codes already stored are named and the user is
asked; 按编码更新 replaces them in one unit of work (the map's layer follows, Ctrl+Z takes it
back), 不导入 writes nothing. A layer far from the county is imported with its warning shown, a
broken file lists its problems. The store is read with SQL, the file with pyogrio.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QDialogButtonBox, QMessageBox
from sqlalchemy import text

from gis_app.ui.dialogs.import_dialog import ImportDialog

GPKG = Path(__file__).resolve().parents[2] / "sample_gis" / "county.gpkg"


def _query(window, sql: str) -> list:
    with window.session.project.engine.connect() as connection:
        return connection.execute(text(sql)).all()


def _levels(window) -> dict:
    return dict(_query(window, "SELECT code, level FROM hazard_zone"))


def _survey(tmp_path) -> tuple:
    zones = pyogrio.read_dataframe(GPKG, layer="hazard_zones")
    new = zones.copy()
    new.loc[:2, "风险等级"] = new.loc[:2, "风险等级"] % 4 + 1
    extra = new.iloc[[5]].copy()
    extra["代码"] = "430599FX07777"
    new = gpd.GeoDataFrame(pd.concat([new, extra], ignore_index=True), crs=zones.crs)
    path = tmp_path / "survey.gpkg"
    pyogrio.write_dataframe(new, path, layer="hazard_zones")
    return path, zones, new


def _open_form(window, qtbot) -> ImportDialog:
    action = next(a for a in window.findChildren(QAction) if a.text() == "导入文件…")
    action.trigger()
    dialog = window.controller("imports").import_dialog
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def _submit(dialog, qtbot) -> None:
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)


def test_existing_hazards_are_named_and_updated_by_code_on_request(window, qtbot, tmp_path):
    path, zones, new = _survey(tmp_path)
    before = _levels(window)
    dialog = _open_form(window, qtbot)
    assert dialog.layer.isEnabled() is False
    dialog.set_values(path, "hazards", "hazard_zones")
    assert [dialog.layer.itemText(i) for i in range(dialog.layer.count())] == ["hazard_zones"]
    assert dialog.update_by_code.isEnabled() and not dialog.update_by_code.isChecked()
    _submit(dialog, qtbot)
    controller = window.controller("imports")
    box = controller.update_box
    qtbot.waitUntil(box.isVisible)
    codes = f"项目中已有 {len(zones)} 个相同编码的灾害隐患：{zones['代码'][0]}、"
    assert box.text().startswith(codes)
    assert _levels(window) == before  # nothing written while asking
    box.button(QMessageBox.StandardButton.Yes).click()
    report = controller.report_box
    qtbot.waitUntil(report.isVisible)
    assert report.text() == (f"已导入 4 条：{path.name}（按编码更新 3 条，"
                             f"{len(zones) - 3} 条未改动）")
    after = _levels(window)
    assert after == {**before, **dict(zip(new["代码"], new["风险等级"], strict=True))}
    # The map's layer has the new levels already (the session followed the edit).
    frame = window.session.frame("hazard_zones")
    shown = dict(zip(frame["code"], frame["level"], strict=True))
    assert shown[new["代码"][0]] == new["风险等级"][0] and "430599FX07777" in shown
    # One undo takes the file back.
    assert window.session.undo_label() == f"导入灾害隐患：{path.name}"
    window.session.undo()
    assert _levels(window) == before


def test_declining_the_update_writes_nothing(window, qtbot, tmp_path):
    path, *_ = _survey(tmp_path)
    edits = _query(window, "SELECT count(*) FROM edit")[0][0]
    dialog = _open_form(window, qtbot)
    dialog.set_values(path, "hazards", "hazard_zones")
    _submit(dialog, qtbot)
    box = window.controller("imports").update_box
    qtbot.waitUntil(box.isVisible)
    box.button(QMessageBox.StandardButton.No).click()
    assert _query(window, "SELECT count(*) FROM edit")[0][0] == edits
    sql = "SELECT count(*) FROM hazard_zone WHERE code = '430599FX07777'"
    assert _query(window, sql)[0][0] == 0


def test_a_layer_far_from_the_county_is_imported_with_its_warning(window, qtbot, tmp_path):
    zones = pyogrio.read_dataframe(GPKG, layer="hazard_zones").iloc[:3].copy()
    zones["geometry"] = zones.geometry.translate(12.0, 0.0)
    zones["代码"] = zones["代码"] + "FAR"
    path = tmp_path / "far.geojson"
    pyogrio.write_dataframe(zones, path)
    dialog = _open_form(window, qtbot)
    dialog.set_values(path, "hazards")
    _submit(dialog, qtbot)
    report = window.controller("imports").report_box
    qtbot.waitUntil(report.isVisible)
    assert report.text() == "已导入 3 条：far.geojson"
    assert report.icon() == QMessageBox.Icon.Warning
    assert "far.geojson【几何图形】: 图层的全部3个要素都不在本县范围内" in report.informativeText()


def test_a_broken_file_lists_its_problems(window, qtbot, tmp_path):
    path = tmp_path / "empty.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    dialog = _open_form(window, qtbot)
    dialog.set_values(path, "sites")
    _submit(dialog, qtbot)
    report = window.controller("imports").report_box
    qtbot.waitUntil(report.isVisible)
    assert report.text() == "文件有误，未导入任何数据"
    assert report.icon() == QMessageBox.Icon.Critical
    assert report.informativeText() == "empty.geojson: 文件中没有要素"
