"""One pyqtgraph adapter per layer kind, chosen from a registry by the layer's geometry.

An adapter owns the graphics items of one map layer: it draws the features with the layer's
style, highlights a selection and follows visibility, opacity and order. It never reads the
store: the window hands it a frame in the map's Gauss–Krüger metres (a GeoDataFrame, or for
points a plain DataFrame with float ``x`` and ``y`` columns).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyqtgraph as pg
import shapely
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QBrush, QColor, QPen

from gis_app.core.classify import classify as _classify
from gis_app.core.mapdefs import LayerDefinition, Style, Symbol
from gis_app.ui.canvas import symbology
from gis_app.ui.canvas.point_item import PointCloudItem
from gis_app.ui.canvas.polygon_item import (  # noqa: F401 - polygon_path: imported from here
    DETAIL_TOLERANCES,
    TiledPathItem,
    TileShapes,
    _paints,
    _strokes,
    detail_for,
    polygon_path,
)

SELECTION_COLOUR = "#00e5ff"

#: Qt z value of each drawing band. A layer's z (its place in the layer list) orders it inside
#: a band: the map's paper (a ``base`` layer's fill) under every other fill, every fill under
#: every outline, points above the areas and any selection on top, so that an opaque fill
#: never hides a finer grid, a thematic layer or a highlight. Rebalance proposals (800), rule
#: marks (900), labels and sketches lie above all of them.
BANDS = {"base": 100.0, "fill": 200.0, "outline": 300.0, "point": 400.0, "selection": 500.0}


def band_z(band: str, z: float, offset: int = 0) -> float:
    """The Qt z value of a layer's item in ``band`` (``offset``: its place among the layer's)."""
    return BANDS[band] + z / 1000 + offset * 1e-6


def classify(style: Style, frame: pd.DataFrame) -> np.ndarray:
    """Style class per row (see :func:`gis_app.core.classify.classify`).

    An empty frame has no classes to find, even without the style's field (a layer whose
    features are not read yet).
    """
    if not len(frame):
        return np.empty(0, dtype=np.int32)
    return _classify(style, frame)


class MapLayerAdapter:
    """What every layer adapter offers the canvas and the layer tree."""

    def __init__(
        self, definition: LayerDefinition, style: Style, frame: pd.DataFrame, plot: pg.PlotItem
    ):
        self.definition = definition
        self.style = style
        self.frame = frame
        self.plot = plot
        self.visible = definition.visible
        self.opacity = 1.0
        self.z = definition.z
        self.selected = np.zeros(len(frame), dtype=bool)
        #: Bumped whenever the drawn features change (new frame, rows updated, restyled), so
        #: whatever is derived from them (labels) knows to derive it again.
        self.revision = 0

    # -- overridden per kind
    def items(self) -> list:
        """The graphics items (added to the plot by the canvas)."""
        raise NotImplementedError

    def restyle(self, style: Style) -> None:
        """Draw with another style (e.g. households by monitoring type)."""
        raise NotImplementedError

    def _rebuild(self) -> None:
        """Draw ``self.frame`` anew (after :meth:`set_frame`)."""
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
        """Drawing order: higher z on top (inside each of :data:`BANDS`)."""
        self.z = z
        for offset, item in enumerate(self.items()):
            item.setZValue(band_z(self._band(item), z, offset))

    def _band(self, item) -> str:
        """The drawing band of one of the layer's items."""
        return "fill"

    def set_opacity(self, opacity: float) -> None:
        """Layer opacity 0–1."""
        self.opacity = opacity
        for item in self.items():
            item.setOpacity(opacity)

    def set_selection(self, mask: np.ndarray) -> None:
        """Highlight the features where ``mask`` is true."""
        self.selected = np.asarray(mask, dtype=bool)
        self._draw_selection()

    def set_frame(self, frame: pd.DataFrame) -> None:
        """Draw another frame (any length) in place of the current one.

        Visibility, opacity, drawing order and level of detail stay as they are; the
        selection is cleared, to the new frame's length.

        Parameters
        ----------
        frame : DataFrame
            The layer's features, like the frame the adapter was made with.
        """
        self.frame = frame
        self.selected = np.zeros(len(frame), dtype=bool)
        self._rebuild()
        self._draw_selection()
        self.set_z(self.z)
        self.set_opacity(self.opacity)
        self._apply_visibility()
        self.revision += 1

    def bounds(self) -> tuple[float, float, float, float]:
        """Extent (minx, miny, maxx, maxy) of the features in map metres."""
        return tuple(self.frame.total_bounds)


