"""Polygons of one style class in spatial tiles: a redraw paints only the tiles in view.

Each polygon belongs to the tile holding the centre of its bounding box, and a tile's extent is
the union of its polygons' boxes, so every polygon is drawn once, whole, and the tiles that
reach into the view are all that a redraw sends to Qt. Each level of detail (see
:data:`DETAIL_TOLERANCES`) has its own tiles, larger when zoomed out, and a tile's painter path
is built the first time it is painted.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import shapely
from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QBrush, QPainter, QPainterPath, QPen
from PyQt6.QtWidgets import QGraphicsItem

#: Simplification tolerances (map metres) of the levels of detail kept for polygon layers.
DETAIL_TOLERANCES = (0.0, 3.0, 12.0, 48.0)

#: Side (map metres) of the square tiles at each level of detail. A level serves views of a
#: range of scales (about 1:20,000 and closer for level 0, farther for each next level, four
#: times as far each), so its tiles grow with the views: a view meets a few dozen tiles at most.
TILE_SIZES = (2_000.0, 4_000.0, 16_000.0, 64_000.0)

#: From this level of detail on (a view of more than about 24 m per pixel: a township or the
#: whole county) fine outlines, under 2 px, are drawn as 1 px hairlines. Thousands of village
#: boundaries at 1.6 px cost Qt's stroker eight times a hairline's time, and a county-wide map
#: reads better with thin boundaries; bolder outlines (a township's) keep their width.
FAR_DETAIL = 2


def far_pen(pen: QPen) -> QPen:
    """The pen an outline is drawn with when zoomed far out (see :data:`FAR_DETAIL`)."""
    pen = QPen(pen)
    if pen.isCosmetic() and 1.0 < pen.widthF() < 2.0:
        pen.setWidthF(0.0)  # a cosmetic hairline: one pixel, Qt's fastest stroke
    return pen


def polygon_path(geometries: np.ndarray) -> QPainterPath:
    """All rings of ``geometries`` as one painter path, built from arrays (no per-vertex calls).

    Parameters
    ----------
    geometries : ndarray of shapely geometries
        Polygons or multipolygons (None and empty geometries add nothing).

    Returns
    -------
    QPainterPath
        One closed subpath per ring, odd-even filled.
    """
    geometries = np.asarray(geometries, dtype=object)
    if not len(geometries):
        return QPainterPath()
    rings = shapely.get_rings(shapely.get_parts(geometries))
    coords, ring_index = shapely.get_coordinates(rings, return_index=True)
    if not len(coords):
        return QPainterPath()
    connect = np.ones(len(coords), dtype=np.int32)
    connect[:-1][ring_index[1:] != ring_index[:-1]] = 0  # no line from one ring to the next
    connect[-1] = 0
    return pg.arrayToQPath(coords[:, 0], coords[:, 1], connect=connect, finiteCheck=False)


def detail_for(metres_per_pixel: float) -> int:
    """The coarsest level of detail whose simplification stays under half a pixel.

    Parameters
    ----------
    metres_per_pixel : float
        Map metres shown by one screen pixel.

    Returns
    -------
    int
        Index into :data:`DETAIL_TOLERANCES`.
    """
    allowed = metres_per_pixel * 0.5
    return max(i for i, tolerance in enumerate(DETAIL_TOLERANCES) if tolerance <= allowed)


class PolygonTiles:
    """Polygons bucketed into square tiles by the centre of their bounding boxes.

    Parameters
    ----------
    bounds : ndarray, shape (n, 4)
        Each polygon's box (minx, miny, maxx, maxy); rows with NaN (no shape) are left out.
    tile_size : float
        Side of a tile in map metres.

    Attributes
    ----------
    members : list of ndarray of int
        For each non-empty tile, the rows of ``bounds`` of its polygons, in order.
    boxes : ndarray, shape (n_tiles, 4)
        Each tile's extent (minx, miny, maxx, maxy): the union of its polygons' boxes.
    """

    def __init__(self, bounds: np.ndarray, tile_size: float):
        bounds = np.asarray(bounds, dtype=np.float64).reshape(-1, 4)
        drawn = np.flatnonzero(np.isfinite(bounds).all(axis=1))
        bounds = bounds[drawn]
        if not len(drawn):
            self.members: list[np.ndarray] = []
            self.boxes = np.empty((0, 4))
            return
        minx, miny = bounds[:, 0].min(), bounds[:, 1].min()
        column = np.floor(((bounds[:, 0] + bounds[:, 2]) / 2 - minx) / tile_size).astype(np.int64)
        row = np.floor(((bounds[:, 1] + bounds[:, 3]) / 2 - miny) / tile_size).astype(np.int64)
        key = row * (int(column.max()) + 1) + column
        order = np.argsort(key, kind="stable")  # stable: a tile keeps the polygons' order
        starts = np.flatnonzero(np.r_[True, key[order][1:] != key[order][:-1]])
        self.members = np.split(drawn[order], starts[1:])
        sorted_bounds = bounds[order]
        self.boxes = np.column_stack([
            np.minimum.reduceat(sorted_bounds[:, 0], starts),
            np.minimum.reduceat(sorted_bounds[:, 1], starts),
            np.maximum.reduceat(sorted_bounds[:, 2], starts),
            np.maximum.reduceat(sorted_bounds[:, 3], starts),
        ])

    def __len__(self) -> int:
        return len(self.members)

    def intersecting(self, rect: QRectF, margin: float = 0.0) -> np.ndarray:
        """Indices of the tiles whose extent, grown by ``margin``, meets ``rect``."""
        boxes = self.boxes
        return np.flatnonzero(
            (boxes[:, 0] - margin <= rect.right())
            & (boxes[:, 2] + margin >= rect.left())
            & (boxes[:, 1] - margin <= rect.bottom())
            & (boxes[:, 3] + margin >= rect.top())
        )


def _extent(bounds: np.ndarray) -> QRectF:
    """The box around every polygon's box (an empty rectangle when there is none)."""
    drawn = bounds[np.isfinite(bounds).all(axis=1)] if len(bounds) else bounds
    if not len(drawn):
        return QRectF()
    minx, miny = drawn[:, 0].min(), drawn[:, 1].min()
    return QRectF(minx, miny, drawn[:, 2].max() - minx, drawn[:, 3].max() - miny)


