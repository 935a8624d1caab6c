"""The visit list dialog opened from the roster: rows, map, export, and following the session."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QDialogButtonBox, QFileDialog

from gis_app.services.assignment_service import AssignmentService
from gis_app.services.record_service import RecordService
from tests.test_visit_list import HEADERS, MASKED_ID, expected_households
from tests.ui.test_roster_helpers import (
    click_grid_in_tree,
    click_worker,
    press,
    roster,
    rows,
    show,
    sql,
)


@pytest.fixture
def worker(window) -> int:
    """The level-3 worker with the most households."""
    return int(sql(window, "SELECT a.worker_id FROM grid_assignment a JOIN household h ON "
                           "h.grid_id = a.grid_id WHERE a.role = '三级网格员' GROUP BY "
                           "a.worker_id ORDER BY count(*) DESC, a.worker_id LIMIT 1"))


def _open_from_roster(window, qtbot, worker_id):
    from gis_app.ui.dialogs.visit_list_dialog import VisitListDialog

    show(window, qtbot, "网格员")  # the roster tab
    click_worker(window, qtbot, worker_id)
    press(qtbot, roster(window), "走访清单…")
    dialogs = window.findChildren(VisitListDialog)
    assert len(dialogs) == 1
    dialog = dialogs[0]
    qtbot.waitExposed(dialog)
    return dialog


def _column(dialog, index: int) -> list[str]:
    return [dialog.table.item(r, index).text() for r in range(dialog.table.rowCount())]


def _shown(dialog) -> set[int]:
    return {dialog.household_at(r) for r in range(dialog.table.rowCount())}


def _double_click(qtbot, dialog, row: int) -> None:
    dialog.table.scrollToItem(dialog.table.item(row, 1))
    rect = dialog.table.visualItemRect(dialog.table.item(row, 1))
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_open_from_the_roster_shows_the_ordered_list_and_the_map(window, qtbot, worker):
    located, unlocated, _ = expected_households(window.session.project.location, worker)
    dialog = _open_from_roster(window, qtbot, worker)
    name = sql(window, "SELECT name FROM worker WHERE id = :w", w=worker)
    assert name in dialog.windowTitle()
    headers = [dialog.table.horizontalHeaderItem(i).text()
               for i in range(dialog.table.columnCount())]
    assert headers == HEADERS
    assert dialog.table.rowCount() == len(located | unlocated)
    assert _column(dialog, 0) == [str(i) for i in range(1, len(located | unlocated) + 1)]
    assert _shown(dialog) == located | unlocated
    assert all(MASKED_ID.match(text) for text in _column(dialog, 2))
    # The map: every located household is a point, with its number beside it.
    assert len(dialog.points.data) == len(located)
    labels = [i.toPlainText() for i in dialog.map.getPlotItem().items
              if isinstance(i, pg.TextItem)]
    assert labels[:3] == ["1", "2", "3"]
    assert f"待走访 {len(located | unlocated)} 户" in dialog.summary.text()


def test_export_buttons_write_excel_and_pdf(window, qtbot, worker, tmp_path, monkeypatch):
    dialog = _open_from_roster(window, qtbot, worker)
    targets = iter([str(tmp_path / "清单.xlsx"), str(tmp_path / "清单")])
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *args, **kwargs: (next(targets), "")))
    qtbot.mouseClick(dialog.buttons["导出Excel…"], Qt.MouseButton.LeftButton)
    ws = openpyxl.load_workbook(tmp_path / "清单.xlsx").worksheets[0]
    table = list(ws.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(table) if r[0] == "序号")
    assert list(table[header]) == HEADERS
    assert [r[1] for r in table[header + 1:]] == _column(dialog, 1)
    qtbot.mouseClick(dialog.buttons["导出PDF…"], Qt.MouseButton.LeftButton)
    pdf = tmp_path / "清单.pdf"  # the extension is added when the user leaves it out
    assert pdf.read_bytes().startswith(b"%PDF")
    assert str(pdf) in dialog.status.text()
    assert sql(window, "SELECT count(*) FROM audit_log WHERE action = 'export_visit_list'") == 2


def test_cancelling_the_file_dialog_writes_nothing(window, qtbot, worker, tmp_path, monkeypatch):
    dialog = _open_from_roster(window, qtbot, worker)
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *args, **kwargs: ("", "")))
    qtbot.mouseClick(dialog.buttons["导出PDF…"], Qt.MouseButton.LeftButton)
    assert list(tmp_path.glob("*.pdf")) == []
    assert sql(window, "SELECT count(*) FROM audit_log WHERE action = 'export_visit_list'") == 0


def _campaign_day(window) -> dt.date:
    start, end = rows(window, "SELECT start_date, end_date FROM campaign ORDER BY year DESC, "
                              "round DESC LIMIT 1")[0]
    return min(dt.date.today(), dt.date.fromisoformat(str(end)))


def test_double_click_asks_for_the_form_and_the_list_follows_a_saved_visit(window, qtbot,
                                                                          worker):
    requested = []
    window.state.events.record_requested.connect(requested.append)
    dialog = _open_from_roster(window, qtbot, worker)
    before = dialog.table.rowCount()
    target = dialog.household_at(1)
    _double_click(qtbot, dialog, 1)
    assert requested == [target]
    form = getattr(window.controllers.get("investigation"), "record_dialog", None)
    if form is not None:  # the visit form answers the request; here the visit comes another way
        form.reject()
    # A compliant home visit saved through the service (as another view would): no refresh
    # button pressed, the household drops off.
    RecordService(window.session).add_record(target, method=1, checked_on=_campaign_day(window),
                                             checker="测试员")
    assert dialog.table.rowCount() == before - 1
    assert target not in _shown(dialog)
    assert _column(dialog, 0) == [str(i) for i in range(1, before)]


def test_a_visit_saved_in_the_record_form_drops_off_the_open_list(window, qtbot, worker):
    dialog = _open_from_roster(window, qtbot, worker)
    before = dialog.table.rowCount()
    target = dialog.household_at(2)
    _double_click(qtbot, dialog, 2)
    form = window.controller("investigation").record_dialog  # the real visit form
    qtbot.waitExposed(form)
    assert form.household["id"] == target
    save = form.buttons.button(QDialogButtonBox.StandardButton.Save)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert not form.isVisible(), form.error.text() or form.warning.text()
    assert sql(window, "SELECT count(*) FROM investigation_record WHERE household_id = :h",
               h=target) >= 1
    assert dialog.table.rowCount() == before - 1
    assert target not in _shown(dialog)


def test_the_open_list_follows_assignments(window, qtbot, worker):
    dialog = _open_from_roster(window, qtbot, worker)
    before = _shown(dialog)
    # Another level-3 grid with households never visited, assigned to the worker by the tree.
    grid = sql(window, "SELECT h.grid_id FROM household h JOIN grid g ON g.id = h.grid_id "
                       "WHERE g.level = 3 AND h.id NOT IN (SELECT household_id FROM "
                       "investigation_record) AND h.grid_id NOT IN (SELECT grid_id FROM "
                       "grid_assignment WHERE worker_id = :w) ORDER BY g.code LIMIT 1",
               w=worker)
    show(window, qtbot, "网格树")
    click_grid_in_tree(window, qtbot, grid)
    show(window, qtbot, "网格员")
    click_worker(window, qtbot, worker)
    press(qtbot, roster(window), "分配到所选网格")
    located, unlocated, _ = expected_households(window.session.project.location, worker)
    assert len(located | unlocated) > len(before)
    assert _shown(dialog) == located | unlocated


def test_the_open_list_drops_the_grids_unassigned_today(window, qtbot, worker):
    dialog = _open_from_roster(window, qtbot, worker)
    before = _shown(dialog)
    # Every assignment of the worker ends today (as 取消分配 does): by the one rule of
    # gis_app.core.assignments their grids' households leave the open list.
    AssignmentService(window.session).unassign(
        [a for a, in rows(window, "SELECT id FROM grid_assignment WHERE worker_id = :w",
                          w=worker)])
    located, unlocated, _ = expected_households(window.session.project.location, worker)
    assert _shown(dialog) == located | unlocated
    assert len(before) > len(located | unlocated)


def test_unmasked_list_is_refused_for_a_user_without_the_right(window, qtbot, worker):
    from gis_app.ui.dialogs.visit_list_dialog import VisitListDialog

    assert "tester" not in window.session.project.settings()["personal_data_users"]
    dialog = VisitListDialog(window.session, worker, unmask=True)
    qtbot.addWidget(dialog)
    assert "无权" in dialog.summary.text()
    assert dialog.table.rowCount() == 0
    assert not dialog.buttons["导出Excel…"].isEnabled()
    assert not dialog.buttons["导出PDF…"].isEnabled()
    window.session.project.set_settings({"personal_data_users": ["tester"]})
    allowed = VisitListDialog(window.session, worker, unmask=True)
    qtbot.addWidget(allowed)
    ids = {allowed.household_at(r) for r in range(allowed.table.rowCount())}
    assert ids and not any("*" in text for text in _column(allowed, 2))
