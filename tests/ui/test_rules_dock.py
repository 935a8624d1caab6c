"""The 网格规则 dock: errors first (网格无负责人 on top), 说明 in a tooltip, the check on its own
thread with progress and 取消."""

from __future__ import annotations

from PyQt6.QtCore import Qt

from gis_app.services.assignment_service import AssignmentService
from tests.ui.test_roster_helpers import rows, show, sql


def test_problems_are_listed_by_importance_with_tooltips(window, qtbot):
    rules = window.controller("rules")
    panel = rules.panel
    # A grid without a worker: its level-3 grid's only current assignment ended.
    grid, code = rows(window, "SELECT g.id, g.code FROM grid g JOIN grid_assignment a ON "
                              "a.grid_id = g.id WHERE a.end_date IS NULL AND g.level = 3 "
                              "GROUP BY g.id HAVING count(*) = 1 ORDER BY g.code LIMIT 1")[0]
    assignment = sql(window, "SELECT id FROM grid_assignment WHERE grid_id = :g AND "
                             "end_date IS NULL", g=grid)
    AssignmentService(window.session).unassign([assignment])
    show(window, qtbot, "网格规则")
    qtbot.mouseClick(panel.run, Qt.MouseButton.LeftButton)
    assert rules.running and panel.progress.isVisible() and panel.cancel.isVisible()
    assert not panel.run.isEnabled() and panel.summary.text() == "正在检查网格规则…"
    qtbot.waitUntil(lambda: not rules.running, timeout=20_000)
    assert not panel.progress.isVisible() and panel.run.isEnabled()
    problems = panel.problems
    severities = problems["severity"].tolist()
    assert "warning" in severities and "error" in severities
    assert severities == sorted(severities, key=lambda s: s != "error")  # errors first
    assert problems["rule"].iloc[0] == "grid_without_worker"
    assert code in set(problems.loc[problems["rule"] == "grid_without_worker", "code"])
    assert problems["rule"].iloc[-1] in ("location_unknown", "type_without_monitoring")
    table = panel.table
    assert table.item(0, 0).text() == "网格无负责人"
    assert table.item(0, 0).toolTip().startswith("错误：")
    last = table.rowCount() - 1
    assert table.item(last, 0).toolTip().startswith("警告：")
    for row in range(table.rowCount()):  # the full text, whatever the column's width
        assert table.item(row, 1).toolTip() == problems["message"].iloc[row]
    assert panel.summary.text().startswith("网格无负责人")


def test_a_check_can_be_cancelled(window, qtbot):
    rules = window.controller("rules")
    panel = rules.panel
    show(window, qtbot, "网格规则")
    qtbot.mouseClick(panel.run, Qt.MouseButton.LeftButton)
    assert rules.running
    qtbot.mouseClick(panel.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not rules.running, timeout=20_000)
    assert panel.problems is None and panel.table.rowCount() == 0
    assert panel.summary.text() == "已取消检查" and panel.run.isEnabled()
    # Run again to the end: listed.
    qtbot.mouseClick(panel.run, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not rules.running, timeout=20_000)
    assert panel.problems is not None and panel.table.rowCount() == len(panel.problems) > 0
