"""The 排查 menu in the window: the visit form, a new campaign, a ledger import (on a copy).

Helpers here are shared with the issue-8 regression tests (test_investigation_sync.py) and the
English test. Numbers are checked against :func:`recount`, an independent count over the
store's rows.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import numpy as np
import openpyxl
import pandas as pd
import pytest
from PyQt6.QtCore import QPoint, QRectF, Qt
from PyQt6.QtGui import QAction, QInputMethodEvent
from PyQt6.QtWidgets import QApplication, QFileDialog, QLineEdit, QMessageBox

from gis_app.core.compliance import check_records
from tests.ui.conftest import view_to_widget, when_shown

STATUSES = ["unchecked", "noncompliant", "remote", "home"]


# -- reading the store and the window as a user would
def _query(window, sql: str, params=()):
    with sqlite3.connect(window.session.project.location) as connection:
        return connection.execute(sql, params).fetchall()


def _frame(window, sql: str, params=()) -> pd.DataFrame:
    with sqlite3.connect(window.session.project.location) as connection:
        return pd.read_sql_query(sql, connection, params=params)


def recount(window, campaign_id: int = 1, column: str = "grid_code") -> pd.DataFrame:
    """Households per status and unit from the store's rows alone (core compliance rules)."""
    campaign = _frame(window, "SELECT * FROM campaign WHERE id = ?", (campaign_id,)).iloc[0]
    start = dt.date.fromisoformat(str(campaign["start_date"])[:10])
    end = dt.date.fromisoformat(str(campaign["end_date"])[:10])
    households = _frame(window, """
        SELECT h.id, g.code AS grid_code, v.code AS village_code, t.code AS township_code
        FROM household h JOIN admin_unit v ON v.id = h.village_id
        JOIN admin_unit t ON t.id = v.parent_id LEFT JOIN grid g ON g.id = h.grid_id
        WHERE t.id IN (SELECT township_id FROM campaign_township WHERE campaign_id = ?)""",
                        (campaign_id,))
    records = _frame(window, "SELECT * FROM investigation_record WHERE campaign_id = ?",
                     (campaign_id,))
    compliant = check_records(records, start, end)["compliant"].to_numpy()
    method = records["method"].to_numpy()
    rank = np.where(compliant & (method == 1), 3, np.where(compliant & (method == 2), 2, 1))
    best = pd.Series(rank).groupby(records["household_id"].to_numpy()).max()
    status = households["id"].map(best).fillna(0).astype(int).map(dict(enumerate(STATUSES)))
    table = households.groupby([households[column].fillna("（无）"), status]).size()
    return table.unstack(fill_value=0).reindex(columns=STATUSES, fill_value=0).sort_index()


def _investigation(window):
    return window.controller("investigation")


def _action(window, text: str) -> QAction:
    return next(a for a in window.findChildren(QAction) if a.text() == text)


def on_screen(dock) -> bool:
    """True when the user sees the dock (a dock behind another tab keeps ``isVisible()``)."""
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def _show_dock(window, qtbot, title: str) -> None:
    """Click the dock's tab, as it were: raise it and wait until it is on screen."""
    window.docks[title].raise_()
    qtbot.waitUntil(lambda: on_screen(window.docks[title]))


def _dock_row(window, code: str) -> dict:
    """What the coverage dock shows for one unit, header → text."""
    table = _investigation(window).coverage.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    for row in range(table.rowCount()):
        if table.item(row, 0).data(Qt.ItemDataRole.UserRole) == code:
            return {h: table.item(row, c).text() for c, h in enumerate(headers)}
    raise KeyError(code)


def _numbers(row: dict) -> dict:
    """The dock's counts of a unit as numbers."""
    return {key: int(row[header]) for key, header in (
        ("households", "户数"), ("home", "入户"), ("remote", "电话微信"),
        ("noncompliant", "不合规"), ("unchecked", "未排查"))}


def _expected(counts: pd.Series) -> dict:
    return {"households": int(counts.sum()), **{k: int(counts[k]) for k in STATUSES}}


