"""One drawing interface over an fpdf2 page (vector PDF) and a Pillow image (PNG).

A printed map is laid out once in page units (millimetres for the printed maps, pixels for the
visit list's picture) and drawn through either canvas. Many features of one style class are
drawn as one path: :meth:`fill_rings` takes every ring of the class as one coordinate array,
oriented so that exteriors and holes wind opposite ways, and fills it by the nonzero rule, as
the screen fills a class's painter path (``ui/canvas/polygon_item``): overlapping polygons of
a class are filled once, holes stay open.

Colours are ``(red, green, blue, alpha)`` with alpha 0–1 (:func:`rgba` reads the styles' hex).
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

#: Vertices of the point symbols on a unit square centred on the origin (y down).
_STAR = [(0.5 * np.cos(np.pi / 2 + k * np.pi / 5) * (1 if k % 2 == 0 else 1 / 2.4),
          -0.5 * np.sin(np.pi / 2 + k * np.pi / 5) * (1 if k % 2 == 0 else 1 / 2.4))
         for k in range(10)]
_CIRCLE = [(0.5 * np.cos(a), 0.5 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 17)[:-1]]
SHAPES = {
    "circle": np.array(_CIRCLE),
    "square": np.array([(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)]),
    "triangle": np.array([(0, -0.5), (0.5, 0.5), (-0.5, 0.5)]),
    "diamond": np.array([(0, -0.5), (0.5, 0), (0, 0.5), (-0.5, 0)]),
    "star": np.array(_STAR),
    "cross": np.array([(-1 / 6, -0.5), (1 / 6, -0.5), (1 / 6, -1 / 6), (0.5, -1 / 6),
                       (0.5, 1 / 6), (1 / 6, 1 / 6), (1 / 6, 0.5), (-1 / 6, 0.5),
                       (-1 / 6, 1 / 6), (-0.5, 1 / 6), (-0.5, -1 / 6), (-1 / 6, -1 / 6)]),
}
BLACK = (0, 0, 0, 1.0)


def rgba(hex_colour: str | None, opacity: float = 1.0):
    """``#rrggbb`` or ``#rrggbbaa`` times ``opacity`` → (r, g, b, alpha); None when invisible."""
    if not hex_colour:
        return None
    text = hex_colour.lstrip("#")
    alpha = (int(text[6:8], 16) / 255 if len(text) == 8 else 1.0) * opacity
    if alpha <= 0:
        return None
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16), alpha


def marker_rings(x, y, shape: str, size: float) -> tuple[np.ndarray, np.ndarray]:
    """Every point's symbol outline: (coordinates, ring index per vertex), one ring each."""
    unit = SHAPES.get(shape, SHAPES["circle"])
    closed = np.vstack([unit, unit[:1]]) * size
    if _signed_areas(closed, np.array([0]))[0] > 0:  # exteriors wind anticlockwise as seen
        closed = closed[::-1]
    x, y = np.asarray(x, float), np.asarray(y, float)
    coords = np.empty((len(x), len(closed), 2))
    coords[:, :, 0] = x[:, None] + closed[None, :, 0]
    coords[:, :, 1] = y[:, None] + closed[None, :, 1]
    return coords.reshape(-1, 2), np.repeat(np.arange(len(x)), len(closed))


def _colour_op(colour, operator: str) -> str:
    red, green, blue = (c / 255 for c in colour[:3])
    return f"{red:.3f} {green:.3f} {blue:.3f} {operator}"


