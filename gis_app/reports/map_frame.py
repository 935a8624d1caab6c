"""A map on a page: metres → page units, the north arrow and the scale bar, for PDF and PNG.

The visit list's route map and the printed maps (:mod:`gis_app.reports.map_print`) both place
their map with :class:`MapFrame` and draw the arrow and the bar through a page canvas
(:mod:`gis_app.reports.page_canvas`), so the PDF and the PNG share one drawing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

BLACK = (0, 0, 0, 1.0)
WHITE = (255, 255, 255, 1.0)


@dataclass(frozen=True)
class MapFrame:
    """Gauss–Krüger metres → page units in a box (y down), same scale on both axes."""

    left: float
    top: float
    width: float
    height: float
    x0: float
    y0: float
    scale: float  # page units per metre

    @classmethod
    def fit(cls, bounds, left, top, width, height, margin: float = 0.06) -> MapFrame:
        """The frame showing ``bounds`` (minx, miny, maxx, maxy) centred in the box."""
        minx, miny, maxx, maxy = bounds
        span_x, span_y = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
        usable_w, usable_h = width * (1 - 2 * margin), height * (1 - 2 * margin)
        scale = min(usable_w / span_x, usable_h / span_y)
        x0 = (minx + maxx) / 2 - width / 2 / scale
        y0 = (miny + maxy) / 2 + height / 2 / scale
        return cls(left, top, width, height, x0, y0, scale)

    def page(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Page coordinates of map points."""
        return (self.left + (np.asarray(x, float) - self.x0) * self.scale,
                self.top + (self.y0 - np.asarray(y, float)) * self.scale)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """The map extent (minx, miny, maxx, maxy) in metres the box shows."""
        return (self.x0, self.y0 - self.height / self.scale, self.x0 + self.width / self.scale,
                self.y0)


def nice_length(metres: float) -> float:
    """The largest 1, 2 or 5 × 10^k not above ``metres``."""
    if metres <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(metres))
    return max(step * power for step in (1, 2, 5) if step * power <= metres)


def length_text(metres: float, language: str = "zh") -> str:
    """``500 米`` or ``2 公里`` (``500 m`` or ``2 km`` in English)."""
    metre, kilometre = ("m", "km") if language.startswith("en") else ("米", "公里")
    return f"{metres / 1000:g} {kilometre}" if metres >= 1000 else f"{metres:g} {metre}"


def north_arrow(canvas, x: float, y: float, size: float, language: str = "zh") -> None:
    """A black arrow ``size`` high with its tip at (x, y), 北 (N in English) beneath it."""
    half = 0.31 * size
    canvas.polygon([(x, y), (x - half, y + size), (x, y + 0.77 * size), (x + half, y + size)],
                   fill=BLACK)
    canvas.text(x, y + 1.1 * size, "N" if language.startswith("en") else "北", 0.5 * size,
                anchor="mt")


def scale_bar(canvas, frame: MapFrame, x: float, y: float, max_width: float, height: float,
              text_size: float, language: str = "zh") -> float:
    """A black-and-white bar of a round length no wider than ``max_width``; its metres."""
    metres = nice_length(max_width / frame.scale)
    length = metres * frame.scale
    line = height / 8
    canvas.rect(x, y, length / 2, height, fill=BLACK, stroke=BLACK, width=line)
    canvas.rect(x + length / 2, y, length / 2, height, fill=WHITE, stroke=BLACK, width=line)
    canvas.text(x + length + text_size / 2, y + height / 2, length_text(metres, language),
                text_size, anchor="lm")
    return metres
