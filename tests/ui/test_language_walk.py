"""Every string the window shows is in the chosen language, Qt's own included.

Each test drives the window as a user does in one language, reads every text on screen and in
every dialog, menu and message box it opens (:mod:`tests.ui.walk`), and finds in English no
Chinese character and in Chinese no English word — once the project's data (names of places,
people, grids, campaigns, the file's path) are taken out, exactly as stored. Chinese is reached
by switching to English and back, so relabelling is tested both ways.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QApplication, QMenu, QMessageBox, QToolBar

from tests.ui.test_investigation import _unchecked_on_map
from tests.ui.test_roster_helpers import click_worker, show
from tests.ui.walk import Catcher, project_data, texts, untranslated

LANGUAGES = ("en", "zh")


def action(window, chinese: str) -> QAction:
    """A menu action by its Chinese text (whatever the language shown)."""
    return next(target for target, text in window._texts
                if text == chinese and isinstance(target, QAction))


def switch(window, language: str) -> None:
    """设置 → 英文 (and → 中文 for Chinese), as a user picks it."""
    action(window, "英文").trigger()
    if language == "zh":
        action(window, "中文").trigger()
    assert window.state.language == language


def official_names() -> set[str]:
    """A new campaign's default title and timetable: the notices' own words, stored as data."""
    import datetime as dt

    from gis_app.core.campaign import campaign_name, default_milestones

    milestones = default_milestones(dt.date(2025, 4, 20), dt.date(2025, 6, 20))
    return ({campaign_name(year, number) for year in range(2015, 2041) for number in range(1, 6)}
            | {milestone["name"] for milestone in milestones})


def check(window, found, language: str, extra_data=()) -> None:
    """Nothing found is in the other language (the project's data apart)."""
    assert found, "nothing was read"
    data = project_data(window) | official_names() | {str(d) for d in extra_data}
    left = untranslated(found, data, language)
    assert not left, "\n".join(f"{t.where}: {t.text!r}" for t in left)


def read(window, qtbot, acts, answer=None) -> list:
    """Do ``acts()`` and read every dialog, menu and message box it opens."""
    with Catcher(qtbot, window, answer) as caught:
        acts()
    caught.found += texts(window)
    return caught.found


def docks_shown(window, qtbot) -> list:
    """Each dock brought on screen and read (tabs behind others are read when raised)."""
    found = []
    for title in window.docks:
        show(window, qtbot, title)
        found += texts(window.docks[title])
    found += texts(window)
    return found


@pytest.fixture(params=LANGUAGES)
def language(request):
    return request.param


def test_docks_menus_and_toolbars(window, qtbot, language):
    switch(window, language)
    found = docks_shown(window, qtbot)
    investigation = window.controller("investigation")
    for level in range(investigation.coverage.level.count()):  # every level of 排查覆盖
        show(window, qtbot, "排查覆盖")
        investigation.coverage.level.setCurrentIndex(level)
        found += texts(window.docks["排查覆盖"])
    for level in range(investigation.progress.level.count()):  # and of 排查进度
        show(window, qtbot, "排查进度")
        investigation.progress.level.setCurrentIndex(level)
        qtbot.wait(50)
        found += texts(window.docks["排查进度"])
    show(window, qtbot, "属性表")  # the table of every layer: headers and values
    for layer in window.layers:
        window.layers.set_active(layer.id)
        layer.set_visible(True)
        qtbot.wait(10)
        found += texts(window.docks["属性表"])
    show(window, qtbot, "网格规则")  # the rules, checked
    qtbot.mouseClick(window.controller("rules").panel.run, Qt.MouseButton.LeftButton)
    found += texts(window.docks["网格规则"])
    found += texts(window.createPopupMenu())  # the docks and toolbars menu
    found += texts(window.controller("map").search_box.createStandardContextMenu())
    check(window, found, language)


def test_every_menu_action_and_the_dialogs_it_opens(window, qtbot, language, tmp_path):
    switch(window, language)
    skip = {"退出", "中文", "英文", "打开示例县"}  # they close the window or are tested above
    data_menus = (window.controller("project").recent_menu,
                  window.controller("investigation").campaign_menu)
    # the docks' own entries in 视图 show and hide docks (read, not triggered: no dialog)
    toggles = {dock.toggleViewAction() for dock in window.docks.values()}
    found = []
    for menu in window.menus.values():
        for item in menu.actions():
            if item.isSeparator() or item.menu() in data_menus or item.menu() is not None \
                    or item in toggles:
                continue
            chinese = next((text for target, text in window._texts if target is item), None)
            if chinese in skip:
                continue
            found += read(window, qtbot, item.trigger)
            found.append(type(found[0])(f"status after {chinese}",
                                        window.statusBar().currentMessage()))
    check(window, found, language, [tmp_path])


def test_the_map_tools_identify_search_and_context_menus(window, qtbot, language):
    switch(window, language)
    found = []
    controller = window.controller("map")
    for tool in ("measure_line", "measure_area", "split_line", "draw_grid"):
        window.tool_actions[tool].trigger()
        found.append(type(texts(window)[0])("status", window.statusBar().currentMessage()))
    square = [(0, 0), (1000, 0), (1000, 1000), (0, 1000)]
    window.canvas.view_box.sigPolygonDrawn.emit(square, "measure_area",
                                                Qt.KeyboardModifier.NoModifier)
    found += texts(window.statusBar())
    window.canvas.view_box.sigPolygonDrawn.emit(square[:2], "measure_line",
                                                Qt.KeyboardModifier.NoModifier)
    found += texts(window.statusBar())
    # identify a household, then a level-3 grid, a village and a hazard zone
    household, _grid, x, y = _unchecked_on_map(window)
    controller.show_feature("households", household)
    found += texts(window.docks["识别"])
    grids = window.session.grids
    for source, ids in (("grids", grids.loc[grids["level"] == 3, "id"]),
                        ("villages", window.session.villages["id"]),
                        ("hazard_zones", window.session.frame("hazard_zones")["id"])):
        controller.show_feature(source, int(ids.iloc[0]))
        found += texts(window.docks["识别"])
    # the selection and the search's list of hits
    layer = window.layers["households"]
    layer.select(np.arange(len(layer.frame)) < 3)
    village = str(window.session.villages["name"].iloc[0])
    controller.search_box.setText(village[:1])
    found += read(window, qtbot, controller.run_search)
    # the layer tree's menu and its opacity dialog; the table's menu on a household
    tree = window.controller("layers").tree
    show(window, qtbot, "图层")
    top = tree.topLevelItem(0)
    found += read(window, qtbot, lambda: tree.customContextMenuRequested.emit(
        tree.visualItemRect(top).center()))
    found += read(window, qtbot, lambda: tree._ask_opacity(top.data(0, Qt.ItemDataRole.UserRole)))
    styled = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                  if len(tree._styles.get(tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole),
                                          ())) > 1)
    found += read(window, qtbot, lambda: tree.customContextMenuRequested.emit(
        tree.visualItemRect(styled).center()), answer=_open_submenus)
    show(window, qtbot, "属性表")
    view = window.controller("table").table.view
    found += read(window, qtbot, lambda: view.customContextMenuRequested.emit(
        view.visualRect(view.model().index(0, 0)).center()))
    check(window, found, language)


