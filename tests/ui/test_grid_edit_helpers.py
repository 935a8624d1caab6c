"""What the grid editing tests do as a user, and how they read the store independently.

No tests here: tests/ui/test_grid_edit*.py import these. The store is read with plain SQL and
shapely; the window's frames are used only to choose where to click.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from PyQt6.QtCore import QRectF, Qt, QTimer
from PyQt6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
)
from sqlalchemy import text

from tests.ui.conftest import _POLLERS, view_to_widget

#: The grid layers drawn above the level-3 grids (identify shows the top-most feature).
UPPER_GRID_LAYERS = ("grids_overall", "grids_level1", "grids_level2")


# -- the store, read independently


def sql(window, query: str, **params) -> pd.DataFrame:
    """Rows read straight from the project file."""
    with window.session.project.engine.connect() as connection:
        return pd.DataFrame(connection.execute(text(query), params).mappings().all())


def store_grids(window) -> pd.DataFrame:
    """Level-3 grids in the store by id: code, name, village, version, geometry (lon/lat)."""
    frame = sql(window, "SELECT id, code, name, admin_unit_id, version, geom FROM grid "
                        "WHERE level = 3 ORDER BY id")
    frame["geometry"] = shapely.from_wkb(frame.pop("geom").to_numpy())
    return frame.set_index("id")


def store_households(window) -> pd.DataFrame:
    """Located households in the store by id: village, lon, lat, grid, manual override."""
    return sql(window, "SELECT id, village_id, lon, lat, grid_id, grid_override FROM household "
                       "WHERE lon IS NOT NULL ORDER BY id").set_index("id")


def store_state(window):
    """What an undo must give back: level-3 grids and every household's grid, from the store."""
    grids = store_grids(window)
    households = sql(window, "SELECT id, grid_id FROM household ORDER BY id").set_index("id")
    return grids, households["grid_id"]


def assert_same_state(window, state) -> None:
    """The store holds exactly ``state`` (ids, codes, versions, geometries, households' grids)."""
    grids, household_grids = state
    now, now_households = store_state(window)
    assert list(now.index) == list(grids.index)
    assert list(now["code"]) == list(grids["code"])
    assert shapely.equals_exact(now["geometry"].to_numpy(), grids["geometry"].to_numpy(),
                                tolerance=0).all()
    pd.testing.assert_series_equal(now_households, household_grids)


def to_map(window, geometries):
    """Lon/lat geometries → the map's Gauss–Krüger metres."""
    return shapely.transform(np.asarray(geometries, dtype=object), lambda xy: np.column_stack(
        window.session.to_map(xy[:, 0], xy[:, 1])))


def expected_grids(households: pd.DataFrame, grids: pd.DataFrame) -> pd.Series:
    """Each household's grid by a plain geopandas sjoin of its point with the grid polygons."""
    import geopandas as gpd

    points = gpd.GeoDataFrame(households[[]], geometry=gpd.points_from_xy(
        households["lon"], households["lat"]), crs=4490)
    polygons = gpd.GeoDataFrame({"grid": grids.index.to_numpy()},
                                geometry=grids["geometry"].to_numpy(), crs=4490)
    joined = gpd.sjoin(points, polygons, how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]
    return joined["grid"].reindex(households.index)


def assert_views_match_store(window) -> None:
    """The level-3 layer and the households layer hold what the store holds."""
    grids = store_grids(window)
    layer = window.layers["grids_level3"].frame
    assert sorted(layer["id"].astype(int)) == list(grids.index)
    versions = layer.set_index("id")["version"]
    assert (versions.loc[grids.index].to_numpy() == grids["version"].to_numpy()).all()
    stored = sql(window, "SELECT id, grid_id FROM household ORDER BY id").set_index("id")
    households = window.layers["households"].frame.set_index("id")
    assert len(households) == len(stored)
    assert households["grid_id"].loc[stored.index].astype("Int64").equals(
        stored["grid_id"].astype("Int64"))


# -- driving the window


def grid_action(window, chinese: str):
    """The 网格 menu's action labelled ``chinese`` (also on the grids toolbar)."""
    action = next(a for a in window.menus["网格"].actions() if a.text() == chinese)
    assert action in window.toolbars["grids"].actions()
    return action


def layer_tree_item(window, layer_id: str):
    tree = window.controller("layers").tree
    for index in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(index)
        if item.data(0, Qt.ItemDataRole.UserRole) == layer_id:
            return item
    raise KeyError(layer_id)


