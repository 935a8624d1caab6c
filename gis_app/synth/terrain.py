"""The county's frame and physical layout: a local metric plane, its outline and its rivers."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

from gis_app.synth import libm
from gis_app.synth.names import RIVER_POOL

#: Where the county lies: hilly western Hunan, inside 3-degree Gauss-Krüger zone 37 (EPSG:4525).
CENTRE_LON, CENTRE_LAT = 111.05, 27.2
#: Rural households per square kilometre (a hilly county).
DENSITY = 50.0
#: The whole county stays within this longitude span, so it never leaves GK zone 37.
MAX_WIDTH_M = 260_000.0
MAIN_RIVER = "青溪河"


@dataclass(frozen=True)
class Frame:
    """A local plane in metres, mapped to CGCS2000 lon/lat by an affine transform.

    An affine map keeps straight lines straight, so point-in-polygon answers computed in the
    plane hold exactly in lon/lat.
    """

    lon0: float = CENTRE_LON
    lat0: float = CENTRE_LAT

    @property
    def scale(self) -> tuple[float, float]:
        """Metres per degree of longitude and latitude at the centre (CGCS2000 ellipsoid)."""
        a, f = 6378137.0, 1 / 298.257222101
        e2 = f * (2 - f)
        phi = np.radians(self.lat0)
        w = np.sqrt(1 - e2 * np.sin(phi) ** 2)
        return (float(np.pi / 180 * a * np.cos(phi) / w),
                float(np.pi / 180 * a * (1 - e2) / w ** 3))

    def lonlat(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Plane coordinates to longitude and latitude."""
        kx, ky = self.scale
        return self.lon0 + np.asarray(x) / kx, self.lat0 + np.asarray(y) / ky

    def geoms(self, geoms: np.ndarray) -> np.ndarray:
        """Transform shapely geometries from the plane to lon/lat (vectorised)."""
        kx, ky = self.scale
        factor = np.array([1 / kx, 1 / ky])
        offset = np.array([self.lon0, self.lat0])
        return shapely.transform(np.asarray(geoms, dtype=object), lambda c: c * factor + offset)


@dataclass
class River:
    """A river or stream in the plane; order 0 is the main river."""

    name: str
    coords: np.ndarray
    order: int


