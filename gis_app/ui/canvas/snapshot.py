"""A map sheet of the current view: title, the map, legend, scale bar and north arrow.

:func:`compose` paints the sheet on any QPainter, so one layout makes both outputs: a PNG (a
QImage, the map at screen resolution) and a PDF (a QPdfWriter: polygons, outlines and text
stay vector, the fonts are embedded, Chinese included). The map itself is the canvas's scene
rendered into a frame, exactly as on screen (labels included); the scale bar and the north
arrow are drawn by the sheet for the frame's own scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PyQt6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt
from PyQt6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
    QPolygonF,
)

from gis_app.core.mapdefs import Symbol
from gis_app.ui.canvas import symbology
from gis_app.ui.canvas.map_canvas import nice_length

#: Sheet units are screen pixels (96 per inch): the PDF is written at that resolution so that
#: labels and cosmetic outlines keep their on-screen size relative to the map.
DPI = 96
MARGIN = 16.0
TITLE_HEIGHT = 58.0
LEGEND_WIDTH = 250.0
INK = QColor("#212529")


@dataclass
class LegendLayer:
    """One layer in the legend: its title, geometry and (symbol, label) rows."""

    title: str
    geometry: str
    rows: list[tuple[Symbol, str]] = field(default_factory=list)


@dataclass
class Sheet:
    """What a sheet says besides the map."""

    title: str
    subtitle: str
    legend_title: str
    legend: list[LegendLayer]
    #: Formats the scale bar's length, e.g. ``lambda m: "2 公里"``.
    length_text: object
    north: str = "N"


@dataclass
class Regions:
    """Where the sheet drew its parts (sheet units), for tests and for placing more."""

    title: QRectF
    map: QRectF
    legend: QRectF
    scale_bar: QRectF
    north_arrow: QRectF


def _font(size: float, bold: bool = False) -> QFont:
    from PyQt6.QtWidgets import QApplication

    font = QFont(QApplication.font())
    font.setPointSizeF(size)
    font.setBold(bold)
    return font


def _set_font(painter: QPainter, size: float, bold: bool = False) -> QFontMetricsF:
    """Use a font of ``size`` points at the sheet's 96 dpi, whatever the device's resolution."""
    font = _font(size, bold)
    font.setPixelSize(max(1, round(size * DPI / 72)))
    painter.setFont(font)
    return QFontMetricsF(font, painter.device())


def compose(painter: QPainter, size: QSizeF, canvas, sheet: Sheet) -> Regions:
    """Paint the sheet for ``canvas``'s current view on ``painter`` (``size`` in sheet units)."""
    width, height = size.width(), size.height()
    painter.fillRect(QRectF(0, 0, width, height), QColor("white"))
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    # The map keeps the view's proportions: the sheet is centred on a page taller than it.
    viewport = canvas.viewport().rect()
    ratio = viewport.width() / max(viewport.height(), 1)
    box = QRectF(MARGIN, TITLE_HEIGHT, width - LEGEND_WIDTH - 3 * MARGIN,
                 height - TITLE_HEIGHT - MARGIN)
    frame_w = min(box.width(), box.height() * ratio)
    frame = QRectF(box.left() + (box.width() - frame_w) / 2, box.top(), frame_w,
                   frame_w / ratio)
    frame.translate(0, (box.height() - frame.height()) / 2)
    top = frame.top() - TITLE_HEIGHT
    # Title and subtitle, centred over the map and legend.
    title = QRectF(MARGIN, top + MARGIN * 0.6, width - 2 * MARGIN, TITLE_HEIGHT - MARGIN * 0.6)
    painter.setPen(INK)
    _set_font(painter, 17, bold=True)
    painter.drawText(QRectF(title.left(), title.top(), title.width(), 30),
                     Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, sheet.title)
    _set_font(painter, 8.5)
    painter.setPen(QColor("#495057"))
    painter.drawText(QRectF(title.left(), title.top() + 30, title.width(), 18),
                     Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter,
                     sheet.subtitle)
    # The map: the view's extent, as large as the page allows.
    painter.save()
    painter.setClipRect(frame)
    canvas.render(painter, frame, viewport, Qt.AspectRatioMode.IgnoreAspectRatio)
    painter.restore()
    painter.setPen(QPen(INK, 1.2))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(frame)
    metres_per_unit = canvas.view_box.viewRect().width() / frame.width()
    scale_bar = _scale_bar(painter, frame, metres_per_unit, sheet.length_text)
    north = _north_arrow(painter, frame, sheet.north)
    legend = QRectF(frame.right() + MARGIN, frame.top(), width - frame.right() - 2 * MARGIN,
                    frame.height())
    _legend(painter, legend, sheet)
    return Regions(title, frame, legend, scale_bar, north)


def _scale_bar(painter: QPainter, frame: QRectF, metres_per_unit: float, text) -> QRectF:
    metres = nice_length(frame.width() / 4 * metres_per_unit)
    length = metres / metres_per_unit if metres_per_unit else 0.0
    metrics = _set_font(painter, 8)
    label = text(metres)
    x0, y0 = frame.left() + 14, frame.bottom() - 16
    area = QRectF(x0 - 8, y0 - 20, length + metrics.horizontalAdvance(label) + 26, 30)
    painter.fillRect(area, QColor(255, 255, 255, 215))
    half = length / 2
    painter.setPen(QPen(INK, 1))
    painter.setBrush(INK)
    painter.drawRect(QRectF(x0, y0 - 5, half, 5))
    painter.setBrush(QColor("white"))
    painter.drawRect(QRectF(x0 + half, y0 - 5, half, 5))
    painter.drawText(QPointF(x0 + length + 8, y0 + 1), label)
    painter.drawText(QPointF(x0 - 3, y0 - 8), "0")
    return area


