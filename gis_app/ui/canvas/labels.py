"""Feature labels that never collide: greedy placement in screen space, highest layer first."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import shapely
from PyQt6.QtCore import QRectF
from PyQt6.QtGui import QColor, QFont, QFontMetricsF

MAX_LABELS = 400


class LabelLayer:
    """Labels of every labelled layer, placed anew after each pan or zoom."""

    def __init__(self, view_box: pg.ViewBox):
        self.view_box = view_box
        self.sources: dict[str, tuple] = {}  # layer id: (adapter, style)
        self._anchors: dict[str, tuple] = {}  # layer id: (what they were made from, xy, texts)
        self.pool: list[pg.TextItem] = []
        self.placed: list[tuple[str, str]] = []  # (layer id, text) of the labels on screen
        self.font = QFont()
        self.font.setPointSize(9)

    def add_source(self, layer_id: str, adapter, style) -> None:
        """Label ``adapter``'s features with ``style.label_field``.

        The anchors (a point on each polygon's surface, or the point itself) are worked out
        when the layer is first labelled, and again after its features change.
        """
        self.sources[layer_id] = (adapter, style)
        self._anchors.pop(layer_id, None)

    def anchors(self, layer_id: str) -> tuple[np.ndarray, np.ndarray]:
        """(n, 2) label positions and the texts of a labelled layer's features."""
        adapter, style = self.sources[layer_id]
        key = (adapter.frame, adapter.revision, style.label_field)
        cached = self._anchors.get(layer_id)
        if cached is not None and cached[0][0] is key[0] and cached[0][1:] == key[1:]:
            return cached[1], cached[2]
        frame = adapter.frame
        if style.label_field not in frame:  # a new frame without the field: nothing to label
            xy, texts = np.empty((0, 2)), np.empty(0, dtype=object)
        else:
            if adapter.definition.geometry == "polygon":
                points = shapely.point_on_surface(frame.geometry.to_numpy())
                x, y = shapely.get_x(points), shapely.get_y(points)  # NaN for a missing shape
            else:  # the adapter's coordinates: frames with x/y columns have no geometry
                x, y = adapter.x, adapter.y
            xy = np.column_stack([x, y])
            texts = frame[style.label_field].astype(str).to_numpy()
        self._anchors[layer_id] = (key, xy, texts)
        return xy, texts

    def remove_source(self, layer_id: str) -> None:
        """Stop labelling a layer."""
        self.sources.pop(layer_id, None)
        self._anchors.pop(layer_id, None)

    def _item(self, index: int) -> pg.TextItem:
        while len(self.pool) <= index:
            item = pg.TextItem(
                color=QColor("#212529"),
                anchor=(0.5, 0.5),
                border=None,
                fill=pg.mkBrush(255, 255, 255, 170),
            )
            item.setFont(self.font)
            item.setZValue(5e5)
            self.view_box.addItem(item, ignoreBounds=True)
            self.pool.append(item)
        return self.pool[index]

    def update_labels(self, view: QRectF, metres_per_pixel: float, scale: float) -> None:
        """Place labels for the current view; those that would overlap one already placed drop."""
        metrics = QFontMetricsF(self.font)
        occupied: list[QRectF] = []
        self.placed = []
        used = 0
        ordered = sorted(self.sources.items(), key=lambda kv: -kv[1][0].z)
        for layer_id, (adapter, style) in ordered:
            if not (adapter.visible and adapter.in_scale) or not metres_per_pixel:
                continue
            if style.label_min_scale and scale > style.label_min_scale:
                continue
            xy, texts = self.anchors(layer_id)
            # Culled to the view in one vectorised pass; only those on screen are placed.
            inside = np.flatnonzero(
                (xy[:, 0] >= view.left())
                & (xy[:, 0] <= view.right())
                & (xy[:, 1] >= view.top())
                & (xy[:, 1] <= view.bottom())
            )
            for index in inside[: MAX_LABELS * 2]:  # labels on screen, a few hundred at most
                if used >= MAX_LABELS:
                    break
                text = texts[index]
                width = metrics.horizontalAdvance(text) + 6
                height = metrics.height() + 2
                sx = (xy[index, 0] - view.left()) / metres_per_pixel
                sy = (view.bottom() - xy[index, 1]) / metres_per_pixel
                rect = QRectF(sx - width / 2, sy - height / 2, width, height)
                if any(rect.intersects(other) for other in occupied):
                    continue
                occupied.append(rect)
                item = self._item(used)
                item.setText(text)
                item.setPos(float(xy[index, 0]), float(xy[index, 1]))
                item.setVisible(True)
                self.placed.append((layer_id, text))
                used += 1
        for item in self.pool[used:]:
            item.setVisible(False)
