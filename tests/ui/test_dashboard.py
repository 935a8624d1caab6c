"""The 工作看板 dock and 演示模式 in the window, driven as a leader does (on a copy).

Numbers are checked against counts of the store's rows (tests/test_dashboard_service.py's
helpers); the screenshots are written to the test's folder and were looked at.
"""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import QPointF, Qt

from gis_app.core.dashboard import STATE_NAMES, judge
from tests.test_dashboard_service import a_village, households, statuses
from tests.ui.test_investigation import _action, _fill_home_visit, _investigation, on_screen
from tests.ui.test_language_walk import action

DASHBOARD = "工作看板"


def _controller(window):
    return window.controller("dashboard")


def _open(window, qtbot):
    """视图 → 打开工作看板, then wait until it is on screen and counted."""
    action(window, "打开工作看板").trigger()
    qtbot.waitUntil(lambda: on_screen(window.docks[DASHBOARD]))
    controller = _controller(window)
    qtbot.waitUntil(lambda: controller.dashboard is not None and controller.thread is None,
                    timeout=30000)
    return controller


def _pick_village(qtbot, panel, code: str) -> None:
    """Choose a village in the 范围 list with the keyboard, as a user does."""
    combo = panel.unit
    combo.setFocus()
    target = combo.findData(code)
    assert target > 0
    while combo.currentIndex() != target:
        qtbot.keyClick(combo, Qt.Key.Key_Down if combo.currentIndex() < target else Qt.Key.Key_Up)


def _click_bar(qtbot, chart, row: int) -> None:
    x, y = chart.bar_centre(row)
    scene = chart.plotItem.vb.mapViewToScene(QPointF(x, y))
    qtbot.mouseClick(chart.viewport(), Qt.MouseButton.LeftButton, pos=chart.mapFromScene(scene))


