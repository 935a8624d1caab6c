"""Redrawing level-3 grids from the window: split, merge, draw, rebalance, and undo (sample copy).

Every check reads the store with plain SQL and places households with its own shapely
point-in-polygon test; the window's frames are only used to choose where to draw.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import shapely
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QInputDialog, QMenu, QMessageBox, QProgressDialog
from sqlalchemy import text

from tests.ui.conftest import view_to_widget


@pytest.fixture
def messages(monkeypatch):
    """Message boxes the window shows, recorded instead of blocking the test."""
    shown = []
    for kind in ("warning", "information"):
        monkeypatch.setattr(QMessageBox, kind, lambda _parent, title, message, *_a, k=kind:
                            shown.append((k, message)) or QMessageBox.StandardButton.Ok)
    return shown


# -- reading the store independently


def _sql(window, sql, **params):
    with window.data.project.engine.connect() as connection:
        return pd.DataFrame(connection.execute(text(sql), params).mappings().all())


def _grids(window) -> pd.DataFrame:
    """Level-3 grids in the store: id, village (admin unit), geometry in lon/lat."""
    frame = _sql(window, "SELECT id, admin_unit_id, geom FROM grid WHERE level = 3 ORDER BY id")
    frame["geometry"] = shapely.from_wkb(frame.pop("geom").to_numpy())
    return frame.set_index("id")


def _households(window) -> pd.DataFrame:
    return _sql(window, "SELECT id, village_id, lon, lat, grid_id, grid_override FROM household "
                        "WHERE lon IS NOT NULL ORDER BY id").set_index("id")


def _located_in(points_lonlat: np.ndarray, geometries) -> np.ndarray:
    """Row of ``geometries`` holding each point (-1 for none; a boundary point: the first)."""
    geometries = np.asarray(geometries, dtype=object)
    tree = shapely.STRtree(geometries)
    point, grid = tree.query(shapely.points(points_lonlat), predicate="intersects")
    found = np.full(len(points_lonlat), -1)
    order = np.lexsort((grid, point))
    first = np.unique(point[order], return_index=True)[1]
    found[point[order][first]] = grid[order][first]
    return found


def _assert_households_follow_location(window) -> None:
    """Every household without a manual override lies in (or on the edge of) its grid."""
    grids = _grids(window)
    households = _households(window)
    households = households[households["grid_override"] == 0]
    points = shapely.points(households[["lon", "lat"]].to_numpy())
    tree = shapely.STRtree(grids["geometry"].to_numpy())
    point, grid = tree.query(points, predicate="intersects")
    match = grids.index.to_numpy()[grid] == households["grid_id"].to_numpy()[point]
    inside_some = np.unique(point)
    good = np.unique(point[match])
    assert len(inside_some) > 0.95 * len(households)
    assert set(inside_some) == set(good), "households not in the grid their location says"


def _state(window):
    """What an undo must restore: the level-3 grids (by id, geometry) and households' grids."""
    grids = _grids(window)
    return grids, _households(window)["grid_id"]


def _assert_state(window, state) -> None:
    grids, household_grids = state
    now, now_households = _state(window)
    assert list(now.index) == list(grids.index)
    assert shapely.equals(now["geometry"].to_numpy(), grids["geometry"].to_numpy()).all()
    pd.testing.assert_series_equal(now_households, household_grids)
    layer = window.canvas.adapters["grids_level3"].frame
    assert sorted(layer["id"].astype(int)) == list(grids.index)


def _assert_layer_matches_store(window) -> None:
    layer = window.canvas.adapters["grids_level3"].frame
    assert sorted(layer["id"].astype(int)) == list(_grids(window).index)
    households = window.canvas.adapters["households"].frame
    stored = _households(window)
    assert len(households) == len(stored)
    by_id = households.set_index("id")["grid_id"]
    assert (by_id.loc[stored.index].to_numpy() == stored["grid_id"].to_numpy()).all()


def _gk(window, geometries):
    """Lon/lat geometries → the map's Gauss–Krüger metres (areas in m²)."""
    return shapely.transform(np.asarray(geometries, dtype=object),
                             lambda xy: np.column_stack(window.data.to_map(xy[:, 0], xy[:, 1])))


# -- driving the window


def _grid_action(window, key):
    menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "网格")
    action = window.grid_actions[key]
    assert action in menu.actions()
    return action