def _open_submenus(widget) -> bool:
    """Read a menu's submenus too (the Catcher reads the menu itself)."""
    if isinstance(widget, QMenu):
        for item in widget.actions():
            if item.menu() is not None:
                widget.setActiveAction(item)
    return False


def test_the_roster_and_worker_dialogs(window, qtbot, language):
    switch(window, language)
    roster = window.controller("roster")
    panel = roster.panel
    show(window, qtbot, "网格员")
    worker = panel.worker_at(0)
    click_worker(window, qtbot, worker)
    found = []
    for key in ("添加…", "编辑…"):
        found += read(window, qtbot, lambda k=key: qtbot.mouseClick(panel.buttons[k],
                                                                     Qt.MouseButton.LeftButton))
    # a worker retires (退出), which is not quitting (退出, the 文件 menu's)
    with Catcher(qtbot, window) as retiring:
        qtbot.mouseClick(panel.buttons["退出…"], Qt.MouseButton.LeftButton)
    found += retiring.found
    retire = {"en": "Retire…", "zh": "退出…"}[language]
    assert panel.buttons["退出…"].text() == retire and retiring.titles == [retire]
    assert action(window, "退出").text() == {"en": "Quit", "zh": "退出"}[language]
    # a worker left without a name: the dialog says so and stays open
    dialog = roster.add_worker()
    qtbot.waitExposed(dialog)
    dialog.accept()
    assert dialog.isVisible() and dialog.error.text()
    found += texts(dialog)
    dialog.reject()
    # assigning without grids selected, then the visit list and its two exports
    qtbot.mouseClick(panel.buttons["分配到所选网格"], Qt.MouseButton.LeftButton)
    found.append(type(found[0])("status", window.statusBar().currentMessage()))
    qtbot.mouseClick(panel.buttons["走访清单…"], Qt.MouseButton.LeftButton)
    from gis_app.ui.dialogs.visit_list_dialog import VisitListDialog

    visits = next(w for w in QApplication.topLevelWidgets() if isinstance(w, VisitListDialog))
    qtbot.waitExposed(visits)
    found += texts(visits)
    for kind in ("excel", "pdf"):
        found += read(window, qtbot, lambda k=kind: visits.export(k))
    visits.close()
    check(window, found, language)


