"""The visit list dialog opened from the roster: rows, map, export, recording a visit."""

from __future__ import annotations

import sqlite3

import openpyxl
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QFileDialog, QPushButton

from tests.test_visit_list import HEADERS, MASKED_ID, expected_households


def _query(window, sql: str, params=()):
    with sqlite3.connect(window.data.project.location) as connection:
        return connection.execute(sql, params).fetchall()


@pytest.fixture
def worker(own_window) -> int:
    """The level-3 worker with the most households."""
    return int(_query(own_window, "SELECT a.worker_id FROM grid_assignment a JOIN household h ON "
                                  "h.grid_id = a.grid_id WHERE a.role = '三级网格员' GROUP BY "
                                  "a.worker_id ORDER BY count(*) DESC, a.worker_id LIMIT 1")[0][0])


def _open_from_roster(window, qtbot, worker_id):
    from gis_app.ui.dialogs.visit_list_dialog import VisitListDialog

    window.docks["网格员"].raise_()  # the roster tab
    table = window.workers.table
    row = next(r for r in range(table.rowCount())
               if table.item(r, 0).data(Qt.ItemDataRole.UserRole) == worker_id)
    table.selectRow(row)
    button = next(b for b in window.workers.findChildren(QPushButton) if b.text() == "走访清单…")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialogs = window.findChildren(VisitListDialog)
    assert len(dialogs) == 1
    dialog = dialogs[0]
    qtbot.waitExposed(dialog)
    return dialog


def _column(dialog, index: int) -> list[str]:
    return [dialog.table.item(r, index).text() for r in range(dialog.table.rowCount())]


def test_open_from_the_roster_shows_the_ordered_list_and_the_map(own_window, qtbot, worker):
    located, unlocated, _ = expected_households(own_window.data.project.location, worker)
    dialog = _open_from_roster(own_window, qtbot, worker)
    name = _query(own_window, "SELECT name FROM worker WHERE id = ?", (worker,))[0][0]
    assert name in dialog.windowTitle()
    headers = [dialog.table.horizontalHeaderItem(i).text()
               for i in range(dialog.table.columnCount())]
    assert headers == HEADERS
    assert dialog.table.rowCount() == len(located | unlocated)
    assert _column(dialog, 0) == [str(i) for i in range(1, len(located | unlocated) + 1)]
    shown = {dialog.household_at(r) for r in range(dialog.table.rowCount())}
    assert shown == located | unlocated
    assert all(MASKED_ID.match(text) for text in _column(dialog, 2))
    # The map: every located household is a point, with its number beside it.
    assert len(dialog.points.data) == len(located)
    import pyqtgraph as pg

    labels = [i.toPlainText() for i in dialog.map.getPlotItem().items
              if isinstance(i, pg.TextItem)]
    assert labels[:3] == ["1", "2", "3"]
    assert f"待走访 {len(located | unlocated)} 户" in dialog.summary.text()


def test_export_buttons_write_excel_and_pdf(own_window, qtbot, worker, tmp_path, monkeypatch):
    dialog = _open_from_roster(own_window, qtbot, worker)
    targets = iter([str(tmp_path / "清单.xlsx"), str(tmp_path / "清单")])
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *args, **kwargs: (next(targets), "")))
    qtbot.mouseClick(dialog.buttons["导出Excel…"], Qt.MouseButton.LeftButton)
    ws = openpyxl.load_workbook(tmp_path / "清单.xlsx").worksheets[0]
    rows = [r for r in ws.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(rows) if r[0] == "序号")
    assert list(rows[header]) == HEADERS
    assert [r[1] for r in rows[header + 1:]] == _column(dialog, 1)
    qtbot.mouseClick(dialog.buttons["导出PDF…"], Qt.MouseButton.LeftButton)
    pdf = tmp_path / "清单.pdf"  # the extension is added when the user leaves it out
    assert pdf.read_bytes().startswith(b"%PDF")
    assert str(pdf) in dialog.status.text()


def test_cancelling_the_file_dialog_writes_nothing(own_window, qtbot, worker, tmp_path,
                                                  monkeypatch):
    dialog = _open_from_roster(own_window, qtbot, worker)
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *args, **kwargs: ("", "")))
    qtbot.mouseClick(dialog.buttons["导出PDF…"], Qt.MouseButton.LeftButton)
    assert list(tmp_path.glob("*.pdf")) == []
    assert _query(own_window, "SELECT count(*) FROM audit_log WHERE action = "
                              "'export_visit_list'")[0][0] == 0


def test_double_click_records_the_visit_and_the_list_refreshes(own_window, qtbot, worker,
                                                               monkeypatch):
    window = own_window
    campaign = _query(window, "SELECT id FROM campaign ORDER BY year DESC LIMIT 1")[0][0]
    opened = []

    def open_record_form(household_id):  # stands in for the record form: a compliant visit
        opened.append(household_id)
        with sqlite3.connect(window.data.project.location) as connection:
            connection.execute(
                "INSERT INTO investigation_record (campaign_id, household_id, method, "
                "checked_on, checker, whole_household_away, housing_problem, education_problem, "
                "insurance_problem, water_problem, has_risk, proposed_rollback, "
                "proposed_removal, version) VALUES (?, ?, 1, '2023-05-20', '测试员', 0, 0, 0, "
                "0, 0, 0, 0, 0, 1)", (campaign, household_id))

    monkeypatch.setattr(window, "open_record_form", open_record_form, raising=False)
    dialog = _open_from_roster(window, qtbot, worker)
    before = dialog.table.rowCount()
    target = dialog.household_at(1)
    rect = dialog.table.visualItemRect(dialog.table.item(1, 1))
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened == [target]
    assert dialog.table.rowCount() == before - 1
    assert target not in {dialog.household_at(r) for r in range(dialog.table.rowCount())}


def test_unmasked_list_is_refused_for_a_user_without_the_right(own_window, qtbot, worker,
                                                               monkeypatch):
    from gis_app.ui.dialogs.visit_list_dialog import VisitListDialog

    monkeypatch.setenv("GIS_APP_USER", "没有权限的人")
    dialog = VisitListDialog(own_window.data.project, worker, unmask=True)
    qtbot.addWidget(dialog)
    assert "无权" in dialog.summary.text()
    assert dialog.table.rowCount() == 0
    assert not dialog.buttons["导出Excel…"].isEnabled()
    assert not dialog.buttons["导出PDF…"].isEnabled()