def _select_grids(window, qtbot, grid_ids) -> None:
    """Click the grids on the map with the select tool (shift adds)."""
    tree = window.layer_tree
    tree.setCurrentItem(next(
        tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
        if tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) == "grids_level3"))
    window.set_tool("select")
    grids = window.data.frames["grids"].set_index("id")
    minx, miny, maxx, maxy = shapely.total_bounds(grids.loc[list(grid_ids)].geometry.to_numpy())
    window.canvas.zoom_to(_rect(minx, miny, maxx, maxy), padding=0.1)
    qtbot.wait(20)
    for n, grid_id in enumerate(grid_ids):
        spot = grids.loc[grid_id].geometry.representative_point()
        modifier = Qt.KeyboardModifier.ShiftModifier if n else Qt.KeyboardModifier.NoModifier
        qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, modifier,
                         view_to_widget(window, spot.x, spot.y))
    assert sorted(window.selected_grid_ids()) == sorted(grid_ids)


def _rect(minx, miny, maxx, maxy):
    from PyQt6.QtCore import QRectF

    return QRectF(minx, miny, maxx - minx, maxy - miny)


def _draw(window, qtbot, tool, vertices) -> None:
    """Draw with a grid tool: vertices clicked, Enter finishes."""
    _grid_action(window, tool).trigger()
    assert window.canvas.view_box.tool == tool
    for x, y in vertices:
        window.canvas.view_box.add_vertex(x, y)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)


def _undo(window, qtbot) -> None:
    window.canvas.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)


def _neighbours(window, exclude_villages=()):
    """Two level-3 grids of one village sharing a boundary over 100 m (map frame, metres)."""
    grids = window.data.frames["grids"].query("level == 3")
    grids = grids[~grids["admin_unit_id"].isin(exclude_villages)]
    for _, village in grids.groupby("admin_unit_id"):
        geoms = village.geometry.to_numpy()
        left, right = np.triu_indices(len(geoms), 1)
        shared = shapely.length(shapely.intersection(shapely.boundary(geoms[left]),
                                                     shapely.boundary(geoms[right])))
        if (shared > 100).any():
            k = int(np.argmax(shared))
            return int(village["id"].iloc[left[k]]), int(village["id"].iloc[right[k]])
    raise AssertionError("no neighbouring grids in the sample")


# -- the tests


