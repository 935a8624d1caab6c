"""Issue 8, "stale views", for grid edits: after a split, a merge and its undo, and another user's
edit, every view shows what the store holds — identify, the layers, the attribute table, the
grid tree and the roster — without any refresh by hand; a refused edit writes nothing.

Lines are drawn with real clicks on the map; dialogs are answered through their buttons; the
expected grids of households come from a plain geopandas sjoin on the store's rows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import shapely

from gis_app.services.grid_edit_service import GridEditService
from gis_app.services.session import ProjectSession
from gis_app.storage.project import open_project
from tests.ui.test_grid_edit_helpers import (
    UPPER_GRID_LAYERS,
    answering,
    assert_same_state,
    assert_views_match_store,
    choose_layer,
    draw,
    expected_grids,
    grid_action,
    identify,
    select_grids,
    set_layer_visible,
    show_dock,
    spot_in,
    sql,
    store_grids,
    store_households,
    store_state,
    table_cells,
    to_map,
    undo,
    zoom_to,
)


@pytest.fixture
def answers(window, qtbot):
    """The window's modal dialogs answered through their buttons, and recorded."""
    yield from answering(window, qtbot)


def _line_across(window, grid_id: int, margin: float = 8.0) -> np.ndarray:
    """A horizontal line (map metres) across a grid at its households' median height.

    It ends ``margin`` beyond the grid's own edges there, so that it crosses no neighbour
    completely (a line crossing several grids splits none).
    """
    households = store_households(window)
    mine = households[households["grid_id"] == grid_id]
    _, y = window.session.to_map(mine["lon"].to_numpy(), mine["lat"].to_numpy())
    shape = to_map(window, [store_grids(window).loc[grid_id, "geometry"]])[0]
    minx, _, maxx, _ = shape.bounds
    middle = float(np.median(y)) + 0.5  # between two households' heights, not on one
    chord = shapely.LineString([(minx - 1, middle), (maxx + 1, middle)]).intersection(shape)
    xs = shapely.get_coordinates(chord)[:, 0]
    return np.array([(xs.min() - margin, middle), (xs.max() + margin, middle)])


def _busiest_grid(window, exclude_villages=()) -> int:
    """The one-piece level-3 grid with the most households (outside some villages)."""
    grids = store_grids(window)
    grids = grids[~grids["admin_unit_id"].isin(exclude_villages)]
    counts = store_households(window).groupby("grid_id").size()
    single = grids.index[shapely.get_num_geometries(grids["geometry"].to_numpy()) == 1]
    return int(counts.reindex(single).fillna(0).idxmax())


def _neighbours(window) -> tuple[int, int]:
    """Two level-3 grids of one village sharing more than 100 m of boundary."""
    grids = store_grids(window)
    for _, village in grids.groupby("admin_unit_id"):
        geoms = to_map(window, village["geometry"].to_numpy())
        left, right = np.triu_indices(len(geoms), 1)
        shared = shapely.length(shapely.intersection(shapely.boundary(geoms[left]),
                                                     shapely.boundary(geoms[right])))
        if (shared > 100).any():
            k = int(np.argmax(shared))
            return int(village.index[left[k]]), int(village.index[right[k]])
    raise AssertionError("no neighbouring grids in the sample")


def _today() -> str:
    return dt.date.today().isoformat()


def _serving(window, grid_ids) -> dict[int, set[int]]:
    """Grid → workers in force today on it, from the store (start ≤ today < end)."""
    rows = sql(window, "SELECT grid_id, worker_id FROM grid_assignment WHERE "
                       "(start_date IS NULL OR start_date <= :d) AND "
                       "(end_date IS NULL OR end_date > :d)", d=_today())
    rows = rows[rows["grid_id"].isin(list(grid_ids))]
    return {int(g): set(map(int, w)) for g, w in rows.groupby("grid_id")["worker_id"]}


