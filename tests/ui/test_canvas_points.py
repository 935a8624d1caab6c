"""Point layers from lean frames (float x/y columns, NaN for no location), updated row by row."""

from __future__ import annotations

import os
from dataclasses import replace

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from PyQt6.QtCore import QPointF, QRectF  # noqa: E402
from PyQt6.QtGui import QImage  # noqa: E402

from gis_app.core.mapdefs import LayerDefinition, Style, StyleClass, Symbol, Text  # noqa: E402

RED, BLUE = (0xe0, 0x31, 0x31), (0x1c, 0x7e, 0xd6)
BACKGROUND = (0xf1, 0xf3, 0xf5)
HIGHLIGHT = (0x00, 0xe5, 0xff)

STYLE = Style(
    id="test_points",
    kind="categorized",
    field="attribute",
    classes=(
        StyleClass(Text("监测", "Monitored"), Symbol(fill="#e03131", stroke="#e03131", size=9),
                   value=2),
        StyleClass(Text("脱贫", "Lifted"), Symbol(fill="#1c7ed6", stroke="#1c7ed6", size=9),
                   value=1),
    ),
)
#: The same, labelled with the household's name.
LABELLED = replace(STYLE, label_field="name")
DEFINITION = LayerDefinition(id="test_households", title=Text("农户", "Households"),
                             source="households", geometry="point", style=STYLE.id, z=60)
VIEW = QRectF(0, 0, 1_000, 1_000)