def _tick(qtbot, box) -> None:
    """Click a check box on its box (its centre may be empty space in a wide row)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def _unchecked_on_map(window) -> tuple[int, str, float, float]:
    """A located household of campaign 1 without any visit: id, grid code, map x, y."""
    unchecked = {r[0] for r in _query(window, """
        SELECT h.id FROM household h JOIN admin_unit v ON v.id = h.village_id
        WHERE v.parent_id IN (SELECT township_id FROM campaign_township WHERE campaign_id = 1)
          AND h.id NOT IN (SELECT household_id FROM investigation_record)""")}
    frame = window.session.households
    codes = window.session.grids.set_index("id")["code"]
    row = frame[frame["id"].isin(unchecked) & frame["grid_id"].notna()
                & np.isfinite(frame["x"].to_numpy(float))].sort_values("id").iloc[0]
    return int(row["id"]), codes[int(row["grid_id"])], float(row["x"]), float(row["y"])


def _identify(window, qtbot, x: float, y: float) -> None:
    window.canvas.zoom_to(QRectF(x - 150, y - 150, 300, 300), padding=0)
    window.set_tool("identify")
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton,
                     pos=view_to_widget(window, x, y))


def _identify_panel(window):
    return window.controller("map").identify


def _fill_home_visit(qtbot, dialog, checker: str = "测试核查员") -> None:
    """As a user: pick 入户排查 with the keyboard, type the checker's name."""
    dialog.method.setFocus()
    qtbot.keyClick(dialog.method, Qt.Key.Key_End)  # the last method first, to really choose
    assert dialog.method.currentText() == "电话、微信等排查"
    qtbot.keyClick(dialog.method, Qt.Key.Key_Home)
    assert dialog.method.currentText() == "入户排查"
    line = dialog.checker.lineEdit()
    line.setFocus()
    line.selectAll()
    qtbot.keyClick(line, Qt.Key.Key_Delete)
    type_text(line, checker)


def type_text(widget, text: str) -> None:
    """Type Chinese text as an input method commits it (QTest's keys are ASCII only)."""
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def _tick_layer(window, layer_id: str) -> None:
    """Tick a layer in the layer tree, as a user does."""
    tree = window.controller("layers").tree
    item = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                if tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) == layer_id)
    item.setCheckState(0, Qt.CheckState.Checked)


def choose_file(qtbot, path) -> None:
    """Answer the next file dialog by typing ``path`` and pressing Enter (Qt's own dialog)."""
    def answer(dialog):
        name = dialog.findChild(QLineEdit, "fileNameEdit")
        name.setText(str(path))
        qtbot.keyClick(name, Qt.Key.Key_Return)

    when_shown(lambda: next((w for w in QApplication.topLevelWidgets()
                             if isinstance(w, QFileDialog) and w.isVisible()), None), answer, 50)


# -- the tests
def test_visit_from_the_table_warns_of_a_phone_check_then_saves_it_noncompliant(window, qtbot):
    _show_dock(window, qtbot, "排查覆盖")
    household, grid, _x, _y = _unchecked_on_map(window)
    window.layers.set_active("households")
    table = window.controller("table").table
    window.docks["属性表"].raise_()
    qtbot.waitUntil(table.view.isVisible)
    model = table.model
    position = int(list(model.frame["id"].to_numpy()[model.rows]).index(household))
    index = model.index(position, 0)
    table.view.scrollTo(index)
    rect = table.view.visualRect(index)
    qtbot.mouseClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    dialog = _investigation(window).record_dialog
    assert dialog is not None and dialog.household["id"] == household
    qtbot.waitExposed(dialog)
    dialog.method.setCurrentIndex(dialog.method.findText("电话、微信等排查"))
    assert "电话核查但非全家外出" in dialog.warning.text()
    _tick(qtbot, dialog.away)
    assert dialog.warning.text() == ""  # the whole household is away: a phone check is fine
    _tick(qtbot, dialog.away)
    _show_dock(window, qtbot, "排查覆盖")
    before = _numbers(_dock_row(window, grid))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)  # warned, not saved yet
    assert dialog.isVisible() and dialog.save_button.text() == "仍然保存"
    assert _query(window, "SELECT count(*) FROM investigation_record WHERE household_id = ?",
                  (household,)) == [(0,)]
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert _query(window, "SELECT method, whole_household_away FROM investigation_record "
                          "WHERE household_id = ?", (household,)) == [(2, 0)]
    after = _numbers(_dock_row(window, grid))
    assert after == _expected(recount(window).loc[grid])
    assert after["noncompliant"] == before["noncompliant"] + 1
    assert after["unchecked"] == before["unchecked"] - 1
    assert "电话核查但非全家外出" in window.statusBar().currentMessage()