def set_layer_visible(window, layer_id: str, visible: bool) -> None:
    """Tick or untick a layer in the layer tree."""
    layer_tree_item(window, layer_id).setCheckState(
        0, Qt.CheckState.Checked if visible else Qt.CheckState.Unchecked)
    assert window.layers[layer_id].visible is visible


def choose_layer(window, layer_id: str) -> None:
    """Click a layer in the layer tree: the tools work on it."""
    window.controller("layers").tree.setCurrentItem(layer_tree_item(window, layer_id))
    assert window.layers.active == layer_id


def zoom_to(window, qtbot, bounds, padding: float = 0.15) -> None:
    """Show ``bounds`` (map metres) on the map; a flat box (a line) is shown with its margins."""
    minx, miny, maxx, maxy = bounds
    side = max(maxx - minx, maxy - miny, 1.0) * 0.5
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    minx, maxx = min(minx, cx - side / 2), max(maxx, cx + side / 2)
    miny, maxy = min(miny, cy - side / 2), max(maxy, cy + side / 2)
    window.canvas.zoom_to(QRectF(minx, miny, maxx - minx, maxy - miny), padding=padding)
    qtbot.wait(20)


def clicked_at(window, x: float, y: float) -> tuple[float, float]:
    """The map point a click at the pixel nearest (x, y) lands on."""
    canvas = window.canvas
    point = canvas.view_box.mapSceneToView(canvas.mapToScene(view_to_widget(window, x, y)))
    return point.x(), point.y()


def click(window, qtbot, x: float, y: float, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, modifier,
                     view_to_widget(window, x, y))


def select_grids(window, qtbot, grid_ids) -> None:
    """Click level-3 grids on the map with the 框选 tool (shift adds)."""
    choose_layer(window, "grids_level3")
    window.tool_actions["select"].trigger()
    grids = window.session.grids.set_index("id").loc[list(grid_ids)]
    zoom_to(window, qtbot, shapely.total_bounds(grids.geometry.to_numpy()))
    for n, shape in enumerate(grids.geometry):
        spot = shape.representative_point()
        click(window, qtbot, spot.x, spot.y,
              Qt.KeyboardModifier.ShiftModifier if n else Qt.KeyboardModifier.NoModifier)
    assert sorted(window.layers["grids_level3"].selected_ids()) == sorted(grid_ids)


def draw(window, qtbot, chinese: str, vertices, finish: str = "double",
         zoom: bool = True) -> np.ndarray:
    """Pick a drawing tool of the 网格 menu and click the vertices on the map.

    ``finish``: "double" double-clicks the last vertex, "enter" clicks it and presses Enter.
    ``zoom``: first show the vertices (this lets the event loop run: the window may then read
    other users' edits). Returns the vertices as the map received them (clicks land on pixels).
    """
    grid_action(window, chinese).trigger()
    assert window.canvas.view_box.tool in ("split_line", "draw_grid")
    vertices = np.asarray(vertices, dtype=float)
    if zoom:
        zoom_to(window, qtbot, (*vertices.min(axis=0), *vertices.max(axis=0)))
    landed = np.array([clicked_at(window, x, y) for x, y in vertices])
    viewport = window.canvas.viewport()
    for x, y in vertices[:-1]:
        click(window, qtbot, x, y)
    last = view_to_widget(window, *vertices[-1])
    if finish == "double":  # what Qt delivers of a double-click: press, release, double, release
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=last)
        qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=last)
        qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=last)
    else:
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=last)
        window.canvas.setFocus()
        qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    return landed


