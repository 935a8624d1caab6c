"""The grid tree: households at every level, selection both ways, a worker dropped on a grid."""

from __future__ import annotations

from PyQt6.QtCore import QPointF, Qt

from gis_app.services.assignment_service import AssignmentService
from tests.ui.conftest import view_to_widget
from tests.ui.test_roster_helpers import (
    choose_layer,
    click_grid_in_tree,
    click_map,
    grid_spot,
    rows,
    show,
    sql,
    tree,
    zoom_to_grid,
)
from tests.ui.test_workers import _drop


def _village_grid(window) -> int:
    return sql(window, "SELECT id FROM grid WHERE level = 2 ORDER BY code LIMIT 1")


def _counted(window, grid_id: int) -> int:
    """Households stored in the grid or in any grid under it, counted in SQL."""
    return sql(window, """
        WITH RECURSIVE below(id) AS (SELECT :g UNION ALL
            SELECT grid.id FROM grid JOIN below ON grid.parent_id = below.id)
        SELECT count(*) FROM household WHERE grid_id IN (SELECT id FROM below)""", g=grid_id)


def test_tree_counts_households_at_every_level(window, qtbot):
    widget = tree(window)
    assert widget.topLevelItemCount() == 0  # not read until shown
    show(window, qtbot, "网格树")  # the user clicks its tab
    village_grid = _village_grid(window)
    item = widget.items[village_grid]
    # Independent count: households whose grid is this level-2 grid or one under it.
    assert int(item.text(2)) == _counted(window, village_grid) > 0
    assert int(item.text(2)) == sql(
        window, "SELECT count(*) FROM household h JOIN grid g ON h.grid_id = g.id "
                "WHERE g.parent_id = :p OR g.id = :p", p=village_grid)
    assert item.childCount() == sql(window, "SELECT count(*) FROM grid WHERE parent_id = :p",
                                    p=village_grid)
    for grid_id, in rows(window, "SELECT id FROM grid"):  # every level, every grid
        assert int(widget.items[grid_id].text(2)) == _counted(window, grid_id)
    township = item.parent()
    assert int(township.text(2)) == sum(int(township.child(i).text(2))
                                        for i in range(township.childCount()))
    top = sum(int(widget.topLevelItem(i).text(2)) for i in range(widget.topLevelItemCount()))
    assert top == sql(window, "SELECT count(*) FROM household WHERE grid_id IS NOT NULL")
    # who is responsible: the workers whose assignment is in force today
    names = rows(window, "SELECT w.name FROM grid_assignment a JOIN worker w ON w.id = "
                         "a.worker_id WHERE a.grid_id = :g AND a.start_date <= date('now', "
                         "'localtime') AND (a.end_date IS NULL OR a.end_date > date('now', "
                         "'localtime'))", g=village_grid)
    assert names and all(name in item.text(3) for name, in names)


def test_selecting_in_the_tree_selects_on_the_map_and_back(window, qtbot):
    widget = tree(window)
    show(window, qtbot, "网格树")
    village_grid = _village_grid(window)
    click_grid_in_tree(window, qtbot, village_grid)
    assert window.controller("roster").selected_grid_ids() == [village_grid]
    assert window.layers["grids_level2"].selected_ids().tolist() == [village_grid]
    # The other way: a level-3 grid shift-clicked on the map is highlighted in the tree too,
    # and the tree's echo does not drop the village grid selected before.
    level3 = int(window.layers["grids_level3"].ids[3])
    zoom_to_grid(window, qtbot, level3)
    choose_layer(window, "grids_level3")
    x, y = grid_spot(window, level3)
    window.tool_actions["select"].trigger()
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.ShiftModifier, view_to_widget(window, x, y))
    assert set(widget.selected_grids()) == {village_grid, level3}
    assert set(window.controller("roster").selected_grid_ids()) == {village_grid, level3}
    # A plain click on another level-3 grid replaces that layer's selection, in the tree too.
    other = int(window.layers["grids_level3"].ids[5])
    zoom_to_grid(window, qtbot, other)
    click_map(window, qtbot, *grid_spot(window, other), "select")
    assert set(widget.selected_grids()) == {village_grid, other}
    # Clicking a grid in the tree selects only it, on every level of the map.
    click_grid_in_tree(window, qtbot, level3)
    assert window.controller("roster").selected_grid_ids() == [level3]
    assert not window.layers["grids_level2"].selection.any()


def test_drop_a_worker_on_a_village_grid_in_the_tree(window, qtbot):
    widget = tree(window)
    show(window, qtbot, "网格树")
    worker = AssignmentService(window.session).add_worker("树上队员", "13933334444")
    village_grid = _village_grid(window)
    item = widget.items[village_grid]
    widget.scrollToItem(item)
    rect = widget.visualItemRect(item)
    _drop(widget.viewport(), QPointF(rect.left() + 20, rect.center().y()), worker)
    assert rows(window, "SELECT role FROM grid_assignment WHERE worker_id = :w AND "
                        "grid_id = :g", w=worker, g=village_grid) == [("二级网格员",)]
    assert "树上队员（二级网格员）" in widget.items[village_grid].text(3)
