"""Redrawing level-3 grids from the window: split, merge, draw, rebalance, and undo (sample copy).

Every check reads the store with plain SQL and places households with its own shapely
point-in-polygon test; the window's frames are only used to choose where to draw. Shapes are
drawn with clicks on the map, dialogs answered through their buttons.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
import shapely
from PyQt6.QtCore import Qt

from gis_app.services.assignment_service import AssignmentService
from tests.ui.test_grid_edit_helpers import (
    answering,
    assert_same_state,
    assert_views_match_store,
    draw,
    grid_action,
    select_grids,
    sql,
    store_grids,
    store_households,
    store_state,
    to_map,
    undo,
)


@pytest.fixture
def answers(window, qtbot):
    """The window's modal dialogs answered through their buttons, and recorded."""
    yield from answering(window, qtbot)


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
    grids = store_grids(window)
    households = store_households(window)
    households = households[households["grid_override"] == 0]
    points = shapely.points(households[["lon", "lat"]].to_numpy())
    tree = shapely.STRtree(grids["geometry"].to_numpy())
    point, grid = tree.query(points, predicate="intersects")
    match = grids.index.to_numpy()[grid] == households["grid_id"].to_numpy()[point]
    inside_some = np.unique(point)
    good = np.unique(point[match])
    assert len(inside_some) > 0.95 * len(households)
    assert set(inside_some) == set(good), "households not in the grid their location says"


def _assert_state(window, state) -> None:
    assert_same_state(window, state)
    assert_views_match_store(window)


def _neighbours(window, exclude_villages=()):
    """Two level-3 grids of one village sharing a boundary over 100 m."""
    grids = store_grids(window)
    grids = grids[~grids["admin_unit_id"].isin(exclude_villages)]
    for _, village in grids.groupby("admin_unit_id"):
        geoms = to_map(window, village["geometry"].to_numpy())
        left, right = np.triu_indices(len(geoms), 1)
        shared = shapely.length(shapely.intersection(shapely.boundary(geoms[left]),
                                                     shapely.boundary(geoms[right])))
        if (shared > 100).any():
            k = int(np.argmax(shared))
            return int(village.index[left[k]]), int(village.index[right[k]])
    raise AssertionError("no neighbouring grids in the sample")


def _in_force(alias: str = "a") -> str:
    """SQL: the assignment row is in force today (start ≤ today < end, empty end open)."""
    return (f"({alias}.start_date IS NULL OR {alias}.start_date <= :today) AND "
            f"({alias}.end_date IS NULL OR {alias}.end_date > :today)")


# -- the tests


