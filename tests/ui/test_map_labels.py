"""Map labels as drawn: beside the symbols, never over a hazard triangle, inside the map.

The labels' rectangles are read off the drawn text items (scene → widget), the symbols'
places from the store (hazard points' geometry with SQL, projected), and the drawn image
is read at each triangle's centre.
"""

from __future__ import annotations

import numpy as np
import shapely
from PyQt6.QtCore import QPoint, QRect, QRectF

from tests.ui.conftest import view_to_widget
from tests.ui.test_grid_edit_helpers import sql, to_map

TRIANGLE = 10  # styles/hazard_points.toml: size of every class
TRIANGLE_COLOURS = ("#d9480f", "#7f3f1f", "#c92a2a")


def _hazard_points(window):
    frame = sql(window, "SELECT name, geom FROM hazard_point ORDER BY id")
    points = to_map(window, shapely.from_wkb(frame["geom"].to_numpy()))
    return frame["name"].tolist(), shapely.get_coordinates(points)


def _label_rects(window) -> list[tuple[str, QRectF]]:
    """(text, widget rectangle) of every label drawn."""
    canvas = window.canvas
    return [(item.textItem.toPlainText(),
             QRectF(canvas.mapFromScene(item.sceneBoundingRect()).boundingRect()))
            for item in canvas.labels.pool if item.isVisible()]


def _show(window, qtbot, rect: QRectF) -> None:
    window.canvas.zoom_to(rect, padding=0)
    qtbot.wait(120)  # the labels are placed once the view settles
    window.canvas.relabel()


def _symbol(window, x: float, y: float) -> QRectF:
    at = view_to_widget(window, x, y)
    half = TRIANGLE / 2
    return QRectF(at.x() - half, at.y() - half, TRIANGLE, TRIANGLE)


def test_hazard_labels_sit_beside_their_triangles_and_hide_none(window, qtbot):
    names, xy = _hazard_points(window)
    # The 银山村 hazard points, at a scale where hazard points are labelled (1:30,000).
    focus = np.array([i for i, name in enumerate(names) if name.startswith("银山村")])
    centre = xy[focus].mean(axis=0)
    _show(window, qtbot, QRectF(centre[0] - 1500, centre[1] - 1000, 3000, 2000))
    assert window.canvas.scale_denominator() < 30_000
    viewport = QRectF(window.canvas.viewport().rect())
    labels = _label_rects(window)
    shown = {text for text, _rect in labels}
    in_view = [i for i in range(len(names)) if viewport.contains(_symbol(window, *xy[i]))]
    assert {names[i] for i in focus} <= shown  # every one of them named
    symbols = [_symbol(window, *xy[i]).adjusted(1, 1, -1, -1) for i in in_view]
    for text, rect in labels:
        # Inside the map, over no triangle, over no other label.
        assert viewport.contains(rect), (text, rect)
        assert not any(rect.intersects(symbol) for symbol in symbols), text
        assert sum(rect.intersects(other) for _t, other in labels) == 1, text
    # Each hazard point's name beside its own triangle: close, not on it.
    for i in in_view:
        rect = dict(labels).get(names[i])
        if rect is None:
            continue
        at = view_to_widget(window, *xy[i])
        gap = shapely.distance(shapely.Point(at.x(), at.y()),
                               shapely.box(rect.left(), rect.top(), rect.right(), rect.bottom()))
        assert TRIANGLE / 2 <= gap <= TRIANGLE / 2 + 3 + 4 * 2, (names[i], gap)
    # The triangles are drawn, not covered: their colour at their centres.
    image = window.canvas.grab().toImage()
    ratio = image.devicePixelRatio()
    for i in in_view:
        at = view_to_widget(window, *xy[i])
        colour = image.pixelColor(QPoint(round(at.x() * ratio), round((at.y() + 2) * ratio)))
        distance = min(max(abs(colour.red() - int(c[1:3], 16)),
                           abs(colour.green() - int(c[3:5], 16)),
                           abs(colour.blue() - int(c[5:7], 16))) for c in TRIANGLE_COLOURS)
        assert distance <= 40, (names[i], colour.name())


def test_a_label_at_the_edge_of_the_map_is_kept_inside(window, qtbot):
    villages = sql(window, "SELECT name, geom FROM admin_unit WHERE level = 3 ORDER BY id")
    shapes = to_map(window, shapely.from_wkb(villages["geom"].to_numpy()))
    anchors = shapely.get_coordinates(shapely.point_on_surface(shapes))
    row = int(np.argmax(shapely.area(shapes)))  # a large village: room for its name
    name, (x, y) = villages["name"][row], anchors[row]
    canvas = window.canvas
    # A view 1:60,000 whose left edge runs 3 pixels left of where the village is labelled.
    view = canvas.view_box.viewRect()
    span = view.width() * 60_000 / canvas.scale_denominator()
    pixel = span / canvas.view_box.width()
    rect = QRectF(x - 3 * pixel, y - span * view.height() / view.width() / 2, span,
                  span * view.height() / view.width())
    _show(window, qtbot, rect)
    labels = dict(_label_rects(window))
    assert name in labels
    viewport = QRectF(canvas.viewport().rect())
    assert viewport.contains(labels[name])
    assert labels[name].left() >= 2 and labels[name].left() < 30  # moved in, still at the edge
    # None of the labels is under the scale bar or the north arrow.
    for reserved in canvas.overlay.reserved():
        assert not any(QRectF(reserved).intersects(r) for r in labels.values())
    assert isinstance(canvas.overlay.reserved()[0], QRectF | QRect)
