"""Styles (hex colours in core objects) turned into Qt pens, brushes and symbol pixmaps."""

from __future__ import annotations

from functools import lru_cache

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from gis_app.core.mapdefs import Symbol

_PEN_STYLES = {
    "solid": Qt.PenStyle.SolidLine,
    "dash": Qt.PenStyle.DashLine,
    "dot": Qt.PenStyle.DotLine,
}


def colour(hex_colour: str | None, opacity: float = 1.0) -> QColor:
    """``#rrggbb`` or ``#rrggbbaa`` → QColor (transparent for None)."""
    if not hex_colour:
        return QColor(0, 0, 0, 0)
    text = hex_colour.lstrip("#")
    red, green, blue = int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
    alpha = int(text[6:8], 16) if len(text) == 8 else 255
    return QColor(red, green, blue, round(alpha * opacity))


def pen(symbol: Symbol, opacity: float = 1.0, width_scale: float = 1.0) -> QPen:
    """A cosmetic pen (width in screen pixels, whatever the zoom)."""
    if not symbol.stroke:
        return QPen(Qt.PenStyle.NoPen)
    result = QPen(colour(symbol.stroke, opacity * symbol.opacity))
    result.setWidthF(symbol.stroke_width * width_scale)
    result.setCosmetic(True)
    result.setStyle(_PEN_STYLES.get(symbol.stroke_style, Qt.PenStyle.SolidLine))
    result.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return result


def brush(symbol: Symbol, opacity: float = 1.0) -> QBrush:
    """The fill brush (no brush when the symbol has no fill)."""
    if not symbol.fill:
        return QBrush(Qt.BrushStyle.NoBrush)
    return QBrush(colour(symbol.fill, opacity * symbol.opacity))


def _shape_path(shape: str, size: float) -> QPainterPath:
    half = size / 2
    path = QPainterPath()
    if shape == "square":
        path.addRect(QRectF(-half, -half, size, size))
    elif shape == "triangle":
        path.addPolygon(QPolygonF([QPointF(0, -half), QPointF(half, half), QPointF(-half, half)]))
        path.closeSubpath()
    elif shape == "diamond":
        path.addPolygon(
            QPolygonF([QPointF(0, -half), QPointF(half, 0), QPointF(0, half), QPointF(-half, 0)])
        )
        path.closeSubpath()
    elif shape == "cross":
        third = size / 6
        path.addRect(QRectF(-half, -third, size, 2 * third))
        path.addRect(QRectF(-third, -half, 2 * third, size))
    elif shape == "star":
        import math

        points = [
            QPointF(
                math.cos(math.pi / 2 + k * math.pi / 5) * (half if k % 2 == 0 else half / 2.4),
                -math.sin(math.pi / 2 + k * math.pi / 5) * (half if k % 2 == 0 else half / 2.4),
            )
            for k in range(10)
        ]
        path.addPolygon(QPolygonF(points))
        path.closeSubpath()
    else:
        path.addEllipse(QRectF(-half, -half, size, size))
    return path


def symbol_path(symbol: Symbol, scale: float = 1.0) -> QPainterPath:
    """The outline of a point symbol centred on the origin, in pixels."""
    return _shape_path(symbol.shape, symbol.size * scale)


@lru_cache(maxsize=256)
def symbol_pixmap(
    symbol: Symbol, opacity: float = 1.0, scale: float = 1.0, device_ratio: float = 1.0
) -> QPixmap:
    """A pre-rendered point symbol (drawn many times with drawPixmapFragments)."""
    size = symbol.size * scale
    extent = int(size + symbol.stroke_width * 2 + 3)
    pixmap = QPixmap(int(extent * device_ratio), int(extent * device_ratio))
    pixmap.setDevicePixelRatio(device_ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.translate(extent / 2, extent / 2)
    outline = (
        QPen(colour(symbol.stroke, opacity * symbol.opacity), symbol.stroke_width)
        if symbol.stroke
        else QPen(Qt.PenStyle.NoPen)
    )
    painter.setPen(outline)
    painter.setBrush(brush(symbol, opacity))
    painter.drawPath(symbol_path(symbol, scale))
    painter.end()
    return pixmap
