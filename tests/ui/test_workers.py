"""Grid workers in the roster: add, edit, retire, assign by button and by drag and drop, undo."""

from __future__ import annotations

import shapely
from PyQt6.QtCore import QMimeData, QPointF, Qt
from PyQt6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PyQt6.QtWidgets import QApplication, QMessageBox

from gis_app.services.assignment_service import AssignmentService
from gis_app.ui.panels.worker_panel import WORKER_MIME
from tests.ui.conftest import view_to_widget, when_shown
from tests.ui.test_roster_helpers import (
    choose_layer,
    click_map,
    click_worker,
    fill_and_ok,
    grid_spot,
    press,
    roster,
    rows,
    show,
    sql,
    worker_dialog,
    zoom_to_grid,
)


def _level3(window, index: int) -> int:
    return rows(window, "SELECT id FROM grid WHERE level = 3 ORDER BY code")[index][0]


def test_assign_selected_grid_with_the_button_and_undo(window, qtbot):
    worker = AssignmentService(window.session).add_worker("新队员", "13911112222")
    show(window, qtbot, "网格员")
    grid = _level3(window, 4)
    zoom_to_grid(window, qtbot, grid)
    choose_layer(window, "grids_level3")
    click_map(window, qtbot, *grid_spot(window, grid), "select")
    assert window.controller("roster").selected_grid_ids() == [grid]
    click_worker(window, qtbot, worker)
    press(qtbot, roster(window), "分配到所选网格")
    assert sql(window, "SELECT count(*) FROM grid_assignment WHERE worker_id=:w AND grid_id=:g "
                       "AND role='三级网格员' AND end_date IS NULL", w=worker, g=grid) == 1
    households = sql(window, "SELECT count(*) FROM household WHERE grid_id=:g", g=grid)
    assert households > 0
    assert roster(window).cell(worker, "households") == str(households)
    assert roster(window).cell(worker, "grids") == sql(
        window, "SELECT code FROM grid WHERE id=:g", g=grid)
    assert roster(window).selected_workers() == [worker]  # the selection survives the redraw
    window.canvas.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert sql(window, "SELECT count(*) FROM grid_assignment WHERE worker_id=:w",
               w=worker) == 0
    assert roster(window).cell(worker, "households") == "0"


def _drop(widget, position: QPointF, worker: int) -> None:
    """What the roster's drag delivers where the worker is let go."""
    mime = QMimeData()
    mime.setData(WORKER_MIME, str(worker).encode())
    for cls in (QDragEnterEvent, QDragMoveEvent):
        QApplication.sendEvent(widget, cls(position.toPoint(), Qt.DropAction.CopyAction, mime,
                                           Qt.MouseButton.LeftButton,
                                           Qt.KeyboardModifier.NoModifier))
    QApplication.sendEvent(widget, QDropEvent(position, Qt.DropAction.CopyAction, mime,
                                              Qt.MouseButton.LeftButton,
                                              Qt.KeyboardModifier.NoModifier))


def test_drag_a_worker_onto_a_grid_of_the_map(window, qtbot):
    worker = AssignmentService(window.session).add_worker("拖放队员", "13922223333")
    grid = _level3(window, 7)
    zoom_to_grid(window, qtbot, grid)
    x, y = grid_spot(window, grid)
    _drop(window.canvas.viewport(), QPointF(view_to_widget(window, x, y)), worker)
    assert rows(window, "SELECT grid_id, role FROM grid_assignment WHERE worker_id=:w",
                w=worker) == [(grid, "三级网格员")]


def test_a_worker_dropped_outside_every_grid_is_not_assigned(window, qtbot):
    worker = AssignmentService(window.session).add_worker("界外队员", "13922224444")
    grids = window.session.grids
    minx, miny, maxx, maxy = grids.total_bounds
    x, y = minx - 500, miny - 500  # south-west of the county: in no grid (checked by shapely)
    assert not shapely.intersects_xy(grids.geometry.to_numpy(), x, y).any()
    window.state.events.zoom_requested.emit((x - 2000, y - 2000, maxx, maxy), 0.0)
    qtbot.wait(50)
    before = sql(window, "SELECT count(*) FROM grid_assignment")
    _drop(window.canvas.viewport(), QPointF(view_to_widget(window, x, y)), worker)
    assert sql(window, "SELECT count(*) FROM grid_assignment") == before
    assert window.statusBar().currentMessage() == "该位置不在任何网格内"


