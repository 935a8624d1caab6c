"""One pyqtgraph adapter per layer kind, chosen from a registry by the layer's geometry.

An adapter owns the graphics items of one map layer: it draws the features with the layer's
style, highlights a selection and follows visibility, opacity and order. It never reads the
store: the window hands it a GeoDataFrame in the map's Gauss–Krüger metres.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyqtgraph as pg
import shapely
from PyQt6.QtGui import QBrush, QColor, QPainterPath, QPen
from PyQt6.QtWidgets import QGraphicsPathItem

from gis_app.core.classify import classify
from gis_app.core.mapdefs import LayerDefinition, Style, Symbol
from gis_app.ui.canvas import symbology
from gis_app.ui.canvas.point_item import PointCloudItem

SELECTION_COLOUR = "#00e5ff"


def polygon_path(geometries: np.ndarray) -> QPainterPath:
    """All rings of ``geometries`` as one painter path, built from arrays (no per-vertex calls)."""
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


class MapLayerAdapter:
    """What every layer adapter offers the canvas and the layer tree."""

    def __init__(
        self, definition: LayerDefinition, style: Style, frame: gpd.GeoDataFrame, plot: pg.PlotItem
    ):
        self.definition = definition
        self.style = style
        self.frame = frame
        self.plot = plot
        self.visible = definition.visible
        self.opacity = 1.0
        self.z = definition.z
        self.selected = np.zeros(len(frame), dtype=bool)

    # -- overridden per kind
    def items(self) -> list:
        """The graphics items (added to the plot by the canvas)."""
        raise NotImplementedError

    def restyle(self, style: Style) -> None:
        """Draw with another style (e.g. households by monitoring type)."""
        raise NotImplementedError

    def _draw_selection(self) -> None:
        raise NotImplementedError

    # -- shared behaviour
    def class_counts(self) -> list[int]:
        """How many features fall in each class (for the legend)."""
        classes = classify(self.style, self.frame)
        return [int((classes == i).sum()) for i in range(len(self.style.classes))]

    in_scale = True

    def set_visible(self, visible: bool) -> None:
        """Show or hide every item of the layer (the user's choice)."""
        self.visible = visible
        self._apply_visibility()

    def set_scale(self, scale: float) -> None:
        """Follow the layer's scale range at map scale 1:``scale``."""
        limit = self.definition.max_scale
        in_scale = limit is None or scale <= limit
        if in_scale != self.in_scale:
            self.in_scale = in_scale
            self._apply_visibility()

    def _apply_visibility(self) -> None:
        for item in self.items():
            item.setVisible(self.visible and self.in_scale)

    def set_z(self, z: int) -> None:
        """Drawing order: higher z on top."""
        self.z = z
        for offset, item in enumerate(self.items()):
            item.setZValue(z + offset * 0.01)

    def set_opacity(self, opacity: float) -> None:
        """Layer opacity 0–1."""
        self.opacity = opacity
        for item in self.items():
            item.setOpacity(opacity)

    def set_selection(self, mask: np.ndarray) -> None:
        """Highlight the features where ``mask`` is true."""
        self.selected = np.asarray(mask, dtype=bool)
        self._draw_selection()

    def bounds(self) -> tuple[float, float, float, float]:
        """Extent (minx, miny, maxx, maxy) of the features in map metres."""
        return tuple(self.frame.total_bounds)


#: Simplification tolerances (map metres) of the levels of detail kept for polygon layers.
DETAIL_TOLERANCES = (0.0, 3.0, 12.0, 48.0)


class PgPolygonLayer(MapLayerAdapter):
    """Polygons: one path item per style class, plus one for the selection.

    Each class keeps its path at a few levels of detail; zoomed out, a path simplified to well
    under a pixel is drawn, which looks the same and paints several times faster.
    """

    def __init__(self, definition, style, frame, plot):
        super().__init__(definition, style, frame, plot)
        self._class_items: list[QGraphicsPathItem] = []
        self._paths: list[list[QPainterPath]] = []
        self._detail = 0
        self._selection_item = QGraphicsPathItem()
        pen = QPen(QColor(SELECTION_COLOUR), 3)
        pen.setCosmetic(True)
        self._selection_item.setPen(pen)
        self._selection_item.setBrush(QBrush(QColor(0, 229, 255, 50)))
        self._build()

    def _build(self) -> None:
        classes = classify(self.style, self.frame)
        geometries = self.frame.geometry.to_numpy()
        self._class_items = []
        entries = list(enumerate(self.style.classes))
        if self.style.default is not None:
            entries.insert(0, (-1, None))
        self._paths = []
        self._members = []
        for index, style_class in entries:
            symbol: Symbol = self.style.default if index < 0 else style_class.symbol
            members = geometries[classes == index]
            paths: list = [None] * len(DETAIL_TOLERANCES)
            paths[0] = polygon_path(members)
            self._members.append(members)
            self._paths.append(paths)
            item = QGraphicsPathItem(self._path(len(self._paths) - 1, self._detail))
            item.setPen(symbology.pen(symbol))
            item.setBrush(symbology.brush(symbol))
            item.setVisible(self.visible)
            self._class_items.append(item)

    def items(self) -> list:
        return [*self._class_items, self._selection_item]

    def _path(self, class_index: int, detail: int) -> QPainterPath:
        """The class's path at a level of detail, simplified the first time it is needed."""
        paths = self._paths[class_index]
        if paths[detail] is None:
            simplified = shapely.simplify(self._members[class_index], DETAIL_TOLERANCES[detail],
                                          preserve_topology=False)
            paths[detail] = polygon_path(simplified[~shapely.is_empty(simplified)])
        return paths[detail]

    def set_detail(self, metres_per_pixel: float) -> None:
        """Use the coarsest path whose simplification stays under half a pixel."""
        allowed = metres_per_pixel * 0.5
        detail = max(i for i, tolerance in enumerate(DETAIL_TOLERANCES) if tolerance <= allowed)
        if detail != self._detail:
            self._detail = detail
            for index, item in enumerate(self._class_items):
                item.setPath(self._path(index, detail))

    def restyle(self, style: Style) -> None:
        for item in self._class_items:
            self.plot.removeItem(item)
        self.style = style
        self._build()
        for item in self._class_items:
            self.plot.addItem(item)
        self.set_z(self.z)
        self.set_opacity(self.opacity)

    def _draw_selection(self) -> None:
        self._selection_item.setPath(polygon_path(self.frame.geometry.to_numpy()[self.selected]))


class PgPointLayer(MapLayerAdapter):
    """Points drawn by a :class:`PointCloudItem`; the selection as a second one on top."""

    def __init__(self, definition, style, frame, plot):
        super().__init__(definition, style, frame, plot)
        x, y = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
        self.x, self.y = x, y
        self._cloud = PointCloudItem(
            x, y, classify(style, frame), [c.symbol for c in style.classes], style.default
        )
        highlight = Symbol(fill="#00e5ff", stroke="#000000", stroke_width=1.5, size=10)
        self._selection = PointCloudItem(
            np.empty(0), np.empty(0), np.empty(0, dtype=np.int32), [highlight]
        )
        self._cloud.setVisible(self.visible)

    def set_aggregates(self, levels, above: int = 150_000) -> None:
        """Per-unit counts to draw when too many points are in view (see PointCloudItem)."""
        self._cloud.set_aggregates(levels, above)

    def items(self) -> list:
        return [self._cloud, self._selection]

    def restyle(self, style: Style) -> None:
        self.style = style
        self._cloud.set_symbols(
            classify(style, self.frame), [c.symbol for c in style.classes], style.default
        )

    def _draw_selection(self) -> None:
        self.plot.removeItem(self._selection)
        highlight = self._selection.symbols
        pick = self.selected
        self._selection = PointCloudItem(
            self.x[pick], self.y[pick], np.zeros(int(pick.sum()), dtype=np.int32), highlight
        )
        self.plot.addItem(self._selection)
        self._selection.setZValue(self.z + 0.5)
        self._selection.setVisible(self.visible and self.in_scale)


#: The adapter for each geometry kind of a layer definition.
LAYER_ADAPTERS: dict[str, type[MapLayerAdapter]] = {
    "polygon": PgPolygonLayer,
    "point": PgPointLayer,
}
