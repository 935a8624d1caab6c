"""A graphics item that draws up to millions of point symbols, one pixmap per style class.

Only points inside the view are sent to the painter, as pixmap fragments in device pixels
(the technique of pyqtgraph's ScatterPlotItem, without its per-point records).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QPainter, QPen, QPixmap

from gis_app.core.mapdefs import Symbol
from gis_app.ui.canvas.symbology import symbol_pixmap

#: At most this many count circles are drawn; beyond, a coarser unit is used.
MAX_AGGREGATES = 2500


def _one_per_pixel(
    px: np.ndarray, py: np.ndarray, cell: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Drop symbols within ``cell`` pixels of another symbol of the same class (hidden anyway)."""
    if len(px) < 2000:
        return px, py
    ix, iy = np.floor(px / cell).astype(np.int64), np.floor(py / cell).astype(np.int64)
    ix -= ix.min()
    iy -= iy.min()
    keys = iy * (int(ix.max()) + 1) + ix
    if keys.max() > 50_000_000:  # absurd zoom: nothing worth saving
        return px, py
    owner = np.empty(int(keys.max()) + 1, dtype=np.int64)
    order = np.arange(len(keys))
    owner[keys] = order  # the last symbol on a pixel owns it
    keep = owner[keys] == order
    return px[keep], py[keep]


#: Radii (pixels) of the pre-drawn count circles; a circle's radius is rounded to the nearest.
_ATLAS_STEP = 0.5
_ATLAS_RADII = np.arange(4.0, 14.0 + _ATLAS_STEP / 2, _ATLAS_STEP)
_ATLAS_CELL = 32  # pixels per circle: the largest (radius 14) with its outline and a margin


@lru_cache(maxsize=8)
def _count_atlas(device_ratio: float) -> QPixmap:
    """Every size of count circle side by side, drawn once (antialiased, outlined in white)."""
    cell = _ATLAS_CELL
    pixmap = QPixmap(round(cell * len(_ATLAS_RADII) * device_ratio), round(cell * device_ratio))
    pixmap.setDevicePixelRatio(device_ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor("#ffffff"), 1))
    painter.setBrush(QColor(232, 89, 12, 170))
    for index, radius in enumerate(_ATLAS_RADII):  # a few sizes, not one per unit
        painter.drawEllipse(QPointF(index * cell + cell / 2, cell / 2), radius, radius)
    painter.end()
    return pixmap


def _device_ratio(painter: QPainter) -> float:
    """Device pixels per logical pixel of what ``painter`` paints on."""
    device = painter.device()
    return float(device.devicePixelRatioF()) if device is not None else 1.0