def test_split_balance_merge_draw_then_undo_in_order(window, qtbot, answers):
    start = store_state(window)
    grids = store_grids(window)
    households = store_households(window)

    # 1. split with a line drawn across a grid, through its middle
    counts = households.groupby("grid_id").size()
    polygons = grids[shapely.get_num_geometries(grids["geometry"].to_numpy()) == 1]
    target = int(counts.loc[polygons.index].idxmax())
    shape = to_map(window, [grids.loc[target, "geometry"]])[0]
    spot = shape.representative_point()
    width = shape.bounds[2] - shape.bounds[0] + 50
    states = [store_state(window)]
    landed = draw(window, qtbot, "沿线拆分网格",
                  [(spot.x - width, spot.y), (spot.x + width, spot.y)])
    line = shapely.LineString(landed)
    expected_parts = len(shapely.get_parts(shape.difference(line.buffer(0.01))))
    after = store_grids(window)
    created = sorted(set(after.index) - set(states[0][0].index))
    assert len(created) == expected_parts - 1 >= 1
    assert target in after.index
    parts = after.loc[[target, *created], "geometry"].to_numpy()
    assert shapely.area(to_map(window, parts)).sum() == pytest.approx(shape.area, rel=1e-6)
    # no new grid holds households from both sides of the line
    mine = store_households(window)
    mine = mine[mine["grid_id"].isin([target, *created]) & (mine["grid_override"] == 0)]
    _x, y = window.session.to_map(mine["lon"].to_numpy(), mine["lat"].to_numpy())
    sides = pd.Series(y > landed[0, 1]).groupby(mine["grid_id"].to_numpy()).nunique()
    assert (sides == 1).all()
    assert len(mine) == (households["grid_id"] == target).sum() - households.loc[
        households["grid_id"] == target, "grid_override"].sum()
    _assert_households_follow_location(window)
    assert_views_match_store(window)
    assert f"已拆分为{expected_parts}个网格" in window.statusBar().currentMessage()

    # 2. balanced split of another grid into 3 through the menu (k typed in its dialog)
    counts = store_households(window).groupby("grid_id").size()
    biggest = int(counts.drop([target, *created], errors="ignore").idxmax())
    n = int(counts.loc[biggest])
    shape = store_grids(window).loc[biggest, "geometry"]
    select_grids(window, qtbot, [biggest])
    answers.number = 3
    states.append(store_state(window))
    grid_action(window, "均衡拆分网格…").trigger()
    assert answers.asked == ["拆分为几个网格（户数均衡）"]
    after = store_grids(window)
    new = sorted(set(after.index) - set(states[-1][0].index))
    assert len(new) == 2
    pieces = after.loc[[biggest, *new], "geometry"].to_numpy()
    assert shapely.area(to_map(window, pieces)).sum() == pytest.approx(
        shapely.area(to_map(window, [shape]))[0], rel=1e-6)
    stored = store_households(window)
    points = stored[["lon", "lat"]].to_numpy()
    in_old = _located_in(points, [shape]) == 0
    where = _located_in(points[in_old], pieces)
    per_piece = np.bincount(where[where >= 0], minlength=3)
    assert per_piece.sum() == in_old.sum() >= n - 3
    assert per_piece.max() - per_piece.min() <= 2  # balanced: about n/3 each
    _assert_households_follow_location(window)
    assert_views_match_store(window)
    assert "已拆分为3个网格" in window.statusBar().currentMessage()

    # 3. merge two neighbouring grids selected on the map (shift-click)
    edited = set(after.loc[[target, biggest], "admin_unit_id"])
    first, second = _neighbours(window, exclude_villages=edited)
    union = shapely.union(store_grids(window).loc[first, "geometry"],
                          store_grids(window).loc[second, "geometry"])
    select_grids(window, qtbot, [first, second])
    states.append(store_state(window))
    grid_action(window, "合并所选网格").trigger()
    after = store_grids(window)
    assert len(after) == len(states[-1][0]) - 1
    kept = first if first in after.index else second
    assert (first in after.index) != (second in after.index)
    assert shapely.area(to_map(window, [after.loc[kept, "geometry"]]))[0] == pytest.approx(
        shapely.area(to_map(window, [union]))[0], rel=1e-6)
    merged = states[-1][1].isin([first, second])
    assert (sql(window, "SELECT grid_id FROM household WHERE id IN (" + ",".join(
        map(str, merged.index[merged])) + ")")["grid_id"] == kept).all()
    _assert_households_follow_location(window)
    assert_views_match_store(window)
    assert "已将2个网格合并为1个" in window.statusBar().currentMessage()

    # 4. draw a new grid over the corner where two grids of a third village meet
    edited |= set(after.loc[[kept], "admin_unit_id"])
    one, two = _neighbours(window, exclude_villages=edited)
    grids_gk = store_grids(window)
    one_gk, two_gk = to_map(window, grids_gk.loc[[one, two], "geometry"].to_numpy())
    meeting = shapely.intersection(shapely.boundary(one_gk), shapely.boundary(two_gk))
    village_id = int(grids_gk.loc[one, "admin_unit_id"])
    village = window.session.villages.set_index("id").loc[village_id].geometry
    # on the shared edge, as far from the village's boundary as it gets: the square stays inside
    spots = shapely.points(shapely.get_coordinates(shapely.segmentize(meeting, 10)))
    room = shapely.distance(spots, village.boundary)
    centre, half = spots[np.argmax(room)], min(150.0, 0.6 * room.max())
    square = shapely.box(centre.x - half, centre.y - half, centre.x + half, centre.y + half)
    states.append(store_state(window))
    landed = draw(window, qtbot, "绘制新网格", np.asarray(square.exterior.coords)[:-1],
                  finish="enter")
    square = shapely.Polygon(landed)
    after = store_grids(window)
    new = sorted(set(after.index) - set(states[-1][0].index))
    assert len(new) == 1
    drawn = to_map(window, [after.loc[new[0], "geometry"]])[0]
    assert drawn.area == pytest.approx(square.intersection(village).area, rel=1e-3)
    others = to_map(window, after.drop(new).query(f"admin_unit_id == {village_id}")["geometry"])
    assert shapely.area(shapely.intersection(others, drawn)).sum() < 1.0  # cut out: m²
    stored = store_households(window)
    x, y = window.session.to_map(stored["lon"].to_numpy(), stored["lat"].to_numpy())
    strictly_inside = shapely.contains_xy(square.buffer(-1).intersection(village), x, y)
    strictly_inside &= stored["grid_override"].to_numpy() == 0
    assert (stored.loc[strictly_inside, "grid_id"] == new[0]).all()
    _assert_households_follow_location(window)
    assert_views_match_store(window)
    assert "已新建网格" in window.statusBar().currentMessage()

    # 5. a worker assigned to the new grid (the roster's service, on the window's session):
    # the one undo stack takes back the assignment and the worker first, then the grid edits
    service = AssignmentService(window.session)
    worker = service.add_worker("新网格员", "13911110000")
    service.assign([worker], [new[0]], "三级网格员")
    assigned = sql(window, "SELECT grid_id FROM grid_assignment WHERE worker_id = :w", w=worker)
    assert list(assigned["grid_id"]) == [new[0]]
    undo(window, qtbot)  # the assignment
    assert sql(window, "SELECT * FROM grid_assignment WHERE worker_id = :w", w=worker).empty
    assert new[0] in store_grids(window).index
    undo(window, qtbot)  # the worker
    for state in reversed(states):
        undo(window, qtbot)
        assert window.statusBar().currentMessage().startswith("已撤销")
        _assert_state(window, state)
        _assert_households_follow_location(window)
    _assert_state(window, start)
    assert not window.session.can_undo()
    assert answers.messages == []