def test_a_village_a_bar_and_a_tile_select_what_they_count(window, qtbot, tmp_path):
    controller = _open(window, qtbot)
    panel = controller.panel
    path = window.session.project.location
    village = a_village(path)
    _pick_village(qtbot, panel, village)
    qtbot.waitUntil(lambda: controller.dashboard.code == village)
    homes = households(path)
    mine = set(homes.loc[homes["village"] == village, "id"])
    status = statuses(path)
    status = status[status.index.isin(mine)]
    covered = int(status.isin(["home", "remote"]).sum())
    tile = panel.tiles["coverage"]
    assert tile.value.text() == f"{covered / len(status) * 100:.1f}%"
    # the chart of the methods: its 未排查 bar, clicked
    chart = panel.charts["method"]
    row = list(chart.bars["label"]).index("未排查")
    assert int(chart.bars["value"].iloc[row]) == int((status == "unchecked").sum())
    dock = window.docks[DASHBOARD]
    window.resizeDocks([dock], [560], Qt.Orientation.Vertical)  # the user drags it taller
    panel.scroll.ensureWidgetVisible(panel.boxes["method"])
    qtbot.waitUntil(lambda: not chart.viewport().visibleRegion().isEmpty())
    _click_bar(qtbot, chart, row)
    layer = window.layers["households"]
    qtbot.waitUntil(lambda: len(layer.selected_ids()) > 0)
    assert set(layer.selected_ids()) == set(status[status == "unchecked"].index)
    assert window.layers.active == "households"
    # the 监测对象结对率 tile: the village's monitored households without a helper
    monitored = homes[(homes["village"] == village) & (homes["attribute"] == 2)
                      & (homes["risk_eliminated"] == 0)]
    pairs = set(window.session.frame("helper_pairs")["household_id"])
    unpaired = set(monitored.loc[~monitored["id"].isin(pairs), "id"])
    qtbot.mouseClick(panel.tiles["paired"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: set(layer.selected_ids()) == unpaired)
    assert panel.tiles["paired"].value.text() == \
        f"{(len(monitored) - len(unpaired)) / len(monitored) * 100:.1f}%"
    panel.scroll.verticalScrollBar().setValue(0)
    shot = tmp_path / "dashboard.png"
    assert window.docks[DASHBOARD].grab().save(str(shot))


def test_a_visit_saved_through_the_form_moves_the_coverage_tile(window, qtbot):
    controller = _open(window, qtbot)
    panel = controller.panel
    path = window.session.project.location
    village = a_village(path)
    _pick_village(qtbot, panel, village)
    qtbot.waitUntil(lambda: controller.dashboard.code == village)
    homes = households(path)
    status = statuses(path)
    status = status[status.index.isin(set(homes.loc[homes["village"] == village, "id"]))]
    household = int(status[status == "unchecked"].index[0])
    before = panel.tiles["coverage"].value.text()
    window.layers["households"].select_ids([household])
    _action(window, "录入走访记录…").trigger()
    dialog = _investigation(window).record_dialog
    qtbot.waitExposed(dialog)
    _fill_home_visit(qtbot, dialog)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    now = statuses(path)
    now = now[now.index.isin(status.index)]
    covered = int(now.isin(["home", "remote"]).sum())
    assert now[household] == "home"
    expected = f"{covered / len(now) * 100:.1f}%"
    qtbot.waitUntil(lambda: panel.tiles["coverage"].value.text() == expected)
    assert expected != before
    method = panel.charts["method"].bars.set_index("label")["value"]
    assert int(method["入户排查"]) == int((now == "home").sum())


def test_presentation_mode_pages_and_esc(window, qtbot, tmp_path):
    controller = _open(window, qtbot)
    assert _action(window, "演示模式").shortcut().toString() == "F11"
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_F11)  # 视图 → 演示模式's key
    qtbot.waitUntil(lambda: controller.presentation is not None)
    presentation = controller.presentation
    qtbot.waitExposed(presentation)
    assert presentation.isFullScreen()
    shown = [presentation.page_key]
    assert presentation.title.text() == "排查覆盖进度"
    # the screenshots at a projector's 1280 × 720 (the offscreen screen is smaller)
    presentation.showNormal()
    presentation.resize(1280, 720)
    qtbot.waitUntil(lambda: presentation.width() == 1280)
    presentation.activateWindow()
    presentation.setFocus()
    presentation.grab().save(str(tmp_path / "page-1.png"))
    qtbot.keyClick(presentation, Qt.Key.Key_Right)
    shown.append(presentation.page_key)
    qtbot.keyClick(presentation, Qt.Key.Key_Right)
    shown.append(presentation.page_key)
    assert shown == ["timeline", "method", "types"]
    assert presentation.title.text() == "监测对象类型"
    assert presentation.counter.text() == f"3 / {len(presentation.keys)}"
    # the page's tile is the dock's indicator, in large type
    assert presentation.tiles["types"].value.text() == \
        controller.panel.tiles["paired"].value.text()
    chart = presentation.charts["types"]
    assert np.array_equal(chart.bars["value"], controller.panel.charts["types"].bars["value"])
    assert presentation.grab().save(str(tmp_path / "page-3.png"))
    qtbot.keyClick(presentation, Qt.Key.Key_Left)
    assert presentation.page_key == "method"
    qtbot.keyClick(presentation, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not presentation.isVisible())
    assert not controller.presenting
    assert window.isVisible()