def _frame(n: int = 100) -> pd.DataFrame:
    """n households on a 100 m grid over 1 km², lean: x, y and attributes, no geometry."""
    side = int(np.ceil(np.sqrt(n)))
    index = np.arange(n)
    return pd.DataFrame({
        "id": index + 1,
        "x": 50.0 + 100.0 * (index % side),
        "y": 50.0 + 100.0 * (index // side),
        "attribute": np.where(index % 2 == 0, 2, 1),
        "name": [f"户{i}" for i in index],
    })


def _canvas(qtbot):
    from gis_app.ui.app import application
    from gis_app.ui.canvas.map_canvas import MapCanvas

    application()
    canvas = MapCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(500, 500)
    canvas.show()
    qtbot.waitExposed(canvas)
    return canvas


def _layer(qtbot, frame, style=STYLE):
    canvas = _canvas(qtbot)
    adapter = canvas.add_layer(DEFINITION, style, frame)
    canvas.view_box.setRange(VIEW, padding=0)
    qtbot.wait(10)
    return canvas, adapter


def _pixels(canvas) -> np.ndarray:
    image = canvas.grab().toImage().convertToFormat(QImage.Format.Format_ARGB32)
    bits = image.constBits()
    bits.setsize(image.sizeInBytes())
    rows = np.frombuffer(bits, np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    return rows[:, : image.width(), :3].copy()


def _colour(canvas, x: float, y: float, pixels=None) -> tuple[int, int, int]:
    pixels = _pixels(canvas) if pixels is None else pixels
    point = canvas.mapFromScene(canvas.view_box.mapViewToScene(QPointF(x, y)))
    blue, green, red = pixels[point.y(), point.x()]
    return int(red), int(green), int(blue)


def test_lean_frame_draws_points_by_class(qtbot):
    frame = _frame()
    canvas, adapter = _layer(qtbot, frame)
    assert "geometry" not in frame
    pixels = _pixels(canvas)
    assert _colour(canvas, 550, 550, pixels) == BLUE  # row 55: attribute 1
    assert _colour(canvas, 650, 550, pixels) == RED  # row 56: attribute 2
    assert _colour(canvas, 600, 550, pixels) == BACKGROUND  # between two households


def test_points_without_location_are_not_drawn_and_bounds_ignore_them(qtbot):
    frame = _frame()
    missing = [11, *range(9, 100, 10)]  # (150, 150) and the column at x = 950: no location
    lean = frame.copy()
    lean.loc[missing, ["x", "y"]] = np.nan
    canvas, adapter = _layer(qtbot, lean)
    located, _ = _layer(qtbot, frame.drop(index=missing).reset_index(drop=True))

    assert adapter.bounds() == (50.0, 50.0, 850.0, 950.0)
    assert located.adapters["test_households"].bounds() == adapter.bounds()
    assert _colour(canvas, 150, 150) == BACKGROUND
    assert np.array_equal(_pixels(canvas), _pixels(located))  # as if they were not there

    # Selecting them highlights nothing: they are nowhere on the map.
    before = _pixels(canvas)
    mask = np.zeros(len(lean), dtype=bool)
    mask[missing] = True
    adapter.set_selection(mask)
    qtbot.wait(10)
    assert np.array_equal(_pixels(canvas), before)
    mask[55] = True
    adapter.set_selection(mask)
    qtbot.wait(10)
    assert _colour(canvas, 550, 550) == HIGHLIGHT


def test_bounds_of_a_layer_with_no_location_leave_the_full_extent_alone(qtbot):
    frame = _frame()
    canvas = _canvas(qtbot)
    canvas.add_layer(DEFINITION, STYLE, frame)
    unlocated = frame.assign(x=np.nan, y=np.nan)
    canvas.add_layer(replace(DEFINITION, id="unlocated"), STYLE, unlocated)
    extent = canvas.full_extent()
    assert (extent.left(), extent.top(), extent.width(), extent.height()) == (50, 50, 900, 900)


def test_geometry_frames_still_work(qtbot):
    frame = _frame()
    geo = gpd.GeoDataFrame(frame.drop(columns=["x", "y"]),
                           geometry=gpd.points_from_xy(frame["x"], frame["y"]), crs=4547)
    canvas, adapter = _layer(qtbot, geo)
    lean_canvas, _ = _layer(qtbot, frame)
    assert adapter.bounds() == (50.0, 50.0, 950.0, 950.0)
    assert np.array_equal(_pixels(canvas), _pixels(lean_canvas))


@pytest.mark.parametrize("replace_frame", [False, True])
def test_update_rows_moves_and_restyles_one_household(qtbot, replace_frame):
    frame = _frame()
    canvas, adapter = _layer(qtbot, frame)
    cloud = adapter.items()[0]
    assert _colour(canvas, 550, 550) == BLUE

    changed = frame.copy() if replace_frame else frame
    changed.loc[55, ["x", "y"]] = (600.0, 600.0)  # to an empty spot between households
    changed.loc[56, "attribute"] = 1  # restyled: monitored → lifted
    adapter.update_rows(np.array([55, 56]), changed if replace_frame else None)
    qtbot.wait(10)

    pixels = _pixels(canvas)
    assert _colour(canvas, 550, 550, pixels) == BACKGROUND  # gone from where it was
    assert _colour(canvas, 600, 600, pixels) == BLUE  # and drawn where it is now
    assert _colour(canvas, 650, 550, pixels) == BLUE  # the restyled one
    assert adapter.items()[0] is cloud  # the same item: nothing rebuilt
    assert (adapter.x[55], adapter.y[55]) == (600.0, 600.0)
    assert adapter.frame is changed


def test_update_rows_moves_a_household_out_of_the_extent_and_loses_one(qtbot):
    frame = _frame()
    canvas, adapter = _layer(qtbot, frame)
    frame.loc[3, ["x", "y"]] = (1_500.0, 1_200.0)
    frame.loc[4, ["x", "y"]] = np.nan
    adapter.update_rows([3, 4])
    assert adapter.bounds() == (50.0, 50.0, 1_500.0, 1_200.0)
    canvas.view_box.setRange(QRectF(0, 0, 1_600, 1_600), padding=0)
    qtbot.wait(10)
    assert _colour(canvas, 1_500, 1_200) == BLUE  # row 3: attribute 1
    assert _colour(canvas, 450, 50) == BACKGROUND  # row 4 had no location any more


def test_update_rows_moves_the_highlight_with_a_selected_household(qtbot):
    frame = _frame()
    canvas, adapter = _layer(qtbot, frame)
    mask = np.zeros(len(frame), dtype=bool)
    mask[55] = True
    adapter.set_selection(mask)
    frame.loc[55, ["x", "y"]] = (600.0, 600.0)
    adapter.update_rows([55])
    qtbot.wait(10)
    assert _colour(canvas, 600, 600) == HIGHLIGHT
    assert _colour(canvas, 550, 550) == BACKGROUND


def test_update_rows_refuses_a_frame_of_another_length(qtbot):
    frame = _frame()
    _, adapter = _layer(qtbot, frame)
    with pytest.raises(ValueError, match="set_frame"):
        adapter.update_rows([1], frame.iloc[:50])


def test_set_frame_keeps_display_state_and_clears_the_selection(qtbot):
    frame = _frame()
    canvas, adapter = _layer(qtbot, frame)
    adapter.set_selection(np.ones(len(frame), dtype=bool))
    adapter.set_opacity(0.4)
    adapter.set_z(77)
    adapter.set_visible(False)

    fewer = _frame(50)  # rows 0–49: only the lower half of the square
    adapter.set_frame(fewer)
    assert len(adapter.selected) == 50 and not adapter.selected.any()
    from gis_app.ui.canvas.layers import band_z  # each item in its band, at the layer's z
    for offset, item in enumerate(adapter.items()):
        assert not item.isVisible()
        assert item.opacity() == pytest.approx(0.4)
        assert item.zValue() == pytest.approx(band_z(adapter._band(item), 77, offset))
    assert adapter.bounds() == (50.0, 50.0, 750.0, 650.0)

    adapter.set_visible(True)
    adapter.set_opacity(1.0)
    qtbot.wait(10)
    pixels = _pixels(canvas)
    assert _colour(canvas, 450, 150, pixels) == RED  # kept: row 12 of the new frame
    assert _colour(canvas, 550, 850, pixels) == BACKGROUND  # row 85 of the old frame: gone


def test_labels_of_a_lean_point_layer_skip_points_without_location(qtbot):
    frame = _frame()
    frame.loc[55, ["x", "y"]] = np.nan
    canvas, _ = _layer(qtbot, frame, LABELLED)
    canvas.view_box.setRange(QRectF(300, 300, 500, 500), padding=0)
    qtbot.wait(10)
    canvas.snapshot()  # places the labels
    placed = {text for _layer_id, text in canvas.labels.placed}
    assert "户44" in placed  # (450, 450): in view
    assert "户55" not in placed  # no location
    assert "户0" not in placed  # (50, 50): out of view


def test_counts_are_drawn_instead_of_points_when_too_many_are_in_view(qtbot):
    frame = _frame()
    canvas, adapter = _layer(qtbot, frame)
    # Two units: 90 households around (250, 250), 10 around (750, 750).
    adapter.set_aggregates([(np.array([250.0, 750.0]), np.array([250.0, 750.0]),
                             np.array([90, 10]))], above=50)
    canvas.update()
    qtbot.wait(10)
    pixels = _pixels(canvas)

    def orange(x, y, dx=0):
        point = canvas.mapFromScene(canvas.view_box.mapViewToScene(QPointF(x, y)))
        blue, green, red = (int(v) for v in pixels[point.y(), point.x() + dx])
        return red > 200 and green < 150 and blue < 120

    assert orange(250, 250) and orange(750, 750)  # a circle on each unit
    assert orange(250, 250, dx=11)  # the larger unit's circle: radius 14 px
    assert not orange(750, 750, dx=11)  # the smaller one's: 4 + 10·√(10/90) ≈ 7 px
    assert _colour(canvas, 550, 550, pixels) == BACKGROUND  # no household symbols