def test_after_a_split_by_clicks_every_view_shows_the_parts(window, qtbot, answers):
    target = _busiest_grid(window)
    before = store_grids(window)
    households = store_households(window)
    mine = households[households["grid_id"] == target]
    shape = to_map(window, [before.loc[target, "geometry"]])[0]
    for layer_id in UPPER_GRID_LAYERS:  # identify shows the top-most feature
        set_layer_visible(window, layer_id, False)
    show_dock(window, qtbot, "网格树")
    show_dock(window, qtbot, "属性表")
    zoom_to(window, qtbot, shape.bounds)
    shown, values = identify(window, qtbot, *spot_in(window, shape))
    assert shown == ("grids", target)
    code = before.loc[target, "code"]
    assert set(table_cells(window, mine.index, "grid_code").values()) == {code}

    draw(window, qtbot, "沿线拆分网格", _line_across(window, target), finish="double")

    after = store_grids(window)
    parts = [target, *sorted(set(after.index) - set(before.index))]
    assert len(parts) >= 2 and answers.messages == []
    # households: the store, the households layer and the table agree with our own sjoin
    expected = expected_grids(mine[mine["grid_override"] == 0], after.loc[parts])
    assert expected.notna().all() and expected.nunique() >= 2  # households on both sides
    expected = expected.reindex(mine.index).fillna(target).astype(int)  # manual ones stay
    stored = store_households(window)["grid_id"]
    assert (stored.loc[mine.index] == expected).all()
    layer = window.layers["households"].frame.set_index("id")["grid_id"]
    assert (layer.loc[mine.index].astype(int) == expected).all()
    codes = after["code"]
    assert table_cells(window, mine.index, "grid_code") == {
        h: codes[g] for h, g in expected.items()}
    moved = int((expected != target).sum())
    assert window.statusBar().currentMessage() == f"已拆分为{len(parts)}个网格，调整{moved}户"
    assert_views_match_store(window)
    # identify: the panel that showed the grid shows it as it is now; each part by a click
    assert window.controller("map").shown[:2] == ("grids", target)
    for part in parts:
        polygon = to_map(window, [after.loc[part, "geometry"]])[0]
        zoom_to(window, qtbot, polygon.bounds)
        shown, values = identify(window, qtbot, *spot_in(window, polygon))
        assert shown == ("grids", part)
        assert codes[part] in values.values() and after.loc[part, "name"] in values.values()
    # the grid tree: every part with its households
    tree = window.controller("roster").tree
    counts = stored.value_counts()
    for part in parts:
        assert tree.items[part].text(2) == str(int(counts.get(part, 0)))
    # the roster: whoever served the grid serves its parts
    serving = _serving(window, parts)
    assert serving[target] and all(serving[p] == serving[target] for p in parts)
    show_dock(window, qtbot, "网格员")
    roster = window.controller("roster").panel
    for worker in serving[target]:
        listed = roster.cell(worker, "grids").split("、")
        assert {codes[p] for p in parts} <= set(listed)


def test_merge_then_undo_gives_back_grids_and_households_exactly(window, qtbot, answers):
    first, second = _neighbours(window)
    start = store_state(window)
    households = store_households(window)
    both = households.index[households["grid_id"].isin([first, second])]
    show_dock(window, qtbot, "网格树")
    show_dock(window, qtbot, "属性表")
    codes = start[0]["code"]
    table_before = table_cells(window, both, "grid_code")
    assert table_before == {h: codes[households.loc[h, "grid_id"]] for h in both}

    select_grids(window, qtbot, [first, second])
    choose_layer(window, "households")  # the table shows the households again
    grid_action(window, "合并所选网格").trigger()
    merged = store_grids(window)
    assert len(merged) == len(start[0]) - 1 and answers.messages == []
    kept = first if first in merged.index else second
    assert set(table_cells(window, both, "grid_code").values()) == {codes[kept]}
    gone = second if kept == first else first
    assert gone not in window.controller("roster").tree.items
    assert_views_match_store(window)

    undo(window, qtbot)  # Ctrl+Z
    assert window.statusBar().currentMessage().startswith("已撤销")
    assert_same_state(window, start)
    assert_views_match_store(window)
    assert table_cells(window, both, "grid_code") == table_before
    assert gone in window.controller("roster").tree.items
    assert not window.session.can_undo()


