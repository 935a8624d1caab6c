"""The page canvases fill a style class as the screen does: overlaps once, holes open.

The same two polygons (overlapping squares, one with a hole), oriented by shapely as the print
orients them, are filled translucent on a Pillow image and on a PDF page rasterised by
pdftoppm; the pixels are read back.
"""

from __future__ import annotations

import subprocess

import numpy as np
import shapely
from PIL import Image

from gis_app.reports.map_frame import MapFrame
from gis_app.reports.page_canvas import PdfCanvas, PngCanvas, _dashes

RED = (224, 49, 49, 0.5)
#: 50 % red over white.
BLEND = (240, 152, 152)


def _shapes(frame: MapFrame):
    square = shapely.box(0, 0, 60, 60).difference(shapely.box(20, 20, 40, 40))  # a hole
    other = shapely.box(40, 40, 100, 100)  # overlaps the first square's corner
    rings = shapely.get_rings(shapely.get_parts(shapely.orient_polygons(
        np.array([square, other], dtype=object))))
    coords, index = shapely.get_coordinates(rings, return_index=True)
    px, py = frame.page(coords[:, 0], coords[:, 1])
    return np.column_stack([px, py]), index


def _check(pixels: np.ndarray, at) -> None:
    """Pixels at map points (x, y) → (row, column) given by ``at``."""
    def colour(x, y):
        row, column = at(x, y)
        return tuple(int(v) for v in pixels[row, column][:3])

    def near(value, target):
        return max(abs(a - b) for a, b in zip(value, target, strict=True)) <= 3

    assert near(colour(10, 10), BLEND)  # inside the first square
    assert near(colour(30, 30), (255, 255, 255))  # its hole stays open
    assert near(colour(50, 50), BLEND)  # the overlap is filled once, not darker
    assert near(colour(80, 80), BLEND)
    assert near(colour(10, 90), (255, 255, 255))  # outside both


def test_png_fills_a_class_once_with_holes(tmp_path):
    image = Image.new("RGB", (400, 400), "white")
    frame = MapFrame(0, 0, 400, 400, -50.0, 150.0, 2.0)  # 2 px per metre, y up
    coords, index = _shapes(frame)
    PngCanvas(image).fill_rings(coords, index, RED)
    pixels = np.asarray(image)

    def at(x, y):
        px, py = frame.page(x, y)
        return int(py), int(px)

    _check(pixels, at)


def test_pdf_fills_a_class_once_with_holes(tmp_path):
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format=(100, 100))
    pdf.add_page()
    frame = MapFrame(0, 0, 100, 100, -25.0, 125.0, 0.5)  # 0.5 mm per metre
    coords, index = _shapes(frame)
    PdfCanvas(pdf).fill_rings(coords, index, RED)
    pdf.output(str(tmp_path / "fill.pdf"))
    subprocess.run(["pdftoppm", "-r", "254", "-png", "-singlefile", str(tmp_path / "fill.pdf"),
                    str(tmp_path / "fill")], check=True)  # 10 pixels per mm
    pixels = np.asarray(Image.open(tmp_path / "fill.png").convert("RGB"))

    def at(x, y):
        px, py = frame.page(x, y)
        return int(py * 10), int(px * 10)

    _check(pixels, at)


def test_dashes_follow_the_line():
    line = np.array([[0.0, 0.0], [10.0, 0.0]])
    dashes = _dashes(line, 2.0, 1.0)
    assert [(d[0, 0], d[-1, 0]) for d in dashes] == [(0, 2), (3, 5), (6, 8), (9, 10)]
    corner = _dashes(np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 5.0]]), 2.0, 1.0)
    assert corner[0].tolist() == [[0, 0], [1, 0], [1, 1]]  # the corner kept inside a dash