def undo(window, qtbot) -> None:
    """Ctrl+Z in the window (back on it first: a closed dialog leaves no window active)."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    window.canvas.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)


def spot_in(window, polygon) -> tuple[float, float]:
    """A map point well inside ``polygon`` (metres), away from every point feature drawn."""
    margin = window.canvas.metres_per_pixel() * 12
    minx, miny, maxx, maxy = polygon.bounds
    gx, gy = np.meshgrid(np.linspace(minx, maxx, 50), np.linspace(miny, maxy, 50))
    x, y = gx.ravel(), gy.ravel()
    inside = shapely.contains_xy(polygon.buffer(-margin), x, y)
    points = [np.column_stack([window.canvas.adapters[layer.id].x,
                               window.canvas.adapters[layer.id].y])
              for layer in window.layers if layer.visible
              and layer.definition.geometry == "point"]
    zones = window.layers["hazard_zones"]
    if zones.visible and len(zones.frame):  # drawn above the level-3 grids
        inside &= ~shapely.intersects_xy(
            shapely.union_all(np.asarray(zones.frame.geometry.to_numpy(), dtype=object)), x, y)
    features = np.vstack(points)
    features = features[np.isfinite(features).all(axis=1)]
    near = shapely.STRtree(shapely.points(features))
    distance = np.full(len(x), -1.0)
    candidates = np.flatnonzero(inside)
    nearest = near.query_nearest(shapely.points(x[candidates], y[candidates]),
                                 return_distance=True)
    distance[candidates[nearest[0][0]]] = nearest[1]
    best = int(np.argmax(distance))
    assert distance[best] > margin, "no empty spot in the polygon"
    return float(x[best]), float(y[best])


def identify(window, qtbot, x: float, y: float) -> tuple[tuple, dict[str, str]]:
    """Click the map with 点选识别: what the identify panel shows (source, id) and its rows."""
    window.tool_actions["identify"].trigger()
    click(window, qtbot, x, y)
    controller = window.controller("map")
    return (controller.shown[:2] if controller.shown else None), controller.identify.values()


def show_dock(window, qtbot, title: str) -> None:
    """Bring a dock's tab up."""
    dock = window.docks[title]
    dock.raise_()
    qtbot.waitUntil(lambda: not dock.visibleRegion().isEmpty(), timeout=3000)


def table_cells(window, household_ids, key: str) -> dict[int, str]:
    """The attribute table's cells of column ``key`` for households, as displayed."""
    table = window.controller("table").table
    model = table.model
    column = model.columns.index(key)
    positions = {int(i): p for p, i in enumerate(model.ids)}
    rows = {int(p): r for r, p in enumerate(model.rows)}
    out = {}
    for household in household_ids:
        row = rows[positions[int(household)]]
        out[int(household)] = model.data(model.index(row, column),
                                         Qt.ItemDataRole.DisplayRole)
    return out


class ModalAnswers:
    """Answers the window's modal dialogs from a timer, as a user would, and records them.

    Message boxes are read and closed with their OK button; a QInputDialog gets ``number``
    typed and OK (or 取消 when ``number`` is None); the balanced split's progress dialog gets
    its 取消 clicked when ``cancel_progress`` is set.
    """

    def __init__(self, window, qtbot):
        self.window, self.qtbot = window, qtbot
        self.messages: list[tuple[str, str]] = []  # (icon name, text)
        self.number: int | None = 2
        self.cancel_progress = False
        self.progress_seen = False
        self.asked: list[str] = []
        self._timer = QTimer()
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._look)
        self._timer.start()
        _POLLERS.append(self._timer)  # stopped at the test's end, whatever happens

    def stop(self) -> None:
        self._timer.stop()

    def _look(self) -> None:
        progress = self.window.controller("grid_edit").progress
        if progress is not None and progress.isVisible():
            self.progress_seen = True
            if self.cancel_progress:
                button = next(b for b in progress.findChildren(QPushButton)
                              if b.text() == "取消")
                self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
            return
        widget = QApplication.activeModalWidget()
        if widget is None or not widget.isVisible() or widget.property("answered"):
            return
        widget.setProperty("answered", True)
        if isinstance(widget, QMessageBox):
            self.messages.append((widget.icon().name, widget.text()))
            self.qtbot.mouseClick(widget.button(QMessageBox.StandardButton.Ok),
                                  Qt.MouseButton.LeftButton)
        elif isinstance(widget, QInputDialog):
            self.asked.append(widget.labelText())
            box = widget.findChild(QDialogButtonBox)
            if self.number is None:
                self.qtbot.mouseClick(box.button(QDialogButtonBox.StandardButton.Cancel),
                                      Qt.MouseButton.LeftButton)
                return
            edit = widget.findChild(QSpinBox).findChild(QLineEdit)
            edit.selectAll()
            self.qtbot.keyClicks(edit, str(self.number))
            self.qtbot.mouseClick(box.button(QDialogButtonBox.StandardButton.Ok),
                                  Qt.MouseButton.LeftButton)


def answering(window, qtbot):
    """For an ``answers`` fixture: a :class:`ModalAnswers` of ``window``, stopped afterwards."""
    answers = ModalAnswers(window, qtbot)
    yield answers
    answers.stop()
