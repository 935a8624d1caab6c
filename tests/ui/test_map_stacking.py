"""The map as it opens: what each layer hides and shows, read off the drawn canvas.

The canvas is rendered to an image and its pixels are read at places chosen from the store
(grids read with SQL, households, hazards and labels kept clear of), then compared with the
colours the style files give, blended by hand.
"""

from __future__ import annotations

import numpy as np
import shapely
from PyQt6.QtCore import QPoint, Qt

from tests.ui.conftest import view_to_widget
from tests.ui.test_grid_edit_helpers import layer_tree_item, sql, store_grids, to_map
from tests.ui.test_main_window import BAND_COLOURS, BANDS, _click_check_box, _coverage, _drag

PAPER = "#fbf8ef"  # the villages' fill (styles/grid_level2.toml)
COVERAGE_ALPHA = 0xB0 / 255  # styles/coverage.toml fills
SELECTION = ("#00e5ff", 50 / 255)  # the selection's fill (canvas/layers.py), over the paper


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _over(colour: str, alpha: float, under: str = PAPER) -> np.ndarray:
    """``colour`` at ``alpha`` painted over ``under``."""
    return alpha * _rgb(colour) + (1 - alpha) * _rgb(under)


def _pixels(window, points) -> np.ndarray:
    """RGB of the drawn canvas at map points."""
    image = window.canvas.grab().toImage()
    ratio = image.devicePixelRatio()
    out = []
    for x, y in points:  # a few dozen sample points
        at = view_to_widget(window, x, y)
        colour = image.pixelColor(QPoint(round(at.x() * ratio), round(at.y() * ratio)))
        out.append((colour.red(), colour.green(), colour.blue()))
    return np.array(out, dtype=float)


def _label_boxes(window) -> list:
    """The view rectangles of the labels placed now (placed afresh first, as its timer would)."""
    window.canvas.relabel()
    return [item.mapRectToView(item.boundingRect()) for item in window.canvas.labels.pool
            if item.isVisible()]


def _clear_points(window, geometries, labels: list | None = None) -> np.ndarray:
    """One point per polygon well inside it and clear of everything else drawn there.

    Clear of: households, hazard points and sites (symbols), hazard zones (translucent
    fills), every grid outline, the labels (those on screen, or ``labels`` when a layer about
    to be ticked brings its own) and the edge of the view. Candidates lie on a 3-pixel lattice
    over the view; each polygon gets the one farthest from symbols and outlines. Rows with no
    such point are NaN.
    """
    canvas = window.canvas
    pixel = canvas.metres_per_pixel()
    view = canvas.view_box.viewRect()
    margin = 20 * pixel
    xs = np.arange(view.left() + margin, view.right() - margin, 3 * pixel)
    ys = np.arange(view.top() + margin, view.bottom() - margin, 3 * pixel)
    lattice = shapely.points(*[a.ravel() for a in np.meshgrid(xs, ys)])
    households = sql(window, "SELECT lon, lat FROM household WHERE lon IS NOT NULL")
    marks = [shapely.points(np.column_stack(window.session.to_map(households["lon"],
                                                                  households["lat"])))]
    for table in ("hazard_point", "resettlement_site"):
        marks.append(to_map(window, shapely.from_wkb(sql(window, f"SELECT geom FROM {table}")
                                                     ["geom"].to_numpy())))
    _, symbol_distance = shapely.STRtree(np.concatenate(marks)).query_nearest(
        lattice, return_distance=True, all_matches=False)
    grids = to_map(window, shapely.from_wkb(sql(window, "SELECT geom FROM grid")["geom"]))
    lines = shapely.get_parts(shapely.boundary(grids))
    _, outline_distance = shapely.STRtree(lines).query_nearest(
        lattice, return_distance=True, all_matches=False)
    zones = to_map(window, shapely.from_wkb(sql(window, "SELECT geom FROM hazard_zone")["geom"]))
    boxes = _label_boxes(window) if labels is None else labels
    covers = np.concatenate([zones, shapely.box(
        *np.array([[r.left(), r.top(), r.right(), r.bottom()] for r in boxes]).T)
        if boxes else np.empty(0, dtype=object)])
    blocked = np.zeros(len(lattice), dtype=bool)
    blocked[shapely.STRtree(covers).query(lattice, predicate="dwithin",
                                          distance=4 * pixel)[0]] = True
    clearance = np.minimum(symbol_distance, outline_distance)
    free = ~blocked & (symbol_distance > 10 * pixel) & (outline_distance > 4 * pixel)
    point, owner = shapely.STRtree(np.asarray(geometries, dtype=object)).query(
        lattice, predicate="within")
    keep = free[point]
    owner, point = owner[keep], point[keep]
    chosen = np.full((len(geometries), 2), np.nan)
    if len(point):
        order = np.lexsort((-clearance[point], owner))  # per polygon, the clearest first
        first = order[np.r_[True, owner[order][1:] != owner[order][:-1]]]
        chosen[owner[first]] = shapely.get_coordinates(lattice[point[first]])
    return chosen


def _nearest(pixels: np.ndarray, palette: list[np.ndarray]) -> np.ndarray:
    distances = np.stack([np.abs(pixels - colour).max(axis=1) for colour in palette], axis=1)
    return distances.argmin(axis=1), distances.min(axis=1)


