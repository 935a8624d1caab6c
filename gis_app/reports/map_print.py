"""Printed maps: a layout with title, map, legend, scale, north arrow and key figures; atlases.

The map is drawn from the catalog's styles as the screen draws it (``ui/canvas``): each
layer's features fall in their style classes (:func:`gis_app.core.classify.classify`), a
class is one path filled and outlined with the class's symbol, the map's paper (a ``base``
layer's fill) lies under every other fill, every fill under every outline, points on top,
then labels where the print's scale is within the style's label scale. A layer beyond its
``max_scale`` is left out, as on screen. Symbol sizes and line widths in screen pixels become
:data:`MM_PER_PIXEL` millimetres on paper.

The same layout is drawn into a vector PDF (fpdf2, the CJK font embedded) or a 300 dpi PNG
(Pillow) through :mod:`gis_app.reports.page_canvas`. Reports take plain data: the services
gather a :class:`PrintSheet` (``services/print_service``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from gis_app.core.classify import DEFAULT_CLASS, classify
from gis_app.core.mapdefs import Style, Symbol
from gis_app.reports.files import replace_whole
from gis_app.reports.fonts import add_cjk_font, close_fonts, find_cjk_font
from gis_app.reports.map_frame import BLACK, WHITE, MapFrame, north_arrow, scale_bar
from gis_app.reports.page_canvas import PdfCanvas, PngCanvas, rgba

#: Paper sizes (width, height) in millimetres, portrait.
PAPER_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
#: A screen pixel of a symbol or line on paper (a 96 dpi pixel is 0.26 mm).
MM_PER_PIXEL = 0.25
#: Qt's dash patterns in line widths (``ui/canvas/symbology``'s pen styles).
DASHES = {"dash": (4.0, 2.0), "dot": (1.0, 2.0)}
GREY = (90, 90, 90, 1.0)
#: Neighbours of an atlas page's unit are seen through this much white.
VEIL = (255, 255, 255, 0.62)
FOCUS_OUTLINE = (201, 42, 42, 1.0)
#: The layout's own words in English (a sheet is printed in its ``language``); the legend's
#: layer and class names come from the styles' English labels.
_ENGLISH = {"图例": "Legend", "其他": "Other", "比例尺 1:{n}": "Scale 1:{n}",
            "第 {number} 页 / 共 {total} 页": "Page {number} of {total}"}


def layout_word(text: str, language: str) -> str:
    """``text`` in ``language`` ("zh" or "en")."""
    return _ENGLISH.get(text, text) if language.startswith("en") else text


@dataclass(frozen=True)
class PrintLayer:
    """One map layer as printed: its features, style and how the screen shows it."""

    title: str
    geometry: str  # "point", "line" or "polygon"
    style: Style
    #: Polygons: a GeoDataFrame in map metres; points: ``x`` and ``y`` columns (metres).
    frame: pd.DataFrame
    opacity: float = 1.0
    base: bool = False
    max_scale: float | None = None


@dataclass(frozen=True)
class PrintPage:
    """One page: the unit it shows, its extent, its key figures and (an atlas's) table."""

    unit: str
    bounds: tuple[float, float, float, float]
    figures: list[tuple[str, str]]
    #: Atlas pages: the unit's outline; the map outside it is veiled.
    focus: object = None
    #: (header, rows) of the unit's small table, or None.
    table: tuple[list[str], list[list[str]]] | None = None


@dataclass
class PrintSheet:
    """A document: its title, the layers bottom to top, the pages and the paper."""

    title: str
    layers: list[PrintLayer]
    pages: list[PrintPage]
    paper: str = "A4"
    orientation: str = "landscape"
    #: The footer's facts: 制图日期, 数据来源, 坐标系.
    footer: list[str] = field(default_factory=list)
    #: The layout's words and the legend's labels: "zh" or "en".
    language: str = "zh"

    @property
    def size_mm(self) -> tuple[float, float]:
        """Page width and height in millimetres."""
        short, long = PAPER_MM[self.paper]
        return (long, short) if self.orientation == "landscape" else (short, long)


# --- the map ------------------------------------------------------------------------------------


def point_xy(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """A point frame's map coordinates: its ``x``/``y`` columns, else its geometry's."""
    if "x" in frame and "y" in frame:
        return frame["x"].to_numpy(float), frame["y"].to_numpy(float)
    geometries = frame.geometry.to_numpy()
    return shapely.get_x(geometries), shapely.get_y(geometries)


def _in_view(frame: pd.DataFrame, geometry: str, bounds) -> np.ndarray:
    """Which features touch the extent (by their bounding boxes: one array comparison)."""
    minx, miny, maxx, maxy = bounds
    if geometry == "point":
        x, y = point_xy(frame)
        return (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)
    box = shapely.bounds(frame.geometry.to_numpy())
    return ((box[:, 0] <= maxx) & (box[:, 2] >= minx) & (box[:, 1] <= maxy)
            & (box[:, 3] >= miny))


def _rings(geometries, frame: MapFrame):
    """Every ring of the polygons on the page, exteriors and holes winding opposite ways."""
    rings = shapely.get_rings(shapely.get_parts(shapely.orient_polygons(geometries)))
    coords, index = shapely.get_coordinates(rings, return_index=True)
    px, py = frame.page(coords[:, 0], coords[:, 1])
    return np.column_stack([px, py]), index


def _symbols(style: Style) -> list[tuple[int, Symbol]]:
    """(class index, symbol) of every class, the default first (as the screen stacks them)."""
    entries = [(i, c.symbol) for i, c in enumerate(style.classes)]
    if style.default is not None:
        entries.insert(0, (DEFAULT_CLASS, style.default))
    return entries


def _width(symbol: Symbol) -> float:
    return symbol.stroke_width * MM_PER_PIXEL


def _dash(symbol: Symbol):
    pattern = DASHES.get(symbol.stroke_style)
    if pattern is None:
        return None
    width = max(_width(symbol), 0.15)
    return pattern[0] * width, pattern[1] * width


def _polygon_passes(layers, frame: MapFrame, denominator: float):
    """(band, z, drawing arguments) of each polygon class: base fills, fills, outlines."""
    passes = []
    for z, layer in enumerate(layers):
        if layer.geometry == "point" or not len(layer.frame) or not _in_scale(layer,
                                                                               denominator):
            continue
        shown = layer.frame[_in_view(layer.frame, layer.geometry, frame.bounds)]
        if not len(shown):
            continue
        classes = classify(layer.style, shown)
        geometries = shown.geometry.to_numpy()
        for index, symbol in _symbols(layer.style):
            members = geometries[classes == index]
            if not len(members):
                continue
            coords, rings = _rings(members, frame)
            fill = rgba(symbol.fill, symbol.opacity * layer.opacity)
            stroke = rgba(symbol.stroke, symbol.opacity * layer.opacity)
            if fill is not None:
                passes.append((0 if layer.base else 1, z, (coords, rings, fill)))
            if stroke is not None:
                passes.append((2, z, (coords, rings, stroke, _width(symbol), _dash(symbol))))
    return passes


def _in_scale(layer: PrintLayer, denominator: float) -> bool:
    return layer.max_scale is None or denominator <= layer.max_scale


def _draw_points(canvas, layers, frame: MapFrame, denominator: float) -> None:
    for layer in layers:
        if layer.geometry != "point" or not len(layer.frame) or not _in_scale(layer,
                                                                               denominator):
            continue
        shown = layer.frame[_in_view(layer.frame, "point", frame.bounds)]
        if not len(shown):
            continue
        classes = classify(layer.style, shown)
        px, py = frame.page(*point_xy(shown))
        for index, symbol in _symbols(layer.style):
            mine = classes == index
            if mine.any():
                x, y = _thinned(px[mine], py[mine], symbol.size * MM_PER_PIXEL / 3)
                canvas.markers(x, y, symbol.shape, symbol.size * MM_PER_PIXEL,
                               rgba(symbol.fill, symbol.opacity * layer.opacity),
                               rgba(symbol.stroke, symbol.opacity * layer.opacity),
                               _width(symbol))


def _thinned(px: np.ndarray, py: np.ndarray, cell: float):
    """One symbol per ``cell`` of paper per class: the others lie under it (as on screen)."""
    column = np.floor(px / cell).astype(np.int64)
    row = np.floor(py / cell).astype(np.int64)
    _cells, first = np.unique(np.column_stack([column, row]), axis=0, return_index=True)
    keep = np.sort(first)
    return px[keep], py[keep]


def _draw_labels(canvas, layers, frame: MapFrame, denominator: float, size: float,
                 reserved=()) -> None:
    """Labels of the labelled layers in scale, top layer first, none over another.

    ``reserved``: (left, top, right, bottom) boxes no label may cover (arrow, scale bar).
    """
    taken: list[tuple[float, float, float, float]] = list(reserved)
    right, bottom = frame.left + frame.width, frame.top + frame.height
    for layer in reversed(layers):
        style = layer.style
        if (not style.label_field or style.label_field not in layer.frame
                or not _in_scale(layer, denominator)
                or (style.label_min_scale and denominator > style.label_min_scale)):
            continue
        shown = layer.frame[_in_view(layer.frame, layer.geometry, frame.bounds)]
        if not len(shown):
            continue
        if layer.geometry == "point":
            x, y = point_xy(shown)
            shift = max(s.size for _i, s in _symbols(style)) * MM_PER_PIXEL * 0.7
        else:
            anchors = shapely.point_on_surface(shown.geometry.to_numpy())
            x, y, shift = shapely.get_x(anchors), shapely.get_y(anchors), 0.0
        px, py = frame.page(x, y)
        for text, cx, cy in zip(shown[style.label_field].astype(str), px, py, strict=True):
            if not np.isfinite(cx) or text in ("", "nan", "None"):
                continue
            w, h = canvas.text_width(text, size), size * 1.1
            left = min(max(cx + shift - (0 if shift else w / 2), frame.left + 1), right - w - 1)
            top = min(max(cy - h / 2, frame.top + 1), bottom - h - 1)
            if any(left < b[2] and left + w > b[0] and top < b[3] and top + h > b[1]
                   for b in taken):
                continue
            taken.append((left, top, left + w, top + h))
            canvas.text(left, top + h / 2, text, size, (33, 37, 41, 1.0), anchor="lm",
                        halo=WHITE)


def draw_map(canvas, sheet: PrintSheet, page: PrintPage, box, u: float) -> MapFrame:
    """The page's map in ``box`` (left, top, width, height): layers, veil, arrow, bar."""
    left, top, width, height = box
    frame = MapFrame.fit(page.bounds, left, top, width, height, margin=0.03)
    denominator = 1000.0 / frame.scale
    with canvas.clip(left, top, width, height):
        canvas.rect(left, top, width, height, fill=WHITE)
        for band, _z, args in sorted(_polygon_passes(sheet.layers, frame, denominator),
                                     key=lambda p: (p[0], p[1])):
            (canvas.stroke_rings if band == 2 else canvas.fill_rings)(*args)
        if page.focus is not None:
            view = shapely.box(*frame.bounds)
            veil = shapely.difference(view, page.focus)
            if not shapely.is_empty(veil):
                coords, rings = _rings(np.array([veil], dtype=object), frame)
                canvas.fill_rings(coords, rings, VEIL)
        _draw_points(canvas, sheet.layers, frame, denominator)
        if page.focus is not None:
            coords, rings = _rings(np.array([page.focus], dtype=object), frame)
            canvas.stroke_rings(coords, rings, FOCUS_OUTLINE, 0.7 * u)
        arrow = (left + width - 15 * u, top, left + width, top + 20 * u)
        bar_y = top + height - 8 * u
        bar = (left + 3 * u, bar_y - 3 * u, left + width / 4 + 25 * u, bar_y + 6 * u)
        _draw_labels(canvas, sheet.layers, frame, denominator, 2.4 * u, (arrow, bar))
        canvas.rect(bar[0], bar[1], bar[2] - bar[0], bar[3] - bar[1],
                    fill=(255, 255, 255, 0.8))
    canvas.rect(left, top, width, height, stroke=BLACK, width=0.3 * u)
    language = sheet.language
    north_arrow(canvas, left + width - 9 * u, top + 4 * u, 9 * u, language)
    scale_bar(canvas, frame, left + 5 * u, bar_y, width / 4, 1.6 * u, 2.6 * u, language)
    canvas.text(left + 5 * u, bar_y + 4.2 * u, layout_word("比例尺 1:{n}", language).format(
        n=f"{round(denominator, -1):,.0f}"), 2.4 * u, anchor="lm")
    return frame


# --- around the map -----------------------------------------------------------------------------


def legend_entries(layers: list[PrintLayer], language: str = "zh") -> list[tuple]:
    """("layer", title) then ("class", geometry, symbol, label) per class, top layer first.

    Layers with no features are left out; a style's default symbol is listed as 其他 when
    some feature falls in no class. Class labels are the style's in ``language``.
    """
    entries: list[tuple] = []
    for layer in reversed(layers):
        if not len(layer.frame):
            continue
        entries.append(("layer", layer.title))
        classes = classify(layer.style, layer.frame)
        for style_class in layer.style.classes:
            entries.append(("class", layer.geometry, style_class.symbol,
                            style_class.label.in_language(language)))
        if layer.style.default is not None and (classes == DEFAULT_CLASS).any():
            entries.append(("class", layer.geometry, layer.style.default,
                            layout_word("其他", language)))
    return entries


def _swatch(canvas, kind: str, symbol: Symbol, x: float, y: float, size: float) -> None:
    """A legend swatch ``size`` wide, its top-left at (x, y)."""
    if kind == "point":
        width = min(symbol.size * MM_PER_PIXEL * 1.2, size)
        canvas.markers(np.array([x + size / 2]), np.array([y + size * 0.35]), symbol.shape,
                       width, rgba(symbol.fill, symbol.opacity),
                       rgba(symbol.stroke, symbol.opacity), _width(symbol))
        return
    fill = rgba(symbol.fill, symbol.opacity)
    if fill is not None:
        canvas.rect(x, y, size, size * 0.7, fill=fill)
    stroke = rgba(symbol.stroke, symbol.opacity)
    if stroke is not None:
        corners = np.array([(x, y), (x + size, y), (x + size, y + size * 0.7),
                            (x, y + size * 0.7), (x, y)])
        canvas.stroke_rings(corners, np.zeros(5, int), stroke, max(_width(symbol), 0.15),
                            _dash(symbol))


def draw_legend(canvas, entries, box, u: float, language: str = "zh") -> None:
    """图例 and its entries in as many columns as the box needs."""
    left, top, width, height = box
    canvas.text(left, top, layout_word("图例", language), 3.4 * u, anchor="lt")
    line = 4.0 * u
    rows_per_column = max(1, int((height - 6 * u) // line))
    columns = max(1, -(-len(entries) // rows_per_column))
    size = 2.9 * u if columns <= 2 else 2.4 * u
    column_width = width / columns
    for k, entry in enumerate(entries):
        x = left + (k // rows_per_column) * column_width
        y = top + 6 * u + (k % rows_per_column) * line
        if entry[0] == "layer":
            canvas.text(x, y + line / 2, entry[1], size, (33, 37, 41, 1.0), anchor="lm")
        else:
            _kind, geometry, symbol, label = entry
            _swatch(canvas, geometry, symbol, x + 1.5 * u, y + 0.6 * u, 4.2 * u)
            canvas.text(x + 7 * u, y + line / 2, label, size * 0.92, GREY, anchor="lm")


def draw_figures(canvas, page: PrintPage, x: float, y: float, width: float, u: float) -> float:
    """The unit's name and its key figures; returns the height used."""
    canvas.text(x, y, page.unit, 3.8 * u, anchor="lt")
    line = 4.6 * u
    y += 7 * u
    for label, value in page.figures:
        canvas.text(x + 1 * u, y + line / 2, label, 2.9 * u, GREY, anchor="lm")
        canvas.text(x + width, y + line / 2, value, 2.9 * u, anchor="rm")
        canvas.line([(x, y + line), (x + width, y + line)], (206, 212, 218, 1.0), 0.15 * u)
        y += line
    return 7 * u + line * len(page.figures)


def draw_table(canvas, table, x: float, y: float, width: float, u: float,
               max_height: float) -> float:
    """A small bordered table (as many rows as fit); returns the height used."""
    header, rows = table
    size, line = 2.3 * u, 4.0 * u
    shares = np.array([2.6] + [1.0] * (len(header) - 1))
    widths = width * shares / shares.sum()
    edges = x + np.r_[0.0, np.cumsum(widths)]
    fit = max(0, int(max_height // line) - 1)
    shown = rows[:fit]
    canvas.rect(x, y, width, line, fill=(221, 235, 247, 1.0))
    for k, row in enumerate([header, *shown]):
        top = y + k * line
        for i, value in enumerate(row):
            if i == 0:
                canvas.text(edges[0] + 0.8 * u, top + line / 2, str(value), size, anchor="lm")
            else:
                canvas.text(edges[i + 1] - 0.8 * u, top + line / 2, str(value), size,
                            anchor="rm")
        canvas.line([(x, top + line), (x + width, top + line)], GREY, 0.12 * u)
    bottom = y + line * (len(shown) + 1)
    for edge in edges:
        canvas.line([(edge, y), (edge, bottom)], GREY, 0.12 * u)
    canvas.line([(x, y), (x + width, y)], GREY, 0.12 * u)
    return bottom - y


def draw_page(canvas, sheet: PrintSheet, page: PrintPage, number: int = 1) -> None:
    """The whole layout of one page."""
    page_w, page_h = sheet.size_mm
    u = min(page_w, page_h) / 210.0
    margin, header, footer, gap = 10 * u, 15 * u, 7 * u, 4 * u
    canvas.text(page_w / 2, margin, sheet.title, 6.0 * u, anchor="mt")
    body_top = margin + header
    body_h = page_h - body_top - margin - footer
    entries = legend_entries(sheet.layers, sheet.language)
    if sheet.orientation == "landscape":
        panel_w = 76 * u
        map_box = (margin, body_top, page_w - 2 * margin - panel_w - gap, body_h)
        px = map_box[0] + map_box[2] + gap
        used = draw_figures(canvas, page, px, body_top, panel_w, u) + gap
        if page.table is not None:
            used += draw_table(canvas, page.table, px, body_top + used, panel_w, u,
                               0.3 * body_h) + gap
        draw_legend(canvas, entries, (px, body_top + used, panel_w, body_h - used), u,
                    sheet.language)
    else:
        panel_h = 78 * u
        map_box = (margin, body_top, page_w - 2 * margin, body_h - panel_h - gap)
        py = body_top + map_box[3] + gap
        column = (page_w - 2 * margin - gap) / 2
        used = draw_figures(canvas, page, margin, py, column, u) + gap
        if page.table is not None:
            draw_table(canvas, page.table, margin, py + used, column, u, panel_h - used)
        draw_legend(canvas, entries, (margin + column + gap, py, column, panel_h), u,
                    sheet.language)
    draw_map(canvas, sheet, page, map_box, u)
    facts = "    ".join(sheet.footer)
    if len(sheet.pages) > 1:
        facts += "    " + layout_word("第 {number} 页 / 共 {total} 页", sheet.language).format(
            number=number, total=len(sheet.pages))
    canvas.text(margin, page_h - margin, facts, 2.4 * u, GREY, anchor="ls")


# --- files --------------------------------------------------------------------------------------


def write_map_pdf(sheet: PrintSheet, path: str | os.PathLike, progress=None) -> Path:
    """Write every page of ``sheet`` into one vector PDF with the Chinese font embedded.

    Parameters
    ----------
    sheet : PrintSheet
        The pages and layers.
    path : path-like
        Target ``.pdf``; written whole or not at all.
    progress : callable, optional
        ``progress(done, total)`` after each page; raising from it stops, leaving no file.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    CJKFontNotFound
        When no font with Chinese glyphs is installed.
    """
    from fpdf import FPDF

    page_w, page_h = sheet.size_mm
    pdf = FPDF(orientation="L" if sheet.orientation == "landscape" else "P", unit="mm",
               format=sheet.paper)
    pdf.set_title(sheet.title)
    pdf.set_creator("网格防返贫监测 GIS")
    add_cjk_font(pdf)
    pdf.set_auto_page_break(False)
    canvas = PdfCanvas(pdf)
    total = len(sheet.pages)
    try:
        for number, page in enumerate(sheet.pages, start=1):
            pdf.add_page()
            draw_page(canvas, sheet, page, number)
            if progress is not None:
                progress(number, total)
        return replace_whole(Path(path), lambda tmp: pdf.output(str(tmp)))
    finally:
        close_fonts(pdf)  # also when stopped half drawn


def png_size(sheet: PrintSheet, dpi: int = 300) -> tuple[int, int]:
    """The PNG's pixels for the sheet's paper at ``dpi``."""
    page_w, page_h = sheet.size_mm
    return round(page_w / 25.4 * dpi), round(page_h / 25.4 * dpi)


def write_map_png(sheet: PrintSheet, path: str | os.PathLike, dpi: int = 300,
                  progress=None) -> Path:
    """Write the sheet's first page as a PNG at ``dpi`` (the resolution recorded in the file)."""
    from PIL import Image

    image = Image.new("RGB", png_size(sheet, dpi), "white")
    canvas = PngCanvas(image, dpi / 25.4, find_cjk_font())
    draw_page(canvas, sheet, sheet.pages[0])
    if progress is not None:
        progress(1, 1)
    return replace_whole(Path(path), lambda tmp: canvas.image.save(tmp, format="PNG",
                                                              dpi=(dpi, dpi)))