class PgPolygonLayer(MapLayerAdapter):
    """Polygons: tiled path items per style class, plus one for the selection on top.

    A class with both a fill and an outline gets two items, the fill's and the outline's, so
    that outlines are drawn over every layer's fills (see :data:`BANDS`).

    Each class's polygons are split into spatial tiles (:class:`TiledPathItem`), so a redraw
    paints only the tiles in view. Each tile keeps its path at a few levels of detail; zoomed
    out, a path simplified to well under a pixel is drawn, which looks the same and paints
    several times faster.
    """

    def __init__(self, definition, style, frame, plot):
        super().__init__(definition, style, frame, plot)
        self._class_items: list[TiledPathItem] = []
        self._detail = 0
        pen = QPen(QColor(SELECTION_COLOUR), 3)
        pen.setCosmetic(True)
        self._selection_item = TiledPathItem(
            np.empty(0, dtype=object), pen, QBrush(QColor(0, 229, 255, 50))
        )
        self._build()

    def _build(self) -> None:
        classes = classify(self.style, self.frame)
        geometries = self.frame.geometry.to_numpy()
        entries = list(enumerate(self.style.classes))
        if self.style.default is not None:
            entries.insert(0, (-1, None))
        self._class_items = []
        self._item_classes: list[int] = []  # the style class each item draws
        no_pen, no_brush = QPen(Qt.PenStyle.NoPen), QBrush(Qt.BrushStyle.NoBrush)
        for index, style_class in entries:  # style classes, not features
            symbol: Symbol = self.style.default if index < 0 else style_class.symbol
            pen, brush = symbology.pen(symbol), symbology.brush(symbol)
            shapes = TileShapes(geometries[classes == index])
            parts = [(no_pen, brush), (pen, no_brush)] if _paints(brush) and _strokes(pen) \
                else [(pen, brush)]
            for part_pen, part_brush in parts:  # the fill, then the outline: one set of tiles
                item = TiledPathItem(None, part_pen, part_brush, shapes=shapes)
                item.set_detail(self._detail)
                item.setVisible(self.visible and self.in_scale)
                self._class_items.append(item)
                self._item_classes.append(index)

    def items(self) -> list:
        return [*self._class_items, self._selection_item]

    def _band(self, item) -> str:
        if item is self._selection_item:
            return "selection"
        if _paints(item.brush()):
            return "base" if self.definition.base else "fill"
        return "outline"

    def set_detail(self, metres_per_pixel: float) -> None:
        """Use the coarsest paths whose simplification stays under half a pixel."""
        detail = detail_for(metres_per_pixel)
        if detail != self._detail:
            self._detail = detail
            for item in self.items():
                item.set_detail(detail)

    def restyle(self, style: Style) -> None:
        for item in self._class_items:
            self.plot.removeItem(item)
        self.style = style
        self._build()
        for item in self._class_items:
            self.plot.addItem(item)
        self.set_z(self.z)
        self.set_opacity(self.opacity)
        self.revision += 1

    def _rebuild(self) -> None:
        classes = classify(self.style, self.frame)
        geometries = self.frame.geometry.to_numpy()
        shapes: dict[int, TileShapes] = {}  # a class's fill and outline share their tiles
        for index, item in zip(self._item_classes, self._class_items, strict=True):  # classes
            if index not in shapes:
                shapes[index] = TileShapes(geometries[classes == index])
            item.set_geometries(shapes[index])

    def _draw_selection(self) -> None:
        self._selection_item.set_geometries(self.frame.geometry.to_numpy()[self.selected])


