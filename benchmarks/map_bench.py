"""Map canvas benchmarks, offscreen: first draw, redraw at full extent and of an 8 km view,
moving one household; each beside the drawing as it was, measured in the same run.

Run: ``.venv/bin/python benchmarks/map_bench.py [--sizes 120000 1000000] [--reuse]``.
Counties are generated into ``benchmarks/_work`` (``--reuse`` keeps them for the next run).

The canvas is driven directly (``MapCanvas.add_layer`` with every layer of ``layers/``, frames
read as the window reads them), not through the main window. The baseline ("before") is the
same canvas with the polygon layers drawn as they were until the tiles came: one
``QGraphicsPathItem`` per style class holding every polygon of the layer (the same levels of
detail), and the households' count circles drawn one ``drawEllipse`` at a time. Redraws
alternate between the two canvases after each pan or zoom, so both see the same machine load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import types
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work"
CANVAS_SIZE = (1200, 800)
BASELINE = "before: one path per style class, count circles one by one"


# -- the drawing as it was (the baseline)
def _old_polygon_layer():
    """The polygon adapter as it was: one QGraphicsPathItem per style class, every polygon."""
    from PyQt6.QtGui import QBrush, QColor, QPen
    from PyQt6.QtWidgets import QGraphicsPathItem

    from gis_app.ui.canvas import symbology
    from gis_app.ui.canvas.layers import SELECTION_COLOUR, PgPolygonLayer, classify
    from gis_app.ui.canvas.polygon_item import DETAIL_TOLERANCES, detail_for, polygon_path

    class OldPolygonLayer(PgPolygonLayer):
        def __init__(self, definition, style, frame, plot):
            self._detail = 0
            self._selection_item = QGraphicsPathItem()
            pen = QPen(QColor(SELECTION_COLOUR), 3)
            pen.setCosmetic(True)
            self._selection_item.setPen(pen)
            self._selection_item.setBrush(QBrush(QColor(0, 229, 255, 50)))
            super(PgPolygonLayer, self).__init__(definition, style, frame, plot)
            self._build()

        def _build(self):
            classes = classify(self.style, self.frame)
            geometries = self.frame.geometry.to_numpy()
            entries = list(enumerate(self.style.classes))
            if self.style.default is not None:
                entries.insert(0, (-1, None))
            self._class_items, self._members, self._paths = [], [], []
            for index, style_class in entries:
                symbol = self.style.default if index < 0 else style_class.symbol
                self._members.append(geometries[classes == index])
                self._paths.append([polygon_path(self._members[-1])]
                                   + [None] * (len(DETAIL_TOLERANCES) - 1))
                item = QGraphicsPathItem(self._path(len(self._paths) - 1, self._detail))
                item.setPen(symbology.pen(symbol))
                item.setBrush(symbology.brush(symbol))
                item.setVisible(self.visible)
                self._class_items.append(item)

        def _path(self, index, detail):
            paths = self._paths[index]
            if paths[detail] is None:
                simplified = shapely.simplify(self._members[index], DETAIL_TOLERANCES[detail],
                                              preserve_topology=False)
                paths[detail] = polygon_path(simplified[~shapely.is_empty(simplified)])
            return paths[detail]

        def set_detail(self, metres_per_pixel):
            detail = detail_for(metres_per_pixel)
            if detail != self._detail:
                self._detail = detail
                for index, item in enumerate(self._class_items):
                    item.setPath(self._path(index, detail))

    return OldPolygonLayer


def _old_paint_aggregates(self, painter, rect, transform) -> None:
    """PointCloudItem._paint_aggregates as it was: one drawEllipse per count circle."""
    from PyQt6.QtCore import QPointF, QRectF, Qt
    from PyQt6.QtGui import QColor, QPainter, QPen

    from gis_app.ui.canvas.point_item import MAX_AGGREGATES

    for level in self.aggregate_levels:
        x, y, counts = level
        inside = (x >= rect.left()) & (x <= rect.right()) & (y >= rect.top()) & (y <= rect.bottom())
        if inside.sum() <= MAX_AGGREGATES:
            break
    px = x[inside] * transform.m11() + y[inside] * transform.m21() + transform.dx()
    py = x[inside] * transform.m12() + y[inside] * transform.m22() + transform.dy()
    counts = counts[inside]
    radius = 4 + 10 * np.sqrt(counts / max(counts.max(initial=1), 1))
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor("#ffffff"), 1))
    painter.setBrush(QColor(232, 89, 12, 170))
    for cx, cy, r in zip(px, py, radius, strict=True):
        painter.drawEllipse(QPointF(cx, cy), r, r)
    if len(counts) <= 600:
        painter.setPen(QColor("#212529"))
        for cx, cy, r, n in zip(px, py, radius, counts, strict=True):
            painter.drawText(QRectF(cx - 30, cy + r, 60, 14), Qt.AlignmentFlag.AlignCenter, str(n))


# -- reading the layers as the window does
def _lean(frame: pd.DataFrame) -> pd.DataFrame:
    """Households with float x/y columns instead of shapely points (what the map needs)."""
    if "x" in frame.columns and "y" in frame.columns:
        return frame
    located = np.asarray(frame.geometry.array, dtype=object)
    lean = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return lean.assign(x=shapely.get_x(located), y=shapely.get_y(located))


def read_layers(path) -> tuple[list, list]:
    """(definition, style, frame) of every layer of ``layers/``, bottom first, and the
    households' counts per grid and village, read from project ``path`` as the window does."""
    from gis_app.catalog import load_layers, load_styles
    from gis_app.storage.project import open_project

    styles = load_styles()
    definitions = load_layers(styles=styles)
    project = open_project(path)
    try:  # the map data of the window before the project session
        from gis_app.services.map_service import load_map_data
    except ImportError:
        load_map_data = None
    if load_map_data is not None:
        data = load_map_data(project)
        frames = {d.id: data.layer_frame(d.source, d.filter) for d in definitions}
        counts = data.household_counts()
    else:
        from gis_app.services.layers import LayerSet
        from gis_app.services.map_service import household_counts
        from gis_app.services.session import ProjectSession

        session = ProjectSession(project)
        layers = LayerSet(session, definitions)
        frames = {layer.id: layer.frame for layer in layers}
        counts = household_counts(session)
    rows = []
    for definition in sorted(definitions, key=lambda d: d.z):
        frame = frames[definition.id]
        if definition.source == "households":
            frame = _lean(frame)
        rows.append((definition, styles[definition.style], frame))
    return rows, counts


