"""点选识别 shows the finest grid under the click, then the village's, then the township's; a
household is titled by its head's name.

The grids containing the click are found here with shapely on the store's polygons (plain SQL),
independently of the session's index.
"""

from __future__ import annotations

import numpy as np
import shapely

from tests.ui.test_grid_edit_helpers import (
    identify,
    set_layer_visible,
    spot_in,
    sql,
    to_map,
    zoom_to,
)


def grids_at(window, x: float, y: float) -> dict[int, int]:
    """Level → id of the store's grid containing map point (x, y)."""
    grids = sql(window, "SELECT id, level, geom FROM grid WHERE geom IS NOT NULL")
    shapes = to_map(window, shapely.from_wkb(grids["geom"].to_numpy()))
    inside = shapely.contains_xy(shapes, x, y)
    return dict(zip(grids.loc[inside, "level"].astype(int), grids.loc[inside, "id"].astype(int),
                    strict=True))


def test_an_empty_part_of_a_level3_grid_identifies_the_grid_then_village_then_township(
        window, qtbot):
    grids = sql(window, "SELECT id, name, geom FROM grid WHERE level = 3 ORDER BY id")
    big = grids.iloc[int(np.argmax(shapely.area(shapely.from_wkb(grids["geom"].to_numpy()))))]
    shape = to_map(window, [shapely.from_wkb(big["geom"])])[0]
    zoom_to(window, qtbot, shape.bounds)
    x, y = spot_in(window, shape)
    containing = grids_at(window, x, y)
    assert containing[3] == int(big["id"]) and {1, 2} <= set(containing)
    shown, values = identify(window, qtbot, x, y)
    assert shown == ("grids", containing[3])
    title = window.controller("map").identify.title.text()
    assert title.endswith(f"：{big['name']}")
    assert values["层级"] == "3"
    # the finer layers hidden: the next grid up answers
    set_layer_visible(window, "grids_level3", False)
    shown, _ = identify(window, qtbot, x, y)
    assert shown == ("grids", containing[2])
    set_layer_visible(window, "grids_level2", False)
    shown, _ = identify(window, qtbot, x, y)
    assert shown == ("grids", containing[1])


def test_the_identify_order_puts_points_first_then_grids_finest_first(window):
    order = window.controller("map").identify_order()
    levels = {layer_id: i for i, layer_id in enumerate(order)}
    points = [i for i in order if window.layers[i].definition.geometry == "point"]
    assert order[:len(points)] == points
    assert levels["grids_level3"] < levels["grids_level2"] < levels["grids_level1"] < \
        levels["grids_overall"]
    assert levels["coverage_grids"] < levels["coverage_villages"] < levels["coverage_townships"]


def test_a_household_is_titled_by_its_head_in_either_language(window, qtbot):
    households = sql(window, "SELECT h.id, h.head_name, h.lon, h.lat, g.name AS grid "
                             "FROM household h JOIN grid g ON g.id = h.grid_id "
                             "WHERE h.lon IS NOT NULL ORDER BY h.id")
    x, y = window.session.to_map(households["lon"].to_numpy(), households["lat"].to_numpy())
    points = shapely.points(np.column_stack([x, y]))
    tree = shapely.STRtree(points)
    near = np.array([len(tree.query(p.buffer(40))) for p in points[:400]])
    row = int(np.flatnonzero(near == 1)[0])  # no other household within 40 m
    record = households.iloc[row]
    zoom_to(window, qtbot, (x[row] - 150, y[row] - 150, x[row] + 150, y[row] + 150), padding=0)
    title = window.controller("map").identify.title
    for switch in (None, "英文"):
        if switch:
            next(a for a in window.menus["设置"].actions() if a.text() == switch).trigger()
        shown, _ = identify(window, qtbot, x[row], y[row])
        assert shown == ("households", int(record["id"]))
        assert title.text().endswith(f"：{record['head_name']}"), title.text()
        assert record["grid"] not in title.text()
