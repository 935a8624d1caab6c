"""A graphics item that draws up to millions of point symbols, one pixmap per style class.

Only points inside the view are sent to the painter, as pixmap fragments in device pixels
(the technique of pyqtgraph's ScatterPlotItem, without its per-point records).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF
from PyQt6.QtGui import QPainter

from gis_app.core.mapdefs import Symbol
from gis_app.ui.canvas.symbology import symbol_pixmap


class PointCloudItem(pg.GraphicsObject):
    """Points with a symbol per class; ``classes[i]`` indexes ``symbols``, -1 uses ``default``."""

    def __init__(self, x: np.ndarray, y: np.ndarray, classes: np.ndarray,
                 symbols: list[Symbol], default: Symbol | None = None):
        super().__init__()
        self.x = np.asarray(x, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)
        self.classes = np.asarray(classes, dtype=np.int32)
        self.symbols = list(symbols)
        self.default = default
        self.opacity_value = 1.0
        self.scale = 1.0
        self._fragments = pg.Qt.internals.PrimitiveArray(QPainter.PixmapFragment, 10)
        if len(self.x):
            self._bounds = QRectF(float(self.x.min()), float(self.y.min()),
                                  float(np.ptp(self.x)) or 1.0, float(np.ptp(self.y)) or 1.0)
        else:
            self._bounds = QRectF()

    def set_symbols(self, classes: np.ndarray, symbols: list[Symbol], default: Symbol | None):
        """Restyle without moving the points."""
        self.classes = np.asarray(classes, dtype=np.int32)
        self.symbols, self.default = list(symbols), default
        self.update()

    def set_layer_opacity(self, value: float) -> None:
        """Layer opacity 0–1 (the symbols are re-rendered with it)."""
        self.opacity_value = float(value)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._bounds.adjusted(-50, -50, 50, 50)

    def visible_mask(self, rect: QRectF) -> np.ndarray:
        """Points inside ``rect`` (view coordinates)."""
        return ((self.x >= rect.left()) & (self.x <= rect.right()) &
                (self.y >= rect.top()) & (self.y <= rect.bottom()))

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not len(self.x):
            return
        view = self.getViewBox()
        rect = view.viewRect() if view is not None else self._bounds
        visible = self.visible_mask(rect)
        transform = painter.transform()
        ratio = widget.devicePixelRatioF() if widget is not None else 1.0
        painter.resetTransform()
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
            self._fragments.resize(count)
            fragments = self._fragments.ndarray()
            fragments[:, 0] = px
            fragments[:, 1] = py
            fragments[:, 2:6] = [0, 0, pixmap.width(), pixmap.height()]
            fragments[:, 6:10] = [1 / ratio, 1 / ratio, 0.0, 1.0]
            painter.drawPixmapFragments(*self._fragments.drawargs(), pixmap)
        painter.setTransform(transform)
