"""The 网格规则 dock: check, list, mark on the map, zoom; checked again after edits it has seen."""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QPointF, Qt

from gis_app.services.assignment_service import AssignmentService
from tests.ui.test_roster_helpers import press, rows, show, sql


def _panel(window):
    return window.controller("rules").panel


def _checked(window, qtbot):
    """Wait for the check running on its thread to end (the list and marks are then drawn)."""
    rules = window.controller("rules")
    qtbot.waitUntil(lambda: not rules.running, timeout=20_000)
    return rules.panel


def _unpaired(window) -> int:
    """Monitored households without a paired helper, counted in SQL."""
    return sql(window, "SELECT count(*) FROM household h WHERE h.attribute=2 AND "
                       "h.risk_eliminated=0 AND NOT EXISTS (SELECT 1 FROM helper_pair p "
                       "WHERE p.household_id=h.id AND p.end_date IS NULL)")


def _grids_without_worker(window) -> set[str]:
    return {code for code, in rows(
        window, "SELECT code FROM grid g WHERE NOT EXISTS (SELECT 1 FROM grid_assignment a "
                "WHERE a.grid_id = g.id AND a.end_date IS NULL)")}


def test_rules_panel_lists_problems_marks_them_and_zooms_to_one(window, qtbot):
    panel = _panel(window)
    show(window, qtbot, "网格规则")
    press(qtbot, panel, "检查网格规则")
    _checked(window, qtbot)
    problems = panel.problems
    assert (problems["rule"] == "monitored_without_helper").sum() == _unpaired(window) > 0
    assert panel.table.rowCount() == len(problems)
    assert "监测对象无结对帮扶人" in panel.summary.text()
    # every located problem is a cross on the map, where it is
    marks = window.controller("rules").marks
    located = problems.dropna(subset=["x", "y"])
    assert len(marks.x) == len(located)
    x, y = window.session.to_map(located["x"].to_numpy(float), located["y"].to_numpy(float))
    assert np.allclose(marks.x, x) and np.allclose(marks.y, y)
    # double-click a located problem: the map shows it, close up
    row = int(problems.index[problems["x"].notna()][0])
    item = panel.table.item(row, 0)
    panel.table.scrollToItem(item)
    position = panel.table.visualItemRect(item).center()
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=position)
    qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=position)
    px, py = window.session.to_map(problems.loc[row, "x"], problems.loc[row, "y"])
    view = window.canvas.view_box.viewRect()
    assert view.contains(QPointF(px, py)) and min(view.width(), view.height()) < 700


def test_checked_again_after_an_edit_only_once_it_has_results(window, qtbot):
    panel = _panel(window)
    grid, code = rows(window, "SELECT g.id, g.code FROM grid g JOIN grid_assignment a ON "
                              "a.grid_id = g.id WHERE a.end_date IS NULL AND g.level = 3 "
                              "GROUP BY g.id HAVING count(*) = 1 ORDER BY g.code LIMIT 1")[0]
    assignment = sql(window, "SELECT id FROM grid_assignment WHERE grid_id = :g AND "
                             "end_date IS NULL", g=grid)
    service = AssignmentService(window.session)
    show(window, qtbot, "网格规则")
    service.unassign([assignment])  # not checked yet: nothing is run
    assert panel.problems is None and panel.table.rowCount() == 0
    service.assign([sql(window, "SELECT worker_id FROM grid_assignment WHERE id = :a",
                        a=assignment)], [grid], "三级网格员")
    press(qtbot, panel, "检查网格规则")
    _checked(window, qtbot)
    without = set(panel.problems.loc[panel.problems["rule"] == "grid_without_worker", "code"])
    assert without == _grids_without_worker(window) and code not in without
    # an edit while shown: checked again at once
    now = sql(window, "SELECT id FROM grid_assignment WHERE grid_id = :g AND end_date IS NULL",
              g=grid)
    service.unassign([now])
    _checked(window, qtbot)
    without = set(panel.problems.loc[panel.problems["rule"] == "grid_without_worker", "code"])
    assert code in without
    # an edit while another tab is up: checked when the dock is shown again
    show(window, qtbot, "网格员")
    window.controller("project").undo()
    assert code in set(panel.problems.loc[panel.problems["rule"] == "grid_without_worker",
                                          "code"])  # not run while hidden
    show(window, qtbot, "网格规则")
    _checked(window, qtbot)
    without = set(panel.problems.loc[panel.problems["rule"] == "grid_without_worker", "code"])
    assert code not in without and without == _grids_without_worker(window)
