"""What the roster tests do as a user: show docks, click rows and buttons, type, click the map.

No tests here: the roster, grid tree and visit list tests import these.
"""

from __future__ import annotations

import numpy as np
import shapely
from PyQt6.QtCore import QPoint, QRectF, Qt
from PyQt6.QtGui import QInputMethodEvent
from PyQt6.QtWidgets import QApplication, QDialogButtonBox, QPushButton
from sqlalchemy import text

from tests.ui.conftest import view_to_widget


def sql(window, query: str, **params):
    """One value read straight from the project file (an independent reader)."""
    with window.session.project.engine.connect() as connection:
        return connection.execute(text(query), params).scalar()


def rows(window, query: str, **params) -> list[tuple]:
    """Rows read straight from the project file."""
    with window.session.project.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(query), params)]


def roster(window):
    """The 网格员 panel."""
    return window.controller("roster").panel


def tree(window):
    """The 网格树 widget."""
    return window.controller("roster").tree


def show(window, qtbot, title: str) -> None:
    """Click a dock's tab: the dock comes on screen (a tab behind another has no region)."""
    dock = window.docks[title]
    dock.raise_()
    qtbot.waitUntil(lambda: not dock.visibleRegion().isEmpty(), timeout=3000)
    qtbot.waitExposed(dock.widget())


def button(widget, chinese: str) -> QPushButton:
    """The push button labelled ``chinese`` inside ``widget``."""
    return next(b for b in widget.findChildren(QPushButton) if b.text() == chinese)


def press(qtbot, widget, chinese: str) -> None:
    """Click the button labelled ``chinese``."""
    qtbot.mouseClick(button(widget, chinese), Qt.MouseButton.LeftButton)


def click_worker(window, qtbot, worker_id: int, double: bool = False) -> int:
    """Click (or double-click) a worker's row in the roster; returns the row."""
    table = roster(window).table
    row = roster(window).row_of(worker_id)
    assert row is not None, f"worker {worker_id} is not in the roster"
    item = table.item(row, 0)
    table.scrollToItem(item)
    position = table.visualItemRect(item).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=position)
    if double:  # a real double-click is press, release, double-click
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=position)
    return row


def click_grid_in_tree(window, qtbot, grid_id: int,
                       modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """Click a grid's name in the tree (its parents expanded first, as a user would)."""
    widget = tree(window)
    item = widget.items[grid_id]
    parent = item.parent()
    while parent is not None:
        parent.setExpanded(True)
        parent = parent.parent()
    widget.scrollToItem(item)
    rect = widget.visualItemRect(item)  # wider than the dock: click on the name
    qtbot.mouseClick(widget.viewport(), Qt.MouseButton.LeftButton, modifier,
                     QPoint(rect.left() + 20, rect.center().y()))


def type_into(qtbot, edit, typed: str) -> None:
    """Replace a line edit's text as a user types it (Chinese committed by the input method)."""
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    if typed.isascii():
        qtbot.keyClicks(edit, typed)
    else:  # QTest types ASCII only; an input method commits Chinese like this
        event = QInputMethodEvent()
        event.setCommitString(typed)
        QApplication.sendEvent(edit, event)


def worker_dialog(window, qtbot):
    """The worker dialog the roster opened."""
    dialog = window.controller("roster").dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def fill_and_ok(qtbot, dialog, **fields: str) -> None:
    """Type each field (attribute name of the dialog's line edit) and press OK."""
    for attribute, typed in fields.items():
        type_into(qtbot, getattr(dialog, attribute), typed)
    box = dialog.findChild(QDialogButtonBox)
    qtbot.mouseClick(box.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)


def set_layer_visible(window, layer_id: str, visible: bool) -> None:
    """Tick or untick a layer in the layer tree."""
    layer_tree = window.controller("layers").tree
    for index in range(layer_tree.topLevelItemCount()):
        item = layer_tree.topLevelItem(index)
        if item.data(0, Qt.ItemDataRole.UserRole) == layer_id:
            item.setCheckState(0, Qt.CheckState.Checked if visible else Qt.CheckState.Unchecked)
            return
    raise KeyError(layer_id)


def choose_layer(window, layer_id: str) -> None:
    """Click a layer in the layer tree: it becomes the layer the tools work on."""
    layer_tree = window.controller("layers").tree
    for index in range(layer_tree.topLevelItemCount()):
        item = layer_tree.topLevelItem(index)
        if item.data(0, Qt.ItemDataRole.UserRole) == layer_id:
            layer_tree.setCurrentItem(item)
            return
    raise KeyError(layer_id)


def zoom_to_grid(window, qtbot, grid_id: int) -> None:
    """Show one grid filling the map."""
    grids = window.session.grids
    minx, miny, maxx, maxy = grids.loc[grids["id"] == grid_id].total_bounds
    window.canvas.zoom_to(QRectF(minx, miny, maxx - minx, maxy - miny), padding=0.1)
    qtbot.wait(50)


def grid_spot(window, grid_id: int) -> tuple[float, float]:
    """A point well inside a grid, away from every point feature and hazard zone drawn."""
    grids = window.session.grids
    polygon = grids.loc[grids["id"] == grid_id].geometry.iloc[0]
    margin = window.canvas.metres_per_pixel() * 20
    minx, miny, maxx, maxy = polygon.bounds
    gx, gy = np.meshgrid(np.linspace(minx, maxx, 60), np.linspace(miny, maxy, 60))
    x, y = gx.ravel(), gy.ravel()
    inside = shapely.contains_xy(polygon.buffer(-margin), x, y)
    points = []
    for layer in window.layers:
        if layer.visible and layer.definition.geometry == "point":
            adapter = window.canvas.adapters[layer.id]
            ok = np.isfinite(adapter.x)
            points.append(np.column_stack([adapter.x[ok], adapter.y[ok]]))
        elif layer.visible and layer.source == "hazard_zones" and len(layer.frame):
            zones = shapely.union_all(np.asarray(layer.frame.geometry.to_numpy(), dtype=object))
            inside &= ~shapely.contains_xy(zones, x, y)
    features = np.vstack(points)
    distance = np.array([np.hypot(features[:, 0] - px, features[:, 1] - py).min()
                         for px, py in zip(x, y, strict=True)])
    distance[~inside] = -1
    best = int(np.argmax(distance))
    assert distance[best] > margin, "no empty spot in the grid"
    return float(x[best]), float(y[best])


def click_map(window, qtbot, x: float, y: float, tool: str) -> None:
    """Pick a map tool from the toolbar and click the map at (x, y) map metres."""
    window.tool_actions[tool].trigger()
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton,
                     pos=view_to_widget(window, x, y))


def identify_grid(window, qtbot, grid_id: int) -> dict[str, str]:
    """Click a level-3 grid with the identify tool (the grids above it unticked first)."""
    for layer_id in ("grids_overall", "grids_level1", "grids_level2"):
        set_layer_visible(window, layer_id, False)
    zoom_to_grid(window, qtbot, grid_id)
    x, y = grid_spot(window, grid_id)
    click_map(window, qtbot, x, y, "identify")
    shown = window.controller("map").shown
    assert shown is not None and shown[:2] == ("grids", grid_id)
    return window.controller("map").identify.values()
