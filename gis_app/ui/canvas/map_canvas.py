"""The map canvas: layers in Gauss–Krüger metres, tools, scale bar, north arrow and labels."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QPointF, QRectF, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPolygonF
from PyQt6.QtWidgets import QWidget

from gis_app.ui.canvas.labels import LabelLayer
from gis_app.ui.canvas.layers import LAYER_ADAPTERS, MapLayerAdapter
from gis_app.ui.canvas.view_box import MapViewBox

_NICE = (1, 2, 5)


def nice_length(limit: float) -> float:
    """The largest 1/2/5 × 10^k not above ``limit`` (metres)."""
    if limit <= 0:
        return 0.0
    power = 10 ** math.floor(math.log10(limit))
    return max(n * power for n in _NICE if n * power <= limit)


class MapOverlay(QWidget):
    """Scale bar and north arrow painted over the canvas (transparent to the mouse)."""

    def __init__(self, canvas: MapCanvas):
        super().__init__(canvas)
        self.canvas = canvas
        #: The scale bar's units (kilometre, metre) in the interface language.
        self.units = ("公里", "米")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)

    def scale_bar(self) -> tuple[float, float]:
        """(length in metres, length in pixels) of the scale bar for the current zoom."""
        metres_per_pixel = self.canvas.metres_per_pixel()
        if not metres_per_pixel:
            return 0.0, 0.0
        metres = nice_length(140 * metres_per_pixel)
        return metres, metres / metres_per_pixel

    def reserved(self) -> list[QRectF]:
        """Where the scale bar and the north arrow are drawn (no label goes there)."""
        _metres, pixels = self.scale_bar()
        height, width = self.height(), self.width()
        return [QRectF(14, height - 46, pixels + 110, 46), QRectF(width - 48, 0, 48, 54)]

    def paintEvent(self, event):  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metres, pixels = self.scale_bar()
        if pixels:
            x0, y0 = 20, self.height() - 24
            painter.setPen(QPen(QColor("#212529"), 2))
            painter.fillRect(QRectF(x0 - 6, y0 - 22, pixels + 56, 34), QColor(255, 255, 255, 200))
            painter.drawLine(QPointF(x0, y0), QPointF(x0 + pixels, y0))
            for x in (x0, x0 + pixels / 2, x0 + pixels):
                painter.drawLine(QPointF(x, y0 - 5), QPointF(x, y0))
            kilometre, metre = self.units
            text = f"{metres / 1000:g} {kilometre}" if metres >= 1000 else f"{metres:g} {metre}"
            painter.setFont(QFont(self.font().family(), 9))
            painter.drawText(QPointF(x0 + pixels + 6, y0 + 4), text)
        # North arrow: the map is drawn in Gauss–Krüger, grid north is up.
        cx, top = self.width() - 34, 16
        painter.setPen(QPen(QColor("#212529"), 1.2))
        painter.setBrush(QColor("#212529"))
        painter.drawPolygon(
            QPolygonF([QPointF(cx, top + 6), QPointF(cx + 9, top + 34), QPointF(cx, top + 27)])
        )
        painter.setBrush(QColor("#ffffff"))
        painter.drawPolygon(
            QPolygonF([QPointF(cx, top + 6), QPointF(cx - 9, top + 34), QPointF(cx, top + 27)])
        )
        painter.setFont(QFont(self.font().family(), 10, QFont.Weight.Bold))
        painter.drawText(QRectF(cx - 10, top - 12, 20, 16), Qt.AlignmentFlag.AlignCenter, "N")
        painter.end()


class MapCanvas(pg.PlotWidget):
    """A pyqtgraph plot turned into a map canvas."""

    sigCursorMoved = pyqtSignal(float, float)
    sigViewChanged = pyqtSignal(QRectF)
    sigDropped = pyqtSignal(str, bytes, float, float)  # mime type, data, map x, map y

    def __init__(self, parent=None):
        self.view_box = MapViewBox()
        super().__init__(parent=parent, background="#f1f3f5", viewBox=self.view_box)
        self.plotItem.hideAxis("left")
        self.plotItem.hideAxis("bottom")
        self.plotItem.hideButtons()
        self.plotItem.setMenuEnabled(False)
        self.view_box.disableAutoRange()  # the extent is ours to set; no scan of every item
        self.adapters: dict[str, MapLayerAdapter] = {}
        self.labels = LabelLayer(self.view_box)
        self.overlay = MapOverlay(self)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(True)
        self.drop_types: tuple[str, ...] = ()
        self.scene().sigMouseMoved.connect(self._mouse_moved)
        self._label_timer = QTimer(self, singleShot=True, interval=60)
        self._label_timer.timeout.connect(self._relabel)
        self.view_box.sigRangeChanged.connect(self._range_changed)

    # -- layers
    def add_layer(self, definition, style, frame) -> MapLayerAdapter:
        """Create the adapter for ``definition`` and put its items on the map."""
        adapter = LAYER_ADAPTERS[definition.geometry](definition, style, frame, self.plotItem)
        for item in adapter.items():
            self.plotItem.addItem(item)
        adapter.set_z(definition.z)
        adapter.set_visible(definition.visible)
        self.adapters[definition.id] = adapter
        if style.label_field and style.label_field in frame:
            self.labels.add_source(definition.id, adapter, style)
        return adapter

    def remove_layer(self, layer_id: str) -> None:
        """Take a layer off the map."""
        adapter = self.adapters.pop(layer_id, None)
        if adapter is not None:
            for item in adapter.items():
                self.plotItem.removeItem(item)
            self.labels.remove_source(layer_id)

    def full_extent(self) -> QRectF:
        """The extent of every layer (map metres)."""
        bounds = np.array([a.bounds() for a in self.adapters.values() if len(a.frame)])
        if not len(bounds):
            return QRectF(0, 0, 1, 1)
        x0, y0 = bounds[:, 0].min(), bounds[:, 1].min()
        return QRectF(x0, y0, bounds[:, 2].max() - x0, bounds[:, 3].max() - y0)

    def zoom_to(self, rect: QRectF, padding: float = 0.05) -> None:
        """Show ``rect`` (map metres), with a minimum size of 200 m."""
        if rect.width() < 200 or rect.height() < 200:
            centre = rect.center()
            rect = QRectF(centre.x() - 100, centre.y() - 100, 200, 200)
        self.view_box.setRange(rect, padding=padding)

    def zoom_full(self) -> None:
        """Zoom to every layer."""
        self.zoom_to(self.full_extent(), padding=0.02)

    def zoom_by(self, factor: float) -> None:
        """Zoom in (factor < 1) or out (factor > 1) around the centre."""
        self.view_box.scaleBy((factor, factor))

    def pan_by(self, fx: float, fy: float) -> None:
        """Move by a fraction of the view's width and height."""
        rect = self.view_box.viewRect()
        self.view_box.translateBy(x=rect.width() * fx, y=rect.height() * fy)

    def metres_per_pixel(self) -> float:
        """Map metres shown by one screen pixel (horizontal)."""
        width = self.view_box.width()
        return self.view_box.viewRect().width() / width if width else 0.0

    def scale_denominator(self) -> float:
        """The map scale 1:N at 96 dpi."""
        return self.metres_per_pixel() / 0.0254 * 96

    def snapshot(self) -> QImage:
        """The current view as an image (map, labels, scale bar and north arrow)."""
        self._relabel()
        return self.grab().toImage()

    # -- events
    def keyPressEvent(self, ev):  # noqa: N802 - Qt override
        keys = {
            Qt.Key.Key_Plus: lambda: self.zoom_by(0.8),
            Qt.Key.Key_Equal: lambda: self.zoom_by(0.8),
            Qt.Key.Key_Minus: lambda: self.zoom_by(1.25),
            Qt.Key.Key_Left: lambda: self.pan_by(-0.2, 0),
            Qt.Key.Key_Right: lambda: self.pan_by(0.2, 0),
            Qt.Key.Key_Up: lambda: self.pan_by(0, 0.2),
            Qt.Key.Key_Down: lambda: self.pan_by(0, -0.2),
            Qt.Key.Key_Home: self.zoom_full,
        }
        action = keys.get(Qt.Key(ev.key()))
        if action is not None and not self.view_box._vertices:
            action()
            ev.accept()
            return
        self.view_box.keyPressEvent(ev)
        if not ev.isAccepted():
            super().keyPressEvent(ev)

    def dragEnterEvent(self, ev):  # noqa: N802 - Qt override
        if any(ev.mimeData().hasFormat(kind) for kind in self.drop_types):
            ev.acceptProposedAction()

    def dragMoveEvent(self, ev):  # noqa: N802 - Qt override
        if any(ev.mimeData().hasFormat(kind) for kind in self.drop_types):
            ev.acceptProposedAction()

    def dropEvent(self, ev):  # noqa: N802 - Qt override
        for kind in self.drop_types:
            if ev.mimeData().hasFormat(kind):
                point = self.view_box.mapSceneToView(self.mapToScene(ev.position().toPoint()))
                self.sigDropped.emit(kind, bytes(ev.mimeData().data(kind)), point.x(), point.y())
                ev.acceptProposedAction()
                return

    def resizeEvent(self, ev):  # noqa: N802 - Qt override
        super().resizeEvent(ev)
        overlay = self.__dict__.get("overlay")
        if overlay is not None:  # pyqtgraph resizes once before __init__ has finished
            overlay.setGeometry(self.rect())

    def _mouse_moved(self, position) -> None:
        point = self.view_box.mapSceneToView(position)
        self.sigCursorMoved.emit(point.x(), point.y())

    def _range_changed(self, *_args) -> None:
        metres_per_pixel = self.metres_per_pixel()
        scale = self.scale_denominator()
        for adapter in self.adapters.values():
            adapter.set_scale(scale)
            if hasattr(adapter, "set_detail"):
                adapter.set_detail(metres_per_pixel)
        self.overlay.update()
        self._label_timer.start()
        self.sigViewChanged.emit(self.view_box.viewRect())

    def relabel(self) -> None:
        """Place the labels of the current view again (after layers changed)."""
        self._relabel()

    def relabel_soon(self) -> None:
        """Place the labels again once the event loop runs (edits in a row: once)."""
        self._label_timer.start()

    def _relabel(self) -> None:
        corner = self.mapFromScene(self.view_box.sceneBoundingRect().topLeft())
        self.labels.update_labels(
            self.view_box.viewRect(), self.metres_per_pixel(), self.scale_denominator(),
            reserved=[r.translated(-corner.x(), -corner.y()) for r in self.overlay.reserved()],
        )
