"""The 排查 menu in the window: the visit form, a new campaign, a ledger import (on a copy)."""

from __future__ import annotations

import sqlite3

import openpyxl
import pytest
from PyQt6.QtCore import QDate, QPoint, QRectF, Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QFileDialog, QMessageBox

from tests.test_record_service import recount
from tests.ui.conftest import view_to_widget


def _query(window, sql: str, params=()):
    with sqlite3.connect(window.data.project.location) as connection:
        return connection.execute(sql, params).fetchall()


def _action(window, text: str) -> QAction:
    return next(a for a in window.findChildren(QAction) if a.text() == text)


def _dock_row(window, code: str) -> dict:
    """What the coverage dock shows for one unit, as the user reads it."""
    table = window.coverage.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    for row in range(table.rowCount()):
        if table.item(row, 0).data(Qt.ItemDataRole.UserRole) == code:
            return {h: table.item(row, c).text() for c, h in enumerate(headers)}
    raise KeyError(code)


def _tick(qtbot, box) -> None:
    """Click a check box on its box (its centre may be empty space in a wide row)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def _unchecked_on_map(window) -> tuple[int, str, float, float]:
    """A located household without any visit: id, grid code, map x, y."""
    unchecked = {r[0] for r in _query(window, "SELECT id FROM household WHERE id NOT IN "
                                              "(SELECT household_id FROM investigation_record)")}
    frame = window.canvas.adapters["households"].frame
    row = frame[frame["id"].isin(unchecked) & frame["grid_code"].notna()].iloc[0]
    return int(row["id"]), row["grid_code"], row.geometry.x, row.geometry.y


def _identify(window, qtbot, x: float, y: float) -> None:
    window.canvas.zoom_to(QRectF(x - 150, y - 150, 300, 300), padding=0)
    window.set_tool("identify")
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton,
                     pos=view_to_widget(window, x, y))


def _tick_layer(window, layer_id: str) -> None:
    tree = window.layer_tree
    item = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                if tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) == layer_id)
    item.setCheckState(0, Qt.CheckState.Checked)


def test_visit_from_the_identify_panel_updates_the_coverage_views_and_undoes(own_window, qtbot):
    window = own_window
    window.docks["排查覆盖"].raise_()
    for layer_id in ("coverage_grids", "coverage_villages", "coverage_townships"):
        _tick_layer(window, layer_id)  # the choropleths are counted once shown
    project = window.data.project
    household, grid, x, y = _unchecked_on_map(window)
    _identify(window, qtbot, x, y)
    assert window.identify.household_id == household
    assert window.identify.visit_status.text() == "本次排查：未排查"
    before_dock = _dock_row(window, grid)
    expected_before = recount(project).loc[grid]
    assert int(before_dock["未排查"]) == expected_before["unchecked"]

    qtbot.mouseClick(window.identify.record_button, Qt.MouseButton.LeftButton)
    dialog = window.record_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitExposed(dialog)
    assert dialog.checker.count() > 1  # the grid's workers are offered
    assert not dialog.risk_type.isEnabled()  # no risk ticked yet
    dialog.date.setDate(QDate(2023, 5, 15))
    _tick(qtbot, dialog.problems["water_problem"])
    assert dialog.warning.text() == ""
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()

    stored = _query(window, "SELECT method, checked_on, checker, water_problem FROM "
                            "investigation_record WHERE household_id = ?", (household,))
    assert stored == [(1, "2023-05-15", dialog.checker.itemText(1), 1)]
    expected = recount(project).loc[grid]
    assert expected["home"] == expected_before["home"] + 1  # the recount sees the visit too
    after_dock = _dock_row(window, grid)
    assert int(after_dock["入户"]) == expected["home"]
    assert int(after_dock["未排查"]) == expected["unchecked"]
    share = (expected["home"] + expected["remote"]) / expected.sum()
    assert after_dock["覆盖率"] == f"{share:.1%}"
    choropleth = window.canvas.adapters["coverage_grids"].frame.set_index("code")
    assert choropleth.loc[grid, "coverage"] == pytest.approx(share)
    # The village and township choropleths follow too (recounted from the tables alone).
    for layer_id, column in (("coverage_villages", "village_code"),
                             ("coverage_townships", "township_code")):
        counts = recount(project, column=column)
        shares = (counts["home"] + counts["remote"]) / counts.sum(axis=1)
        shown = window.canvas.adapters[layer_id].frame.set_index("admin_code")["coverage"]
        assert shown.sort_index().to_numpy() == pytest.approx(shares.sort_index().to_numpy())
    assert window.identify.visit_status.text() == "本次排查：入户排查（已覆盖）"

    window.canvas.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _query(window, "SELECT count(*) FROM investigation_record WHERE household_id = ?",
                  (household,)) == [(0,)]
    assert _dock_row(window, grid) == before_dock


def test_a_phone_check_of_a_household_at_home_is_warned_then_saved_as_noncompliant(
        own_window, qtbot):
    window = own_window
    window.docks["排查覆盖"].raise_()
    household, grid, _x, _y = _unchecked_on_map(window)
    # From the attribute table: double-click the household's row.
    window.show_table("households")
    window.docks["属性表"].raise_()
    model = window.table.model
    position = int(list(model.frame["id"].to_numpy()[model.rows]).index(household))
    index = model.index(position, 0)
    window.table.view.scrollTo(index)
    rect = window.table.view.visualRect(index)
    # A real double-click: press and release, then the double-click event.
    qtbot.mouseClick(window.table.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(window.table.view.viewport(), Qt.MouseButton.LeftButton,
                      pos=rect.center())
    dialog = window.record_dialog
    assert dialog is not None and dialog.household["id"] == household
    qtbot.waitExposed(dialog)
    dialog.date.setDate(QDate(2023, 5, 15))
    dialog.method.setCurrentIndex(dialog.method.findText("电话、微信等排查"))
    assert "电话核查但非全家外出" in dialog.warning.text()
    _tick(qtbot, dialog.away)
    assert dialog.warning.text() == ""  # the whole household is away: a phone check is fine
    _tick(qtbot, dialog.away)
    before = int(_dock_row(window, grid)["不合规"])
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)  # warned, not saved yet
    assert dialog.isVisible() and dialog.save_button.text() == "仍然保存"
    assert _query(window, "SELECT count(*) FROM investigation_record WHERE household_id = ?",
                  (household,)) == [(0,)]
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert _query(window, "SELECT method, whole_household_away FROM investigation_record "
                          "WHERE household_id = ?", (household,)) == [(2, 0)]
    assert int(_dock_row(window, grid)["不合规"]) == before + 1
    assert "电话核查但非全家外出" in window.statusBar().currentMessage()


def test_the_form_shows_bad_input_and_stays_open(own_window, qtbot):
    window = own_window
    household, *_ = _unchecked_on_map(window)
    dialog = window.open_record_form(household)
    qtbot.waitExposed(dialog)
    _tick(qtbot, dialog.has_risk)
    assert dialog.risk_type.isEnabled() and dialog.proposed.isEnabled()
    dialog.checker.setEditText("")
    assert "无核查人" in dialog.warning.text()
    dialog.checker.setEditText("临时核查员")
    assert dialog.values()["checker"] == "临时核查员"
    assert dialog.values()["checker_worker_id"] is None
    assert dialog.warning.text() == ""


def test_create_a_campaign_through_the_dialog(own_window, qtbot):
    window = own_window
    _action(window, "新建排查…").trigger()
    dialog = window.campaign_dialog
    assert dialog.isVisible()
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
    assert window.record_service().campaign_id == campaign[0][0]
    households = _query(window, "SELECT count(*) FROM household h JOIN admin_unit v ON "
                                "v.id = h.village_id WHERE v.parent_id = ?", (town,))[0][0]
    assert window.coverage.summary.text() == f"合计 {households} 户，已覆盖 0 户（0.0%）"
    assert [name for name, _ in window.progress.milestone_marks] == [
        "制定工作方案", "分层分类培训", "排查过半", "开展集中排查", "信息采集录入", "提交总结报告"]
    checked = [a.text() for a in window.campaign_menu.actions() if a.isChecked()]
    assert checked == ["2023年防止返贫监测帮扶集中排查（第2轮）"]


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


def _new_round(window) -> int:
    from gis_app.services.campaign_service import campaign_defaults, create_campaign

    defaults = campaign_defaults(window.data.project, 2023)
    campaign = create_campaign(window.data.project, **{k: v for k, v in defaults.items()
                                                       if k != "name"})
    window.set_campaign(campaign)
    return campaign


def test_import_a_filled_ledger_from_the_window(own_window, filled_ledger, monkeypatch):
    window = own_window
    campaign = _new_round(window)
    assert window.coverage.summary.text().endswith("已覆盖 0 户（0.0%）")
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *args, **kwargs: (str(filled_ledger), "")))
    _action(window, "从台账导入走访记录…").trigger()
    checked = _query(window, "SELECT count(DISTINCT household_id) FROM investigation_record "
                             "WHERE campaign_id = 1")[0][0]
    written = _query(window, "SELECT count(*) FROM investigation_record WHERE campaign_id = ?",
                     (campaign,))[0][0]
    assert written == checked > 0
    box = window.import_report_box
    assert box.text() == f"已导入 {written} 条走访记录到“2023年防止返贫监测帮扶集中排查（第2轮）”"
    expected = recount(window.data.project, campaign).sum()
    covered = expected["home"] + expected["remote"]
    assert window.coverage.summary.text() == (
        f"合计 {expected.sum()} 户，已覆盖 {covered} 户（{covered / expected.sum():.1%}）")
    # 撤销 takes the whole import back in one step, and the dock follows.
    window.undo()
    assert _query(window, "SELECT count(*) FROM investigation_record WHERE campaign_id = ?",
                  (campaign,))[0][0] == 0
    assert window.coverage.summary.text().endswith("已覆盖 0 户（0.0%）")


def test_a_malformed_ledger_is_reported_and_nothing_is_written(own_window, filled_ledger,
                                                                monkeypatch, tmp_path):
    window = own_window
    campaign = _new_round(window)
    book = openpyxl.load_workbook(filled_ledger)
    sheet = book.active
    sheet.cell(6, 8).value = 7  # 排查方式 of the second household: no such code
    sheet.cell(7, 5).value = "12345"  # an ID number cut short
    bad = tmp_path / "bad.xlsx"
    book.save(bad)
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *args, **kwargs: (str(bad), "")))
    records = _query(window, "SELECT count(*) FROM investigation_record")
    audit = _query(window, "SELECT count(*) FROM audit_log")
    _action(window, "从台账导入走访记录…").trigger()
    box = window.import_report_box
    assert box.text() == "台账有误，未导入任何记录"
    assert box.icon() == QMessageBox.Icon.Critical
    assert "bad.xlsx 第6行【排查方式】" in box.informativeText()
    assert "bad.xlsx 第7行【户主证件号码】: 证件号码应为18位" in box.informativeText()
    assert _query(window, "SELECT count(*) FROM investigation_record") == records
    assert _query(window, "SELECT count(*) FROM audit_log") == audit
    assert window.record_service().campaign_id == campaign
    assert window.coverage.summary.text().endswith("已覆盖 0 户（0.0%）")
