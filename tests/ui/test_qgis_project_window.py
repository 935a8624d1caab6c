"""文件 → 导出QGIS项目… in the real window: the menu action, Qt's file dialog, the files.

The project written parses and reads the GeoPackage beside it (as tests/test_qgis_export.py
reads the command's); the GeoPackage opens with pyogrio and holds the store's households, ID
numbers masked unless 显示个人信息 is on for a permitted user; in English the layer names are
the catalog's English; the progress dialog's 取消 leaves neither file.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import xml.etree.ElementTree as ET

import pyogrio
from PyQt6.QtWidgets import QFileDialog

from gis_app.catalog import load_layers
from gis_app.ui.controllers import qgis_project as controller_module
from tests.test_qgis_export import _source
from tests.ui.conftest import cancel_when_shown
from tests.ui.test_language_walk import action, switch


def _stored(window, sql: str) -> list:
    with sqlite3.connect(window.session.project.location) as connection:
        return connection.execute(sql).fetchall()


def _export(window, monkeypatch, out) -> list:
    """文件 → 导出QGIS项目…, the file dialog answered with ``out``; what it was asked."""
    asked = []

    def save_as(parent, caption, default, pattern):
        asked.append((caption, default, pattern))
        return str(out), pattern

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    menu_action = action(window, "导出QGIS项目…")
    assert menu_action in window.menus["文件"].actions()
    menu_action.trigger()
    return asked


def _project(folder, name: str):
    """(layer-tree names, datasources) of the written project; every source beside it."""
    root = ET.parse(folder / name).getroot()
    assert root.tag == "qgis"
    names = [node.get("name") for node in root.find("layer-tree-group")
             .findall("layer-tree-layer")]
    sources = [_source(layer.find("datasource").text) for layer in root.find("projectlayers")]
    return names, sources


def test_the_menu_writes_a_masked_project_over_its_geopackage(window, qtbot, tmp_path,
                                                              monkeypatch):
    folder = tmp_path / "qgis"
    folder.mkdir()
    asked = _export(window, monkeypatch, folder / "county")
    assert asked and asked[0][0] == "导出QGIS项目…" and "*.qgs" in asked[0][2] \
        and "*.qgz" in asked[0][2]
    assert sorted(p.name for p in folder.iterdir()) == ["county.gpkg", "county.qgs"]
    message = window.statusBar().currentMessage()
    assert message.startswith("已导出QGIS项目") and str(folder / "county.qgs") in message
    names, sources = _project(folder, "county.qgs")
    definitions = {d.id: d for d in load_layers()}
    assert len(names) == 12 and "三级网格" in names
    assert {s["path"] for s in sources} == {"./county.gpkg"}  # the GeoPackage beside it
    gpkg = folder / "county.gpkg"
    present = {name for name, _kind in pyogrio.list_layers(gpkg)}
    assert {s["layername"] for s in sources} <= present
    households = pyogrio.read_dataframe(gpkg, layer="households", read_geometry=False)
    stored = {n for (n,) in _stored(window, "SELECT head_id_number FROM household")}
    assert len(households) == len(stored) > 0
    written = households["户主证件号码"].astype(str)
    assert not set(written) & stored  # masked: no ID number in full
    assert written.str.fullmatch(r"\d{3}\*{11}[\dX]{4}").all()
    assert all(d.title.zh in names for d in definitions.values()
               if d.source != "hazard_events")
    notes = [json.loads(d) for (d,) in _stored(window, "SELECT details FROM audit_log")]
    assert {"file": str(gpkg), "unmasked": False} in notes  # the data written, noted


def test_in_english_and_unmasked_for_a_permitted_user(window, qtbot, tmp_path, monkeypatch):
    window.session.project.set_settings({"personal_data_users": ["tester"]})
    action(window, "显示个人信息").trigger()
    assert window.state.unmask
    switch(window, "en")
    folder = tmp_path / "qgis"
    folder.mkdir()
    asked = _export(window, monkeypatch, folder / "county.qgz")
    assert asked[0][0] == "Export QGIS project…"
    assert sorted(p.name for p in folder.iterdir()) == ["county.gpkg", "county.qgz"]
    assert window.statusBar().currentMessage().startswith("QGIS project exported")
    households = pyogrio.read_dataframe(folder / "county.gpkg", layer="households",
                                        read_geometry=False)
    stored = {n for (n,) in _stored(window, "SELECT head_id_number FROM household")}
    assert set(households["户主证件号码"]) == stored  # in full: shown and permitted
    import zipfile

    with zipfile.ZipFile(folder / "county.qgz") as archive:
        archive.extract("county.qgs", folder / "unzipped")
    names, sources = _project(folder / "unzipped", "county.qgs")
    assert {s["path"] for s in sources} == {"./county.gpkg"}
    english = {d.title.en for d in load_layers() if d.source != "hazard_events"}
    assert set(names) == english and not any(re.search(r"[\u4e00-\u9fff]", n) for n in names)


def test_cancelling_leaves_no_file(window, qtbot, tmp_path, monkeypatch):
    folder = tmp_path / "qgis"
    folder.mkdir()
    gpkg = folder / "county.gpkg"
    pressed: list = []
    clicked = threading.Event()
    real = controller_module.export_project

    def held(*args, progress, **kwargs):
        def step(done, total):
            if gpkg.exists():  # the GeoPackage half written: wait for 取消
                clicked.wait(30)
            progress(done, total)

        return real(*args, progress=step, **kwargs)

    monkeypatch.setattr(controller_module, "export_project", held)
    # 取消 pressed once the dialog shows and the GeoPackage is being written
    cancel_when_shown(qtbot, window.controller("qgis_project"), pressed, ready=gpkg.exists,
                      after=clicked.set)
    assert window.controller("qgis_project").export_qgis(path=str(folder / "county.qgs")) \
        is None
    assert pressed == ["取消"]
    assert window.statusBar().currentMessage() == "已取消导出，未写入文件"
    assert list(folder.iterdir()) == []  # neither file, nor a temporary one