@dataclass
class Layout:
    """Extent, outline and rivers of the county in the plane."""

    width: float
    height: float
    harmonics: np.ndarray
    rivers: list[River] = field(default_factory=list)

    def outline_factor(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Normalised radius of each point: below 1 means inside the county's outline."""
        u = np.asarray(x) / (self.width / 2)
        v = np.asarray(y) / (self.height / 2)
        theta = libm.arctan2(v, u)
        r = 1 + sum(a * np.sin(k * theta + p) for k, a, p in self.harmonics)
        return libm.hypot(u, v) / r

    @property
    def area_km2(self) -> float:
        """Approximate area of the outline."""
        return float(np.pi * self.width * self.height / 4e6)


def make_layout(rng: np.random.Generator, households: int) -> Layout:
    """Size the county for ``households`` and draw its outline and river network.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random stream of this stage.
    households : int
        Number of rural households; the area grows with it (``DENSITY`` per km²).

    Returns
    -------
    Layout
    """
    area = max(households / DENSITY, 30.0) * 1e6
    width = min(np.sqrt(4 * area / np.pi * 1.25), MAX_WIDTH_M)
    height = 4 * area / np.pi / width
    orders = np.arange(2, 7)
    amplitudes = rng.uniform(0.03, 0.10, len(orders)) / libm.power(orders, 0.6)
    harmonics = np.column_stack([orders, amplitudes, rng.uniform(0, 2 * np.pi, len(orders))])
    layout = Layout(width=float(width), height=float(height), harmonics=harmonics)
    layout.rivers = _river_network(rng, layout)
    return layout


def _main_river(rng: np.random.Generator, layout: Layout) -> np.ndarray:
    """Draw a river crossing the county from west to east with bends and meanders."""
    a, b = layout.width / 2, layout.height / 2
    x = np.arange(-1.3 * a, 1.3 * a, 60.0)
    y = 0.16 * b * np.sin(np.pi * x / (1.3 * a) * rng.uniform(0.7, 1.1) + rng.uniform(0, 6.3))
    for wavelength, amp in ((9000.0, 0.07), (4500.0, 0.06), (2300.0, 0.05), (1200.0, 0.04),
                            (700.0, 0.03)):
        if wavelength < 2 * a:
            y += amp * wavelength * np.sin(2 * np.pi * x / wavelength + rng.uniform(0, 6.3))
    return np.column_stack([x, y])


def _stream(rng: np.random.Generator, start: np.ndarray, heading: float, length: float,
            bend: float) -> np.ndarray:
    """Draw a winding stream from ``start`` along ``heading`` (radians) for ``length`` metres."""
    step = 60.0
    s = np.arange(0.0, length, step)
    h = np.full(len(s), heading)
    for wavelength, amp in ((6000.0, bend), (2500.0, bend * 0.8), (900.0, 0.35)):
        h += amp * np.sin(2 * np.pi * s / wavelength + rng.uniform(0, 6.3))
    xy = np.cumsum(np.column_stack([np.cos(h), np.sin(h)]) * step, axis=0)
    return np.vstack([start, start + xy[:-1]])


def _tangent(coords: np.ndarray, i: int) -> float:
    """Direction (radians) of a polyline's valley at vertex ``i`` (ignoring small meanders)."""
    j0, j1 = max(i - 25, 0), min(i + 25, len(coords) - 1)
    d = coords[j1] - coords[j0]
    return float(libm.arctan2(d[1], d[0]))


def _branches(rng: np.random.Generator, layout: Layout, parent: np.ndarray, spacing: float,
              length: float, first: float, bend: float) -> list[np.ndarray]:
    """Draw side streams leaving ``parent`` every ``spacing`` metres on alternating banks."""
    seg = libm.hypot(*np.diff(parent, axis=0).T)
    chain = np.r_[0.0, np.cumsum(seg)]
    out = []
    side = 1 if rng.random() < 0.5 else -1
    for s0 in np.arange(first, chain[-1] - spacing / 3, spacing):
        i = int(np.searchsorted(chain, s0 + rng.uniform(-0.2, 0.2) * spacing))
        i = min(max(i, 1), len(parent) - 2)
        if layout.outline_factor(*parent[i]) > 0.92:
            side = -side
            continue
        heading = _tangent(parent, i) + side * (np.pi / 2 + rng.uniform(0.05, 0.35))
        out.append(_stream(rng, parent[i], heading, length * rng.uniform(0.8, 1.1), bend))
        side = -side
    return out


def _river_network(rng: np.random.Generator, layout: Layout) -> list[River]:
    """Draw the main river, its tributaries and (in large counties) their side streams."""
    main = _main_river(rng, layout)
    b = layout.height / 2
    spacing1 = float(np.clip(0.18 * np.sqrt(layout.area_km2 * 1e6) ** 0.9, 2200.0, 7000.0))
    tribs = _branches(rng, layout, main, spacing1, 1.4 * b, rng.uniform(0.3, 0.7) * spacing1,
                      0.15)
    rivers = [River(MAIN_RIVER, main, 0)]
    second = []
    if b > 12_000:
        for trib in tribs:
            second += _branches(rng, layout, trib, 0.9 * spacing1, 0.9 * spacing1,
                                0.8 * spacing1, 0.12)
    names = list(RIVER_POOL) + [f"{a}{c}溪" for a in "青白黄金石龙凤桃梅竹松枫柳杉茶云山沙花"
                                for c in "家坪冲湾岭坑源口田山塘洞"]
    for i, coords in enumerate(tribs + second):
        rivers.append(River(names[i % len(names)] + ("" if i < len(names) else str(i)),
                            coords, 1 if i < len(tribs) else 2))
    return rivers


def smooth(coords: np.ndarray, window: int) -> np.ndarray:
    """Moving-average smoothing of a polyline, keeping its end points."""
    if len(coords) <= window or window < 2:
        return coords.copy()
    kernel = np.ones(window) / window
    pad = window // 2
    padded = np.vstack([np.repeat(coords[:1], pad, 0), coords, np.repeat(coords[-1:], pad, 0)])
    out = np.column_stack([np.convolve(padded[:, k], kernel, "valid")[:len(coords)]
                           for k in range(2)])
    out[0], out[-1] = coords[0], coords[-1]
    return out


def offset(coords: np.ndarray, distance: float) -> np.ndarray:
    """Shift a polyline sideways by ``distance`` metres (left of the direction of travel)."""
    d = np.gradient(coords, axis=0)
    n = np.column_stack([-d[:, 1], d[:, 0]])
    n /= np.maximum(libm.hypot(n[:, 0], n[:, 1]), 1e-9)[:, None]
    return coords + distance * n


class LineIndex:
    """Nearest-distance queries from many points to a set of polylines (via their segments)."""

    def __init__(self, lines: list[np.ndarray]):
        starts, ends = [], []
        for coords in lines:
            if len(coords) >= 2:
                starts.append(coords[:-1])
                ends.append(coords[1:])
        self._segments = shapely.linestrings(
            np.stack([np.vstack(starts), np.vstack(ends)], axis=1))
        self._tree = shapely.STRtree(self._segments)

    def distance(self, x: np.ndarray, y: np.ndarray, limit: float | None = None) -> np.ndarray:
        """Distance (metres) from each point to the nearest line, capped at ``limit`` if given."""
        points = shapely.points(np.asarray(x), np.asarray(y))
        index, dist = self._tree.query_nearest(points, return_distance=True, all_matches=False,
                                               max_distance=limit)
        out = np.full(len(points), np.inf if limit is None else float(limit))
        out[index[0]] = dist
        return out

    def nearest(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Return the nearest point on the lines for each point, as an ``(n, 2)`` array."""
        points = shapely.points(np.asarray(x), np.asarray(y))
        index = self._tree.query_nearest(points, all_matches=False)
        seg = self._segments[index[1]]
        near = shapely.line_interpolate_point(seg, shapely.line_locate_point(seg,
                                                                             points[index[0]]))
        out = np.empty((len(points), 2))
        out[index[0]] = shapely.get_coordinates(near)
        return out