def test_split_balance_merge_draw_then_undo_in_order(own_window, qtbot, monkeypatch, messages):
    window = own_window
    start = _state(window)
    grids_gk = window.data.frames["grids"].query("level == 3").set_index("id")
    households = _households(window)

    # 1. split with a line drawn across a grid, through its middle
    counts = households.groupby("grid_id").size()
    polygons = grids_gk[shapely.get_num_geometries(grids_gk.geometry.to_numpy()) == 1]
    target = int(counts.loc[polygons.index].idxmax())
    shape = grids_gk.loc[target].geometry
    spot = shape.representative_point()
    width = shape.bounds[2] - shape.bounds[0] + 50
    line = shapely.LineString([(spot.x - width, spot.y), (spot.x + width, spot.y)])
    expected_parts = len(shapely.get_parts(shape.difference(line.buffer(0.01))))
    before = _state(window)
    _draw(window, qtbot, "split_line", np.asarray(line.coords))
    after = _grids(window)
    created = sorted(set(after.index) - set(before[0].index))
    assert len(created) == expected_parts - 1 >= 1
    assert target in after.index
    parts = after.loc[[target, *created], "geometry"].to_numpy()
    area = shapely.area(_gk(window, parts)).sum()
    assert area == pytest.approx(shape.area, rel=1e-6)
    # no new grid holds households from both sides of the line
    mine = _households(window)
    mine = mine[mine["grid_id"].isin([target, *created]) & (mine["grid_override"] == 0)]
    _x, y = window.data.to_map(mine["lon"].to_numpy(), mine["lat"].to_numpy())
    sides = pd.Series(y > spot.y).groupby(mine["grid_id"].to_numpy()).nunique()
    assert (sides == 1).all()
    assert len(mine) == (households["grid_id"] == target).sum() - households.loc[
        households["grid_id"] == target, "grid_override"].sum()
    _assert_households_follow_location(window)
    _assert_layer_matches_store(window)
    assert f"已拆分为{expected_parts}个网格" in window.statusBar().currentMessage()
    states = [before]

    # 2. balanced split of another grid into 3 through the menu (k asked with QInputDialog)
    counts = _households(window).groupby("grid_id").size()
    biggest = int(counts.drop([target, *created], errors="ignore").idxmax())
    n = int(counts.loc[biggest])
    shape = _grids(window).loc[biggest, "geometry"]
    _select_grids(window, qtbot, [biggest])
    monkeypatch.setattr(QInputDialog, "getInt", lambda *_a, **_k: (3, True))
    states.append(_state(window))
    _grid_action(window, "split_balanced").trigger()
    after = _grids(window)
    new = sorted(set(after.index) - set(states[-1][0].index))
    assert len(new) == 2
    pieces = after.loc[[biggest, *new], "geometry"].to_numpy()
    assert shapely.area(_gk(window, pieces)).sum() == pytest.approx(
        shapely.area(_gk(window, [shape]))[0], rel=1e-6)
    stored = _households(window)
    points = stored[["lon", "lat"]].to_numpy()
    in_old = _located_in(points, [shape]) == 0
    where = _located_in(points[in_old], pieces)
    per_piece = np.bincount(where[where >= 0], minlength=3)
    assert per_piece.sum() == in_old.sum() >= n - 3
    assert per_piece.max() - per_piece.min() <= 2  # balanced: about n/3 each
    _assert_households_follow_location(window)
    _assert_layer_matches_store(window)
    assert "已拆分为3个网格" in window.statusBar().currentMessage()

    # 3. merge two neighbouring grids selected on the map (shift-click)
    edited = set(after.loc[[target, biggest], "admin_unit_id"])
    first, second = _neighbours(window, exclude_villages=edited)
    union = shapely.union(_grids(window).loc[first, "geometry"],
                          _grids(window).loc[second, "geometry"])
    _select_grids(window, qtbot, [first, second])
    states.append(_state(window))
    _grid_action(window, "merge").trigger()
    after = _grids(window)
    assert len(after) == len(states[-1][0]) - 1
    kept = first if first in after.index else second
    assert (first in after.index) != (second in after.index)
    assert shapely.area(_gk(window, [after.loc[kept, "geometry"]]))[0] == pytest.approx(
        shapely.area(_gk(window, [union]))[0], rel=1e-6)
    merged = states[-1][1].isin([first, second])
    assert (_households(window).loc[merged.index[merged], "grid_id"] == kept).all()
    _assert_households_follow_location(window)
    _assert_layer_matches_store(window)

    # 4. draw a new grid over the corner where two grids of a third village meet
    edited |= set(after.loc[[kept], "admin_unit_id"])
    one, two = _neighbours(window, exclude_villages=edited)
    grids_gk = window.data.frames["grids"].set_index("id")
    meeting = shapely.intersection(shapely.boundary(grids_gk.loc[one].geometry),
                                   shapely.boundary(grids_gk.loc[two].geometry))
    village_id = int(grids_gk.loc[one, "admin_unit_id"])
    village = window.data.frames["villages"].set_index("id").loc[village_id].geometry
    # on the shared edge, as far from the village's boundary as it gets: the square stays inside
    spots = shapely.points(shapely.get_coordinates(shapely.segmentize(meeting, 10)))
    room = shapely.distance(spots, village.boundary)
    centre, half = spots[np.argmax(room)], min(150.0, 0.6 * room.max())
    square = shapely.box(centre.x - half, centre.y - half, centre.x + half, centre.y + half)
    states.append(_state(window))
    _draw(window, qtbot, "draw_grid", np.asarray(square.exterior.coords)[:-1])
    after = _grids(window)
    new = sorted(set(after.index) - set(states[-1][0].index))
    assert len(new) == 1
    drawn = _gk(window, [after.loc[new[0], "geometry"]])[0]
    assert drawn.area == pytest.approx(square.intersection(village).area, rel=1e-3)
    others = _gk(window, after.drop(new).query(f"admin_unit_id == {village_id}")["geometry"])
    assert shapely.area(shapely.intersection(others, drawn)).sum() < 1.0  # cut out: m²
    stored = _households(window)
    x, y = window.data.to_map(stored["lon"].to_numpy(), stored["lat"].to_numpy())
    strictly_inside = shapely.contains_xy(square.buffer(-1).intersection(village), x, y)
    strictly_inside &= stored["grid_override"].to_numpy() == 0
    assert (stored.loc[strictly_inside, "grid_id"] == new[0]).all()
    _assert_households_follow_location(window)
    _assert_layer_matches_store(window)

    # 5. an assignment on the new grid: the shared stack undoes it first, then the grid edits
    worker = window.assignments.add_worker("新网格员", "13911110000")
    window.assign_worker_at(worker, centre.x, centre.y)
    assigned = _sql(window, "SELECT grid_id FROM grid_assignment WHERE worker_id = :w", w=worker)
    assert list(assigned["grid_id"]) == [new[0]]
    _undo(window, qtbot)  # the assignment
    assert _sql(window, "SELECT * FROM grid_assignment WHERE worker_id = :w", w=worker).empty
    assert new[0] in _grids(window).index
    _undo(window, qtbot)  # the worker
    for state in reversed(states):
        _undo(window, qtbot)
        assert window.statusBar().currentMessage().startswith("已撤销")
        _assert_state(window, state)
        _assert_households_follow_location(window)
    _assert_state(window, start)
    assert not window.undo_stack.can_undo()
    assert messages == []