def test_the_visit_form_campaign_and_grid_editing_dialogs(window, qtbot, language):
    switch(window, language)
    found = []
    household, *_ = _unchecked_on_map(window)
    window.layers["households"].select_ids([household])
    investigation = window.controller("investigation")

    def by_phone(widget) -> bool:  # the form warns of a phone check of a household at home
        if widget is investigation.record_dialog:
            widget.method.setCurrentIndex(1)
            widget.checker.setCurrentText("")
            found.extend(texts(widget))
            widget.save()
            found.extend(texts(widget))
        return False

    found += read(window, qtbot, action(window, "录入走访记录…").trigger, answer=by_phone)
    # the grid edits that need a selection: asked, refused, explained
    grid_edit = window.controller("grid_edit")
    grids = window.session.grids
    level3 = grids[grids["level"] == 3].sort_values("id")
    grid_layer = next(layer for layer in window.layers.by_source("grids")
                      if np.isin(level3["id"], layer.ids).any())
    grid_layer.select_ids([int(level3["id"].iloc[0])])
    found += read(window, qtbot, action(window, "均衡拆分网格…").trigger)
    found += read(window, qtbot, action(window, "合并所选网格").trigger)
    far = level3.geometry.distance(level3.geometry.iloc[0]).to_numpy()
    grid_layer.select_ids([int(level3["id"].iloc[0]), int(level3["id"].iloc[int(far.argmax())])])
    found += read(window, qtbot, action(window, "合并所选网格").trigger)  # not neighbours
    # the village's redrawing with a proposal on the map
    dialog = grid_edit.open_rebalance_dialog()
    qtbot.waitExposed(dialog)
    qtbot.mouseClick(dialog.generate, Qt.MouseButton.LeftButton)
    found += texts(dialog)
    found += [type(found[0])("proposal on the map", t) for t in grid_edit.overlay.texts()]
    dialog.reject()
    check(window, found, language)


def test_edits_undo_and_refusals(window, qtbot, language):
    switch(window, language)
    found = []
    grids = window.session.grids
    level3 = grids[grids["level"] == 3].sort_values("id")
    grid = level3.iloc[0]
    minx, miny, maxx, maxy = shapely.bounds(grid.geometry)
    middle = (minx + maxx) / 2
    line = [(middle, miny - 50), (middle, maxy + 50)]
    found += read(window, qtbot, lambda: window.controller("grid_edit").split_by_line(line))
    found.append(type(found[0])("status", window.statusBar().currentMessage()))
    found += texts(window.toolbars["tools"])  # 撤销 names the edit
    found += read(window, qtbot, action(window, "撤销").trigger)
    found.append(type(found[0])("status", window.statusBar().currentMessage()))
    found += read(window, qtbot, action(window, "撤销").trigger)  # nothing left to undo
    found.append(type(found[0])("status", window.statusBar().currentMessage()))
    found += read(window, qtbot, action(window, "显示个人信息").trigger)  # not allowed
    worker = window.session.workers["name"].iloc[0]  # a session's message, in a box
    found += read(window, qtbot, lambda: window.session.events.error.emit(
        f"读取其他用户的修改时出错：网格员“{worker}”已被他人修改，本次操作未保存，请刷新后重试"))
    check(window, found, language)