def test_ticking_grid_coverage_changes_the_map_at_every_grid(window, qtbot):
    grids = store_grids(window)
    expected = _coverage(window, "grid_code")
    grids = grids[grids["code"].isin(expected.index)]
    # The coverage layer labels its grids (large scales): spots keep clear of the labels
    # placed with it ticked and without.
    labels = _label_boxes(window)
    _click_check_box(window, qtbot, "coverage_grids")
    labels += _label_boxes(window)
    _click_check_box(window, qtbot, "coverage_grids")
    spots = _clear_points(window, to_map(window, grids["geometry"].to_numpy()), labels)
    usable = np.isfinite(spots).all(axis=1)
    assert usable.sum() >= 0.5 * len(grids) >= 30
    spots, codes = spots[usable], grids["code"].to_numpy()[usable]
    # As it opens: the villages' paper, nothing hides the level-3 grids or sits on them.
    _label_boxes(window)
    before = _pixels(window, spots)
    assert np.abs(before - _rgb(PAPER)).max() <= 3

    _click_check_box(window, qtbot, "coverage_grids")
    qtbot.wait(50)
    _label_boxes(window)
    after = _pixels(window, spots)
    bands = np.digitize(expected.loc[codes, "coverage"].to_numpy(), BANDS)
    palette = [_over(colour, COVERAGE_ALPHA) for colour in BAND_COLOURS]
    nearest, distance = _nearest(after, palette)
    # Every grid is painted in its coverage band's colour, laid over the paper.
    assert (nearest == bands).all(), list(zip(codes, nearest, bands, strict=True))
    assert distance.max() <= 6
    assert len(set(bands)) >= 3  # the sample county has grids in several bands

    _click_check_box(window, qtbot, "coverage_grids")
    qtbot.wait(50)
    _label_boxes(window)
    assert np.abs(_pixels(window, spots) - _rgb(PAPER)).max() <= 3


def test_village_and_township_coverage_show_too(window, qtbot):
    for layer_id, column, level in (("coverage_villages", "village_code", 2),
                                    ("coverage_townships", "township_code", 1)):
        units = sql(window, "SELECT g.geom, a.code FROM grid g JOIN admin_unit a "
                            "ON a.id = g.admin_unit_id WHERE g.level = :level", level=level)
        expected = _coverage(window, column)
        labels = _label_boxes(window)
        _click_check_box(window, qtbot, layer_id)
        qtbot.wait(50)
        labels += _label_boxes(window)
        spots = _clear_points(window, to_map(window, shapely.from_wkb(units["geom"])), labels)
        usable = np.isfinite(spots).all(axis=1)
        assert usable.sum() >= 0.6 * len(units)
        drawn = _pixels(window, spots[usable])
        bands = np.digitize(expected.loc[units["code"][usable], "coverage"].to_numpy(), BANDS)
        nearest, distance = _nearest(drawn, [_over(c, COVERAGE_ALPHA) for c in BAND_COLOURS])
        assert (nearest == bands).all() and distance.max() <= 6, layer_id
        _click_check_box(window, qtbot, layer_id)


def test_a_grid_selected_with_the_box_tool_is_highlighted(window, qtbot):
    grids = store_grids(window)
    shapes = to_map(window, grids["geometry"].to_numpy())
    spots = _clear_points(window, shapes)
    # The largest clear grid: a box well inside it selects it alone.
    pixel = window.canvas.metres_per_pixel()
    usable = np.isfinite(spots).all(axis=1)
    room = np.where(usable, shapely.distance(shapely.points(np.nan_to_num(spots)),
                                             shapely.boundary(shapes)), 0)
    row = int(room.argmax())
    assert room[row] > 12 * pixel
    x, y = spots[row]
    before = _pixels(window, [(x, y)])[0]
    assert np.abs(before - _rgb(PAPER)).max() <= 3
    # Make the level-3 grids the active layer by clicking them in the layer tree, then 框选.
    tree = window.controller("layers").tree
    item = layer_tree_item(window, "grids_level3")
    tree.scrollToItem(item)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton,
                     pos=tree.visualItemRect(item).center())
    assert window.layers.active == "grids_level3"
    window.tool_actions["select"].trigger()
    half = 4 * pixel
    _drag(window, qtbot, view_to_widget(window, x - half, y + half),
          view_to_widget(window, x + half, y - half))
    layer = window.layers["grids_level3"]
    assert layer.selected_ids().tolist() == [int(grids.index[row])]
    qtbot.wait(50)
    # Its inside is tinted with the highlight, over the paper and under nothing.
    inside = _pixels(window, [(x, y)])[0]
    assert np.abs(inside - _over(*SELECTION)).max() <= 6
    # Its outline is drawn in the highlight colour along the boundary (3 px wide).
    boundary = shapely.segmentize(shapely.boundary(shapes[row]), 40 * pixel)
    ring = shapely.get_coordinates(boundary)
    drawn = _pixels(window, ring)
    cyan = np.abs(drawn - _rgb(SELECTION[0])).max(axis=1) <= 40
    assert cyan.mean() > 0.8
    # Cleared: the paper again.
    window.layers.clear_selection()
    qtbot.wait(50)
    assert np.abs(_pixels(window, [(x, y)])[0] - _rgb(PAPER)).max() <= 3