def test_targets_set_in_the_dialog_judge_the_tiles_and_are_kept(window, qtbot):
    controller = _open(window, qtbot)
    panel = controller.panel
    share = controller.dashboard.indicators["home_share"].value
    assert panel.tiles["home_share"].state.text() == STATE_NAMES[judge(share, 0.9, True, 0.1)]
    qtbot.mouseClick(panel.targets, Qt.MouseButton.LeftButton)
    dialog = controller.targets_dialog
    qtbot.waitExposed(dialog)
    target, margin = dialog.spins["home_share"]
    target.setValue(round(share * 100 + 2, 1))  # two points above: at risk within 10
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.tiles["home_share"].state.text() == "有风险")
    assert panel.tiles["home_share"].target.text() == f"目标≥{share * 100 + 2:.1f}%"
    margin_now = controller.targets()["home_share"][1]
    assert margin_now == 0.10 and margin.value() == 10.0
    # kept per PC: a new dialog shows them, and 滞后 below the margin
    qtbot.mouseClick(panel.targets, Qt.MouseButton.LeftButton)
    dialog = controller.targets_dialog
    qtbot.waitExposed(dialog)
    assert dialog.spins["home_share"][0].value() == round(share * 100 + 2, 1)
    dialog.spins["home_share"][1].setValue(1.0)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.tiles["home_share"].state.text() == "滞后")
    assert panel.tiles["home_share"].colour == "#e03131"


def test_the_dashboard_its_dialog_and_the_presentation_speak_english(window, qtbot):
    from tests.ui.test_language_walk import check, switch
    from tests.ui.walk import texts

    switch(window, "en")
    controller = _open(window, qtbot)
    found = texts(window.docks[DASHBOARD])
    qtbot.mouseClick(controller.panel.targets, Qt.MouseButton.LeftButton)
    qtbot.waitExposed(controller.targets_dialog)
    found += texts(controller.targets_dialog)
    controller.targets_dialog.reject()
    presentation = controller.present()
    qtbot.waitExposed(presentation)
    for _ in presentation.keys:
        found += texts(presentation)
        qtbot.keyClick(presentation, Qt.Key.Key_PageDown)
    assert presentation.page_key == "load"
    assert controller.panel.tiles["coverage"].name.text() == "Coverage"
    check(window, found, "en")
    qtbot.keyClick(presentation, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not presentation.isVisible())


def test_the_panel_shows_a_dashboard_without_a_campaign(qtbot, sample_project_path, tmp_path):
    import shutil
    import sqlite3

    from gis_app.services.dashboard_service import DashboardService
    from gis_app.services.session import ProjectSession
    from gis_app.storage.project import open_project
    from gis_app.ui.i18n import Translator
    from gis_app.ui.panels.dashboard_panel import DashboardPanel

    copy = tmp_path / "none.gmp"
    shutil.copy(sample_project_path, copy)
    with sqlite3.connect(copy) as connection:
        for table in ("investigation_record", "campaign_milestone", "campaign_township",
                      "campaign"):
            connection.execute(f"DELETE FROM {table}")
    session = ProjectSession(open_project(copy))
    panel = DashboardPanel(Translator("zh"))
    qtbot.addWidget(panel)
    try:
        panel.set_dashboard(DashboardService(session).compute())
    finally:
        session.close()
    panel.show()
    assert panel.tiles["coverage"].value.text() == "—"
    assert panel.tiles["coverage"].state.text() == "无目标"
    assert panel.charts["method"].bars.empty and not panel.charts["types"].bars.empty