def _paints(brush: QBrush) -> bool:
    """False for a brush that leaves the image unchanged (none, or fully transparent)."""
    if brush.style() == Qt.BrushStyle.NoBrush:
        return False
    return not (brush.style() == Qt.BrushStyle.SolidPattern and brush.color().alpha() == 0)


def _strokes(pen: QPen) -> bool:
    """False for a pen that leaves the image unchanged (none, or fully transparent)."""
    return pen.style() != Qt.PenStyle.NoPen and pen.color().alpha() > 0


class TileShapes:
    """Polygons in tiles, and each tile's painter paths at each level of detail.

    The paths are made when first asked for. Items drawing the same polygons (a class's fill
    and its outline) share one TileShapes: each tile is simplified and built once.

    Parameters
    ----------
    geometries : ndarray of shapely geometries
        Polygons or multipolygons in map metres.
    """

    def __init__(self, geometries: np.ndarray):
        self.geometries = np.asarray(geometries, dtype=object)
        self.bounds = (shapely.bounds(self.geometries) if len(self.geometries)
                       else np.empty((0, 4)))
        self.extent = _extent(self.bounds)
        self._tilings: list[PolygonTiles | None] = [None] * len(DETAIL_TOLERANCES)
        #: [outline path, fill path] of each tile at each level of detail, made when needed.
        self.paths: list[list[list[QPainterPath | None] | None]] = [[] for _ in DETAIL_TOLERANCES]
        #: How many items draw these shapes; shared by two or more, a tile's paths are all
        #: made at once.
        self.users = 0

    @property
    def shared(self) -> bool:
        """True when more than one item draws these shapes."""
        return self.users > 1

    def attach(self) -> TileShapes:
        """Count one more item drawing these shapes; returns them."""
        self.users += 1
        return self

    def tiles(self, detail: int) -> PolygonTiles:
        """The tiles of a level of detail."""
        tiles = self._tilings[detail]
        if tiles is None:
            tiles = self._tilings[detail] = PolygonTiles(self.bounds, TILE_SIZES[detail])
            self.paths[detail] = [None] * len(tiles)
        return tiles

    def build(self, tile: int, detail: int, outline: bool, filled: bool) -> None:
        """Make the tile's outline and/or fill path at ``detail`` if not made yet.

        Both are made at once when this tile is shared (a fill and its outline item): the
        polygons are simplified once.
        """
        tiles = self.tiles(detail)
        paths = self.paths[detail][tile]
        if paths is None:
            paths = self.paths[detail][tile] = [None, None]
        if self.shared:
            outline = filled = True
        outline, filled = outline and paths[0] is None, filled and paths[1] is None
        if not (outline or filled):
            return
        members = self.geometries[tiles.members[tile]]
        if DETAIL_TOLERANCES[detail]:
            members = shapely.simplify(members, DETAIL_TOLERANCES[detail],
                                       preserve_topology=False)
            members = members[~shapely.is_empty(members)]
        if outline:
            paths[0] = polygon_path(members)
        if filled:
            oriented = shapely.orient_polygons(members)
            if paths[0] is not None and shapely.equals_exact(oriented, members, 0).all():
                paths[1] = paths[0]  # already oriented: one path (outlines ignore the rule)
            else:
                paths[1] = polygon_path(oriented)
            paths[1].setFillRule(Qt.FillRule.WindingFill)


