"""Polygon layers drawn in spatial tiles: only the tiles in view are painted, and the map looks
as it did when each style class was one painter path."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import shapely  # noqa: E402
from PyQt6.QtCore import QPointF, QRectF, Qt  # noqa: E402
from PyQt6.QtGui import QBrush, QImage, QPen  # noqa: E402
from PyQt6.QtWidgets import QGraphicsPathItem  # noqa: E402

from gis_app.core.classify import classify  # noqa: E402
from gis_app.core.mapdefs import LayerDefinition, Style, StyleClass, Symbol, Text  # noqa: E402

SIZE = 10_000.0  # the synthetic layer covers 10 km × 10 km from (0, 0)
BACKGROUND = (0xf1, 0xf3, 0xf5)  # the canvas's

STYLE = Style(
    id="test_kinds",
    kind="categorized",
    field="kind",
    classes=(
        StyleClass(Text("甲", "A"), Symbol(fill="#fbf8ef", stroke="#495057", stroke_width=1.6),
                   value="a"),
        StyleClass(Text("乙", "B"), Symbol(fill="#4dabf766", stroke="#1971c2", stroke_width=0.8),
                   value="b"),
        StyleClass(Text("丙", "C"), Symbol(fill="#ffffff00", stroke="#7048e8", stroke_width=3.0,
                                          stroke_style="dot"), value="c"),
    ),
)
#: Class B outlined with a thin dashed pen (as the level-3 grids are).
DASHED = Style(
    id="test_dashed",
    kind="categorized",
    field="kind",
    classes=(
        STYLE.classes[0],
        StyleClass(Text("乙", "B"), Symbol(fill="#4dabf766", stroke="#1971c2", stroke_width=0.8,
                                          stroke_style="dash"), value="b"),
        STYLE.classes[2],
    ),
)


def _definition(layer_id: str = "test_polygons", z: int = 10) -> LayerDefinition:
    return LayerDefinition(id=layer_id, title=Text("测试", "Test"), source="test",
                           geometry="polygon", style=STYLE.id, z=z)


def _polygons(n: int = 40, seed: int = 1) -> gpd.GeoDataFrame:
    """n × n cells of 250 m: wobbly discs, squares and discs with a hole, none overlapping."""
    rng = np.random.default_rng(seed)
    step = SIZE / n
    cx, cy = np.meshgrid((np.arange(n) + 0.5) * step, (np.arange(n) + 0.5) * step)
    centres = shapely.points(cx.ravel(), cy.ravel())
    # Discs of 48 vertices with a wobbly radius, so that simplification has work to do.
    angle = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    radius = step * 0.45 * (1 + 0.03 * rng.standard_normal((n * n, 48)))
    discs = shapely.polygons(np.stack([cx.reshape(-1, 1) + radius * np.cos(angle),
                                       cy.reshape(-1, 1) + radius * np.sin(angle)], axis=-1))
    squares = shapely.box(cx.ravel() - step * 0.4, cy.ravel() - step * 0.4,
                          cx.ravel() + step * 0.4, cy.ravel() + step * 0.4)
    holed = shapely.difference(discs, shapely.buffer(centres, step * 0.2))
    pick = np.arange(n * n) % 3
    geometry = np.where(pick == 0, discs, np.where(pick == 1, squares, holed))
    kinds = np.array(["a", "b", "c"])[rng.integers(0, 3, n * n)]
    return gpd.GeoDataFrame({"kind": kinds, "id": np.arange(n * n)}, geometry=geometry,
                            crs=4547)


def _canvas(qtbot):
    from gis_app.ui.app import application
    from gis_app.ui.canvas.map_canvas import MapCanvas

    application()
    canvas = MapCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(600, 600)
    canvas.show()
    qtbot.waitExposed(canvas)
    return canvas


def _pixels(canvas) -> np.ndarray:
    image = canvas.grab().toImage().convertToFormat(QImage.Format.Format_ARGB32)
    bits = image.constBits()
    bits.setsize(image.sizeInBytes())
    rows = np.frombuffer(bits, np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    return rows[:, : image.width(), :3].copy()


def _show(canvas, qtbot, rect: QRectF) -> None:
    canvas.view_box.setRange(rect, padding=0)
    qtbot.wait(10)


def _pixel_at(canvas, pixels: np.ndarray, x: float, y: float) -> tuple[int, int, int]:
    point = canvas.mapFromScene(canvas.view_box.mapViewToScene(QPointF(x, y)))
    blue, green, red = pixels[point.y(), point.x()]
    return int(red), int(green), int(blue)


def _reference_items(canvas, frame, style, z: int, detail: int) -> list[QGraphicsPathItem]:
    """The drawing before tiles: QGraphicsPathItems with every polygon of a style class, the
    fills of every class under the outlines of every class (the canvas's drawing bands);
    zoomed far out, fine outlines as hairlines."""
    from gis_app.ui.canvas import symbology
    from gis_app.ui.canvas.polygon_item import (
        DETAIL_TOLERANCES,
        FAR_DETAIL,
        far_pen,
        polygon_path,
    )

    classes = classify(style, frame)
    geometries = frame.geometry.to_numpy()
    items = []
    for index, style_class in enumerate(style.classes):
        members = geometries[classes == index]
        if DETAIL_TOLERANCES[detail]:
            members = shapely.simplify(members, DETAIL_TOLERANCES[detail],
                                       preserve_topology=False)
            members = members[~shapely.is_empty(members)]
        for outline in (False, True):
            item = QGraphicsPathItem(polygon_path(members))
            pen = symbology.pen(style_class.symbol)
            pen = far_pen(pen) if detail >= FAR_DETAIL else pen
            item.setPen(pen if outline else QPen(Qt.PenStyle.NoPen))
            item.setBrush(QBrush(Qt.BrushStyle.NoBrush) if outline else
                          symbology.brush(style_class.symbol))
            item.setZValue(z + outline * 100 + index * 0.01)
            canvas.plotItem.addItem(item)
            items.append(item)
    return items


VIEWS = {
    "whole layer": QRectF(-200, -200, SIZE + 400, SIZE + 400),
    "3.3 km across tile edges": QRectF(2_900, 3_100, 3_300, 3_300),
    "800 m": QRectF(3_950, 5_900, 800, 800),
    "zoomed far out (coarse detail)": QRectF(-25_000, -25_000, 60_000, 60_000),
}


@pytest.mark.parametrize("view", list(VIEWS))
def test_tiled_drawing_looks_like_one_path_per_class(qtbot, view):
    from gis_app.ui.canvas.polygon_item import detail_for

    frame = _polygons()
    tiled, reference = _canvas(qtbot), _canvas(qtbot)
    tiled.add_layer(_definition(), STYLE, frame)
    _show(tiled, qtbot, VIEWS[view])
    _show(reference, qtbot, VIEWS[view])
    detail = detail_for(tiled.metres_per_pixel())
    _reference_items(reference, frame, STYLE, 10, detail)
    qtbot.wait(10)

    ours, theirs = _pixels(tiled), _pixels(reference)
    background = _pixels(_canvas(qtbot))
    drawn = (np.abs(theirs.astype(int) - background[: theirs.shape[0], : theirs.shape[1]])
             .max(axis=2) > 0)
    assert drawn.mean() > 0.02  # the view shows polygons, not an empty map
    differing = np.abs(ours.astype(int) - theirs.astype(int)).max(axis=2) > 0
    # A handful of pixels may round differently where a long outline is cut by the view.
    assert differing.sum() <= 20, f"{differing.sum()} pixels differ"


def test_thin_dashed_outlines_keep_their_dashes(qtbot):
    """A thin dashed pen runs its pattern on from one ring to the next within a path, so the
    dashes start elsewhere along a ring than with one path per class: as many are drawn."""
    frame = _polygons()
    view = VIEWS["3.3 km across tile edges"]
    tiled, reference = _canvas(qtbot), _canvas(qtbot)
    tiled.add_layer(_definition(), DASHED, frame)
    _show(tiled, qtbot, view)
    _show(reference, qtbot, view)
    _reference_items(reference, frame, DASHED, 10, 0)
    qtbot.wait(10)
    ours, theirs = _pixels(tiled), _pixels(reference)

    def dash(pixels):  # #1971c2, a 0.8 pixel pen: drawn at 80 % over the pale blue fill
        return (pixels[..., 0] > 150) & (pixels[..., 2] < 100)

    assert dash(theirs).sum() > 500
    assert abs(int(dash(ours).sum()) - int(dash(theirs).sum())) < 0.1 * dash(theirs).sum()
    differing = np.abs(ours.astype(int) - theirs.astype(int)).max(axis=2) > 0
    near_dash = dash(ours) | dash(theirs)
    assert (differing & ~near_dash).sum() <= 20  # everything else is as before


def test_only_tiles_in_view_are_painted(qtbot):
    frame = _polygons()
    canvas = _canvas(qtbot)
    adapter = canvas.add_layer(_definition(), STYLE, frame)
    items = adapter._class_items

    _show(canvas, qtbot, QRectF(-200, -200, SIZE + 400, SIZE + 400))
    canvas.grab()
    assert sum(item.painted_tiles for item in items) == sum(len(item.tiles()) for item in items)

    _show(canvas, qtbot, VIEWS["800 m"])
    assert {item.detail for item in items} == {0}  # 2 km tiles: 5 × 5 per class
    canvas.grab()
    everything = sum(len(item.tiles()) for item in items)
    painted = sum(item.painted_tiles for item in items)
    # Classes A and B are drawn as a fill and an outline (outlines over every fill), C as one.
    assert len(items) == 5
    assert everything == len(items) * 25
    assert 0 < painted <= len(items) * 4  # at most the 2 × 2 tiles around the view, per item


def test_polygons_out_of_view_cost_no_paths(qtbot):
    """Zoomed in, only the tiles in view have their paths made."""
    frame = _polygons()
    canvas = _canvas(qtbot)
    adapter = canvas.add_layer(_definition(), STYLE, frame)
    _show(canvas, qtbot, VIEWS["800 m"])
    canvas.grab()
    item = adapter._class_items[0]
    made = sum(paths is not None for paths in item._paths[item.detail])
    assert 0 < made <= 4 < len(item.tiles())


def test_overlapping_polygons_of_one_class_are_both_filled(qtbot):
    """Where two polygons of a class overlap, the overlap is filled, in one tile or across."""
    # Two overlapping pairs: one pair inside a tile, one pair whose boxes' centres fall in
    # different tiles (tile edges every 2 km at the finest detail).
    pairs = [shapely.box(100, 100, 900, 900), shapely.box(500, 500, 1300, 1300),
             shapely.box(1500, 5000, 2500, 6000), shapely.box(2100, 5400, 3100, 6400)]
    frame = gpd.GeoDataFrame({"kind": ["a"] * 4}, geometry=pairs, crs=4547)
    canvas = _canvas(qtbot)
    canvas.add_layer(_definition(), STYLE, frame)
    _show(canvas, qtbot, QRectF(0, 0, 3_500, 6_500))
    pixels = _pixels(canvas)
    fill = (0xfb, 0xf8, 0xef)
    assert _pixel_at(canvas, pixels, 700, 700) == fill  # the overlap inside one tile
    assert _pixel_at(canvas, pixels, 2300, 5700) == fill  # the overlap across tiles


def test_selection_is_drawn_above_every_class(qtbot):
    frame = _polygons()
    canvas = _canvas(qtbot)
    adapter = canvas.add_layer(_definition(), STYLE, frame)
    _show(canvas, qtbot, VIEWS["800 m"])
    # A square near the view's centre: its left edge is drawn by its class's outline.
    squares = np.flatnonzero(shapely.get_num_coordinates(frame.geometry.to_numpy()) == 5)
    centres = shapely.centroid(frame.geometry.to_numpy()[squares])
    row = squares[np.argmin(shapely.distance(centres, shapely.Point(4350, 6300)))]
    minx, miny, maxx, maxy = frame.geometry.iloc[row].bounds
    edge = (minx, (miny + maxy) / 2)
    before = _pixel_at(canvas, _pixels(canvas), *edge)
    assert before != (0x00, 0xe5, 0xff)

    mask = np.zeros(len(frame), dtype=bool)
    mask[row] = True
    adapter.set_selection(mask)
    qtbot.wait(10)
    assert _pixel_at(canvas, _pixels(canvas), *edge) == (0x00, 0xe5, 0xff)
    z = [item.zValue() for item in adapter.items()]
    assert z[-1] == max(z)  # the selection's item is the layer's top item


def test_set_frame_keeps_visibility_opacity_and_order(qtbot):
    frame = _polygons()
    canvas = _canvas(qtbot)
    adapter = canvas.add_layer(_definition(), STYLE, frame)
    _show(canvas, qtbot, VIEWS["whole layer"])
    adapter.set_visible(False)
    adapter.set_opacity(0.5)
    adapter.set_z(42)
    adapter.set_selection(np.ones(len(frame), dtype=bool))

    smaller = frame.iloc[: len(frame) // 2].reset_index(drop=True)  # the lower half only
    adapter.set_frame(smaller)
    assert len(adapter.selected) == len(smaller) and not adapter.selected.any()
    from gis_app.ui.canvas.layers import band_z  # each item in its band, at the layer's z
    for offset, item in enumerate(adapter.items()):
        assert not item.isVisible()
        assert item.opacity() == 0.5
        assert item.zValue() == pytest.approx(band_z(adapter._band(item), 42, offset))
    assert len(adapter.items()) == len(STYLE.classes) + 2 + 1  # A and B: fill and outline

    adapter.set_visible(True)
    adapter.set_opacity(1.0)
    qtbot.wait(10)
    pixels = _pixels(canvas)
    # A class-A polygon in the middle of the lower half, and one in the upper half.
    lower = smaller[smaller["kind"] == "a"].geometry.iloc[-30].representative_point()
    upper_rows = frame.iloc[len(frame) // 2:]
    upper = upper_rows[upper_rows["kind"] == "a"].geometry.iloc[30].representative_point()
    assert _pixel_at(canvas, pixels, lower.x, lower.y) == (0xfb, 0xf8, 0xef)  # new: drawn
    assert _pixel_at(canvas, pixels, upper.x, upper.y) == BACKGROUND  # dropped: gone


def test_set_frame_keeps_the_level_of_detail(qtbot):
    frame = _polygons()
    canvas = _canvas(qtbot)
    adapter = canvas.add_layer(_definition(), STYLE, frame)
    _show(canvas, qtbot, VIEWS["zoomed far out (coarse detail)"])
    detail = adapter._detail
    assert detail > 0
    adapter.set_frame(_polygons(seed=2))
    assert {item.detail for item in adapter.items()} == {detail}


def test_restyle_keeps_scale_visibility(qtbot):
    """A layer hidden by its scale range stays hidden when restyled."""
    from dataclasses import replace

    frame = _polygons()
    canvas = _canvas(qtbot)
    definition = replace(_definition(), max_scale=1_000)
    adapter = canvas.add_layer(definition, STYLE, frame)
    _show(canvas, qtbot, VIEWS["whole layer"])  # far beyond 1:1,000
    assert not adapter.in_scale
    adapter.restyle(replace(STYLE, classes=STYLE.classes[:2]))
    assert not any(item.isVisible() for item in adapter.items())


def test_fine_outlines_are_hairlines_when_zoomed_far_out(qtbot):
    """A village boundary (1.6 px) is a 1 px hairline at county scale, as wide as styled at
    village scale; a township's bold outline (3 px) keeps its width at every scale."""
    from PyQt6.QtGui import QPainter

    from gis_app.ui.canvas.polygon_item import FAR_DETAIL, TiledPathItem

    class RecordingPainter(QPainter):
        """A painter noting the pen width of every path it draws."""

        def __init__(self, device):
            super().__init__(device)
            self.widths = []

        def drawPath(self, path):  # noqa: N802 - Qt's name
            self.widths.append(self.pen().widthF())
            super().drawPath(path)

    square = np.array([shapely.box(0, 0, 5000, 5000)], dtype=object)
    everything = type("Option", (), {"exposedRect": QRectF(-1e6, -1e6, 2e6, 2e6)})()
    widths = {}
    for styled in (1.6, 3.0):
        pen = QPen(Qt.GlobalColor.black, styled)
        pen.setCosmetic(True)
        item = TiledPathItem(square, pen, QBrush(Qt.BrushStyle.NoBrush))
        for detail in (0, FAR_DETAIL - 1, FAR_DETAIL, FAR_DETAIL + 1):
            item.set_detail(detail)
            image = QImage(400, 400, QImage.Format.Format_ARGB32)
            image.fill(Qt.GlobalColor.white)
            painter = RecordingPainter(image)
            painter.scale(400 / 6000, 400 / 6000)  # 15 m per pixel
            painter.translate(500, 500)
            item.paint(painter, everything)
            painter.end()
            widths[styled, detail] = painter.widths
    assert widths[1.6, 0] == [1.6] and widths[1.6, FAR_DETAIL - 1] == [1.6]
    assert widths[1.6, FAR_DETAIL] == [0.0] and widths[1.6, FAR_DETAIL + 1] == [0.0]
    assert all(widths[3.0, d] == [3.0] for d in (0, FAR_DETAIL, FAR_DETAIL + 1))