def test_add_a_worker_with_the_dialog_refuses_a_bad_id_number(window, qtbot):
    before = sql(window, "SELECT count(*) FROM worker")
    show(window, qtbot, "网格员")
    press(qtbot, roster(window), "添加…")
    dialog = worker_dialog(window, qtbot)
    fill_and_ok(qtbot, dialog, name="王小明", phone="13912345678", unit="青山乡政府",
                id_number="430599199001011234")
    # 430599199001011234 fails the GB 11643 check digit: the dialog stays open and says why.
    assert dialog.isVisible() and "校验位" in dialog.error.text()
    assert sql(window, "SELECT count(*) FROM worker") == before
    fill_and_ok(qtbot, dialog, id_number="")
    assert not dialog.isVisible()
    assert sql(window, "SELECT count(*) FROM worker") == before + 1
    assert rows(window, "SELECT unit, phone FROM worker WHERE name='王小明'") == [
        ("青山乡政府", "13912345678")]
    table = roster(window).table
    names = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert "王小明" in names and len(names) == before + 1


def test_edit_a_worker_keeps_masked_phone_and_shows_history(window, qtbot):
    worker = sql(window, "SELECT worker_id FROM grid_assignment WHERE end_date IS NULL "
                         "ORDER BY id LIMIT 1")
    phone = sql(window, "SELECT phone FROM worker WHERE id=:w", w=worker)
    held = sql(window, "SELECT count(*) FROM grid_assignment WHERE worker_id=:w", w=worker)
    show(window, qtbot, "网格员")
    assert roster(window).cell(worker, "phone") == phone[:3] + "****" + phone[-4:]
    click_worker(window, qtbot, worker, double=True)
    dialog = worker_dialog(window, qtbot)
    assert "*" in dialog.phone.text() and dialog.phone.text() != phone  # masked in the view
    assert dialog.history.rowCount() == held
    fill_and_ok(qtbot, dialog, unit="溪口镇农业服务中心")
    unit = "SELECT unit FROM worker WHERE id=:w"
    assert sql(window, unit, w=worker) == "溪口镇农业服务中心"
    assert sql(window, "SELECT phone FROM worker WHERE id=:w", w=worker) == phone
    assert roster(window).cell(worker, "unit") == "溪口镇农业服务中心"
    window.canvas.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert sql(window, unit, w=worker) != "溪口镇农业服务中心"
    assert roster(window).cell(worker, "unit") == sql(window, unit, w=worker)


def _answer_yes(qtbot, seen: list) -> None:
    """Press 是 on the question box when it comes up."""
    def answer(box):
        seen.append(box.text())
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)

    when_shown(lambda: box if isinstance(box := QApplication.activeModalWidget(), QMessageBox)
               else None, answer)


def test_retire_a_worker_ends_their_assignments_today(window, qtbot):
    worker, name = rows(window, "SELECT w.id, w.name FROM worker w JOIN grid_assignment a ON "
                                "a.worker_id = w.id WHERE a.end_date IS NULL ORDER BY w.id "
                                "LIMIT 1")[0]
    show(window, qtbot, "网格员")
    click_worker(window, qtbot, worker)
    asked = []
    _answer_yes(qtbot, asked)
    press(qtbot, roster(window), "退出…")
    assert name in asked[0]
    assert sql(window, "SELECT active FROM worker WHERE id=:w", w=worker) == 0
    assert sql(window, "SELECT count(*) FROM grid_assignment WHERE worker_id=:w AND "
                       "(end_date IS NULL OR end_date > date('now', 'localtime'))",
               w=worker) == 0
    assert roster(window).cell(worker, "state").startswith("已退出")
    assert roster(window).cell(worker, "grids") == ""