def _hold_the_count(monkeypatch, when: str):
    """The worker's count waits (before or after it reads the store) until released."""
    import threading

    from gis_app.ui.controllers import dashboard as module

    release = threading.Event()
    real = module.count_parts

    def held(counting, progress=None):
        if when == "before":
            release.wait(30)
            return real(counting, progress)
        counted = real(counting, progress)
        release.wait(30)
        return counted

    monkeypatch.setattr(module, "count_parts", held)
    return release


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_visit_saved_while_the_first_count_runs_is_on_the_tile(window, qtbot, monkeypatch,
                                                                 when):
    release = _hold_the_count(monkeypatch, when)
    action(window, "打开工作看板").trigger()
    controller = _controller(window)
    panel = controller.panel
    qtbot.waitUntil(lambda: controller.running == "count")
    qtbot.waitUntil(lambda: panel.progress.isVisible() and panel.cancel.isVisible())
    assert panel.note.text() == "正在统计看板…"
    path = window.session.project.location
    status = statuses(path)
    household = int(status[status == "unchecked"].index[0])
    # the window is free: a visit record through the record form meanwhile
    window.layers["households"].select_ids([household])
    _action(window, "录入走访记录…").trigger()
    dialog = _investigation(window).record_dialog
    qtbot.waitExposed(dialog)
    _fill_home_visit(qtbot, dialog)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert controller.running == "count" and controller.dashboard is None
    release.set()
    qtbot.waitUntil(lambda: controller.dashboard is not None and controller.thread is None,
                    timeout=30000)
    now = statuses(path)
    assert now[household] == "home"
    covered = int(now.isin(["home", "remote"]).sum())
    assert panel.tiles["coverage"].value.text() == f"{covered / len(now) * 100:.1f}%"
    method = panel.charts["method"].bars.set_index("label")["value"]
    assert int(method["入户排查"]) == int((now == "home").sum())
    assert int(method["未排查"]) == int((now == "unchecked").sum())
    # the timeline's households covered by the campaign's last day: the record's too
    assert int(panel.charts["timeline"].timeline["covered"].iloc[-1]) == covered


def test_the_first_count_cancelled_in_the_dock(window, qtbot, monkeypatch):
    release = _hold_the_count(monkeypatch, "before")
    action(window, "打开工作看板").trigger()
    controller = _controller(window)
    panel = controller.panel
    qtbot.waitUntil(lambda: controller.running == "count" and panel.cancel.isVisible())
    qtbot.mouseClick(panel.cancel, Qt.MouseButton.LeftButton)
    release.set()
    qtbot.waitUntil(lambda: controller.thread is None)
    assert panel.note.text() == "已取消统计" and controller.dashboard is None
    assert not panel.progress.isVisible()
    controller.refresh()  # shown again (or an edit): counted again
    qtbot.waitUntil(lambda: controller.dashboard is not None and controller.thread is None,
                    timeout=30000)
    status = statuses(window.session.project.location)
    assert controller.dashboard.indicators["coverage"].counts == \
        (int(status.isin(["home", "remote"]).sum()), len(status))


def test_another_campaign_chosen_while_counting_supersedes_the_count(window, qtbot,
                                                                     monkeypatch):
    import datetime as dt

    from gis_app.services.campaign_service import create_campaign

    session = window.session
    units = session.frame("admin_units")
    towns = units.loc[units["level"] == 2, "id"].sort_values().tolist()
    newer = create_campaign(session, 2024, 1, 7800.0, 10000.0, dt.date(2024, 3, 1),
                            dt.date(2024, 5, 31), towns[:1])
    assert session.campaign_id == newer  # the newest is followed
    release = _hold_the_count(monkeypatch, "before")
    action(window, "打开工作看板").trigger()
    controller = _controller(window)
    panel = controller.panel
    qtbot.waitUntil(lambda: controller.running == "count")
    assert controller.thread.counting.campaign["id"] == newer
    stopped = controller.thread._cancelled  # set when the count is superseded
    # the user picks the 2023 campaign in the 排查 list while the newer one is being counted
    combo = panel.campaign
    combo.setFocus()
    older = combo.findData(1)
    assert older >= 0 and combo.currentIndex() != older
    while combo.currentIndex() != older:
        qtbot.keyClick(combo, Qt.Key.Key_Down if combo.currentIndex() < older else Qt.Key.Key_Up)
    assert session.campaign_id == 1 and stopped.is_set()
    release.set()
    qtbot.waitUntil(lambda: controller.dashboard is not None and controller.thread is None,
                    timeout=30000)
    assert controller.dashboard.campaign["id"] == 1
    status = statuses(session.project.location)
    covered = int(status.isin(["home", "remote"]).sum())
    assert controller.dashboard.indicators["coverage"].counts == (covered, len(status))
    assert panel.tiles["coverage"].value.text() == f"{covered / len(status) * 100:.1f}%"