def _signed_areas(coords: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Twice each closed ring's shoelace area (y down: clockwise as seen is positive)."""
    x, y = coords[:, 0], coords[:, 1]
    following = np.arange(1, len(x) + 1)
    following[np.r_[starts[1:] - 1, len(x) - 1]] = starts  # each ring's last vertex wraps
    return np.add.reduceat(x * y[following] - x[following] * y, starts)


def _ring_starts(ring_index: np.ndarray) -> np.ndarray:
    """Position of each ring's first vertex."""
    return np.flatnonzero(np.r_[True, ring_index[1:] != ring_index[:-1]])


class _Shapes:
    """What both canvases draw from their ``polygon`` and ``stroke_rings``."""

    def rect(self, x, y, w, h, fill=None, stroke=None, width: float = 0.2) -> None:
        """A rectangle from its top-left corner."""
        self.polygon([(x, y), (x + w, y), (x + w, y + h), (x, y + h)], fill, stroke, width)

    def line(self, points, colour=BLACK, width: float = 0.2, dash=None) -> None:
        """An open polyline."""
        points = np.asarray(points, float)
        self.stroke_rings(points, np.zeros(len(points), int), colour, width, dash, close=False)


class PdfCanvas(_Shapes):
    """Draws on the current page of an ``fpdf.FPDF`` in its unit (y down).

    Paths are written as PDF path operators built from whole coordinate arrays (fpdf2's own
    ``polygon`` and ``PaintedPath`` make Python objects per vertex and know no holes), each in
    its own saved graphics state so fpdf2's idea of the current colours stays true.
    """

    def __init__(self, pdf, family: str = "cjk"):
        self.pdf, self.family = pdf, family

    # -- paths written as operators
    def _xy(self, coords: np.ndarray) -> np.ndarray:
        pdf = self.pdf
        return np.column_stack([coords[:, 0] * pdf.k, (pdf.h - coords[:, 1]) * pdf.k])

    def _path(self, coords: np.ndarray, ring_index: np.ndarray, close: bool) -> str:
        """``m``/``l`` operators of every ring (``h`` closes each when ``close``)."""
        xy = self._xy(np.asarray(coords, float))
        ops = np.full(len(xy), "l", dtype=object)
        ops[_ring_starts(ring_index)] = "m"
        if close:
            ends = np.r_[_ring_starts(ring_index)[1:] - 1, len(xy) - 1]
            ops[ends] = "l h"
        cells = np.empty((len(xy), 3), dtype=object)
        cells[:, 0], cells[:, 1], cells[:, 2] = xy[:, 0], xy[:, 1], ops
        return ("%.2f %.2f %s\n" * len(xy)) % tuple(cells.ravel().tolist())

    def _paint(self, path: str, fill=None, stroke=None, width: float = 0.0,
               dash: tuple[float, float] | None = None) -> None:
        if not path or (fill is None and stroke is None):
            return
        state = ["q 1 j 1 J"]
        if fill is not None:
            state.append(_colour_op(fill, "rg"))
        if stroke is not None:
            state.append(f"{_colour_op(stroke, 'RG')} {width * self.pdf.k:.3f} w")
            if dash:
                state.append(f"[{dash[0] * self.pdf.k:.2f} {dash[1] * self.pdf.k:.2f}] 0 d")
        op = "B" if fill is not None and stroke is not None else ("f" if fill else "S")
        opacity = {}
        if fill is not None and fill[3] < 1:
            opacity["fill_opacity"] = fill[3]
        if stroke is not None and stroke[3] < 1:
            opacity["stroke_opacity"] = stroke[3]
        text = "\n".join(state) + "\n" + path + op + " Q"
        if opacity:
            with self.pdf.local_context(**opacity):
                self.pdf._out(text)  # noqa: SLF001 - fpdf2's drawing methods write the same way
        else:
            self.pdf._out(text)  # noqa: SLF001

    def fill_rings(self, coords, ring_index, colour) -> None:
        """Fill oriented rings (nonzero rule): overlaps once, holes open."""
        if colour is not None and len(coords):
            self._paint(self._path(coords, ring_index, True), fill=colour)

    def stroke_rings(self, coords, ring_index, colour, width: float, dash=None,
                     close: bool = True) -> None:
        """Outline every ring (or line, ``close=False``)."""
        if colour is not None and len(coords):
            self._paint(self._path(coords, ring_index, close), stroke=colour, width=width,
                        dash=dash)

    def markers(self, x, y, shape: str, size: float, fill=None, stroke=None,
                width: float = 0.0) -> None:
        """The same symbol at every point (size: its width)."""
        if len(x):
            coords, rings = marker_rings(x, y, shape, size)
            self._paint(self._path(coords, rings, True), fill, stroke, width)

    # -- single shapes and text
    def polygon(self, points, fill=None, stroke=None, width: float = 0.2) -> None:
        """One closed polygon."""
        points = np.asarray(points, float)
        self._paint(self._path(points, np.zeros(len(points), int), True), fill, stroke, width)

    def text_width(self, text: str, size: float) -> float:
        """Width of ``text`` at ``size`` (page units high)."""
        self.pdf.set_font(self.family, size=size * self.pdf.k)
        return self.pdf.get_string_width(text)

    def text(self, x, y, text: str, size: float, colour=BLACK, anchor: str = "ls",
             halo=None) -> None:
        """``text`` at (x, y): anchor l/m/r then t (top), m (middle) or s (baseline)."""
        pdf = self.pdf
        width = self.text_width(text, size)
        x -= {"l": 0.0, "m": width / 2, "r": width}[anchor[0]]
        y += {"t": 0.86 * size, "m": 0.34 * size, "s": 0.0}[anchor[1]]
        if halo is not None:
            with pdf.local_context(text_mode="STROKE", draw_color=halo[:3],
                                   line_width=size * 0.18):
                pdf.text(x, y, text)
        pdf.set_text_color(*colour[:3])
        pdf.text(x, y, text)

    @contextmanager
    def clip(self, x, y, w, h):
        """Draw only inside the rectangle."""
        with self.pdf.rect_clip(x, y, w, h):
            yield


class PngCanvas(_Shapes):
    """Draws on a Pillow RGB image; page units × ``scale`` = pixels.

    Pillow has no holes, no paths and no blending in its drawing calls: a fill is drawn into
    a mask (exteriors at the colour's alpha, holes cleared) and laid on the image through it.
    """

    def __init__(self, image, scale: float = 1.0, font_path=None):
        from PIL import ImageDraw

        self.image, self.scale, self.font_path = image, float(scale), font_path
        self.draw = ImageDraw.Draw(image)
        self.origin = (0.0, 0.0)
        self._fonts: dict[int, object] = {}

    def _px(self, coords) -> np.ndarray:
        coords = np.asarray(coords, float).reshape(-1, 2)
        return (coords - self.origin) * self.scale

    def _through_mask(self, colour, paint) -> None:
        """Draw with ``paint(draw, value)`` into a mask, lay ``colour`` through it."""
        from PIL import Image, ImageDraw

        mask = Image.new("L", self.image.size, 0)
        paint(ImageDraw.Draw(mask), round(255 * colour[3]))
        box = mask.getbbox()
        if box:
            self.image.paste(tuple(colour[:3]), box, mask.crop(box))

    def fill_rings(self, coords, ring_index, colour) -> None:
        """Fill rings: exteriors (anticlockwise as seen) filled, holes (clockwise) cleared."""
        if colour is None or not len(coords):
            return
        px = self._px(coords)
        starts = _ring_starts(np.asarray(ring_index))
        rings = np.split(px, starts[1:])
        exterior = _signed_areas(px, starts) < 0  # y down: anticlockwise as seen is negative

        def paint(draw, value):
            for keep in (True, False):  # exteriors, then the holes cut from them
                for ring, outer in zip(rings, exterior, strict=True):
                    if outer == keep and len(ring) > 2:
                        draw.polygon(ring.ravel().tolist(), fill=value if keep else 0)

        if colour[3] >= 1 and exterior.all():  # opaque, no holes: straight onto the image
            for ring in rings:
                if len(ring) > 2:
                    self.draw.polygon(ring.ravel().tolist(), fill=tuple(colour[:3]))
            return
        self._through_mask(colour, paint)

    def stroke_rings(self, coords, ring_index, colour, width: float, dash=None,
                     close: bool = True) -> None:
        """Outline every ring (or line); dashes cut along each one."""
        if colour is None or not len(coords):
            return
        px = self._px(coords)
        lines = np.split(px, _ring_starts(np.asarray(ring_index))[1:])
        if dash:
            lines = [part for line in lines for part in _dashes(line, dash[0] * self.scale,
                                                                dash[1] * self.scale)]
        pixels = max(1, round(width * self.scale))
        joint = "curve" if pixels > 2 else None

        def paint(draw, value):
            for line in lines:
                if len(line) > 1:
                    draw.line(line.ravel().tolist(), fill=value, width=pixels, joint=joint)

        if colour[3] >= 1:
            for line in lines:
                if len(line) > 1:
                    self.draw.line(line.ravel().tolist(), fill=tuple(colour[:3]),
                                   width=pixels, joint=joint)
        else:
            self._through_mask(colour, paint)

    def markers(self, x, y, shape: str, size: float, fill=None, stroke=None,
                width: float = 0.0) -> None:
        """The same symbol at every point."""
        if not len(x):
            return
        coords, rings = marker_rings(x, y, shape, size)
        self.fill_rings(coords, rings, fill)
        if stroke is not None and width > 0:
            self.stroke_rings(coords, rings, stroke, width)

    def polygon(self, points, fill=None, stroke=None, width: float = 0.2) -> None:
        """One closed polygon."""
        points = np.asarray(points, float)
        closed = np.vstack([points, points[:1]])
        ring = np.zeros(len(closed), int)
        if fill is not None:
            clockwise = _signed_areas(closed, np.array([0]))[0] > 0
            self.fill_rings(closed[::-1] if clockwise else closed, ring, fill)
        if stroke is not None:
            self.stroke_rings(closed, ring, stroke, width)

    def font(self, size: float):
        """The CJK font at ``size`` page units (cached per pixel size)."""
        from PIL import ImageFont

        pixels = max(1, round(size * self.scale))
        if pixels not in self._fonts:
            self._fonts[pixels] = (ImageFont.truetype(str(self.font_path), pixels, index=0)
                                   if self.font_path is not None
                                   else ImageFont.load_default(pixels))
        return self._fonts[pixels]

    def text_width(self, text: str, size: float) -> float:
        """Width of ``text`` at ``size`` in page units."""
        return self.font(size).getlength(text) / self.scale

    def text(self, x, y, text: str, size: float, colour=BLACK, anchor: str = "ls",
             halo=None) -> None:
        """``text`` at (x, y) (Pillow's anchors: l/m/r then t/m/s)."""
        (px, py), = self._px([(x, y)])
        extra = {"stroke_width": max(1, round(size * self.scale * 0.12)),
                 "stroke_fill": tuple(halo[:3])} if halo is not None else {}
        self.draw.text((px, py), text, fill=tuple(colour[:3]), font=self.font(size),
                       anchor=anchor, **extra)

    @contextmanager
    def clip(self, x, y, w, h):
        """Draw only inside the rectangle (on a crop of the image, pasted back)."""
        from PIL import ImageDraw

        left, top = self._px([(x, y)])[0]
        box = (round(left), round(top), round(left + w * self.scale),
               round(top + h * self.scale))
        image, draw, origin = self.image, self.draw, self.origin
        self.image = image.crop(box)
        self.draw = ImageDraw.Draw(self.image)
        self.origin = (origin[0] + box[0] / self.scale, origin[1] + box[1] / self.scale)
        try:
            yield
        finally:
            image.paste(self.image, box)
            self.image, self.draw, self.origin = image, draw, origin


def _dashes(line: np.ndarray, on: float, off: float) -> list[np.ndarray]:
    """The dashes of a polyline: ``on`` drawn, ``off`` skipped, along its length."""
    steps = np.hypot(*np.diff(line, axis=0).T)
    along = np.r_[0.0, np.cumsum(steps)]
    total = along[-1]
    if total <= 0 or on <= 0:
        return [line]
    starts = np.arange(0.0, total, on + off)
    ends = np.minimum(starts + on, total)
    xs, ys = line[:, 0], line[:, 1]
    first = np.column_stack([np.interp(starts, along, xs), np.interp(starts, along, ys)])
    last = np.column_stack([np.interp(ends, along, xs), np.interp(ends, along, ys)])
    # The vertices inside each dash: a dash usually has none, a corner inside one keeps it.
    lo, hi = np.searchsorted(along, starts, "right"), np.searchsorted(along, ends, "left")
    return [np.vstack([first[k], line[lo[k]:hi[k]], last[k]]) for k in range(len(starts))]
