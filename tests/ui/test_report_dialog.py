"""排查 → 导出统计表和台账… in the real window: the dialog filled in as a user does.

The file written is read back with openpyxl and its numbers compared with the independent SQL
count of tests/test_report_service.py; a store breaking an identity is refused in the dialog,
in the interface's language, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import openpyxl
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction

from gis_app.core.annex import CODES
from gis_app.storage.uow import edit
from tests.test_report_service import _township_sheet, deciding, expected_counts, villages


def _menu_action(window, chinese: str) -> QAction:
    return next(target for target, text in window._texts
                if text == chinese and isinstance(target, QAction))


def _open_dialog(window, qtbot):
    _menu_action(window, "导出统计表和台账…").trigger()
    dialog = window.controller("reports").dialog
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def _choose(combo, text: str) -> None:
    """Pick an entry of a combo box by the text a user reads in it."""
    index = combo.findText(text, Qt.MatchFlag.MatchContains)
    assert index >= 0, text
    combo.setCurrentIndex(index)


def test_annex1_of_one_township_from_the_window(window, qtbot, tmp_path):
    dialog = _open_dialog(window, qtbot)
    assert [dialog.annex.itemText(i) for i in range(dialog.annex.count())] == [
        "附件1 集中排查情况统计表", "附件2 集中排查台账", "附件3 “画像”工作核实情况表",
        "附件4 发现问题整改台账"]
    assert dialog.campaign.currentText() == "2023年防止返贫监测帮扶集中排查"
    assert [dialog.township.itemText(i) for i in range(dialog.township.count())] == [
        "全部乡镇", "青山乡（430599101）", "溪口镇（430599102）", "高峰乡（430599103）"]
    assert not dialog.export_button.isEnabled()  # no file yet
    _choose(dialog.annex, "附件1")
    _choose(dialog.township, "溪口镇")
    out = tmp_path / "xikou-annex1"  # typed: QTest types ASCII only
    qtbot.keyClicks(dialog.path, str(out))
    assert dialog.export_button.isEnabled()
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    written = tmp_path / "xikou-annex1.xlsx"  # the extension is added
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=20000)
    assert written.exists()
    assert str(written) in window.statusBar().currentMessage()

    path = window.session.project.location
    expected = expected_counts(deciding(path))
    units = villages(path)
    mine = units[units["township_code"] == "430599102"]
    wb = openpyxl.load_workbook(written)
    assert wb.sheetnames == ["溪口镇"]
    frame, total = _township_sheet(wb["溪口镇"])
    assert frame["村（社区）"].tolist() == mine["name"].tolist()
    want = expected.reindex(mine["code"]).fillna(0).astype(int)
    assert frame[list(CODES)].to_numpy().tolist() == want.to_numpy().tolist()
    assert [total[c] for c in CODES] == want.sum().tolist()


def test_a_store_breaking_an_identity_is_refused_in_the_dialog(window, qtbot, tmp_path):
    project = window.session.project
    with sqlite3.connect(project.location) as connection:
        household, village = connection.execute(
            "SELECT h.id, v.name FROM household h JOIN admin_unit v ON v.id = h.village_id "
            "WHERE h.id NOT IN (SELECT household_id FROM investigation_record) "
            "ORDER BY h.id LIMIT 1").fetchone()
    with edit(project, "tester", "录入走访记录") as uow:  # a type proposed without a risk
        uow.insert("investigation_record", {
            "campaign_id": 1, "household_id": household, "method": 1,
            "checked_on": dt.date(2023, 5, 12), "checker": "测试员",
            "whole_household_away": False, "has_risk": False, "proposed_monitoring_type": 3})
    for language in ("zh", "en"):
        if language == "en":
            _menu_action(window, "英文").trigger()
        dialog = _open_dialog(window, qtbot)
        out = tmp_path / f"refused-{language}.xlsx"
        qtbot.keyClicks(dialog.path, str(out))
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda d=dialog: d.message_box is not None and d.message_box.isVisible())
        text = dialog.message_box.text()
        if language == "zh":
            assert text.startswith("统计表数据不满足表内平衡关系，未生成：")
            assert "B1 = B3 + B5 + B7 不成立" in text and "B2 = B4 + B6 + B8 不成立" in text
        else:
            assert text.startswith("The statistics break the form's identities")
            assert "B1 = B3 + B5 + B7 does not hold" in text
        assert village in text  # the village is named
        assert dialog.isVisible() and not out.exists()
        dialog.message_box.close()
        dialog.reject()
