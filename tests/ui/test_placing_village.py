"""Placing 汤福生 (沙坪村, 位置未知) inside 和平村 through the 位置未知农户 dock: the window asks,
naming both villages; 否 writes nothing, 是 places him, and 网格规则 then flags him."""

from __future__ import annotations

from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtWidgets import QApplication, QMessageBox

from tests.ui.conftest import when_shown
from tests.ui.test_grid_edit_helpers import click, spot_in, sql


class Answer:
    """Answers the next message box with ``button`` and keeps its title and text."""

    def __init__(self, qtbot, button):
        self.qtbot, self.button, self.seen = qtbot, button, []
        when_shown(self._box, self._answer, 50)

    @staticmethod
    def _box():
        box = QApplication.activeModalWidget()
        return box if isinstance(box, QMessageBox) and box.isVisible() else None

    def _answer(self, box) -> None:
        self.seen.append((box.windowTitle(), box.text()))
        self.qtbot.mouseClick(box.button(self.button), Qt.MouseButton.LeftButton)


def choose_to_place(window, qtbot, household: int) -> None:
    """In the 位置未知农户 dock: click ``household``'s row, then the button to place it."""
    panel = window.controller("placing").panel
    item = next(panel.list.item(r) for r in range(panel.list.count())
                if int(panel.list.item(r).data(Qt.ItemDataRole.UserRole)) == household)
    panel.list.scrollToItem(item)
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton,
                     pos=panel.list.visualItemRect(item).center())
    qtbot.mouseClick(panel.button, Qt.MouseButton.LeftButton)
    assert window.canvas.view_box.tool == "place"


def _place_via_dock(window, qtbot, household: int, x: float, y: float, button) -> Answer:
    choose_to_place(window, qtbot, household)
    answer = Answer(qtbot, button)
    click(window, qtbot, x, y)
    qtbot.waitUntil(lambda: bool(answer.seen), timeout=5000)
    return answer


def test_placing_in_another_village_asks_and_the_rules_flag_it(window, qtbot):
    session = window.session
    dock = window.docks["位置未知农户"]
    dock.raise_()
    qtbot.waitUntil(lambda: not dock.visibleRegion().isEmpty())
    household = int(sql(window, "SELECT id FROM household WHERE head_name = '汤福生'")["id"][0])
    heping = int(sql(window, "SELECT id FROM admin_unit WHERE name = '和平村'")["id"][0])
    grids = session.grids
    grid = grids[(grids["level"] == 3) & (grids["admin_unit_id"] == heping)].iloc[0]
    minx, miny, maxx, maxy = grid.geometry.bounds
    window.canvas.zoom_to(QRectF(minx, miny, maxx - minx, maxy - miny), padding=0.1)
    x, y = spot_in(window, grid.geometry)
    edits = len(sql(window, "SELECT id FROM edit"))

    # 否: nothing is written, the household stays in the list.
    answer = _place_via_dock(window, qtbot, household, x, y, QMessageBox.StandardButton.No)
    title, text = answer.seen[0]
    assert title == "放到别村？"
    assert text.startswith("户主汤福生登记在沙坪村，所点的位置却在和平村。")
    assert len(sql(window, "SELECT id FROM edit")) == edits
    assert sql(window, "SELECT lon FROM household WHERE id = :i", i=household)["lon"].isna().all()
    assert window.statusBar().currentMessage() == "已取消"

    # 是: placed where clicked, in 和平村's grid; the ledger's village stays 沙坪村.
    _place_via_dock(window, qtbot, household, x, y, QMessageBox.StandardButton.Yes)
    row = sql(window, "SELECT h.grid_id, v.name AS village FROM household h JOIN admin_unit v "
                      "ON v.id = h.village_id WHERE h.id = :i", i=household).iloc[0]
    assert int(row["grid_id"]) == int(grid["id"]) and row["village"] == "沙坪村"

    # 网格规则 flags him, among the errors, with both villages named.
    rules = window.controller("rules")
    rules_dock = window.docks["网格规则"]
    rules_dock.raise_()
    qtbot.waitUntil(lambda: not rules_dock.visibleRegion().isEmpty())
    qtbot.mouseClick(rules.panel.run, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not rules.running, timeout=20_000)
    problems = rules.panel.problems
    flagged = problems[problems["rule"] == "household_outside_village"]
    assert flagged["message"].tolist() == ["户主汤福生登记在沙坪村，位置却在和平村"]
    row = int(flagged.index[0])
    assert rules.panel.table.item(row, 0).text() == "农户不在登记村内"
    assert rules.panel.table.item(row, 1).toolTip() == "户主汤福生登记在沙坪村，位置却在和平村"
