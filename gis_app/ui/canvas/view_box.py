"""The map's ViewBox: pan and wheel zoom as usual, plus the drawing tools of a GIS.

Tools: ``pan`` (drag), ``zoom`` (drag a box), ``identify`` (click), ``select`` (click or drag a
rectangle; shift adds), ``lasso`` (click vertices, double-click ends), ``measure_line`` and
``measure_area`` (same), ``place`` (click a point), ``split_line`` (a polyline cutting a grid),
``draw_grid`` (a new grid's polygon) and ``draw_footprint`` (a disaster's footprint), finished
like the measure tools. The box only emits
signals with map coordinates; what they mean is decided by the window.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPen, QPolygonF
from PyQt6.QtWidgets import QGraphicsPolygonItem, QGraphicsRectItem

TOOLS = ("pan", "zoom", "identify", "select", "lasso", "measure_line", "measure_area", "place",
         "split_line", "draw_grid", "draw_footprint")
_VERTEX_TOOLS = ("lasso", "measure_line", "measure_area", "split_line", "draw_grid",
                 "draw_footprint")
#: Vertex tools drawing an open line (two vertices suffice) rather than a polygon.
_LINE_TOOLS = ("measure_line", "split_line")


class MapViewBox(pg.ViewBox):
    """A ViewBox with map tools."""

    sigClicked = pyqtSignal(float, float, object)  # x, y, keyboard modifiers
    sigRectDrawn = pyqtSignal(QRectF, object)  # map rectangle, modifiers
    sigPolygonDrawn = pyqtSignal(object, str, object)  # (n, 2) array, tool, modifiers
    sigSketchChanged = pyqtSignal(object, str)  # vertices so far (with the cursor), tool
    sigToolChanged = pyqtSignal(str)  # a tool chosen (again: an unfinished sketch dropped)

    def __init__(self):
        super().__init__(lockAspect=True, enableMenu=False)
        self.tool = "pan"
        self._vertices: list[tuple[float, float]] = []
        pen = QPen(QColor("#ff2d95"), 2)
        pen.setCosmetic(True)
        pen.setStyle(Qt.PenStyle.DashLine)
        self._rubber = QGraphicsRectItem()
        self._rubber.setPen(pen)
        self._rubber.setBrush(QColor(255, 45, 149, 30))
        self._rubber.setZValue(1e6)
        self._rubber.hide()
        self.addItem(self._rubber, ignoreBounds=True)
        self._sketch = QGraphicsPolygonItem()
        self._sketch.setPen(pen)
        self._sketch.setBrush(QColor(255, 45, 149, 25))
        self._sketch.setZValue(1e6)
        self.addItem(self._sketch, ignoreBounds=True)

    def set_tool(self, tool: str) -> None:
        """Switch tool; an unfinished sketch is dropped."""
        if tool not in TOOLS:
            raise ValueError(tool)
        self.tool = tool
        self._vertices = []
        self._sketch.setPolygon(QPolygonF())
        self.setMouseMode(pg.ViewBox.RectMode if tool == "zoom" else pg.ViewBox.PanMode)
        self.sigToolChanged.emit(tool)

    # -- mouse
    def mouseClickEvent(self, ev):  # noqa: N802 - Qt override
        if ev.button() != Qt.MouseButton.LeftButton:
            if self.tool in _VERTEX_TOOLS and self._vertices:
                self._finish(ev.modifiers())
                ev.accept()
                return
            super().mouseClickEvent(ev)
            return
        point = self.mapSceneToView(ev.scenePos())
        if self.tool in _VERTEX_TOOLS:
            ev.accept()
            if ev.double():
                self._finish(ev.modifiers())
            else:
                self._vertices.append((point.x(), point.y()))
                self._show_sketch(point)
            return
        ev.accept()
        self.sigClicked.emit(point.x(), point.y(), ev.modifiers())

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802 - Qt override
        if self.tool != "select" or ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        start = self.mapSceneToView(ev.buttonDownScenePos())
        end = self.mapSceneToView(ev.scenePos())
        rect = QRectF(start, end).normalized()
        if ev.isFinish():
            self._rubber.hide()
            self.sigRectDrawn.emit(rect, ev.modifiers())
        else:
            self._rubber.setRect(rect)
            self._rubber.show()

    def hoverEvent(self, ev):  # noqa: N802 - Qt override
        if self.tool in _VERTEX_TOOLS and self._vertices and not ev.isExit():
            self._show_sketch(self.mapSceneToView(ev.scenePos()))

    def keyPressEvent(self, ev):  # noqa: N802 - Qt override
        if ev.key() == Qt.Key.Key_Escape and self.cancel_sketch():
            ev.accept()
            return
        if ev.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._vertices:
            self._finish(ev.modifiers())
            ev.accept()
            return
        super().keyPressEvent(ev)

    def _show_sketch(self, cursor: QPointF) -> None:
        points = [QPointF(x, y) for x, y in self._vertices] + [cursor]
        if self.tool in _LINE_TOOLS:  # there and back, so no closing edge is drawn
            self._sketch.setPolygon(QPolygonF(points + points[-2::-1]))
            self._sketch.setBrush(QColor(0, 0, 0, 0))
        else:
            self._sketch.setPolygon(QPolygonF(points))
            self._sketch.setBrush(QColor(255, 45, 149, 25))
        self.sigSketchChanged.emit(np.array([(p.x(), p.y()) for p in points]), self.tool)

    def _finish(self, modifiers) -> None:
        vertices = np.array(self._vertices, dtype=float)
        tool = self.tool
        self._vertices = []
        self._sketch.setPolygon(QPolygonF())
        if len(vertices) >= (2 if tool in _LINE_TOOLS else 3):
            self.sigPolygonDrawn.emit(vertices, tool, modifiers)

    def cancel_sketch(self) -> bool:
        """Drop an unfinished sketch (Esc); False when there was none."""
        if not self._vertices:
            return False
        self.set_tool(self.tool)
        return True

    def finish_sketch(self) -> None:
        """End the sketch as if the user double-clicked (used by keyboard and tests)."""
        self._finish(Qt.KeyboardModifier.NoModifier)

    def add_vertex(self, x: float, y: float) -> None:
        """Add a sketch vertex at map coordinates (a click, for keyboard users and tests)."""
        self._vertices.append((x, y))
        self._show_sketch(QPointF(x, y))
