"""沿线拆分网格 splits the level-3 grid the drawn line crosses completely, whatever is selected.

The line is clicked on the map. Which grids it crosses completely is worked out here with
shapely's ``ops.split`` on the store's grids (an independent computation); the store is read
with plain SQL.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.ops import split

from tests.ui.test_grid_edit_helpers import (
    answering,
    assert_same_state,
    assert_views_match_store,
    draw,
    select_grids,
    set_layer_visible,
    store_grids,
    store_state,
    to_map,
)


@pytest.fixture
def answers(window, qtbot):
    yield from answering(window, qtbot)


def crossed(window, line, grids=None) -> list[int]:
    """Level-3 grids (of the store, or ``grids``) ``line`` (map metres) cuts in pieces, ending
    outside them."""
    grids = store_grids(window) if grids is None else grids
    shapes = to_map(window, grids["geometry"].to_numpy())
    ends = [shapely.Point(line.coords[0]), shapely.Point(line.coords[-1])]
    out = []
    for grid_id, shape in zip(grids.index, shapes, strict=True):
        if not shape.intersects(line) or any(shape.contains(end) for end in ends):
            continue
        pieces = [p for p in split(shape, line).geoms if p.area > 1e-2]
        if len(pieces) > len(shapely.get_parts(shape)):
            out.append(int(grid_id))
    return out


def line_from_into(window, a_shape, b_shape) -> shapely.LineString:
    """From deep inside grid A, right across grid B, ending 10 m beyond B."""
    start = a_shape.representative_point()
    through = b_shape.representative_point()
    direction = np.subtract(through.coords[0], start.coords[0])
    direction /= np.hypot(*direction)
    ray = shapely.LineString([start.coords[0], tuple(np.add(start.coords[0],
                                                            direction * 1e5))])
    piece = min(shapely.get_parts(ray.intersection(b_shape)), key=through.distance)
    far = max(piece.coords, key=lambda xy: np.hypot(*np.subtract(xy, start.coords[0])))
    return shapely.LineString([start.coords[0], tuple(np.add(far, direction * 10))])


def _stale_selection_case(window):
    """Grids A, B and a line starting in A, crossing B (and only B) completely."""
    grids = store_grids(window)
    shapes = dict(zip(grids.index, to_map(window, grids["geometry"].to_numpy()), strict=True))
    for _village, mine in grids.groupby("admin_unit_id"):
        ids = list(mine.index)
        for a in ids:
            for b in ids:
                if a == b or shapes[a].intersection(shapes[b]).length < 100:
                    continue
                line = line_from_into(window, shapes[a], shapes[b])
                if crossed(window, line) == [b] and shapes[a].contains(
                        shapely.Point(line.coords[0])):
                    return a, b, line
    raise AssertionError("no such pair of grids in the sample")


def test_the_line_decides_not_an_old_hidden_selection(window, qtbot, answers):
    a, b, line = _stale_selection_case(window)
    select_grids(window, qtbot, [a])  # long ago; then the layer was hidden
    set_layer_visible(window, "grids_level3", False)
    before = store_grids(window)
    landed = draw(window, qtbot, "沿线拆分网格", np.asarray(line.coords))
    assert crossed(window, shapely.LineString(landed), before) == [b]
    assert answers.messages == []
    after = store_grids(window)
    new = sorted(set(after.index) - set(before.index))
    assert len(new) >= 1
    assert shapely.equals_exact(after.loc[a, "geometry"], before.loc[a, "geometry"], 0)
    assert after.loc[a, "version"] == before.loc[a, "version"]  # A untouched
    b_area = to_map(window, [before.loc[b, "geometry"]])[0].area
    parts = to_map(window, after.loc[[b, *new], "geometry"].to_numpy())
    assert shapely.area(parts).sum() == pytest.approx(b_area, rel=1e-6)
    assert window.statusBar().currentMessage().startswith(f"已拆分为{len(new) + 1}个网格")
    assert_views_match_store(window)


def test_a_line_crossing_no_grid_or_several_is_explained_and_writes_nothing(
        window, qtbot, answers):
    start = store_state(window)
    grids = store_grids(window)
    shapes = to_map(window, grids["geometry"].to_numpy())
    # ends inside the grid: crosses none completely
    spot = shapes[0].representative_point()
    draw(window, qtbot, "沿线拆分网格", [(spot.x - 5, spot.y), (spot.x + 5, spot.y)])
    assert answers.messages[-1] == (
        "Warning", "分割线没有完整穿过任何三级网格：请从网格外画起，穿过网格，在网格外结束")
    # right across a village: several grids at once
    village = int(grids["admin_unit_id"].value_counts().idxmax())
    mine = grids[grids["admin_unit_id"] == village]
    area = shapely.union_all(to_map(window, mine["geometry"].to_numpy()))
    centre = area.centroid
    width = area.bounds[2] - area.bounds[0]
    line = shapely.LineString([(centre.x - width, centre.y), (centre.x + width, centre.y)])
    landed = draw(window, qtbot, "沿线拆分网格", np.asarray(line.coords))
    expected = crossed(window, shapely.LineString(landed))
    assert len(expected) >= 2
    kind, text = answers.messages[-1]
    assert kind == "Warning"
    assert text.startswith(f"分割线完整穿过了{len(expected)}个三级网格（")
    assert text.endswith("），一次只能拆分一个网格，请重画")
    names = set(text[text.index("（") + 1:text.rindex("）")].split("、"))
    assert names == set(grids.loc[expected, "name"])
    assert len(answers.messages) == 2
    assert_same_state(window, start)
    assert not window.session.can_undo()