def point_coordinates(frame: pd.DataFrame, rows: np.ndarray | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Map x and y of a point frame's rows (all by default), as new float arrays.

    Parameters
    ----------
    frame : DataFrame
        Points: float columns ``x`` and ``y`` (preferred when present; NaN for a point without
        a location) or else a geometry column of shapely points.
    rows : ndarray of int, optional
        Positions of the rows to read.

    Returns
    -------
    x, y : ndarray of float
        NaN where a point has no location (also for a missing or empty geometry).
    """
    if "x" in frame.columns and "y" in frame.columns:
        x = frame["x"].to_numpy(dtype=np.float64)
        y = frame["y"].to_numpy(dtype=np.float64)
        if rows is None:
            return x.copy(), y.copy()  # our own: updated in place by update_rows
        return x[rows], y[rows]
    geometries = frame.geometry.array if rows is None else frame.geometry.array[rows]
    points = np.asarray(geometries, dtype=object)
    return shapely.get_x(points), shapely.get_y(points)


class PgPointLayer(MapLayerAdapter):
    """Points drawn by a :class:`PointCloudItem`; the selection as a second one on top.

    The frame holds float ``x`` and ``y`` columns in map metres (read in preference) or shapely
    points. A point without a location (NaN) is not drawn, not picked and not counted in
    :meth:`bounds`.
    """

    def __init__(self, definition, style, frame, plot):
        super().__init__(definition, style, frame, plot)
        x, y = point_coordinates(frame)
        self._cloud = PointCloudItem(
            x, y, classify(style, frame), [c.symbol for c in style.classes], style.default
        )
        self.x, self.y = self._cloud.x, self._cloud.y  # one array: update_rows moves both
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

    def _band(self, item) -> str:
        return "selection" if item is self._selection else "point"

    def restyle(self, style: Style) -> None:
        self.style = style
        self._cloud.set_symbols(
            classify(style, self.frame), [c.symbol for c in style.classes], style.default
        )
        self.revision += 1

    def class_counts(self) -> list[int]:
        """Points per class, from the classes the cloud already draws with (no reclassing)."""
        classes = self._cloud.classes
        counts = np.bincount(classes[classes >= 0], minlength=len(self.style.classes))
        return [int(c) for c in counts[:len(self.style.classes)]]

    def bounds(self) -> tuple[float, float, float, float]:
        """Extent (minx, miny, maxx, maxy) of the located points in map metres.

        Points without a location are left out; with none located, the extent is empty:
        (inf, inf, -inf, -inf), which leaves the extent of several layers unchanged.
        """
        located = np.isfinite(self.x) & np.isfinite(self.y)
        if not located.any():
            return (np.inf, np.inf, -np.inf, -np.inf)
        x, y = self.x[located], self.y[located]
        return (float(x.min()), float(y.min()), float(x.max()), float(y.max()))

    def update_rows(self, rows: np.ndarray, frame: pd.DataFrame | None = None) -> None:
        """Redraw just ``rows`` of the frame: their location and style class read again.

        For one household moved or restyled: the rest of the layer is not rebuilt.

        Parameters
        ----------
        rows : ndarray of int
            Positions (not index labels) of the rows that changed.
        frame : DataFrame, optional
            A frame of the same length replacing the current one; by default ``self.frame``,
            which the caller has updated in place.
        """
        if frame is not None:
            if len(frame) != len(self.frame):
                raise ValueError(
                    f"update_rows needs a frame of {len(self.frame)} rows, not {len(frame)}: "
                    "use set_frame for another length"
                )
            self.frame = frame
        rows = np.atleast_1d(np.asarray(rows, dtype=np.intp))
        if not len(rows):
            return
        x, y = point_coordinates(self.frame, rows)
        classes = classify(self.style, self._style_rows(rows))
        self._cloud.update_points(rows, x, y, classes)
        if self.selected[rows].any():
            self._draw_selection()
        self.revision += 1

    def _style_rows(self, rows: np.ndarray) -> pd.DataFrame:
        """Just what classify reads of ``rows``: no copy of a million-row frame."""
        if self.style.kind == "single":
            return pd.DataFrame(index=pd.RangeIndex(len(rows)))
        if self.style.kind in ("categorized", "graduated"):
            return self.frame[self.style.field].iloc[rows].to_frame()
        return self.frame.iloc[rows]  # a rule may read any column

    def _rebuild(self) -> None:
        x, y = point_coordinates(self.frame)
        self._cloud.set_points(x, y, classify(self.style, self.frame))
        self.x, self.y = self._cloud.x, self._cloud.y

    def _draw_selection(self) -> None:
        self.plot.removeItem(self._selection)
        highlight = self._selection.symbols
        pick = self.selected
        self._selection = PointCloudItem(
            self.x[pick], self.y[pick], np.zeros(int(pick.sum()), dtype=np.int32), highlight
        )
        self.plot.addItem(self._selection)
        self._selection.setZValue(band_z("selection", self.z))
        self._selection.setOpacity(self.opacity)
        self._selection.setVisible(self.visible and self.in_scale)


#: The adapter for each geometry kind of a layer definition.
LAYER_ADAPTERS: dict[str, type[MapLayerAdapter]] = {
    "polygon": PgPolygonLayer,
    "point": PgPointLayer,
}