def test_refused_edits_explain_and_change_nothing(window, qtbot, answers):
    start = store_state(window)
    grids = store_grids(window)
    # merging with one grid selected: the user is told to select more
    one = int(grids.index[0])
    select_grids(window, qtbot, [one])
    grid_action(window, "合并所选网格").trigger()
    assert answers.messages[-1][0] == "Information" and "至少两个" in answers.messages[-1][1]
    # two grids of different villages far apart: refused by the service, in Chinese
    far = grids[grids["admin_unit_id"] != grids.loc[one, "admin_unit_id"]]
    other = int(far.index[np.argmax(shapely.distance(far["geometry"].to_numpy(),
                                                     grids.loc[one, "geometry"]))])
    select_grids(window, qtbot, [one, other])
    grid_action(window, "合并所选网格").trigger()
    assert answers.messages[-1][0] == "Warning"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in answers.messages[-1][1])
    # a split line ending inside the grid is refused
    spot = to_map(window, [grids.loc[one, "geometry"]])[0].representative_point()
    select_grids(window, qtbot, [one])
    draw(window, qtbot, "沿线拆分网格", [(spot.x - 20, spot.y), (spot.x + 20, spot.y)])
    assert answers.messages[-1][0] == "Warning" and "分割线" in answers.messages[-1][1]
    # the balanced split asks for k; cancelling does nothing
    answers.number = None
    grid_action(window, "均衡拆分网格…").trigger()
    assert answers.asked == ["拆分为几个网格（户数均衡）"]
    _assert_state(window, start)
    # so does cancelling the computation from its progress dialog
    answers.number, answers.cancel_progress = 3, True
    grid_action(window, "均衡拆分网格…").trigger()
    assert answers.progress_seen
    assert window.statusBar().currentMessage() == "已取消"
    _assert_state(window, start)
    assert not window.session.can_undo()
    assert len(answers.messages) == 3


def test_choosing_a_drawing_tool_says_what_to_do(window):
    hint = window.controller("map").hint  # every tool's hints: tests/ui/test_tool_hints.py
    grid_action(window, "沿线拆分网格").trigger()
    assert window.canvas.view_box.tool == "split_line"
    assert hint.text() == "单击起点，画一条完整穿过一个三级网格的线（起点和终点都在网格外）"
    grid_action(window, "绘制新网格").trigger()
    assert window.canvas.view_box.tool == "draw_grid"
    assert "新网格的边界" in hint.text()


def _village_for_rebalance(window) -> tuple[int, int]:
    """The village with most level-3 grids, and one of its grids."""
    grids = store_grids(window)
    village = int(grids.groupby("admin_unit_id").size().idxmax())
    return village, int(grids.index[grids["admin_unit_id"] == village][0])


def _open_rebalance(window, qtbot):
    village, grid = _village_for_rebalance(window)
    select_grids(window, qtbot, [grid])
    grid_action(window, "重新划分村网格…").trigger()
    dialog = window.controller("grid_edit").dialog
    assert dialog.isVisible()
    assert dialog.village_id() == village
    assert dialog.limit.value() == window.session.project.thresholds().household_limit
    current = sql(window, "SELECT DISTINCT a.worker_id FROM grid_assignment a JOIN grid g "
                          "ON g.id = a.grid_id WHERE g.level = 3 AND g.admin_unit_id = :v "
                          "AND a.role = '三级网格员' AND " + _in_force(), v=village,
                  today=dt.date.today().isoformat())
    assert sorted(dialog.checked_workers()) == sorted(current["worker_id"])
    return dialog, village


