"""The optional XYZ basemap under the map: tiles warped into the Gauss–Krüger canvas."""

from __future__ import annotations

from PyQt6.QtCore import QObject, QPointF, QRunnable, QThreadPool, pyqtSignal
from PyQt6.QtGui import QPixmap, QPolygonF, QTransform
from PyQt6.QtWidgets import QGraphicsPixmapItem

from gis_app.core.tiles import tile_to_lonlat, tile_zoom, tiles_covering
from gis_app.services.basemap_service import tile_bytes


class _TileSignals(QObject):
    loaded = pyqtSignal(object, bytes)  # (zoom, x, y), image bytes


class _TileJob(QRunnable):
    def __init__(self, template: str, key: tuple[int, int, int], signals: _TileSignals):
        super().__init__()
        self.template, self.key, self.signals = template, key, signals

    def run(self) -> None:
        data = tile_bytes(self.template, *self.key)
        if data:
            self.signals.loaded.emit(self.key, data)


class BasemapLayer:
    """Keeps the tiles of the current view on the canvas, fetched off the UI thread."""

    def __init__(self, view_box, to_lonlat, to_map):
        self.view_box = view_box
        self.to_lonlat, self.to_map = to_lonlat, to_map
        self.template = ""
        self.items: dict[tuple[int, int, int], QGraphicsPixmapItem] = {}
        self.pending: set[tuple[int, int, int]] = set()
        self.signals = _TileSignals()
        self.signals.loaded.connect(self._add_tile)
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(4)

    def set_source(self, template: str) -> None:
        """Use tiles from ``template`` (``…/{z}/{x}/{y}.png``); empty removes the basemap."""
        self.template = template.strip()
        for item in self.items.values():
            self.view_box.removeItem(item)
        self.items.clear()
        self.pending.clear()

    def update_view(self, rect, metres_per_pixel: float) -> None:
        """Request the tiles that cover ``rect`` (map metres) at the map's resolution."""
        if not self.template or metres_per_pixel <= 0:
            return
        lons, lats = self.to_lonlat([rect.left(), rect.right()], [rect.top(), rect.bottom()])
        zoom = tile_zoom(metres_per_pixel, (lats[0] + lats[1]) / 2)
        wanted = tiles_covering(min(lons), min(lats), max(lons), max(lats), zoom)
        for key, item in list(self.items.items()):
            item.setVisible(key[0] == zoom)
        for key in wanted:
            if key not in self.items and key not in self.pending:
                self.pending.add(key)
                self.pool.start(_TileJob(self.template, key, self.signals))

    def wait(self) -> None:
        """Block until every requested tile has arrived (tests and snapshots)."""
        self.pool.waitForDone()

    def _add_tile(self, key, data: bytes) -> None:
        self.pending.discard(key)
        pixmap = QPixmap()
        if not pixmap.loadFromData(data) or not self.template:
            return
        zoom, x, y = key
        offsets = ((0, 0), (1, 0), (1, 1), (0, 1))
        corners = [tile_to_lonlat(x + dx, y + dy, zoom) for dx, dy in offsets]
        xs, ys = self.to_map([c[0] for c in corners], [c[1] for c in corners])
        width, height = pixmap.width(), pixmap.height()
        source = QPolygonF([QPointF(0, 0), QPointF(width, 0), QPointF(width, height),
                            QPointF(0, height)])
        target = QPolygonF([QPointF(float(a), float(b)) for a, b in zip(xs, ys, strict=True)])
        transform = QTransform()
        if not QTransform.quadToQuad(source, target, transform):
            return
        item = QGraphicsPixmapItem(pixmap)
        item.setTransform(transform)
        item.setZValue(-100)
        item.setTransformationMode(item.transformationMode().SmoothTransformation)
        self.view_box.addItem(item, ignoreBounds=True)
        self.items[key] = item