@pytest.mark.parametrize("their_edit", ["split", "merge"])
def test_a_grid_changed_by_another_user_is_not_split_and_then_shown(window, qtbot, answers,
                                                                    their_edit):
    first, second = _neighbours(window)
    households = store_households(window).groupby("grid_id").size()
    # the grid the other user merges away (merge keeps the one with more households)
    target = min((first, second), key=lambda g: (households.get(g, 0), -g))
    line = _line_across(window, target)
    zoom_to(window, qtbot, (*line.min(axis=0), *line.max(axis=0)))
    other = ProjectSession(open_project(window.session.project.location), user="王五")
    try:
        service = GridEditService(other)
        if their_edit == "split":
            lon, lat = other.to_lonlat(line[:, 0], line[:, 1])
            service.split_by_line(target, shapely.LineString(np.column_stack([lon, lat])))
        else:
            service.merge([first, second])
    finally:
        other.close()
    theirs = store_state(window)

    # no event loop from their commit to the line's end: the window still shows the old grid
    draw(window, qtbot, "沿线拆分网格", line, finish="enter", zoom=False)

    assert len(answers.messages) == 1
    icon, message = answers.messages[0]
    assert icon == "Warning" and "王五" in message
    assert_same_state(window, theirs)  # nothing written
    assert not window.session.can_undo()
    # within about two seconds the window shows the other user's grids
    qtbot.waitUntil(lambda: sorted(window.layers["grids_level3"].ids) ==
                    list(store_grids(window).index), timeout=2500)
    assert_views_match_store(window)
    tree = window.controller("roster").tree
    show_dock(window, qtbot, "网格树")
    assert set(store_grids(window).index) <= set(tree.items)
    assert (target in tree.items) == (their_edit == "split")


@pytest.mark.parametrize("hidden", [True, False])
def test_split_line_targets_the_grid_it_crosses_not_an_earlier_selection(window, qtbot, answers,
                                                                         hidden):
    grids = store_grids(window)
    chosen = int(grids.index[0])  # selected first, then (maybe) hidden
    target = _busiest_grid(window, exclude_villages=[grids.loc[chosen, "admin_unit_id"]])
    select_grids(window, qtbot, [chosen])
    if hidden:
        set_layer_visible(window, "grids_level3", False)
    before = store_grids(window)
    draw(window, qtbot, "沿线拆分网格", _line_across(window, target))
    after = store_grids(window)
    assert answers.messages == []
    assert len(after) > len(before)
    assert after.loc[chosen, "version"] == before.loc[chosen, "version"]
    assert shapely.equals_exact(after.loc[chosen, "geometry"], before.loc[chosen, "geometry"], 0)
    assert after.loc[target, "version"] > before.loc[target, "version"]
    new = sorted(set(after.index) - set(before.index))
    assert set(after.loc[new, "admin_unit_id"]) == {before.loc[target, "admin_unit_id"]}


def test_a_selection_does_not_choose_among_grids_the_line_crosses(window, qtbot, answers):
    """The line crosses the selected grid and a neighbour completely: it splits neither."""
    first, second = _neighbours(window)
    grids = store_grids(window)
    one, two = to_map(window, grids.loc[[first, second], "geometry"].to_numpy())
    select_grids(window, qtbot, [first])
    a = np.array(one.representative_point().coords[0])
    b = np.array(two.representative_point().coords[0])
    direction = (b - a) / np.hypot(*(b - a))
    minx, miny, maxx, maxy = one.bounds
    start = a - direction * (np.hypot(maxx - minx, maxy - miny) + 20)  # beyond the grid
    end = 2 * b - start  # the line's midpoint is in the neighbour
    line = shapely.LineString([start, end])
    assert shapely.relate_pattern(one, line, "T********")
    assert two.contains(line.interpolate(0.5, normalized=True))
    draw(window, qtbot, "沿线拆分网格", [start, end])
    after = store_grids(window)
    icon, message = answers.messages[-1]
    assert icon == "Warning" and message.startswith("分割线完整穿过了")
    assert grids.loc[first, "name"] in message and grids.loc[second, "name"] in message
    assert after.loc[[first, second], "version"].tolist() == \
        grids.loc[[first, second], "version"].tolist()
    assert list(after.index) == list(grids.index)


def test_cancel_of_the_balanced_split_writes_nothing(window, qtbot, answers):
    target = _busiest_grid(window)
    start = store_state(window)
    edits = sql(window, "SELECT count(*) AS n FROM audit_log")["n"].iloc[0]
    select_grids(window, qtbot, [target])
    answers.number, answers.cancel_progress = 3, True
    grid_action(window, "均衡拆分网格…").trigger()
    assert answers.asked == ["拆分为几个网格（户数均衡）"]
    assert answers.progress_seen  # the progress dialog was on screen and 取消 was clicked
    assert window.statusBar().currentMessage() == "已取消"
    assert answers.messages == []
    assert_same_state(window, start)
    assert sql(window, "SELECT count(*) AS n FROM audit_log")["n"].iloc[0] == edits
    assert not window.session.can_undo()
    assert window.controller("grid_edit").progress is None
