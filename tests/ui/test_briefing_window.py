"""文件 → 导出简报网页地图… in the real window: the menu action, Qt's file dialog, the file.

The page written from the window holds the same layers and counts as the command's (read
back as tests/test_briefing.py reads it); the status bar names the file; a basemap the user
configured (设置 → 底图…) goes into the page, and in English the layer names are English;
the progress dialog's 取消 leaves no file.
"""

from __future__ import annotations

import json
import threading

from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QFileDialog

from gis_app.services import briefing_service
from gis_app.ui.controllers import briefing as controller_module
from tests.test_briefing import page_layers, properties, switcher
from tests.ui.conftest import cancel_when_shown


def _menu_action(window, chinese: str) -> QAction:
    return next(target for target, text in window._texts
                if text == chinese and isinstance(target, QAction))


def test_the_menu_writes_the_briefing_map(window, qtbot, tmp_path, monkeypatch):
    out = tmp_path / "会议简报"
    asked = []

    def save_as(parent, caption, default, pattern):
        asked.append((caption, default, pattern))
        return str(out), pattern

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    action = _menu_action(window, "导出简报网页地图…")
    assert action in window.menus["文件"].actions()
    action.trigger()
    written = tmp_path / "会议简报.html"  # the extension is added
    qtbot.waitUntil(written.exists, timeout=30000)
    assert asked and asked[0][0] == "导出简报网页地图…" and "*.html" in asked[0][2]
    assert str(written) in window.statusBar().currentMessage()
    assert window.statusBar().currentMessage().startswith("已生成简报网页地图")
    text = written.read_text(encoding="utf-8")
    layers = page_layers(text)
    assert [len(layer["data"]["features"]) for layer in layers[:3]] == [
        int((window.session.grids["level"] == level).sum()) for level in (3, 2, 1)]
    rings = properties(layers[5]).drop_duplicates("code")
    grids = window.session.households["grid_id"].dropna()
    assert rings["households"].sum() == len(grids)
    assert "L.tileLayer" not in text
    assert not list(tmp_path.glob(".*.tmp"))
    with window.session.project.engine.connect() as connection:
        notes = connection.exec_driver_sql("SELECT user_name, details FROM audit_log WHERE "
                                           "action = 'export_briefing'").all()
    assert [(user, json.loads(details)["file"]) for user, details in notes] == [
        ("tester", str(written))]
    assert window.session.undo_label() is None  # a note, not an edit to undo


def test_a_configured_basemap_and_english(window, qtbot, tmp_path, monkeypatch):
    tiles = "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png"
    window.settings.setValue("basemap/url", tiles)
    _menu_action(window, "英文").trigger()
    out = tmp_path / "briefing.html"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(out), ""))
    _menu_action(window, "导出简报网页地图…").trigger()
    qtbot.waitUntil(out.exists, timeout=30000)
    text = out.read_text(encoding="utf-8")
    assert "L.tileLayer" in text and tiles in text
    assert "Briefing web map written" in window.statusBar().currentMessage()
    names = [layer["fields"][0][0] for layer in page_layers(text)]
    assert names == ["Grid", "Grid", "Grid", "Hazard zone", "Site", "Grid"]
    assert switcher(text) == [["Level-3 grids", "Level-2 grids (villages)",
                               "Level-1 grids (townships)"],
                              ["Basemap", "Hazard zones", "Resettlement sites",
                               "Households (per level-3 grid)"]]


def test_cancelling_leaves_no_file(window, qtbot, tmp_path, monkeypatch):
    pressed: list = []
    clicked = threading.Event()
    real = briefing_service.write_briefing_map

    def held(*args, progress, **kwargs):
        def step(done, total):
            clicked.wait(30)  # the first step waits for 取消, so the work cannot end before it
            progress(done, total)

        return real(*args, progress=step, **kwargs)

    monkeypatch.setattr(controller_module, "write_briefing_map", held)
    out = tmp_path / "简报.html"
    # 取消 pressed as soon as the progress dialog shows, then the work goes on
    cancel_when_shown(qtbot, window.controller("briefing"), pressed, after=clicked.set)
    assert window.controller("briefing").export_briefing(path=str(out)) is None
    assert pressed == ["取消"]
    assert window.statusBar().currentMessage() == "已取消导出，未写入文件"
    assert not out.exists() and not list(tmp_path.glob("*.htm*")) and \
        not list(tmp_path.glob(".*.tmp"))
    with window.session.project.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM audit_log WHERE action = "
                                          "'export_briefing'").scalar() == 0
