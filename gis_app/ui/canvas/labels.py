"""Feature labels that never collide: greedy placement in screen space, highest layer first.

A point's label sits beside its symbol (right, else left, above, below or a corner), never on
it; the symbols of labelled point layers (hazard points, sites) are placed first, so that no
label covers one. Every label is kept inside the view: a polygon's label is moved in from the
edge, a point's tries its other places.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import shapely
from PyQt6.QtCore import QRectF
from PyQt6.QtGui import QColor, QFont, QFontMetricsF

MAX_LABELS = 400
#: Pixels between a point symbol's edge and its label.
GAP = 3.0
#: Where a point's label may go, in order of preference: (dx, dy) in units of the offset from
#: the symbol's centre to the label's edge (screen pixels, y down).
POINT_PLACES = ((1, 0), (-1, 0), (0, -1), (0, 1), (1, -1), (-1, -1), (1, 1), (-1, 1))


def _symbol_size(style) -> float:
    """The largest symbol a point style draws (pixels)."""
    sizes = [c.symbol.size for c in style.classes]
    if style.default is not None:
        sizes.append(style.default.size)
    return max(sizes, default=6.0)


class LabelLayer:
    """Labels of every labelled layer, placed anew after each pan or zoom."""

    def __init__(self, view_box: pg.ViewBox):
        self.view_box = view_box
        self.sources: dict[str, tuple] = {}  # layer id: (adapter, style)
        self._anchors: dict[str, tuple] = {}  # layer id: (what they were made from, xy, texts)
        self.pool: list[pg.TextItem] = []
        self.placed: list[tuple[str, str]] = []  # (layer id, text) of the labels on screen
        #: Screen rectangles (pixels from the view's top left) of the labels placed, and of
        #: the point symbols they kept clear of.
        self.rects: list[QRectF] = []
        self.obstacles: list[QRectF] = []
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

    def update_labels(self, view: QRectF, metres_per_pixel: float, scale: float,
                      reserved=()) -> None:
        """Place labels for the current view; those that would overlap one already placed drop.

        ``reserved``: screen rectangles (pixels from the view's top left) kept free, where the
        scale bar and the north arrow are drawn.
        """
        metrics = QFontMetricsF(self.font)
        self.placed, self.rects, self.obstacles = [], [], list(reserved)
        used = 0
        ordered = sorted(self.sources.items(), key=lambda kv: -kv[1][0].z)
        shown = [(layer_id, adapter, style) for layer_id, (adapter, style) in ordered
                 if adapter.visible and adapter.in_scale and metres_per_pixel]
        screen = QRectF(0, 0, view.width() / metres_per_pixel if metres_per_pixel else 0,
                        view.height() / metres_per_pixel if metres_per_pixel else 0)
        inside_screen = screen.adjusted(2, 2, -2, -2)

        def on_screen(layer_id: str):
            xy, texts = self.anchors(layer_id)
            # Culled to the view in one vectorised pass; only those on screen are placed.
            inside = np.flatnonzero(
                (xy[:, 0] >= view.left())
                & (xy[:, 0] <= view.right())
                & (xy[:, 1] >= view.top())
                & (xy[:, 1] <= view.bottom())
            )
            sx = (xy[inside, 0] - view.left()) / metres_per_pixel
            sy = (view.bottom() - xy[inside, 1]) / metres_per_pixel
            return inside, sx, sy, texts

        # The symbols of labelled point layers are obstacles: no label may cover one.
        for layer_id, adapter, style in shown:
            if adapter.definition.geometry != "point":
                continue
            half = _symbol_size(style) / 2 + 1
            inside, sx, sy, _texts = on_screen(layer_id)
            self.obstacles += [QRectF(x - half, y - half, 2 * half, 2 * half)
                               for x, y in zip(sx[: MAX_LABELS * 2], sy[: MAX_LABELS * 2],
                                               strict=True)]
        occupied: list[QRectF] = list(self.obstacles)
        for layer_id, adapter, style in shown:
            if style.label_min_scale and scale > style.label_min_scale:
                continue
            point = adapter.definition.geometry == "point"
            offset = _symbol_size(style) / 2 + GAP
            inside, sx, sy, texts = on_screen(layer_id)
            for index, x, y in zip(inside[: MAX_LABELS * 2], sx, sy, strict=False):
                if used >= MAX_LABELS:  # labels on screen, a few hundred at most
                    break
                text = texts[index]
                width = metrics.horizontalAdvance(text) + 6
                height = metrics.height() + 2
                if point:
                    candidates = [QRectF(x + dx * offset - (dx < 0) * width - (dx == 0) * width / 2,
                                         y + dy * offset - (dy < 0) * height
                                         - (dy == 0) * height / 2, width, height)
                                  for dx, dy in POINT_PLACES]
                else:  # centred on the polygon, moved in from the view's edge
                    rect = QRectF(x - width / 2, y - height / 2, width, height)
                    rect.moveLeft(min(max(rect.left(), inside_screen.left()),
                                      inside_screen.right() - width))
                    rect.moveTop(min(max(rect.top(), inside_screen.top()),
                                     inside_screen.bottom() - height))
                    candidates = [rect]
                rect = next((r for r in candidates if inside_screen.contains(r)
                             and not any(r.intersects(other) for other in occupied)), None)
                if rect is None:
                    continue
                occupied.append(rect)
                self.rects.append(rect)
                centre = rect.center()
                item = self._item(used)
                item.setText(text)
                item.setPos(float(view.left() + centre.x() * metres_per_pixel),
                            float(view.bottom() - centre.y() * metres_per_pixel))
                item.setVisible(True)
                self.placed.append((layer_id, text))
                used += 1
        for item in self.pool[used:]:
            item.setVisible(False)