def _generate(window, qtbot, dialog, village):
    households = store_households(window)
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


def test_rebalance_proposal_on_the_map_then_cancel(window, qtbot, answers):
    start = store_state(window)
    controller = window.controller("grid_edit")
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
    names = sql(window, "SELECT id, name FROM worker").set_index("id")["name"]
    overlay = controller.overlay
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
    assert controller.overlay is None and controller.dialog is None
    assert all(item.scene() is None for item in items)
    _assert_state(window, start)
    assert not window.session.can_undo()
    assert answers.messages == []


def test_rebalance_apply_then_undo(window, qtbot, answers):
    start = store_state(window)
    controller = window.controller("grid_edit")
    dialog, village = _open_rebalance(window, qtbot)
    proposal, mine, limit = _generate(window, qtbot, dialog, village)
    qtbot.mouseClick(dialog.apply, Qt.MouseButton.LeftButton)
    assert answers.messages == []
    assert not dialog.isVisible() and controller.overlay is None
    grids = store_grids(window)
    now = grids[grids["admin_unit_id"] == village]
    assert len(now) == len(proposal.grids)
    # the stored grids are the proposal's, one for one
    stored, proposed = now["geometry"].to_numpy(), proposal.grids.geometry.to_numpy()
    apart = shapely.symmetric_difference(stored[:, None], proposed[None, :])
    apart = shapely.area(to_map(window, apart.ravel())).reshape(apart.shape)
    assert (apart.min(axis=1) < 1.0).all() and (apart.min(axis=0) < 1.0).all()  # m²
    stored = store_households(window)
    inside = stored[stored["village_id"] == village]
    where = _located_in(inside[["lon", "lat"]].to_numpy(), now["geometry"].to_numpy())
    per_grid = np.bincount(where[where >= 0], minlength=len(now))
    assert per_grid.sum() == len(mine)
    assert per_grid.max() <= limit
    # each new grid has one 三级网格员, the one proposed for it
    held = sql(window, "SELECT a.grid_id, a.worker_id FROM grid_assignment a WHERE "
                       "a.role = '三级网格员' AND " + _in_force() + " AND a.grid_id IN ("
               + ",".join(map(str, now.index)) + ")", today=dt.date.today().isoformat())
    assert sorted(held["grid_id"]) == sorted(now.index)
    assert set(held["worker_id"]) == set(proposal.grids["worker"])
    _assert_households_follow_location(window)
    assert_views_match_store(window)
    assert f"已重新划分为{len(now)}个网格" in window.statusBar().currentMessage()
    undo(window, qtbot)
    _assert_state(window, start)
    _assert_households_follow_location(window)


def test_grid_editing_in_english(qtbot, sample_project_path, tmp_path):
    import shutil

    from tests.ui.conftest import open_window

    copy = tmp_path / "english.gmp"
    shutil.copy(sample_project_path, copy)
    window = open_window(qtbot, copy, tmp_path / "settings.ini", language="en")
    try:
        actions = {a.text(): a for a in window.toolbars["grids"].actions() if a.text()}
        assert list(actions) == ["Split grid along a line", "Split grid evenly…",
                                 "Merge selected grids", "Draw a new grid",
                                 "Redraw village grids…"]
        actions["Split grid along a line"].trigger()
        hint = window.controller("map").hint
        assert hint.text().startswith("Click a starting point and draw a line right across")
        actions["Draw a new grid"].trigger()
        assert hint.text() == "Click the first corner, then the new grid's boundary point by point"
        village, grid = _village_for_rebalance(window)
        window.layers["grids_level3"].select_ids([grid])
        actions["Redraw village grids…"].trigger()
        dialog = window.controller("grid_edit").dialog
        assert dialog.windowTitle() == "Redraw village grids"
        qtbot.mouseClick(dialog.generate, Qt.MouseButton.LeftButton)
        assert dialog.proposal is not None
        names = set(sql(window, "SELECT name FROM worker")["name"])
        for text in window.controller("grid_edit").overlay.texts():
            name, rest = text.rsplit(" ", 2)[0], text.rsplit(" ", 2)[1:]
            assert name in names and rest[1] == "households"
        qtbot.mouseClick(dialog.cancel, Qt.MouseButton.LeftButton)
    finally:
        window.close()
        window.session.close()