def test_refused_edits_explain_and_change_nothing(own_window, qtbot, monkeypatch, messages):
    window = own_window
    start = _state(window)
    grids = window.data.frames["grids"].query("level == 3").set_index("id")
    # merging with one grid selected: the user is told to select more
    one = int(grids.index[0])
    _select_grids(window, qtbot, [one])
    _grid_action(window, "merge").trigger()
    assert messages[-1][0] == "information" and "至少两个" in messages[-1][1]
    # two grids of different villages far apart: refused by the service, in Chinese
    far = grids[grids["admin_unit_id"] != grids.loc[one, "admin_unit_id"]]
    other = int(far.index[np.argmax(shapely.distance(far.geometry.to_numpy(),
                                                     grids.loc[one].geometry))])
    _select_grids(window, qtbot, [one, other])
    _grid_action(window, "merge").trigger()
    assert messages[-1][0] == "warning"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in messages[-1][1])
    # a split line ending inside the grid is refused
    spot = grids.loc[one].geometry.representative_point()
    _select_grids(window, qtbot, [one])
    _draw(window, qtbot, "split_line", [(spot.x - 1, spot.y), (spot.x + 1, spot.y)])
    assert messages[-1][0] == "warning" and "分割线" in messages[-1][1]
    # the balanced split asks for k; cancelling does nothing
    monkeypatch.setattr(QInputDialog, "getInt", lambda *_a, **_k: (3, False))
    _grid_action(window, "split_balanced").trigger()
    _assert_state(window, start)
    # so does cancelling the computation from its progress dialog
    monkeypatch.setattr(QInputDialog, "getInt", lambda *_a, **_k: (3, True))
    monkeypatch.setattr(QProgressDialog, "wasCanceled", lambda _self: True)
    _grid_action(window, "split_balanced").trigger()
    assert window.statusBar().currentMessage() == "已取消"
    _assert_state(window, start)
    assert not window.undo_stack.can_undo()
    assert len(messages) == 3


def _village_for_rebalance(window) -> tuple[int, int]:
    """The village with most level-3 grids, and one of its grids."""
    grids = _grids(window)
    village = int(grids.groupby("admin_unit_id").size().idxmax())
    return village, int(grids.index[grids["admin_unit_id"] == village][0])


def _open_rebalance(window, qtbot):
    village, grid = _village_for_rebalance(window)
    _select_grids(window, qtbot, [grid])
    _grid_action(window, "rebalance").trigger()
    dialog = window.rebalance_dialog
    assert dialog.isVisible()
    assert dialog.village_id() == village
    assert dialog.limit.value() == window.data.project.thresholds().household_limit
    current = _sql(window, "SELECT DISTINCT a.worker_id FROM grid_assignment a JOIN grid g "
                           "ON g.id = a.grid_id WHERE g.level = 3 AND g.admin_unit_id = :v "
                           "AND a.role = '三级网格员' AND a.end_date IS NULL", v=village)
    assert sorted(dialog.checked_workers()) == sorted(current["worker_id"])
    return dialog, village