def _north_arrow(painter: QPainter, frame: QRectF, letter: str) -> QRectF:
    # The map is drawn in Gauss–Krüger: grid north is up.
    cx, top = frame.right() - 30, frame.top() + 12
    area = QRectF(cx - 16, top - 2, 32, 52)
    painter.fillRect(area, QColor(255, 255, 255, 215))
    painter.setPen(QPen(INK, 1))
    painter.setBrush(INK)
    painter.drawPolygon(QPolygonF([QPointF(cx, top + 14), QPointF(cx + 9, top + 46),
                                   QPointF(cx, top + 38)]))
    painter.setBrush(QColor("white"))
    painter.drawPolygon(QPolygonF([QPointF(cx, top + 14), QPointF(cx - 9, top + 46),
                                   QPointF(cx, top + 38)]))
    _set_font(painter, 9, bold=True)
    painter.drawText(QRectF(cx - 12, top - 2, 24, 16), Qt.AlignmentFlag.AlignCenter, letter)
    return area


def _legend(painter: QPainter, rect: QRectF, sheet: Sheet) -> None:
    painter.setPen(QPen(QColor("#adb5bd"), 1))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(rect)
    lines = 1 + sum(1 + len(layer.rows) for layer in sheet.legend)
    # Rows shrink to fit a long legend (down to a small but legible size).
    row = max(12.0, min(19.0, (rect.height() - 16) / max(lines, 1)))
    size = 9 if row >= 17 else 7.5
    x, y = rect.left() + 10, rect.top() + 8
    painter.setPen(INK)
    _set_font(painter, size + 2, bold=True)
    painter.drawText(QRectF(x, y, rect.width() - 20, row + 2), Qt.AlignmentFlag.AlignVCenter,
                     sheet.legend_title)
    y += row + 4
    for layer in sheet.legend:  # the visible layers, a dozen at most
        if y + row > rect.bottom() - 4:
            break
        painter.setPen(INK)
        metrics = _set_font(painter, size, bold=True)
        painter.drawText(QRectF(x, y, rect.width() - 20, row), Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(layer.title, Qt.TextElideMode.ElideRight,
                                            rect.width() - 20))
        y += row
        metrics = _set_font(painter, size)
        for symbol, label in layer.rows:
            if y + row > rect.bottom() - 4:
                break
            _swatch(painter, QRectF(x + 6, y + row / 2 - 6, 20, 12), symbol, layer.geometry)
            painter.setPen(INK)
            painter.drawText(QRectF(x + 34, y, rect.width() - 44, row),
                             Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(label, Qt.TextElideMode.ElideRight,
                                                rect.width() - 44))
            y += row
        y += 3


def _swatch(painter: QPainter, rect: QRectF, symbol: Symbol, geometry: str) -> None:
    painter.save()
    if geometry == "point":
        painter.translate(rect.center())
        small = Symbol(fill=symbol.fill, stroke=symbol.stroke, size=min(symbol.size, 14),
                       stroke_width=symbol.stroke_width, shape=symbol.shape)
        pen = symbology.pen(small)
        pen.setCosmetic(False)
        painter.setPen(pen)
        painter.setBrush(symbology.brush(small))
        painter.drawPath(symbology.symbol_path(small))
    else:
        pen = symbology.pen(symbol)
        pen.setCosmetic(False)
        pen.setWidthF(min(pen.widthF(), 2.5))
        painter.setPen(pen)
        painter.setBrush(symbology.brush(symbol))
        painter.drawRect(rect)
    painter.restore()


def sheet_size(canvas) -> QSizeF:
    """A PNG sheet holding the map at the size it has on screen."""
    viewport = canvas.viewport().rect()
    return QSizeF(viewport.width() + LEGEND_WIDTH + 3 * MARGIN,
                  viewport.height() + TITLE_HEIGHT + MARGIN)


#: Why a snapshot was not written (a catalogue template: shown in either language).
CANNOT_WRITE = "无法写入 {path}"


def save_png(path: str | Path, canvas, sheet: Sheet) -> Regions:
    """Write the sheet as a PNG, the map at screen size; the regions drawn."""
    size = sheet_size(canvas)
    image = QImage(int(size.width()), int(size.height()), QImage.Format.Format_ARGB32)
    image.setDotsPerMeterX(round(DPI / 0.0254))
    image.setDotsPerMeterY(round(DPI / 0.0254))
    painter = QPainter(image)
    try:
        regions = compose(painter, size, canvas, sheet)
    finally:
        painter.end()
    if not image.save(str(path), "PNG"):
        raise OSError(CANNOT_WRITE.format(path=path))
    return regions


def save_pdf(path: str | Path, canvas, sheet: Sheet) -> Regions:
    """Write the sheet as an A4 landscape PDF (vector, fonts embedded); the regions drawn."""
    writer = QPdfWriter(str(path))
    writer.setResolution(DPI)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                     QPageLayout.Orientation.Landscape, QMarginsF(0, 0, 0, 0)))
    writer.setTitle(sheet.title)
    writer.setCreator("Grid Monitor")
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(CANNOT_WRITE.format(path=path))
    try:
        size = QSizeF(writer.width(), writer.height())
        regions = compose(painter, size, canvas, sheet)
    finally:
        painter.end()
    return regions
