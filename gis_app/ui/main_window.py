"""The main window: the map of the project's layers (the full GIS window grows here)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import shapely
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QBrush, QColor, QPainterPath, QPen
from PyQt6.QtWidgets import QGraphicsPathItem, QLabel, QMainWindow

from gis_app.services import map_service
from gis_app.services.project_service import project_info


def _polygon_path(geometries) -> QPainterPath:
    """One painter path holding every ring of every polygon (fast to draw)."""
    path = QPainterPath()
    rings = shapely.get_rings(shapely.get_parts(np.asarray(geometries)))
    coords, index = shapely.get_coordinates(rings, return_index=True)
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
    ends = np.r_[starts[1:], len(index)]
    for start, end in zip(starts, ends, strict=True):  # rings, not features: thousands at most
        ring = coords[start:end]
        path.moveTo(*ring[0])
        for x, y in ring[1:]:
            path.lineTo(x, y)
        path.closeSubpath()
    return path


class MainWindow(QMainWindow):
    """The application window."""

    def __init__(self, project):
        super().__init__()
        self.project = project
        self.setWindowTitle(f"网格防返贫监测 GIS — {project.settings().get('county_name', '')}")
        self.resize(1280, 860)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setAspectLocked(True)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.setCentralWidget(self.plot)
        self.status = QLabel()
        self.statusBar().addWidget(self.status)
        self._draw()

    def _draw(self) -> None:
        layers = map_service.map_layers(self.project)
        styles = {"villages": ("#6b7b8c", "#f4f1e8", 1.2), "grids": ("#b0b8c4", None, 0.6),
                  "hazard_zones": ("#d9534f", "#d9534f40", 0.5)}
        for name, (edge, fill, width) in styles.items():
            frame = layers[name]
            if name == "grids":
                frame = frame[frame["level"] == 3]
            item = QGraphicsPathItem(_polygon_path(frame.geometry.to_numpy()))
            item.setPen(QPen(QColor(edge), width) if width else QPen(Qt.PenStyle.NoPen))
            item.pen().setCosmetic(True)
            pen = item.pen()
            pen.setCosmetic(True)
            item.setPen(pen)
            item.setBrush(QBrush(QColor(fill)) if fill else QBrush(Qt.BrushStyle.NoBrush))
            self.plot.addItem(item)
        households = layers["households"]
        colours = np.where(households["attribute"] == 2, "#e8590c",
                           np.where(households["attribute"] == 1, "#1c7ed6", "#868e96"))
        scatter = pg.ScatterPlotItem(x=households.geometry.x.to_numpy(),
                                     y=households.geometry.y.to_numpy(), size=4,
                                     pen=None, brush=[pg.mkBrush(c) for c in colours])
        self.plot.addItem(scatter)
        info = project_info(self.project)
        self.status.setText(f"农户 {info['households']} 户 · 监测对象 {info['monitored']} 户 · "
                            f"三级网格 {info['grids']['3']} 个")