def test_the_form_shows_bad_input_and_stays_open(window, qtbot):
    household, *_ = _unchecked_on_map(window)
    window.layers["households"].select_ids([household])
    _action(window, "录入走访记录…").trigger()
    dialog = _investigation(window).record_dialog
    assert dialog.household["id"] == household
    qtbot.waitExposed(dialog)
    assert dialog.checker.count() > 1  # the grid's workers are offered
    assert not dialog.risk_type.isEnabled()  # no risk ticked yet
    _tick(qtbot, dialog.has_risk)
    assert dialog.risk_type.isEnabled() and dialog.proposed.isEnabled()
    dialog.checker.setEditText("")
    assert "无核查人" in dialog.warning.text()
    dialog.checker.setEditText("临时核查员")
    assert dialog.values()["checker"] == "临时核查员"
    assert dialog.values()["checker_worker_id"] is None
    assert dialog.warning.text() == ""
    dialog.date.setDate(dialog.date.date().addYears(-5))
    assert "日期不在排查期内" in dialog.warning.text()


def test_without_a_selection_the_menu_asks_for_one(window):
    window.layers.clear_selection()
    _action(window, "录入走访记录…").trigger()
    assert _investigation(window).record_dialog is None
    assert window.statusBar().currentMessage() == "请先在地图或属性表中选择一户"


def test_create_a_campaign_through_the_dialog(window, qtbot):
    _show_dock(window, qtbot, "排查进度")
    _show_dock(window, qtbot, "排查覆盖")
    _action(window, "新建排查…").trigger()
    dialog = _investigation(window).campaign_dialog
    qtbot.waitExposed(dialog)
    dialog.year.setValue(2023)
    assert dialog.round.value() == 2 and dialog.income.value() == 7500
    assert dialog.milestones.rowCount() == 6
    first = dialog.townships.item(0)
    for i in range(1, dialog.townships.count()):
        dialog.townships.item(i).setCheckState(Qt.CheckState.Unchecked)
    dialog.income.setValue(0)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "监测收入基准线应大于0元" in dialog.error.text() and dialog.isVisible()
    assert _query(window, "SELECT count(*) FROM campaign") == [(1,)]
    dialog.income.setValue(7800)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()

    campaign = _query(window, "SELECT id, year, round, income_line FROM campaign "
                              "WHERE round = 2")
    assert [c[1:] for c in campaign] == [(2023, 2, 7800.0)]
    town = first.data(Qt.ItemDataRole.UserRole)
    assert _query(window, "SELECT township_id FROM campaign_township WHERE campaign_id = ?",
                  (campaign[0][0],)) == [(town,)]
    assert window.session.campaign_id == campaign[0][0]
    households = _query(window, "SELECT count(*) FROM household h JOIN admin_unit v ON "
                                "v.id = h.village_id WHERE v.parent_id = ?", (town,))[0][0]
    controller = _investigation(window)
    assert controller.coverage.summary.text() == f"合计 {households} 户，已覆盖 0 户（0.0%）"
    assert [name for name, _ in controller.progress.milestone_marks] == [
        "制定工作方案", "分层分类培训", "排查过半", "开展集中排查", "信息采集录入", "提交总结报告"]
    checked = [a.text() for a in controller.campaign_menu.actions() if a.isChecked()]
    assert checked == ["2023年防止返贫监测帮扶集中排查（第2轮）"]
    # 当前排查 → the first round again: the dock follows it
    next(a for a in controller.campaign_menu.actions() if a.data() == 1).trigger()
    assert window.session.campaign_id == 1
    assert controller.coverage.summary.text().startswith(
        f"合计 {recount(window).to_numpy().sum()} 户")