def _canvas(app, layers, counts, old: bool):
    """A canvas with every layer: as now, or (``old``) drawn as before."""
    from gis_app.ui.canvas.layers import LAYER_ADAPTERS
    from gis_app.ui.canvas.map_canvas import MapCanvas

    canvas = MapCanvas()
    canvas.resize(*CANVAS_SIZE)
    canvas.show()
    app.processEvents()
    old_polygons = _old_polygon_layer() if old else None
    for definition, style, frame in layers:
        if old and definition.geometry == "polygon":
            LAYER_ADAPTERS["polygon"], kept = old_polygons, LAYER_ADAPTERS["polygon"]
            try:
                adapter = canvas.add_layer(definition, style, frame)
            finally:
                LAYER_ADAPTERS["polygon"] = kept
        else:
            adapter = canvas.add_layer(definition, style, frame)
        if definition.source == "households":
            adapter.set_aggregates(counts)
            if old:
                cloud = adapter.items()[0]
                cloud._paint_aggregates = types.MethodType(_old_paint_aggregates, cloud)
    return canvas


def _redraws(app, canvases, moves) -> list[list[float]]:
    """Seconds of each canvas's redraw after each move, the canvases taking turns."""
    times: list[list[float]] = [[] for _ in canvases]
    for move in moves:
        for canvas, spent in zip(canvases, times, strict=True):
            move(canvas)
            start = time.perf_counter()
            canvas.grab()
            spent.append(time.perf_counter() - start)
    return times