class TiledPathItem(pg.GraphicsObject):
    """Polygons filled with one brush and stroked with one pen, painted tile by tile.

    It looks like a ``QGraphicsPathItem`` holding every polygon in one path: all fills are
    painted before all outlines. Only the tiles reaching into the exposed part of the view are
    painted, at the current level of detail; each level has its own tiles
    (:data:`TILE_SIZES`), made the first time it is painted.

    Parameters
    ----------
    geometries : ndarray of shapely geometries
        Polygons or multipolygons in map metres.
    pen : QPen
        Outline pen (usually cosmetic: its width is in screen pixels).
    brush : QBrush
        Fill brush.
    """

    def __init__(self, geometries: np.ndarray, pen: QPen, brush: QBrush,
                 shapes: TileShapes | None = None):
        super().__init__()
        self._pen, self._brush = QPen(pen), QBrush(brush)
        self._far_pen = far_pen(pen)
        self.detail = 0
        #: Tiles sent to the painter by the latest paint() (what a test or profiler counts).
        self.painted_tiles = 0
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self.shapes = (shapes if shapes is not None else TileShapes(geometries)).attach()

    @property
    def geometries(self) -> np.ndarray:
        """The polygons drawn."""
        return self.shapes.geometries

    @property
    def _paths(self):
        return self.shapes.paths

    def set_geometries(self, geometries: np.ndarray | TileShapes) -> None:
        """Draw other polygons with the same pen, brush and level of detail.

        Parameters
        ----------
        geometries : ndarray of shapely geometries, or TileShapes
            The new polygons (their tiles and paths are made when first painted), or the
            tiles of another item drawing the same polygons (a fill and its outline).
        """
        self.prepareGeometryChange()
        shapes = geometries if isinstance(geometries, TileShapes) else TileShapes(geometries)
        self.shapes = shapes.attach()
        self.update()

    def tiles(self, detail: int | None = None) -> PolygonTiles:
        """The tiles of a level of detail (the current one by default)."""
        return self.shapes.tiles(self.detail if detail is None else detail)

    # -- style and detail
    def pen(self) -> QPen:
        """The outline pen."""
        return QPen(self._pen)

    def brush(self) -> QBrush:
        """The fill brush."""
        return QBrush(self._brush)

    def setPen(self, pen: QPen) -> None:  # noqa: N802 - the QGraphicsPathItem name
        """Outline with ``pen`` from the next paint on."""
        self._pen, self._far_pen = QPen(pen), far_pen(pen)
        self.update()

    def setBrush(self, brush: QBrush) -> None:  # noqa: N802 - the QGraphicsPathItem name
        """Fill with ``brush`` from the next paint on."""
        self._brush = QBrush(brush)
        self.update()

    def set_detail(self, detail: int) -> None:
        """Paint at level ``detail`` of :data:`DETAIL_TOLERANCES` (paths built when needed)."""
        if detail != self.detail:
            self.detail = detail
            self.update()

    def tile_path(self, tile: int, detail: int | None = None, fill: bool = False
                  ) -> QPainterPath:
        """The path of one tile at a level of detail, simplified the first time it is asked for.

        Parameters
        ----------
        tile : int
            Index of the tile in :meth:`tiles` of that level.
        detail : int, optional
            Level of detail; the item's current one by default.
        fill : bool
            The path to fill rather than to outline: shells one way round and holes the
            other, filled by winding, so that where two polygons of the class overlap the
            overlap is filled (odd-even filling would punch a hole there, or not, depending on
            whether they share a tile). Outlines keep the rings' own direction, along which a
            dash pattern runs.

        Returns
        -------
        QPainterPath
            The tile's polygons, simplified to ``DETAIL_TOLERANCES[detail]`` map metres.
        """
        detail = self.detail if detail is None else detail
        self._build(tile, detail, outline=not fill, filled=fill)
        return self._paths[detail][tile][1 if fill else 0]

    def _build(self, tile: int, detail: int, outline: bool, filled: bool) -> None:
        self.shapes.build(tile, detail, outline, filled)

    # -- Qt
    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        if self.shapes.extent.isNull():
            return QRectF()
        # Room for outlines, whose width is in pixels: fixed in map metres, as Qt's scene index
        # requires, and ample until the whole layer is a hundred pixels wide.
        extent = self.shapes.extent
        pad = max(extent.width(), extent.height()) * 0.02 + 1.0
        return extent.adjusted(-pad, -pad, pad, pad)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        self.painted_tiles = 0
        fill, stroke = _paints(self._brush), _strokes(self._pen)
        if self.shapes.extent.isNull() or not (fill or stroke):
            return
        transform = painter.transform()
        scale = math.hypot(transform.m11(), transform.m12()) or 1.0
        rect = option.exposedRect
        view = self.getViewBox()
        if view is not None:
            rect = rect.intersected(view.viewRect())
        margin = (self._pen.widthF() + 2) / scale  # a cosmetic outline reaches beyond the edge
        detail = self.detail
        tiles = self.tiles(detail).intersecting(rect, margin)
        self.painted_tiles = len(tiles)
        for tile in tiles:  # tiles in view, not features
            self._build(int(tile), detail, outline=stroke, filled=fill)
        paths = [self.shapes.paths[detail][int(tile)] for tile in tiles]
        if fill:  # every fill first, then every outline, as a single path would be drawn
            painter.setPen(QPen(Qt.PenStyle.NoPen))
            painter.setBrush(self._brush)
            for _outline, filled in paths:
                painter.drawPath(filled)
        if stroke:
            painter.setPen(self._far_pen if detail >= FAR_DETAIL else self._pen)
            painter.setBrush(QBrush(Qt.BrushStyle.NoBrush))
            for outline, _filled in paths:
                painter.drawPath(outline)
