"""Map window benchmarks, offscreen: first draw, pan/zoom redraw, rectangle selection.

Each figure beside a baseline measured in the same run: a bare pyqtgraph ScatterPlotItem with the
same points (redraw) and geopandas ``within`` (selection).
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import shapely  # noqa: E402


def _median_redraw(widget, moves) -> float:
    times = []
    for move in moves:
        move()
        start = time.perf_counter()
        widget.grab()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_map(path, label: str) -> list[tuple[str, float, str, float | None]]:
    """Rows of (what, seconds, baseline, baseline seconds) for the window on project ``path``."""
    import pyqtgraph as pg
    from PyQt6.QtCore import QRectF, QSettings

    from gis_app.services.map_service import load_map_data
    from gis_app.storage.project import open_project
    from gis_app.ui.app import application
    from gis_app.ui.main_window import MainWindow

    app = application()
    rows = []
    data = load_map_data(open_project(path))
    settings = QSettings("/tmp/gis-app-bench.ini", QSettings.Format.IniFormat)
    settings.clear()
    start = time.perf_counter()
    window = MainWindow(data, settings)
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    window.canvas.grab()
    first = time.perf_counter() - start
    households = data.frames["households"]
    polygons = data.frames["grids"].query("level == 3")
    rows.append((f"{label}: window built and first draw of all layers", first, "", None))

    canvas = window.canvas
    full = canvas.full_extent()
    canvas.zoom_full()
    app.processEvents()
    moves = [lambda: canvas.pan_by(0.05, 0), lambda: canvas.pan_by(-0.05, 0),
             lambda: canvas.zoom_by(0.9), lambda: canvas.zoom_by(1 / 0.9)] * 5
    ours = _median_redraw(canvas, moves)

    # Baseline: the same households and level-3 grid outlines in a bare pyqtgraph plot.
    plot = pg.PlotWidget()
    plot.resize(canvas.size())
    plot.setAspectLocked(True)
    x, y = households.geometry.x.to_numpy(), households.geometry.y.to_numpy()
    plot.addItem(pg.ScatterPlotItem(x=x, y=y, size=5, pen=None, brush=pg.mkBrush("#1c7ed6")))
    from PyQt6.QtWidgets import QGraphicsPathItem

    from gis_app.ui.canvas.layers import polygon_path

    plot.addItem(QGraphicsPathItem(polygon_path(polygons.geometry.to_numpy())))
    plot.show()
    plot.setRange(full, padding=0.02)
    app.processEvents()
    box = plot.getViewBox()
    base_moves = [lambda: box.translateBy(x=full.width() * 0.05),
                  lambda: box.translateBy(x=-full.width() * 0.05),
                  lambda: box.scaleBy((0.9, 0.9)), lambda: box.scaleBy((1 / 0.9, 1 / 0.9))] * 5
    baseline = _median_redraw(plot, base_moves)
    aggregated = canvas.adapters["households"]._cloud.showing_aggregates(canvas.view_box.viewRect())
    rows.append((f"{label}: pan/zoom redraw at full extent, median"
                 f"{' (counts per grid drawn)' if aggregated else ''}", ours,
                 "bare pyqtgraph ScatterPlotItem + outlines", baseline))

    # Zoomed in to a township-sized view: individual households.
    centre = full.center()
    canvas.zoom_to(QRectF(centre.x() - 4000, centre.y() - 4000, 8000, 8000), padding=0)
    app.processEvents()
    zoomed = _median_redraw(canvas, moves)
    rows.append((f"{label}: pan/zoom redraw zoomed in (8 km view), median", zoomed, "", None))

    # Rectangle selection of about 100,000 households (or all there are).
    target = min(100_000, len(households))
    order = np.argsort(np.hypot(x - centre.x(), y - centre.y()))
    radius = np.hypot(x[order[target - 1]] - centre.x(), y[order[target - 1]] - centre.y())
    rectangle = shapely.box(centre.x() - radius, centre.y() - radius, centre.x() + radius,
                            centre.y() + radius)
    window.set_tool("select")
    start = time.perf_counter()
    selected = window.select_by_geometry(rectangle)
    app.processEvents()
    ours = time.perf_counter() - start
    points = gpd.GeoSeries(households.geometry.to_numpy())
    start = time.perf_counter()
    points.within(rectangle)
    baseline = time.perf_counter() - start
    rows.append((f"{label}: select {selected:,} households by rectangle (map, table and "
                 "highlight)", ours, "geopandas within(rectangle)", baseline))
    window.close()
    plot.close()
    return rows
