"""A graphics item that draws up to millions of point symbols, one pixmap per style class.

Only points inside the view are sent to the painter, as pixmap fragments in device pixels
(the technique of pyqtgraph's ScatterPlotItem, without its per-point records).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QPainter, QPen

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
        if len(self.x):
            self._bounds = QRectF(
                float(self.x.min()),
                float(self.y.min()),
                float(np.ptp(self.x)) or 1.0,
                float(np.ptp(self.y)) or 1.0,
            )
        else:
            self._bounds = QRectF()

    def set_symbols(self, classes: np.ndarray, symbols: list[Symbol], default: Symbol | None):
        """Restyle without moving the points."""
        self.classes = np.asarray(classes, dtype=np.int32)
        self.symbols, self.default = list(symbols), default
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
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor("#ffffff"), 1))
        painter.setBrush(QColor(232, 89, 12, 170))
        for cx, cy, r in zip(px, py, radius, strict=True):  # one per grid on screen, not per point
            painter.drawEllipse(QPointF(cx, cy), r, r)
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
        visible = self.visible_mask(rect)
        order = [*range(len(self.symbols) - 1, -1, -1)]
        if self.default is not None:
            order.insert(0, -1)
        for index in order:  # style classes: the first class is drawn last, on top
            pick = visible & (self.classes == index)
            count = int(pick.sum())
            if not count:
                continue
            symbol = self.default if index < 0 else self.symbols[index]
            pixmap = symbol_pixmap(symbol, self.opacity_value, self.scale, ratio)
            px = self.x[pick] * transform.m11() + self.y[pick] * transform.m21() + transform.dx()
            py = self.x[pick] * transform.m12() + self.y[pick] * transform.m22() + transform.dy()
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