def _generate(window, qtbot, dialog, village):
    households = _households(window)
    mine = households[households["village_id"] == village]
    workers = len(dialog.checked_workers())
    # a limit too low for the workers (more grids than workers), with room for uneven counts
    limit = int(len(mine) / workers * 0.8)
    while math.ceil(len(mine) / math.ceil(len(mine) / limit)) > limit - 1:
        limit -= 1
    dialog.limit.setValue(limit)
    qtbot.mouseClick(dialog.generate, Qt.MouseButton.LeftButton)
    proposal = dialog.proposal
    assert proposal is not None
    return proposal, mine, limit


def test_rebalance_proposal_on_the_map_then_cancel(own_window, qtbot, messages):
    window = own_window
    start = _state(window)
    dialog, village = _open_rebalance(window, qtbot)
    proposal, mine, limit = _generate(window, qtbot, dialog, village)
    grids = proposal.grids
    # counts shown in the table and on the map, checked by our own point-in-polygon test
    where = _located_in(mine[["lon", "lat"]].to_numpy(), grids.geometry.to_numpy())
    counts = np.bincount(where[where >= 0], minlength=len(grids))
    assert counts.sum() == len(mine)
    assert dialog.table.rowCount() == len(grids)
    shown = [int(dialog.table.item(r, 2).data(Qt.ItemDataRole.DisplayRole))
             for r in range(len(grids))]
    assert shown == list(counts)
    names = _sql(window, "SELECT id, name FROM worker").set_index("id")["name"]
    overlay = window.proposal_overlay
    expected = sorted(f"{names[w]} {c}户" for w, c in zip(grids["worker"], counts, strict=True))
    assert sorted(overlay.texts()) == expected
    scene = window.canvas.scene()
    assert all(item.scene() is scene and item.isVisible() for item in overlay.items)
    assert len(overlay.items) == grids["worker"].nunique()
    assert len(grids) == math.ceil(len(mine) / limit) > len(dialog.checked_workers())
    assert "网格员不足" in dialog.warnings.text()
    items = overlay.items
    qtbot.mouseClick(dialog.cancel, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert window.proposal_overlay is None
    assert all(item.scene() is None for item in items)
    _assert_state(window, start)
    assert not window.undo_stack.can_undo()
    assert messages == []


def test_rebalance_apply_then_undo(own_window, qtbot, messages):
    window = own_window
    start = _state(window)
    dialog, village = _open_rebalance(window, qtbot)
    proposal, mine, limit = _generate(window, qtbot, dialog, village)
    qtbot.mouseClick(dialog.apply, Qt.MouseButton.LeftButton)
    assert messages == []
    assert not dialog.isVisible() and window.proposal_overlay is None
    grids = _grids(window)
    now = grids[grids["admin_unit_id"] == village]
    assert len(now) == len(proposal.grids)
    # the stored grids are the proposal's, one for one
    stored, proposed = now["geometry"].to_numpy(), proposal.grids.geometry.to_numpy()
    apart = shapely.symmetric_difference(stored[:, None], proposed[None, :])
    apart = shapely.area(_gk(window, apart.ravel())).reshape(apart.shape)
    assert (apart.min(axis=1) < 1.0).all() and (apart.min(axis=0) < 1.0).all()  # m²
    stored = _households(window)
    inside = stored[stored["village_id"] == village]
    where = _located_in(inside[["lon", "lat"]].to_numpy(), now["geometry"].to_numpy())
    per_grid = np.bincount(where[where >= 0], minlength=len(now))
    assert per_grid.sum() == len(mine)
    assert per_grid.max() <= limit
    # each new grid has one 三级网格员, the one proposed for it
    held = _sql(window, "SELECT grid_id, worker_id FROM grid_assignment WHERE role = '三级网格员' "
                        "AND end_date IS NULL AND grid_id IN (" + ",".join(map(str, now.index))
                + ")")
    assert sorted(held["grid_id"]) == sorted(now.index)
    assert set(held["worker_id"]) == set(proposal.grids["worker"])
    _assert_households_follow_location(window)
    _assert_layer_matches_store(window)
    assert f"已重新划分为{len(now)}个网格" in window.statusBar().currentMessage()
    _undo(window, qtbot)
    _assert_state(window, start)
    _assert_households_follow_location(window)
