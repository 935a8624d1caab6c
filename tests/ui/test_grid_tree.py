"""The grid tree: households at every level, selection both ways, a worker dropped on a grid."""

from __future__ import annotations

from PyQt6.QtCore import QMimeData, QPoint, QPointF, Qt
from PyQt6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PyQt6.QtWidgets import QApplication
from sqlalchemy import text


def _scalar(window, sql, **params):
    with window.data.project.engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def _village_grid(window):
    return _scalar(window, "SELECT id FROM grid WHERE level = 2 ORDER BY code LIMIT 1")


def test_tree_counts_households_at_every_level(own_window):
    window = own_window
    tree = window.grid_tree
    assert tree.topLevelItemCount() == 0  # not read from the store until shown
    window.docks["网格树"].raise_()  # the user clicks its tab
    village_grid = _village_grid(window)
    # Independent count: households whose level-3 grid hangs under this level-2 grid.
    expected = _scalar(window, "SELECT count(*) FROM household h JOIN grid g ON h.grid_id = g.id "
                               "WHERE g.parent_id = :p", p=village_grid)
    item = tree.items[village_grid]
    assert int(item.text(2)) == expected > 0
    assert item.childCount() == _scalar(window, "SELECT count(*) FROM grid WHERE parent_id = :p",
                                        p=village_grid)
    township = item.parent()
    assert int(township.text(2)) == sum(int(township.child(i).text(2))
                                        for i in range(township.childCount()))
    top = sum(int(tree.topLevelItem(i).text(2)) for i in range(tree.topLevelItemCount()))
    located_in_grids = _scalar(window, "SELECT count(*) FROM household WHERE grid_id IS NOT NULL")
    assert top == located_in_grids


def test_selecting_in_the_tree_selects_on_the_map_and_back(own_window, qtbot):
    window = own_window
    tree = window.grid_tree
    window.docks["网格树"].raise_()  # the user clicks its tab
    qtbot.waitExposed(tree)
    village_grid = _village_grid(window)
    item = tree.items[village_grid]
    tree.scrollToItem(item)
    rect = tree.visualItemRect(item)  # wider than the dock: click its left part, on the name
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(rect.left() + 20, rect.center().y()))
    assert window.selected_grid_ids() == [village_grid]
    frame = window.canvas.adapters["grids_level2"].frame
    assert frame.loc[window.model.selection["grids_level2"], "id"].tolist() == [village_grid]
    # The other way: a level-3 grid selected on the map is highlighted in the tree too, and
    # the tree's echo does not drop the village grid selected before.
    level3 = window.canvas.adapters["grids_level3"].frame
    mask = (level3["id"] == level3["id"].iloc[3]).to_numpy()
    window.model.select("grids_level3", mask)
    assert set(tree.selected_grids()) == {village_grid, int(level3["id"].iloc[3])}
    assert set(window.selected_grid_ids()) == {village_grid, int(level3["id"].iloc[3])}


def test_drop_a_worker_on_a_village_grid_in_the_tree(own_window):
    from gis_app.ui.panels.worker_panel import WORKER_MIME

    window = own_window
    tree = window.grid_tree
    window.docks["网格树"].raise_()
    worker = window.assignments.add_worker("树上队员", "13933334444")
    village_grid = _village_grid(window)
    item = tree.items[village_grid]
    tree.scrollToItem(item)
    mime = QMimeData()
    mime.setData(WORKER_MIME, str(worker).encode())
    rect = tree.visualItemRect(item)
    position = QPointF(rect.left() + 20, rect.center().y())
    viewport = tree.viewport()
    for cls in (QDragEnterEvent, QDragMoveEvent):
        QApplication.sendEvent(viewport, cls(position.toPoint(), Qt.DropAction.CopyAction, mime,
                                             Qt.MouseButton.LeftButton,
                                             Qt.KeyboardModifier.NoModifier))
    QApplication.sendEvent(viewport, QDropEvent(position, Qt.DropAction.CopyAction, mime,
                                                Qt.MouseButton.LeftButton,
                                                Qt.KeyboardModifier.NoModifier))
    assert _scalar(window, "SELECT role FROM grid_assignment WHERE worker_id = :w AND grid_id = :g",
                   w=worker, g=village_grid) == "二级网格员"
    assert "树上队员" in tree.items[village_grid].text(3)