class PointCloudItem(pg.GraphicsObject):
    """Points with a symbol per class; ``classes[i]`` indexes ``symbols``, -1 uses ``default``."""

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        classes: np.ndarray,
        symbols: list[Symbol],
        default: Symbol | None = None,
    ):
        super().__init__()
        self.x = np.asarray(x, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)
        self.classes = np.asarray(classes, dtype=np.int32)
        self.symbols = list(symbols)
        self.default = default
        self.opacity_value = 1.0
        self.scale = 1.0
        self._fragments = pg.Qt.internals.PrimitiveArray(QPainter.PixmapFragment, 10)
        self.aggregates: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.aggregate_above = 150_000
        self._bounds = self._extent(self.x, self.y)

    @staticmethod
    def _extent(x: np.ndarray, y: np.ndarray) -> QRectF:
        """The extent of the located points (NaN coordinates: no location, left out)."""
        located = np.isfinite(x) & np.isfinite(y)
        if not located.any():
            return QRectF()
        x, y = x[located], y[located]
        return QRectF(float(x.min()), float(y.min()), float(np.ptp(x)) or 1.0,
                      float(np.ptp(y)) or 1.0)

    def set_symbols(self, classes: np.ndarray, symbols: list[Symbol], default: Symbol | None):
        """Restyle without moving the points."""
        self.classes = np.asarray(classes, dtype=np.int32)
        self.symbols, self.default = list(symbols), default
        self.update()

    def set_points(self, x: np.ndarray, y: np.ndarray, classes: np.ndarray) -> None:
        """Draw other points (any number) with the same symbols.

        Parameters
        ----------
        x, y : ndarray of float
            Map coordinates; NaN for a point without a location, which is not drawn.
        classes : ndarray of int
            Index into the symbols per point; -1 for the default symbol.
        """
        self.prepareGeometryChange()
        self.x = np.asarray(x, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)
        self.classes = np.asarray(classes, dtype=np.int32)
        self._bounds = self._extent(self.x, self.y)
        self.update()

    def update_points(
        self, rows: np.ndarray, x: np.ndarray, y: np.ndarray, classes: np.ndarray
    ) -> None:
        """Move and restyle some points in place: ``rows`` get ``x``, ``y`` and ``classes``.

        The extent only grows (to take in a point moved outside it), so that a few points cost
        microseconds, not a pass over millions.

        Parameters
        ----------
        rows : ndarray of int
            Positions of the points.
        x, y : ndarray of float
            Their new coordinates (NaN: no location any more).
        classes : ndarray of int
            Their new symbol classes.
        """
        self.x[rows] = x
        self.y[rows] = y
        self.classes[rows] = classes
        moved = self._extent(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
        if not moved.isNull() and not self._bounds.contains(moved):
            self.prepareGeometryChange()
            self._bounds = moved if self._bounds.isNull() else self._bounds.united(moved)
        self.update()

    def set_aggregates(self, levels: list, above: int = 150_000) -> None:
        """Draw per-unit counts instead of points while more than ``above`` points are in view.

        ``levels`` are (x, y, counts) from fine to coarse (grids, then villages): the finest
        with at most :data:`MAX_AGGREGATES` units in view is drawn.
        """
        self.aggregate_levels = [tuple(np.asarray(a) for a in level) for level in levels]
        self.aggregates = self.aggregate_levels[0]
        self.aggregate_above = above

    def showing_aggregates(self, rect: QRectF) -> bool:
        """True when the view holds so many points that counts are drawn instead."""
        if self.aggregates is None:
            return False
        x, y, counts = self.aggregates
        inside = (x >= rect.left()) & (x <= rect.right()) & (y >= rect.top()) & (y <= rect.bottom())
        return int(counts[inside].sum()) > self.aggregate_above

    def _paint_aggregates(self, painter: QPainter, rect: QRectF, transform) -> None:
        for level in self.aggregate_levels:  # grids, then villages: a handful of levels
            x, y, counts = level
            inside = (
                (x >= rect.left()) & (x <= rect.right()) & (y >= rect.top()) & (y <= rect.bottom())
            )
            if inside.sum() <= MAX_AGGREGATES:
                break
        px = x[inside] * transform.m11() + y[inside] * transform.m21() + transform.dx()
        py = x[inside] * transform.m12() + y[inside] * transform.m22() + transform.dy()
        counts = counts[inside]
        radius = 4 + 10 * np.sqrt(counts / max(counts.max(initial=1), 1))
        # One call for every circle, in the units' order: each a cell of the pre-drawn atlas.
        ratio = _device_ratio(painter)
        atlas = _count_atlas(ratio)
        cell = _ATLAS_CELL * ratio
        step = np.rint((radius - _ATLAS_RADII[0]) / _ATLAS_STEP).astype(np.int64)
        self._fragments.resize(len(px))
        fragments = self._fragments.ndarray()
        fragments[:, 0] = px
        fragments[:, 1] = py
        fragments[:, 2] = np.clip(step, 0, len(_ATLAS_RADII) - 1) * cell
        fragments[:, 3:6] = [0, cell, cell]
        fragments[:, 6:10] = [1 / ratio, 1 / ratio, 0.0, 1.0]
        painter.drawPixmapFragments(*self._fragments.drawargs(), atlas)
        if len(counts) <= 600:
            painter.setPen(QColor("#212529"))
            for cx, cy, r, n in zip(px, py, radius, counts, strict=True):
                painter.drawText(
                    QRectF(cx - 30, cy + r, 60, 14), Qt.AlignmentFlag.AlignCenter, str(n)
                )

    def set_layer_opacity(self, value: float) -> None:
        """Layer opacity 0–1 (the symbols are re-rendered with it)."""
        self.opacity_value = float(value)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._bounds.adjusted(-50, -50, 50, 50)

    def visible_mask(self, rect: QRectF) -> np.ndarray:
        """Points inside ``rect`` (view coordinates)."""
        return (
            (self.x >= rect.left())
            & (self.x <= rect.right())
            & (self.y >= rect.top())
            & (self.y <= rect.bottom())
        )

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not len(self.x):
            return
        view = self.getViewBox()
        rect = view.viewRect() if view is not None else self._bounds
        transform = painter.transform()
        ratio = widget.devicePixelRatioF() if widget is not None else 1.0
        painter.resetTransform()
        if self.showing_aggregates(rect):
            self._paint_aggregates(painter, rect, transform)
            painter.setTransform(transform)
            return
        # The points in view, once: each class then picks from those, not from every point.
        visible = np.flatnonzero(self.visible_mask(rect))
        x, y, classes = self.x[visible], self.y[visible], self.classes[visible]
        order = [*range(len(self.symbols) - 1, -1, -1)]
        if self.default is not None:
            order.insert(0, -1)
        for index in order:  # style classes: the first class is drawn last, on top
            pick = classes == index
            if not pick.any():
                continue
            symbol = self.default if index < 0 else self.symbols[index]
            pixmap = symbol_pixmap(symbol, self.opacity_value, self.scale, ratio)
            cx, cy = x[pick], y[pick]
            px = cx * transform.m11() + cy * transform.m21() + transform.dx()
            py = cx * transform.m12() + cy * transform.m22() + transform.dy()
            # A symbol a third of its size away from another of its class adds nothing visible.
            px, py = _one_per_pixel(px, py, max(1.0, symbol.size * self.scale / 3))
            count = len(px)
            self._fragments.resize(count)
            fragments = self._fragments.ndarray()
            fragments[:, 0] = px
            fragments[:, 1] = py
            fragments[:, 2:6] = [0, 0, pixmap.width(), pixmap.height()]
            fragments[:, 6:10] = [1 / ratio, 1 / ratio, 0.0, 1.0]
            painter.drawPixmapFragments(*self._fragments.drawargs(), pixmap)
        painter.setTransform(transform)