MOVES = [lambda c: c.pan_by(0.05, 0), lambda c: c.pan_by(-0.05, 0),
         lambda c: c.zoom_by(0.9), lambda c: c.zoom_by(1 / 0.9)] * 5


def bench_map(path, label: str) -> list[tuple[str, float, str, float | None]]:
    """Rows of (what, seconds, baseline, baseline seconds) for the canvas on project ``path``."""
    from PyQt6.QtCore import QRectF

    from gis_app.ui.app import application

    app = application()
    layers, counts = read_layers(path)
    rows = []
    size = f"{CANVAS_SIZE[0]}×{CANVAS_SIZE[1]} px"

    first = {}
    for old in (True, False):
        start = time.perf_counter()
        canvas = _canvas(app, layers, counts, old)
        canvas.zoom_full()
        app.processEvents()
        canvas.grab()
        first[old] = (time.perf_counter() - start, canvas)
    ours, before = first[False][1], first[True][1]
    rows.append((f"{label}: canvas with every layer built and first drawn at full extent",
                 first[False][0], BASELINE, first[True][0]))

    now, then = _redraws(app, [ours, before], MOVES)
    aggregated = ours.adapters["households"].items()[0].showing_aggregates(
        ours.view_box.viewRect())
    rows.append((f"{label}: redraw at full extent after a pan or zoom, median of {len(now)} "
                 f"({size}{', counts per grid/village drawn' if aggregated else ''})",
                 statistics.median(now), BASELINE, statistics.median(then)))

    centre = ours.full_extent().center()
    view = QRectF(centre.x() - 4000, centre.y() - 4000, 8000, 8000)
    for canvas in (ours, before):
        canvas.zoom_to(view, padding=0)
        app.processEvents()
        canvas.grab()
    now, then = _redraws(app, [ours, before], MOVES)
    rows.append((f"{label}: redraw of an 8 km view after a pan or zoom, median of {len(now)} "
                 f"({size}, households drawn one by one)",
                 statistics.median(now), BASELINE, statistics.median(then)))

    # One household moved 100 m and restyled, as an edit arrives: only its row is read again.
    adapter = ours.adapters["households"]
    frame = adapter.frame
    style = adapter.style
    values = [c.value for c in style.classes] if style.kind == "categorized" else []
    rng = np.random.default_rng(1)
    spent = []
    for row in rng.choice(np.flatnonzero(frame["x"].notna().to_numpy()), 20, replace=False):
        frame.loc[row, "x"] = frame["x"].iloc[row] + 100.0
        if values:  # into the next class of the style
            current = frame[style.field].iloc[row]
            frame.loc[row, style.field] = values[(values.index(current) + 1) % len(values)
                                                 if current in values else 0]
        start = time.perf_counter()
        adapter.update_rows(np.array([row]))
        spent.append(time.perf_counter() - start)
    rebuild = []
    for _ in range(3):
        start = time.perf_counter()
        adapter.set_frame(frame)
        rebuild.append(time.perf_counter() - start)
    rows.append((f"{label}: one household moved and restyled (update_rows), median of "
                 f"{len(spent)}", statistics.median(spent),
                 "the households layer rebuilt from its frame (set_frame)",
                 statistics.median(rebuild)))
    ours.close()
    before.close()
    return rows


def main() -> None:
    """Build the counties (or reuse them) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[120_000, 1_000_000])
    parser.add_argument("--reuse", action="store_true",
                        help="keep the generated counties in benchmarks/_work for the next run")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from gis_app.services.sample_service import create_sample_project

    WORK.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"before = {BASELINE}")
    print("| what | seconds | baseline | baseline seconds |")
    print("|---|---:|---|---:|")
    for households in args.sizes:
        path = WORK / f"county-{households}.gmp"
        if not (args.reuse and path.exists()):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            create_sample_project(path, households=households).close()
        for what, seconds, base_name, base in bench_map(path, f"{households:,} households"):
            base_text = f"{base:.4f}" if base is not None else ""
            print(f"| {what} | {seconds:.4f} | {base_name} | {base_text} |", flush=True)
        if not args.reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