@pytest.fixture
def filled_ledger(sample_project_path, tmp_path):
    """The sample's annex-2 ledger as a county fills it: each household's latest check."""
    from gis_app.services.export_service import export_project
    from gis_app.storage.project import open_project

    project = open_project(sample_project_path)
    allowed = project.settings()["personal_data_users"][0]
    path = tmp_path / "filled.xlsx"
    export_project(project, path, unmask=True, user=allowed)
    project.close()
    return path


def new_round(window, qtbot) -> int:
    """A second 2023 round for all townships, created through 排查 → 新建排查…."""
    _action(window, "新建排查…").trigger()
    dialog = _investigation(window).campaign_dialog
    qtbot.waitExposed(dialog)
    dialog.year.setValue(2023)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible(), dialog.error.text()
    return window.session.campaign_id


def test_a_malformed_ledger_is_reported_and_nothing_is_written(window, qtbot, filled_ledger,
                                                                tmp_path):
    _show_dock(window, qtbot, "排查覆盖")
    campaign = new_round(window, qtbot)
    book = openpyxl.load_workbook(filled_ledger)
    sheet = book.active
    sheet.cell(6, 8).value = 7  # 排查方式 of the second household: no such code
    sheet.cell(7, 5).value = "12345"  # an ID number cut short
    bad = tmp_path / "bad.xlsx"
    book.save(bad)
    records = _query(window, "SELECT count(*) FROM investigation_record")
    audit = _query(window, "SELECT count(*) FROM audit_log")
    undo_label = window.session.undo_label()
    choose_file(qtbot, bad)
    _action(window, "从台账导入走访记录…").trigger()
    box = _investigation(window).import_report_box
    assert box.text() == "台账有误，未导入任何记录"
    assert box.icon() == QMessageBox.Icon.Critical
    assert "bad.xlsx 第6行【排查方式】" in box.informativeText()
    assert "bad.xlsx 第7行【户主证件号码】: 证件号码应为18位" in box.informativeText()
    assert _query(window, "SELECT count(*) FROM investigation_record") == records
    assert _query(window, "SELECT count(*) FROM audit_log") == audit
    assert window.session.undo_label() == undo_label  # no step to undo either
    assert window.session.campaign_id == campaign
    assert _investigation(window).coverage.summary.text().endswith("已覆盖 0 户（0.0%）")
    assert QApplication.overrideCursor() is None  # the busy cursor is gone


def test_every_level_of_the_dock_matches_the_store(window, qtbot):
    from gis_app.services.coverage_service import worker_coverage

    _show_dock(window, qtbot, "排查覆盖")
    panel = _investigation(window).coverage
    for text, column in (("乡镇", "township_code"), ("村", "village_code")):
        panel.level.setCurrentIndex(panel.level.findText(text))  # the user picks the level
        counts = recount(window, column=column)
        assert panel.table.rowCount() == len(counts)
        for code, row in counts.iterrows():
            assert _numbers(_dock_row(window, code)) == _expected(row)
    panel.level.setCurrentIndex(panel.level.findText("网格员"))
    expected = worker_coverage(window.session.project, campaign_id=1)  # read from the store
    assert panel.table.rowCount() == len(expected) > 0
    for record in expected.to_dict("records"):
        assert _numbers(_dock_row(window, record["code"])) == {
            k: int(record[k]) for k in ("households", "home", "remote", "noncompliant",
                                        "unchecked")}
    coverages = [float(panel.table.item(r, 7).text().rstrip("%"))
                 for r in range(panel.table.rowCount())]
    assert coverages == sorted(coverages)  # the largest gap first