@pytest.mark.parametrize("width", [1400])
def test_every_toolbar_button_fits_the_window(window, qtbot, language, width):
    switch(window, language)
    window.resize(width, 900)
    qtbot.wait(100)
    for toolbar in window.findChildren(QToolBar):
        hidden = [a.text() for a in toolbar.actions() if not a.isSeparator()
                  and (toolbar.widgetForAction(a) is None
                       or not toolbar.widgetForAction(a).isVisible())]
        assert hidden == [], f"{toolbar.windowTitle()}: behind >>: {hidden}"


def test_qt_dialogs_speak_chinese_and_english(window, qtbot):
    from PyQt6.QtWidgets import QDialogButtonBox

    def buttons() -> list[str]:
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
        qtbot.addWidget(box)
        return [b.text().replace("&", "") for b in box.buttons()]

    assert set(buttons()) == {"确定", "取消"}
    switch(window, "en")
    assert set(buttons()) == {"OK", "Cancel"}
    action(window, "中文").trigger()
    assert set(buttons()) == {"确定", "取消"}
    box = QMessageBox(QMessageBox.Icon.Question, "", "", QMessageBox.StandardButton.Yes
                      | QMessageBox.StandardButton.No)
    qtbot.addWidget(box)
    assert {b.text().split("(")[0] for b in box.buttons()} == {"是", "否"}  # 是(&Y)


def test_the_planners_docks_dialogs_and_identify(window, qtbot, language, tmp_path):
    """灾害暴露 computed at every level, a flood imported through its form, its clues, a
    worker's visit list of them, the drawn footprint's form, the hazards identify lists."""
    from PyQt6.QtWidgets import QDialogButtonBox

    from gis_app.ui.dialogs.event_dialog import EventDialog
    from tests.ui.test_planner_events import DAY, flood_footprint

    switch(window, language)
    found = []
    exposure = window.controller("exposure")
    action(window, "统计灾害暴露").trigger()
    show(window, qtbot, "灾害暴露")
    for level in range(exposure.panel.level.count()):
        exposure.panel.level.setCurrentIndex(level)
        qtbot.waitUntil(lambda: not exposure.running and exposure.result is not None,
                        timeout=60000)
        found += texts(window.docks["灾害暴露"])
    window.layers["exposure_grids"].set_visible(True)
    show(window, qtbot, "图层")
    found += texts(window.docks["图层"])
    path, _footprint = flood_footprint(tmp_path)

    def register(widget) -> bool:
        if isinstance(widget, EventDialog):
            widget.set_values(path=path, day=DAY, kind="洪涝")
            widget.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
            return True
        return False

    found += read(window, qtbot, action(window, "导入灾情范围…").trigger, answer=register)
    events = window.controller("events")
    show(window, qtbot, "风险线索核实")
    found += texts(window.docks["风险线索核实"])
    panel = events.panel
    panel.worker.setCurrentIndex(1)
    found += texts(window.docks["风险线索核实"])
    found += read(window, qtbot, lambda: qtbot.mouseClick(panel.visit_list,
                                                          Qt.MouseButton.LeftButton))
    panel.worker.setCurrentIndex(0)  # no worker chosen, no clue selected: said
    found += read(window, qtbot, lambda: qtbot.mouseClick(panel.visit_list,
                                                          Qt.MouseButton.LeftButton))
    # the drawing tool's hint and the drawn footprint's form
    window.tool_actions["draw_footprint"].trigger()
    found.append(type(found[0])("hint", window.controller("map").hint.text()))
    x, y = np.asarray(window.session.households[["x", "y"]].median())
    square = np.array([(x, y), (x + 300, y), (x + 300, y + 300), (x, y + 300)])
    found += read(window, qtbot, lambda: events.draw_footprint(square))
    # identify: a household in a hazard zone
    zones = window.session.frame("hazard_zones")
    households = window.session.households.dropna(subset=["x"])
    inside = shapely.intersects_xy(zones.geometry.iloc[0], households["x"].to_numpy(),
                                   households["y"].to_numpy())
    window.controller("map").show_feature("households", int(households["id"][inside].iloc[0]))
    found += texts(window.docks["识别"])
    check(window, found, language)
